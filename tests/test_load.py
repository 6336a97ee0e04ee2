"""zoo.load from the repository, the HF cache (pinned revision) and a folder; refusals of bad files."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import zoo
import zoo.api
import zoo.files
import zoo.manifest
import zoo.models
import zoo.presets
from zoo.manifest import IntegrityError, UnknownModelError
from zoo_testing import NAME, flip_byte, folder_bytes, images, make_hf_cache, make_repo, save_tiny_preset

REPO_ID = "zoo-test/betavae-tiny"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
OTHER_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    """A saved tiny preset and the codes the saved model gives for `images()`."""
    from zoo_testing import tiny_model

    model = tiny_model()
    folder = save_tiny_preset(tmp_path_factory.mktemp("preset") / NAME, model)
    return folder, model.representation(images())


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "hf-cache"
    folder.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(folder))
    return folder


def _assert_same_model(model, codes):
    np.testing.assert_allclose(model.representation(images()), codes, rtol=1e-5, atol=1e-6)


def _no_build(monkeypatch):
    """Makes any attempt to build a model fail the test: refusals must happen before building."""
    def refuse(*args, **kwargs):
        raise AssertionError("a model was built from files that failed their sha256 check")
    monkeypatch.setattr(zoo.presets, "load_preset", refuse)


def test_load_from_repository(preset, tmp_path):
    folder, codes = preset
    manifest = make_repo(tmp_path, folder)
    assert zoo.list_models(manifest_path=manifest) == [NAME]
    model = zoo.load(NAME, manifest_path=manifest)
    _assert_same_model(model, codes)
    assert zoo.api.resolve(NAME, manifest_path=manifest) == tmp_path / "weights" / NAME


def test_load_from_local_folder(preset):
    folder, codes = preset
    model = zoo.load(str(folder))
    assert type(model).__name__ == "BetaVAE" and model.beta == 4.0 and model.latent_dim == 4
    _assert_same_model(model, codes)
    assert not model.compiled
    assert zoo.load(str(folder), compile=True).compiled


def test_load_from_hf_cache_at_pinned_revision(preset, tmp_path, cache):
    folder, codes = preset
    manifest = make_repo(tmp_path, folder, hub={"repo_id": REPO_ID, "revision": COMMIT}, copy_files=False)
    snapshot = make_hf_cache(cache, REPO_ID, COMMIT, folder_bytes(folder))
    # main points at another commit whose weights differ: only the pinned commit may be used.
    changed = folder_bytes(folder)
    changed["model.weights.h5"] = changed["model.weights.h5"][:-1] + b"?"
    make_hf_cache(cache, REPO_ID, OTHER_COMMIT, changed, branch="main")
    assert zoo.api.resolve(NAME, manifest_path=manifest) == snapshot
    _assert_same_model(zoo.load(NAME, manifest_path=manifest, revision=COMMIT), codes)


def test_load_hf_address_offline_from_cache(preset, cache):
    folder, codes = preset
    make_hf_cache(cache, REPO_ID, COMMIT, folder_bytes(folder), branch="main")
    _assert_same_model(zoo.load(f"hf://{REPO_ID}@{COMMIT}"), codes)
    _assert_same_model(zoo.load(f"hf://{REPO_ID}"), codes)  # main, through refs/main
    with pytest.raises(FileNotFoundError, match="HF_HUB_OFFLINE"):
        zoo.load(f"hf://{REPO_ID}@{OTHER_COMMIT}")
    with pytest.raises(ValueError, match="revision"):
        zoo.load(f"hf://{REPO_ID}@{COMMIT}", revision=OTHER_COMMIT)


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_damaged_repository_file_is_refused(preset, tmp_path, monkeypatch, damage):
    folder, _ = preset
    manifest = make_repo(tmp_path, folder)
    weights = tmp_path / "weights" / NAME / "model.weights.h5"
    expected = json.loads(manifest.read_text())["models"][NAME]["files"]
    expected_sha = next(f["sha256"] for f in expected if f["path"].endswith("model.weights.h5"))
    if damage == "flip":
        flip_byte(weights)
    else:
        weights.write_bytes(weights.read_bytes()[:1000])
    _no_build(monkeypatch)
    with pytest.raises(IntegrityError) as err:
        zoo.load(NAME, manifest_path=manifest)
    message = str(err.value)
    actual_sha = zoo.files.file_digest(weights)[1]
    assert str(weights) in message and expected_sha in message and actual_sha in message
    assert "git checkout" in message
    assert ("truncated" in message) == (damage == "truncate")


def test_damaged_cache_file_is_refused(preset, tmp_path, cache, monkeypatch):
    folder, _ = preset
    manifest = make_repo(tmp_path, folder, hub={"repo_id": REPO_ID, "revision": COMMIT}, copy_files=False)
    snapshot = make_hf_cache(cache, REPO_ID, COMMIT, folder_bytes(folder))
    flip_byte(snapshot / "config.json", offset=3)
    _no_build(monkeypatch)
    with pytest.raises(IntegrityError, match=r"config\.json.*Delete the damaged copy"):
        zoo.load(NAME, manifest_path=manifest)


def test_missing_everywhere_offline_says_what_was_tried(preset, tmp_path, cache):
    folder, _ = preset
    manifest = make_repo(tmp_path, folder, hub={"repo_id": REPO_ID, "revision": COMMIT}, copy_files=False)
    with pytest.raises(FileNotFoundError) as err:
        zoo.load(NAME, manifest_path=manifest)
    message = str(err.value)
    assert "repository" in message and "Hugging Face cache" in message and "HF_HUB_OFFLINE" in message
    # The one fix for a pinned entry offline; nothing about Git LFS (the weights are plain git).
    assert f"Fix: run once with HF_HUB_OFFLINE unset and network access, to download {REPO_ID}@{COMMIT}" in message
    assert "lfs" not in message.lower()


def test_missing_without_hub_copy_names_the_folder_to_restore(preset, tmp_path):
    folder, _ = preset
    manifest = make_repo(tmp_path, folder, copy_files=False)
    with pytest.raises(zoo.api.WeightsNotFoundError) as err:
        zoo.load(NAME, manifest_path=manifest)
    message = str(err.value)
    assert f"weights folder ({tmp_path / 'weights' / NAME}) lacks" in message and "(hub: null)" in message
    assert message.endswith(f"Fix: restore {tmp_path / 'weights' / NAME} (in a git checkout: "
                            f"`git checkout -- weights/{NAME}` in {tmp_path}).")
    # No cache was looked in and no download would help: neither is offered.
    assert "cache" not in message and "network" not in message and "lfs" not in message.lower()


def test_model_sources_say_where_each_model_would_load_from(preset, tmp_path, cache, monkeypatch):
    import huggingface_hub.constants

    folder, codes = preset
    here = make_repo(tmp_path / "checkout", folder)
    assert zoo.model_sources(manifest_path=here) == {NAME: "repository"}
    pinned = make_repo(tmp_path / "pinned", folder, hub={"repo_id": REPO_ID, "revision": COMMIT}, copy_files=False)
    unpinned = make_repo(tmp_path / "unpinned", folder, copy_files=False)
    # Offline (conftest) with an empty cache: nothing can serve either, and the list says so.
    assert zoo.model_sources(manifest_path=pinned) == {NAME: "none"}
    assert zoo.list_models(manifest_path=pinned) == [NAME] and zoo.list_models(available=True, manifest_path=pinned) == []
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    assert zoo.model_sources(manifest_path=pinned) == {NAME: "hub"}  # would download at the pin
    assert zoo.model_sources(manifest_path=unpinned) == {NAME: "none"}  # no hub copy: online does not help
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    make_hf_cache(cache, REPO_ID, COMMIT, folder_bytes(folder))
    assert zoo.model_sources(manifest_path=pinned) == {NAME: "cache"}
    assert zoo.list_models(available=True, manifest_path=pinned) == [NAME]
    _assert_same_model(zoo.load(NAME, manifest_path=pinned), codes)


def test_pinned_revision_only_for_manifest_names(preset, tmp_path):
    folder, _ = preset
    manifest = make_repo(tmp_path, folder, hub={"repo_id": REPO_ID, "revision": COMMIT})
    with pytest.raises(ValueError, match=f"hf://<org>/<repo>@{OTHER_COMMIT}"):
        zoo.load(NAME, manifest_path=manifest, revision=OTHER_COMMIT)


def test_unknown_name_lists_close_matches_and_models(preset, tmp_path):
    folder, _ = preset
    manifest = make_repo(tmp_path, folder)
    with pytest.raises(UnknownModelError) as err:
        zoo.load("betavae-tiyn", manifest_path=manifest)
    assert "Did you mean 'betavae-tiny'?" in str(err.value)
    assert f"zoo.list_models(): {NAME}" in str(err.value)
    with pytest.raises(UnknownModelError, match="manifest is empty(.|\n)*no weights manifest at .*absent.json"):
        zoo.load("factorvae-dsprites", manifest_path=tmp_path / "absent.json")


def test_preset_folder_checks_its_own_hashes(preset, tmp_path):
    copy = shutil.copytree(preset[0], tmp_path / "copy")
    flip_byte(copy / "model.weights.h5")
    with pytest.raises(IntegrityError, match="metadata.json"):
        zoo.load(str(copy))
    (copy / "config.json").unlink()
    with pytest.raises(zoo.presets.PresetError, match="missing config.json"):
        zoo.load(str(copy))


def test_config_is_loaded_in_safe_mode(preset, tmp_path):
    """A config carrying Python bytecode (a Lambda layer) is refused even if the hashes are rewritten."""
    copy = shutil.copytree(preset[0], tmp_path / "copy")
    config = {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
              "config": {"name": "evil", "function": {"class_name": "__lambda__",
                                                       "config": {"code": "4wEAAAAAAAAA", "defaults": None,
                                                                  "closure": None}}}}
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(zoo.presets.PresetError, match=r"Cannot build(.|\n)*safe_mode"):
        zoo.presets.load_preset(copy, verify=False)


def test_save_is_atomic(preset, tmp_path, monkeypatch):
    target = shutil.copytree(preset[0], tmp_path / NAME)
    before = folder_bytes(target)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed while writing the card")
    monkeypatch.setattr(zoo.cards, "make_card", crash)
    with pytest.raises(KeyboardInterrupt):
        save_tiny_preset(target)
    assert folder_bytes(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]  # no temp folders left behind


PLAIN_KERAS = r"""
import json, sys
import numpy as np
import zoo  # registers the zoo's classes with Keras, once Keras is imported
assert "keras" not in sys.modules
import keras

out = {}
for name in zoo.list_models():
    folder = zoo.api.resolve(name)
    shape = json.loads((folder / "config.json").read_text())["config"]["input_shape"]
    x = np.random.default_rng(0).random((4, *shape), dtype=np.float32)
    plain = keras.saving.load_model(str(folder))
    out[name] = [type(plain).__name__, float(np.abs(np.asarray(plain.representation(x))
                                                    - np.asarray(zoo.load(name).representation(x))).max())]
print("RESULT" + json.dumps(out))
"""


def test_plain_keras_loads_every_preset_after_import_zoo():
    """`keras.saving.load_model(folder)` (as for an hf:// copy) after `import zoo` gives the model
    zoo.load gives, for every preset, factorvae-dsprites' left-out discriminator included."""
    proc = subprocess.run([sys.executable, "-c", PLAIN_KERAS], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.split("RESULT", 1)[1])
    assert sorted(result) == zoo.list_models() == sorted(preset_pins.manifest_models()) and len(result) >= 10
    assert {name: diff for name, (_, diff) in result.items() if diff != 0.0} == {}
    assert result["factorvae-dsprites"][0] == "FactorVAE"


def test_left_out_training_networks_keep_fresh_values_and_load_when_present(tmp_path):
    import keras

    import zoo.models

    keras.utils.set_random_seed(0)
    model = zoo.models.get("factor_vae", input_shape=(16, 16, 1), latent_dim=4)
    full, preset = tmp_path / "full.weights.h5", tmp_path / "preset.weights.h5"
    model.save_weights(full)  # a training checkpoint: the discriminator too
    zoo.presets.save_inference_weights(model, preset)  # a preset: without it
    keras.utils.set_random_seed(1)
    fresh = zoo.models.get("factor_vae", input_shape=(16, 16, 1), latent_dim=4)
    own = [np.asarray(w) for w in fresh.discriminator.weights]
    fresh.load_weights(preset)  # plain Keras: no "objects could not be loaded"
    for a, b in zip(fresh.encoder.weights, model.encoder.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for a, b in zip(fresh.discriminator.weights, own):
        np.testing.assert_array_equal(np.asarray(a), b)
    fresh.load_weights(full)
    for a, b in zip(fresh.discriminator.weights, model.discriminator.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_import_zoo_is_light():
    code = "import sys, zoo; print(sorted(m for m in ('tensorflow', 'keras', 'huggingface_hub') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.stdout.strip() == "[]"


def _h5_paths(path):
    import h5py

    paths = []
    with h5py.File(path, "r") as f:
        f.visit(paths.append)
    return paths


def test_preset_weights_hold_no_optimizer_state(tmp_path):
    from zoo_testing import tiny_model

    model = tiny_model()
    model.compile()  # builds the optimizer's variables, which Keras's save_weights would keep
    model.step.assign(7)
    model.save_weights(str(tmp_path / "plain.weights.h5"))
    assert [p for p in _h5_paths(tmp_path / "plain.weights.h5") if "optimizer" in p]
    folder = save_tiny_preset(tmp_path / NAME, model)
    assert not [p for p in _h5_paths(folder / "model.weights.h5") if "optimizer" in p]
    loaded = zoo.load(str(folder))
    _assert_same_model(loaded, model.representation(images()))
    assert int(loaded.step.numpy()) == 7
    assert not loaded.compiled and "compile_config" not in (folder / "config.json").read_text()


def test_training_only_networks_are_left_out(tmp_path):
    # FactorVAE's own declaration (TRAINING_ONLY = ("discriminator",)), not a patched one, decides.
    import keras

    import zoo.models

    keras.utils.set_random_seed(2)
    model = zoo.models.get("factor_vae", input_shape=(16, 16, 1), latent_dim=4)
    folder = zoo.presets.save_preset(model, tmp_path / "factorvae-tiny",
                                     metadata={"dataset": {"name": "tiny", "source": "rendered"}})
    assert zoo.presets.read_metadata(folder)["weights_left_out"] == ["discriminator"]
    assert not [p for p in _h5_paths(folder / "model.weights.h5") if "discriminator" in p]
    assert (folder / "model.weights.h5").stat().st_size < 1_000_000  # the 5M-parameter discriminator is out
    _assert_same_model(zoo.load(str(folder)), model.representation(images()))


# ---------------------------------------------------------------------------------------- shipped presets

import preset_pins  # noqa: E402

_PINS = json.loads(preset_pins.PINS.read_text())


def test_every_shipped_preset_has_pins():
    assert sorted(_PINS["presets"]) == sorted(preset_pins.manifest_models()), (
        "weights_manifest.json and tests/preset_pins.json list different models: pin a new preset's outputs "
        "with `python -m tests.preset_pins`")
    assert _PINS["factors"] == preset_pins.FACTORS


@pytest.mark.parametrize("name", sorted(_PINS["presets"]))
def test_shipped_preset_computes_its_pinned_codes_and_its_score(name):
    entry, pinned = preset_pins.manifest_models()[name], _PINS["presets"][name]
    assert pinned["weights_sha256"] == preset_pins.weights_sha256(entry), (
        f"{name}'s weights were replaced since its outputs were pinned; if on purpose, re-pin them with "
        "`python -m tests.preset_pins`")
    model = zoo.load(name)
    dataset = zoo.manifest.dataset_name(entry)
    np.testing.assert_allclose(model.representation(preset_pins.images(dataset)), pinned["codes"], rtol=1e-4,
                               atol=1e-4)
    if "card_scores" not in pinned:  # MNIST: the categorical code's cluster accuracy, pinned
        key, value, tolerance = preset_pins.cheap_score(model, entry["objective"], dataset)
        assert abs(value - pinned["score"][key]) <= tolerance, (name, key, value, pinned["score"][key])
        return
    # One encoding of 2,000 + 500 points: the cheap score against the card, and SAP and
    # modularity/explicitness against the values pinned from this preset's weights.
    scores = preset_pins.cheap_scores(model, entry["objective"], dataset)
    key, tolerance = preset_pins.SCORES.get(entry["objective"], preset_pins.DEFAULT_SCORE)
    assert abs(scores[key] - entry["scores"][key]) <= tolerance, (name, key, scores[key], entry["scores"][key])
    assert sorted(pinned["card_scores"]) == sorted(preset_pins.CARD_TOLERANCE)
    for key, expected in pinned["card_scores"].items():
        assert abs(scores[key] - expected) <= preset_pins.CARD_TOLERANCE[key], (name, key, scores[key], expected)


def test_pins_catch_a_reinitialised_encoder():
    # What the two checks above are for: the same preset with its encoder's weights drawn afresh
    # (as a loader that skipped them would leave it) misses both.
    import keras

    name = "factorvae-dsprites"
    entry, pinned = preset_pins.manifest_models()[name], _PINS["presets"][name]
    model = zoo.load(name)
    keras.utils.set_random_seed(0)
    fresh = zoo.models.get(entry["objective"], **entry["config"])
    model.encoder.set_weights(fresh.encoder.get_weights())
    assert not np.allclose(model.representation(preset_pins.images()), pinned["codes"], rtol=1e-4, atol=1e-4)
    key, value, tolerance = preset_pins.cheap_score(model, entry["objective"])
    assert abs(value - entry["scores"][key]) > tolerance
