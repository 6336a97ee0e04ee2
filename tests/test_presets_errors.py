"""Unreadable files name themselves and the fix (a preset's config.json and metadata.json, the
weights manifest, a run's run.json), and a preset folder cannot switch off the checks of its own
weights (a `model.keras` archive beside a metadata.json, or `weights_left_out` naming a network
inference needs)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo import presets

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def factorvae():
    """A tiny FactorVAE (it has a training-only discriminator) saved as a preset, and its model."""
    import tempfile

    import zoo.models

    model = zoo.models.get("factor_vae", input_shape=(16, 16, 1), latent_dim=2, seed=0)
    folder = Path(tempfile.mkdtemp()) / "factorvae-tiny"
    presets.save_preset(model, folder, metadata={"dataset": {"name": "tiny"}})
    yield folder, model
    shutil.rmtree(folder.parent)


@pytest.fixture()
def preset(factorvae, tmp_path):
    folder = tmp_path / "preset"
    shutil.copytree(factorvae[0], folder)
    return folder


@pytest.mark.parametrize("file_name", ["config.json", "metadata.json"])
def test_invalid_json_in_a_preset_names_the_file_and_the_fix(preset, file_name):
    """(config.json is checked against metadata.json's sha256 first; a manifest entry's files are
    checked against the manifest instead, so its loader reads config.json without that check.)"""
    (preset / file_name).write_text('{"objective": "factor_vae",')
    with pytest.raises(presets.PresetError, match=rf"{file_name} is not valid JSON \(.*line 1 column \d+.*\)\. "
                                                  r"Restore the file .*or re-save the preset"):
        presets.load_preset(preset, verify=False)


def test_invalid_json_in_the_manifest_names_the_file_and_the_fix(tmp_path):
    from zoo import manifest

    path = tmp_path / "weights_manifest.json"
    path.write_text('{"schema_version": 1, "models": {,}}')
    with pytest.raises(manifest.ManifestError, match=r"weights_manifest.json is not valid JSON \(.*line 1 column "
                                                     r"\d+.*\)\. Restore it .*git checkout"):
        zoo.load("factorvae-dsprites", manifest_path=path)


def test_invalid_json_in_a_run_file_names_the_file_and_the_fix(tmp_path):
    import zoo.runs

    (tmp_path / "run.json").write_text("{'model': 'beta_vae'}")
    for call in (lambda: zoo.runs.read_settings(tmp_path),
                 lambda: zoo.runs.check_run_folder(tmp_path, zoo.runs.RunSettings(), resume=True)):
        with pytest.raises(zoo.runs.RunFolderError, match=r"run.json is not valid JSON \(.*\)\. It holds the run's "
                                                          r"settings: restore it .*or delete the folder"):
            call()


def test_a_keras_archive_cannot_stand_in_for_a_checked_preset(preset, factorvae):
    """A preset (it has a metadata.json) whose config.json gave way to a `model.keras` archive was
    loaded from the archive without any check; the archive must now be recorded and match."""
    _, model = factorvae
    other = type(model).from_config(model.get_config())  # same network, other (fresh) weights
    other.build_for_inference()
    (preset / "config.json").unlink()
    other.save(preset / "model.keras")
    with pytest.raises(presets.PresetError, match=r"metadata.json records no size and sha256 for model.keras"):
        presets.load_preset(preset)
    # Recorded (as a preset written with the archive would be), a changed archive is refused.
    meta = json.loads((preset / "metadata.json").read_text())
    meta["files"] = {"model.keras": dict(zip(("size", "sha256"), zoo.files.file_digest(preset / "model.keras")))}
    (preset / "metadata.json").write_text(json.dumps(meta))
    assert presets.load_preset(preset) is not None
    with open(preset / "model.keras", "ab") as f:
        f.write(b"\0")
    with pytest.raises(zoo.files.IntegrityError, match="model.keras"):
        presets.load_preset(preset)


def test_weights_left_out_cannot_skip_a_network_inference_needs(preset, factorvae):
    """`weights_left_out` lists the training-only networks the weights file leaves out; a preset that
    named its encoder there was loaded with a freshly initialised encoder, without a word."""
    _, model = factorvae
    x = np.random.default_rng(0).random((3, 16, 16, 1), dtype=np.float32)
    np.testing.assert_allclose(presets.load_preset(preset).representation(x), model.representation(x), atol=1e-6)
    meta = json.loads((preset / "metadata.json").read_text())
    assert meta["weights_left_out"] == ["discriminator"]
    meta["weights_left_out"] = ["discriminator", "encoder"]
    (preset / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(presets.PresetError, match=r"weights_left_out names 'encoder', which FactorVAE needs for "
                                                  r"inference \(it may leave out only 'discriminator'\)"):
        presets.load_preset(preset, verify=False)
