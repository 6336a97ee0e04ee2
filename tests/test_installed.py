"""A pip-installed zoo (not editable) knows its models and loads them from the Hugging Face cache.

The package is built from a copy of this checkout whose manifest pins `factorvae-dsprites` to a hub
revision, installed with `pip install --no-deps --target` into a fresh folder, and imported in a
child process run from outside the repository (so neither this checkout nor an editable install is
on its path), with HF_HUB_CACHE pointing at a cache prepared here in huggingface_hub's layout
(`models--org--name/{blobs,snapshots/<commit>,refs}`) and HF_HUB_OFFLINE=1.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
NAME, REPO_ID, COMMIT = "factorvae-dsprites", "zoo-test/factorvae-dsprites", "0123456789abcdef0123456789abcdef01234567"

CHILD = r"""
import json, sys
import numpy as np
import zoo, zoo.manifest
out = {"zoo": zoo.__file__, "manifest": str(zoo.manifest.default_manifest_path()), "models": zoo.list_models()}
x = np.load(sys.argv[1])
out["codes"] = np.asarray(zoo.load("%(name)s").representation(x)).tolist()
try:
    zoo.load("vae-dsprites")  # not pinned to the hub, and not in the cache
except zoo.api.WeightsNotFoundError as e:
    out["not_found"] = str(e)
print("RESULT" + json.dumps(out))
""" % {"name": NAME}


def _hub_cache(root: Path) -> Path:
    """The preset's files as `hf_hub_download` would have left them at COMMIT."""
    repo = root / f"models--{REPO_ID.replace('/', '--')}"
    (repo / "blobs").mkdir(parents=True)
    (repo / "snapshots" / COMMIT).mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    for path in sorted((REPO / "weights" / NAME).iterdir()):
        import hashlib

        blob = repo / "blobs" / hashlib.sha256(path.read_bytes()).hexdigest()
        shutil.copyfile(path, blob)
        os.symlink(os.path.relpath(blob, repo / "snapshots" / COMMIT), repo / "snapshots" / COMMIT / path.name)
    return root


def test_an_installed_package_loads_a_pinned_model_from_the_hub_cache(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.py", "setup.cfg", "pyproject.toml", "MANIFEST.in", "README.md"):
        if (REPO / name).exists():
            shutil.copyfile(REPO / name, source / name)
    for package in ("zoo", "recipes"):
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = json.loads((REPO / "weights_manifest.json").read_text())
    manifest["models"][NAME]["hub"] = {"repo_id": REPO_ID, "revision": COMMIT}
    manifest["models"]["vae-dsprites"]["hub"] = None
    (source / "weights_manifest.json").write_text(json.dumps(manifest))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(source)], check=True, capture_output=True, timeout=120)
    assert (site / "zoo" / "weights_manifest.json").is_file() and not (site / "weights").exists()

    images = np.random.default_rng(0).random((3, 64, 64, 1), dtype=np.float32)
    np.save(tmp_path / "x.npy", images)
    env = {k: v for k, v in os.environ.items() if k not in ("ZOO_MANIFEST", "PYTHONPATH")}
    env.update(PYTHONPATH=str(site), HF_HUB_CACHE=str(_hub_cache(tmp_path / "hub")), HF_HUB_OFFLINE="1",
               TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "x.npy")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.split("RESULT", 1)[1])
    assert Path(result["zoo"]).parent == site / "zoo", result["zoo"]  # the installed copy, not a checkout's
    assert Path(result["manifest"]) == site / "zoo" / "weights_manifest.json"
    assert NAME in result["models"] and len(result["models"]) == len(manifest["models"])
    import zoo

    expected = zoo.load(NAME).representation(images)  # the checkout's own weights
    np.testing.assert_allclose(np.asarray(result["codes"]), expected, atol=1e-6)
    assert "no hub copy (hub: null)" in result["not_found"] and "set ZOO_MANIFEST" in result["not_found"]
