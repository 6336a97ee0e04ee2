"""What recipes.evaluate calls, end to end on a tiny model: scores, card update, and adding a preset to a zoo."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import zoo.data
import zoo.models


@pytest.fixture()
def tiny_repo(tmp_path, monkeypatch):
    """A repository root of our own: a manifest and a preset trained for a few steps."""
    import zoo.runs

    root = tmp_path / "repo"
    root.mkdir()
    (root / "weights_manifest.json").write_text(json.dumps({"schema_version": 1, "models": {}}))
    monkeypatch.setenv("ZOO_MANIFEST", str(root / "weights_manifest.json"))
    settings = {"model": "beta_vae", "dataset": "tiny", "dataset_options": {}, "batch_size": 16, "seed": 0,
                "learning_rate": None, "latent_dim": 4, "hparams": {"beta": 1.0}, "steps": 6,
                "strategy": "default", "deterministic": False, "init_from": None}
    run = zoo.runs.train(settings, tmp_path / "run", progress=False, checkpoint_every=3)
    return root, run


def test_score_add_to_zoo_and_load(tiny_repo, capsys):
    from recipes._common import print_table
    from zoo import registry

    root, run = tiny_repo
    model, folder, name = registry.resolve_model(str(run))
    assert folder == run / "preset" and name is None
    data = zoo.data.load("tiny")
    scores, settings = registry.score(model, data, metrics="mig,sap", num_train=200, num_test=100, seed=0)
    assert 0.0 <= scores["mig.mig"] <= 1.0 and 0.0 <= scores["sap.sap"] <= 1.0
    assert settings["num_train"] == 200 and settings["metrics"] == ["mig", "sap"]
    print_table(scores, {"mig.mig": 0.5})
    printed = capsys.readouterr().out
    assert "mig.mig" in printed and "0.5000" in printed

    from zoo import presets
    presets.update_scores(folder, scores, settings)
    target = registry.add_to_zoo(folder, "betavae-tiny")
    assert target == root / "weights" / "betavae-tiny"
    entry = json.loads((root / "weights_manifest.json").read_text())["models"]["betavae-tiny"]
    assert entry["scores"]["mig.mig"] == pytest.approx(scores["mig.mig"])
    assert all(f["path"].startswith("weights/betavae-tiny/") for f in entry["files"])
    loaded = zoo.load("betavae-tiny")
    x = data.sample_observations(8, 1)
    np.testing.assert_allclose(loaded.representation(x), model.representation(x), atol=1e-6)
    with pytest.raises(ValueError, match="named otherwise"):
        registry.add_to_zoo(folder, "another-name")


def test_a_selection_note_reaches_the_card_and_the_manifest(tiny_repo):
    from zoo import presets, registry

    _, run = tiny_repo
    registry.add_to_zoo(run / "preset", "betavae-tiny")
    generic = "this is one training run, not the best the method can reach."
    folder = Path(zoo.api.resolve("betavae-tiny"))
    assert generic in (folder / "README.md").read_text()
    scores = presets.read_metadata(folder)["scores"]

    registry.note_selection("betavae-tiny", "the best  MIG of\n3 seeds")
    meta = presets.check_preset(folder)  # every file still matches its recorded sha256
    assert meta["selection"] == "the best MIG of 3 seeds" and meta["scores"] == scores
    card = (folder / "README.md").read_text()
    assert "how this model was picked: the best MIG of 3 seeds" in card and generic not in card
    entry = json.loads(Path(zoo.manifest.root_of(None), "weights_manifest.json").read_text())["models"]["betavae-tiny"]
    assert zoo.load("betavae-tiny") is not None  # the manifest's sha256 sums follow the new card
    assert any(f["path"].endswith("README.md") for f in entry["files"])

    presets.update_scores(folder, {"mig.mig": 0.2})  # rescoring keeps the note
    assert presets.read_metadata(folder)["selection"] == "the best MIG of 3 seeds"
    presets.update_scores(folder, {"mig.mig": 0.2}, selection="")  # "" removes it
    assert "selection" not in presets.read_metadata(folder) and generic in (folder / "README.md").read_text()

