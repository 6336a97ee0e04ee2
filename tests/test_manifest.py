"""The weights manifest: the repository's file against its schema and its files, and the schema's rules."""

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from zoo import manifest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHA = "a" * 64
ENTRY = {
    "objective": "beta_vae",
    "config": {"input_shape": [64, 64, 1], "latent_dim": 10, "beta": 4.0},
    "dataset": {"name": "dsprites", "variant": None, "source": "rendered"},
    "training": {"steps": 30000, "batch_size": 64, "seed": 0, "optimizer": {"class_name": "Adam"},
                 "versions": {"keras": "3.15.1"}},
    "files": [{"path": "weights/betavae-dsprites/config.json", "size": 10, "sha256": SHA},
              {"path": "weights/betavae-dsprites/model.weights.h5", "size": 20, "sha256": SHA}],
    "hub": {"repo_id": "org/betavae-dsprites", "revision": "0" * 40},
    "scores": {"mig.mig": 0.2, "beta_vae_score.eval_accuracy": 0.85, "dci.disentanglement": None},
    "score_settings": {"num_train": 10000, "num_test": 5000, "seed": 0, "mig": {"num_bins": 20}},
}


def _manifest_with(entry):
    return {"schema_version": 1, "models": {"betavae-dsprites": entry}}


def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(manifest.schema())


def test_repository_manifest_validates_and_every_file_matches():
    path = REPO_ROOT / manifest.MANIFEST_NAME
    data = json.loads(path.read_text())
    jsonschema.validate(data, manifest.schema(), cls=jsonschema.Draft202012Validator)
    manifest.validate_manifest(data, source=str(path))
    assert manifest.default_manifest_path() == path
    for name, entry in data["models"].items():
        names = {Path(f["path"]).name for f in entry["files"]}
        assert {"config.json", "model.weights.h5", "metadata.json", "README.md"} <= names, name
        for f in entry["files"]:
            file = REPO_ROOT / f["path"]
            assert file.is_file(), f"{name}: {f['path']} is listed in the manifest but missing"
            assert manifest.file_digest(file) == (f["size"], f["sha256"]), f"{name}: {f['path']} differs"
        meta = json.loads((REPO_ROOT / manifest.preset_folder(entry) / "metadata.json").read_text())
        assert (meta["objective"], meta["config"]) == (entry["objective"], entry["config"]), name
        assert meta.get("scores", {}) == entry["scores"], f"{name}: the card/metadata and manifest scores differ"


def _repository_models():
    return sorted(json.loads((REPO_ROOT / manifest.MANIFEST_NAME).read_text())["models"])


@pytest.mark.parametrize("name", _repository_models())
def test_every_repository_model_loads_offline(name):
    """What `python -c "import zoo; zoo.load(NAME).representation(x)"` does, for each entry."""
    import numpy as np

    import zoo

    entry = json.loads((REPO_ROOT / manifest.MANIFEST_NAME).read_text())["models"][name]
    model = zoo.load(name)
    x = np.zeros((2, *entry["config"]["input_shape"]), np.float32)
    assert model.representation(x).shape == (2, entry["config"]["latent_dim"])


def test_a_good_entry_validates_with_and_without_jsonschema(monkeypatch):
    manifest.validate_manifest(_manifest_with(ENTRY))
    monkeypatch.setitem(__import__("sys").modules, "jsonschema", None)  # the runtime fallback
    manifest.validate_manifest(_manifest_with(ENTRY))


@pytest.mark.parametrize("change, complaint", [
    (lambda e: e["files"][0].update(sha256="A" * 64), "does not match"),
    (lambda e: e["files"][0].update(path="/etc/passwd"), "does not match"),
    (lambda e: e["files"][0].update(path="weights/../../secret/config.json"), "does not match"),
    (lambda e: e["files"].pop(1), "is too short|must include"),
    (lambda e: e["files"][1].update(path="weights/betavae-dsprites/weights.bin"), "must include"),
    (lambda e: e.update(hub={"repo_id": "org/x", "revision": "main"}), "is not valid|does not match"),
    (lambda e: e["scores"].update({"mig.mig": "high"}), "is not of type"),
    (lambda e: e["dataset"].update(source="downloaded"), "is not one of"),
    (lambda e: e.pop("score_settings"), "is a required property"),
    (lambda e: e["files"][1].update(path="weights/other/model.weights.h5"), "one preset folder"),
    (lambda e: e["files"][1].update(path=e["files"][0]["path"]), "twice|must include"),
])
def test_bad_entries_are_rejected(change, complaint):
    entry = copy.deepcopy(ENTRY)
    change(entry)
    with pytest.raises(manifest.ManifestError, match=complaint):
        manifest.validate_manifest(_manifest_with(entry))


def test_fallback_checks_catch_the_essentials(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "jsonschema", None)
    for change in (lambda e: e["files"][0].update(sha256="xyz"), lambda e: e["files"][0].update(path="../x"),
                   lambda e: e.update(hub={"repo_id": "org/x", "revision": "main"}), lambda e: e.pop("scores"),
                   lambda e: e["files"].pop(0)):
        entry = copy.deepcopy(ENTRY)
        change(entry)
        with pytest.raises(manifest.ManifestError):
            manifest.validate_manifest(_manifest_with(entry))


def test_write_is_atomic_and_validated(tmp_path, monkeypatch):
    path = tmp_path / manifest.MANIFEST_NAME
    manifest.write_manifest(_manifest_with(ENTRY), path)
    before = path.read_text()
    assert manifest.load_manifest(path)["models"]["betavae-dsprites"] == ENTRY
    bad = copy.deepcopy(ENTRY)
    bad["files"][0]["sha256"] = "nope"
    with pytest.raises(manifest.ManifestError):
        manifest.set_entry("betavae-dsprites", bad, path)

    def crash(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(json, "dump", crash)
    with pytest.raises(OSError):
        manifest.write_manifest(_manifest_with(ENTRY), path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == [manifest.MANIFEST_NAME]


def test_missing_manifest_is_an_empty_registry_and_bad_json_is_named(tmp_path):
    assert manifest.load_manifest(tmp_path / "none.json") == manifest.empty_manifest()
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(manifest.ManifestError, match="bad.json is not valid JSON"):
        manifest.load_manifest(bad)


def test_hub_filenames_are_relative_to_the_preset_folder():
    assert manifest.preset_folder(ENTRY) == "weights/betavae-dsprites"
    assert manifest.hub_filename(ENTRY, ENTRY["files"][1]["path"]) == "model.weights.h5"


def test_entry_from_preset_records_every_file(tmp_path):
    from zoo_testing import METADATA, NAME, SCORES, save_tiny_preset

    folder = save_tiny_preset(tmp_path / "weights" / NAME)
    entry = manifest.entry_from_preset(folder, root=tmp_path, hub=None)
    manifest.validate_manifest(_manifest_with(entry))
    assert entry["objective"] == "beta_vae" and entry["config"]["beta"] == 4.0
    assert entry["config"]["input_shape"] == [16, 16, 1] and entry["config"]["latent_dim"] == 4
    assert entry["dataset"] == METADATA["dataset"] and entry["scores"] == SCORES
    assert entry["training"]["steps"] == 3 and "tensorflow" in entry["training"]["versions"]
    assert sorted(Path(f["path"]).name for f in entry["files"]) == [
        "README.md", "config.json", "metadata.json", "model.weights.h5", "traversal.png"]
    for f in entry["files"]:
        assert f["path"].startswith(f"weights/{NAME}/")
        assert manifest.file_digest(tmp_path / f["path"]) == (f["size"], f["sha256"])


def test_a_change_waits_for_the_lock_another_process_holds(tmp_path):
    """Two processes changing the manifest at once: the second's read-change-write waits while the
    first holds `manifest.locked` (an flock on the manifest's folder), so neither overwrites the
    other's change. The holder here is a bare process taking the same flock (no zoo import)."""
    import subprocess
    import sys
    import threading
    import time

    path = tmp_path / manifest.MANIFEST_NAME
    manifest.write_manifest(_manifest_with(ENTRY), path)
    held, release = tmp_path / "held", tmp_path / "release"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "open(sys.argv[2], 'w').close()\n"
        "while not os.path.exists(sys.argv[3]): time.sleep(0.02)\n"), str(tmp_path), str(held), str(release)])
    try:
        deadline = time.monotonic() + 60
        while not held.exists():
            assert holder.poll() is None and time.monotonic() < deadline, "the lock holder did not start"
            time.sleep(0.02)
        changed = {**ENTRY, "description": "written while another process held the lock"}
        writer = threading.Thread(target=manifest.set_entry, args=("betavae-dsprites", changed, path))
        writer.start()
        writer.join(1.0)
        assert writer.is_alive(), "set_entry wrote while another process held the manifest's lock"
        assert "description" not in manifest.load_manifest(path)["models"]["betavae-dsprites"]
        release.touch()
        writer.join(60)
        assert not writer.is_alive()
        assert manifest.load_manifest(path)["models"]["betavae-dsprites"]["description"] == changed["description"]
    finally:
        release.touch()
        holder.wait(60)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([manifest.MANIFEST_NAME, "held", "release"])


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    """A locked change may call `set_entry` (which locks again) without waiting on itself."""
    path = tmp_path / manifest.MANIFEST_NAME
    manifest.write_manifest(_manifest_with(ENTRY), path)
    with manifest.locked(path):
        with manifest.locked(path):
            manifest.set_entry("betavae-dsprites", {**ENTRY, "description": "nested"}, path)
    assert manifest.load_manifest(path)["models"]["betavae-dsprites"]["description"] == "nested"
