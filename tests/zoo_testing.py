"""Shared helpers for the manifest, load, card and hub tests: a tiny model, presets, HF cache folders; and
`run_main`, a training recipe run in the test's own process."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

NAME = "betavae-tiny"
SCORES = {"beta_vae_score.train_accuracy": 0.91, "beta_vae_score.eval_accuracy": 0.875, "mig.mig": 0.2125,
          "dci.disentanglement": 0.3, "dci.completeness": 0.31, "dci.informativeness_test": 0.97}
SCORE_SETTINGS = {"num_train": 100, "num_test": 50, "seed": 0,
                  "beta_vae_score": {"batch_size": 16}, "mig": {"num_bins": 20}}
METADATA = {"dataset": {"name": "dsprites", "variant": None, "source": "rendered"},
            "training": {"steps": 3, "batch_size": 8, "seed": 0,
                         "optimizer": {"class_name": "Adam", "learning_rate": 1e-4}},
            "description": "A tiny beta-VAE for tests."}


def tiny_model():
    """A real zoo objective at 16x16 with 4 latents (small and quick to build)."""
    import keras

    import zoo.models

    keras.utils.set_random_seed(1)
    return zoo.models.get("beta_vae", input_shape=(16, 16, 1), latent_dim=4, beta=4.0)


def images(n=3):
    return np.random.default_rng(0).uniform(size=(n, 16, 16, 1)).astype(np.float32)


def save_tiny_preset(directory: Path, model=None) -> Path:
    from zoo import presets

    model = model or tiny_model()
    traversal = (np.arange(16 * 48).reshape(16, 48) % 256).astype(np.uint8)
    return presets.save_preset(model, directory, objective="beta_vae", metadata=METADATA, scores=SCORES,
                               score_settings=SCORE_SETTINGS, images={"traversal.png": traversal}, name=NAME)


def make_repo(root: Path, preset: Path, *, name=NAME, hub=None, copy_files=True) -> Path:
    """A repository root holding `weights/<name>/` and a weights manifest listing it; returns the manifest."""
    from zoo import manifest

    target = root / "weights" / name
    shutil.copytree(preset, target)
    entry = manifest.entry_from_preset(target, root=root, hub=hub)
    if not copy_files:
        shutil.rmtree(target)
    path = root / manifest.MANIFEST_NAME
    manifest.write_manifest({"schema_version": 1, "models": {name: entry}}, path)
    return path


def make_hf_cache(cache: Path, repo_id: str, commit: str, files: dict[str, bytes], *, branch: str | None = None):
    """Lays out a Hugging Face cache by hand: blobs/<sha256>, snapshots/<commit>/<file> -> blob, refs/<branch>."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        link = snapshot / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(Path("..") / ".." / "blobs" / blob.name)
    if branch:
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / branch).write_text(commit)
    return snapshot


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def flip_byte(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    offset = len(data) // 2 if offset is None else offset
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def read_json(path: Path):
    return json.loads(Path(path).read_text())


def run_main(recipe, argv) -> int:
    """Runs the `main` of a recipe built on `recipes._flags` (`recipes.train`, `recipes.finetune`) in this
    process with `argv`, as its command line would (without a new process importing TensorFlow, about 9 s
    of CPU); returns its exit code. The other recipes declare flags of the same names, so they run as
    processes. Flags are reset before and after."""
    from absl import flags

    flags.FLAGS.unparse_flags()
    flags.FLAGS([recipe.__name__, *argv])
    try:
        return recipe.main([recipe.__name__])
    finally:
        flags.FLAGS.unparse_flags()
