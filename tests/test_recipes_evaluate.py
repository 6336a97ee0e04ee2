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



# Issue 32: a card's scores are replaced only by a full scoring at its recorded settings, refused
# before any scoring otherwise; every output path is checked before the work.

def _evaluate(*args, env=None):
    import os
    import subprocess
    import sys

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", **(env or {})}
    return subprocess.run([sys.executable, "-m", "recipes.evaluate", *args], cwd=Path(__file__).resolve().parents[1],
                          env=env, capture_output=True, text=True, timeout=300)


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir()) if p.is_file()}


def test_a_partial_scoring_never_replaces_a_shipped_card(tmp_path):
    """The issue's data loss: `--metrics=mig --num_train=300 --update_card` on vae-dsprites rewrote its
    28 scores as 3. On a copy of the shipped preset and manifest it is refused before any scoring
    (no scores file appears), naming what would be lost and the settings, and no byte changes."""
    from zoo import manifest

    root = tmp_path / "repo"
    shutil.copytree(Path(__file__).resolve().parents[1] / "weights" / "vae-dsprites", root / "weights" / "vae-dsprites")
    path = root / "weights_manifest.json"
    manifest.write_manifest({"schema_version": 1, "models": {"vae-dsprites": manifest.entry_from_preset(
        root / "weights" / "vae-dsprites", root=root, hub=None)}}, path)
    before, manifest_before = _files(root / "weights" / "vae-dsprites"), path.read_bytes()
    out = tmp_path / "scores.json"
    proc = _evaluate("--model=vae-dsprites", "--metrics=mig", "--num_train=300", "--num_test=200", "--update_card",
                     f"--json={out}", env={"ZOO_MANIFEST": str(path)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "refusing to replace the scores" in proc.stderr and "it would drop 18 of the card's 19 scores" in proc.stderr
    assert "num_train=300 where the card has 10000" in proc.stderr and "--num_train=10000" in proc.stderr
    assert not out.exists()  # refused before scoring
    assert _files(root / "weights" / "vae-dsprites") == before and path.read_bytes() == manifest_before


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    import zoo.runs

    run = tmp_path_factory.mktemp("card") / "run"
    zoo.runs.train({"model": "beta_vae", "dataset": "tiny", "batch_size": 8, "latent_dim": 3, "steps": 2,
                    "hparams": {"beta": 1.0}}, run, progress=False, checkpoint_every=2)
    return run


@pytest.mark.slow  # four real processes (make test-slow); test_rescore_refuses_a_partial_scoring_and_writes_nothing checks the rule in-process
def test_a_run_card_takes_only_full_scorings_at_its_settings(tiny_run, tmp_path):
    """Scoring mig,sap,irs and then mig left only mig. Now: the first scoring sets the card; a subset,
    or the same metrics at another size, is refused and the card is untouched; --new_score_settings
    moves a full scoring (here a superset) to new settings."""
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    preset = run / "preset"
    common = [f"--model={run}", "--num_train=100", "--num_test=50", f"--json={tmp_path / 's.json'}"]
    first = _evaluate(*common, "--metrics=mig,sap", "--update_card")
    assert first.returncode == 0, first.stderr[-3000:]
    card = _files(preset)
    assert sorted(json.loads(card["metadata.json"])["scores"]) == ["mig.mig", "sap.sap", "timing.encode",
                                                                   "timing.mig", "timing.sap"]
    subset = _evaluate(*common, "--metrics=mig", "--update_card")
    assert subset.returncode == 2 and "it would drop 1 of the card's 2 scores (sap.sap)" in subset.stderr, subset.stderr
    other = _evaluate(*[c for c in common if "num_train" not in c], "--num_train=80", "--metrics=mig,sap",
                      "--update_card")
    assert other.returncode == 2 and "num_train=80 where the card has 100" in other.stderr, other.stderr
    assert _files(preset) == card
    moved = _evaluate(*[c for c in common if "num_train" not in c], "--num_train=80", "--metrics=mig,sap,irs",
                      "--update_card", "--new_score_settings")  # more metrics, at new settings
    assert moved.returncode == 0, moved.stderr[-3000:]
    meta = json.loads((preset / "metadata.json").read_text())
    assert meta["score_settings"]["num_train"] == 80 and "irs.irs" in meta["scores"]


def test_rescore_refuses_a_partial_scoring_and_writes_nothing(tiny_run, tmp_path):
    from zoo import presets, registry

    preset = tmp_path / "preset"
    shutil.copytree(tiny_run / "preset", preset)
    settings = registry.score_settings(metrics="mig,sap", num_train=100, num_test=50, dataset="tiny")
    registry.rescore(preset, {"mig.mig": 0.1, "sap.sap": 0.2}, settings)
    before = _files(preset)
    with pytest.raises(registry.ScoreSettingsError, match=r"drop 1 of the card's 2 scores \(sap.sap\)"):
        registry.rescore(preset, {"mig.mig": 0.3}, registry.score_settings(metrics="mig", num_train=100,
                                                                             num_test=50, dataset="tiny"))
    with pytest.raises(registry.ScoreSettingsError, match="seed=1 where the card has 0"):
        registry.rescore(preset, {"mig.mig": 0.3, "sap.sap": 0.3}, {**settings, "seed": 1})
    assert _files(preset) == before
    registry.note_selection(str(preset), "the only run")  # the same scores again: allowed
    assert presets.read_metadata(preset)["scores"] == {"mig.mig": 0.1, "sap.sap": 0.2}


@pytest.mark.parametrize("bad, message", [
    ("--json={tmp}", "is a folder; name a file"),
    ("--json={tmp}/file.txt/scores.json", "which is a file"),
    ("--metrics=", "--metrics is empty"),
    ("--metrics=,", "--metrics is empty"),
    ("--new_score_settings", "add --update_card"),
    ("--dataset=mnist", "has 28x28x1 images, but the model was trained on 16x16x1 images"),
    ("--dataset=images", "pass what its loader needs as --dataset_options=k=v,... (images: path=<folder>"),
    ("--seed=-1", "--seed must be a non-negative integer"),
])
def test_evaluate_refuses_bad_flags_before_scoring(tiny_run, tmp_path, bad, message):
    (tmp_path / "file.txt").write_text("x")
    proc = _evaluate(f"--model={tiny_run}", "--metrics=mig" if "metrics" not in bad else bad,
                     "--num_train=100", "--num_test=50", *([bad.format(tmp=tmp_path)] if "metrics" not in bad else []))
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "mig.mig" not in proc.stdout  # nothing was scored
