"""A wheel of the zoo installs beside other packages, adds only `zoo`, and runs as a user gets it.

The wheel is built from a copy of this checkout whose manifest pins `factorvae-dsprites` to a hub
revision, and installed into a fresh virtual environment with pip's resolver, without
constraints.txt and without an index: the dependencies it resolves setup.cfg's ranges against are
the ones installed here, seen through a `.pth` file (every entry of this interpreter's
site-packages but the zoo's own), so the test needs no network and takes seconds. `pip check` in
that environment then checks the ranges against the pinned versions. Programs run from outside the
repository (so neither this checkout nor an editable install is on their path), with HF_HUB_CACHE
pointing at a cache prepared here in huggingface_hub's layout
(`models--org--name/{blobs,snapshots/<commit>,refs}`) and HF_HUB_OFFLINE=1.
"""

import configparser
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import numpy as np
import pytest

# Real processes, wheels, browsers or many small trainings: `make test-slow` (run by CI after `make test`).
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
NAME, REPO_ID, COMMIT = "factorvae-dsprites", "zoo-test/factorvae-dsprites", "0123456789abcdef0123456789abcdef01234567"
SCRIPTS = ("zoo-train", "zoo-evaluate", "zoo-finetune", "zoo-traverse", "zoo-push", "zoo-sweep", "zoo-demo")

CHILD = r"""
import importlib.util, json, sys
import numpy as np
import zoo, zoo.manifest

out = {"zoo": zoo.__file__, "manifest": str(zoo.manifest.default_manifest_path()), "models": zoo.list_models(),
       "available": zoo.list_models(available=True), "sources": zoo.model_sources(),
       "recipes": importlib.util.find_spec("recipes") is not None}
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
        blob = repo / "blobs" / hashlib.sha256(path.read_bytes()).hexdigest()
        shutil.copyfile(path, blob)
        os.symlink(os.path.relpath(blob, repo / "snapshots" / COMMIT), repo / "snapshots" / COMMIT / path.name)
    return root


def _dependencies_view(folder: Path) -> Path:
    """Links to every entry of this interpreter's site-packages except the zoo's own distribution."""
    folder.mkdir()
    sites = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    for site in sorted(sites):
        for entry in sorted(Path(site).iterdir()):
            own = entry.name == "zoo" or entry.name.startswith(("zoo-", "__editable__", "__editable___zoo"))
            if not own and not (folder / entry.name).exists():
                os.symlink(entry, folder / entry.name)
    return folder


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`(environment folder, wheel)`: the wheel installed into a fresh venv by pip's resolver."""
    tmp = tmp_path_factory.mktemp("installed")
    source = tmp / "source"
    source.mkdir()
    for name in ("setup.py", "setup.cfg", "pyproject.toml", "MANIFEST.in", "README.md", "LICENSE", "CITATION.cff"):
        shutil.copyfile(REPO / name, source / name)
    for package in ("zoo", "recipes"):
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = json.loads((REPO / "weights_manifest.json").read_text())
    manifest["models"][NAME]["hub"] = {"repo_id": REPO_ID, "revision": COMMIT}
    manifest["models"]["vae-dsprites"]["hub"] = None
    (source / "weights_manifest.json").write_text(json.dumps(manifest))
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(tmp / "dist"),
                    str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp / "dist").glob("zoo-*.whl")

    env = tmp / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    python = env / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "dependencies.pth").write_text(f"{_dependencies_view(tmp / 'dependencies')}\n")
    # No constraints and no --no-deps: the resolver checks every range in setup.cfg against what it
    # finds, and would have to download (and fail, --no-index) anything missing or out of range.
    install = subprocess.run([*pip, "--python", str(python), "install", "--no-index", "--find-links",
                              str(tmp / "dist"), "zoo"], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    return env, wheel


def _env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("ZOO_MANIFEST", "PYTHONPATH", "VIRTUAL_ENV")}
    cache = tmp_path / "hub"
    env.update(HF_HUB_CACHE=str(cache if cache.exists() else _hub_cache(cache)), HF_HUB_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="2",
               CUDA_VISIBLE_DEVICES="")
    return env


def test_the_wheel_adds_only_zoo_and_its_commands_and_pip_check_passes(installed):
    env, wheel = installed
    with zipfile.ZipFile(wheel) as archive:
        info = next(n.split("/")[0] for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
        record = archive.read(f"{info}/RECORD").decode().splitlines()
        top_level = archive.read(f"{info}/top_level.txt").decode().split()
        entry_points = configparser.ConfigParser()
        entry_points.read_string(archive.read(f"{info}/entry_points.txt").decode())
        licenses = [n for n in archive.namelist() if n.startswith(info) and Path(n).name == "LICENSE"]
    assert {line.split(",")[0].split("/")[0] for line in record} - {info} == {"zoo"}
    assert top_level == ["zoo"]
    assert "zoo/recipes/train.py" in {line.split(",")[0] for line in record}
    scripts = dict(entry_points["console_scripts"])
    assert set(SCRIPTS) <= set(scripts) and scripts["zoo-train"] == "zoo.recipes.train:run"
    assert licenses and "Apache License" in zipfile.ZipFile(wheel).read(licenses[0]).decode()
    assert all((env / "bin" / script).is_file() for script in SCRIPTS)
    check = subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "check"],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


def test_an_installed_package_loads_a_pinned_model_from_the_hub_cache(installed, tmp_path):
    env, _ = installed
    images = np.random.default_rng(0).random((3, 64, 64, 1), dtype=np.float32)
    np.save(tmp_path / "x.npy", images)
    proc = subprocess.run([str(env / "bin" / "python"), "-c", CHILD, str(tmp_path / "x.npy")], cwd=tmp_path,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.split("RESULT", 1)[1])
    site = Path(result["zoo"]).parent.parent
    assert site.is_relative_to(env), result["zoo"]  # the installed copy, not a checkout's
    assert Path(result["manifest"]) == site / "zoo" / "weights_manifest.json"
    assert not result["recipes"]  # the recipes are zoo.recipes, no top-level `recipes`
    assert NAME in result["models"] and result["models"] == sorted(json.loads((REPO / "weights_manifest.json").read_text())["models"])
    # Only the hub-pinned model in the cache can load; the others have no source here.
    assert result["available"] == [NAME]
    assert result["sources"] == {name: "cache" if name == NAME else "none" for name in result["models"]}
    import zoo

    expected = zoo.load(NAME).representation(images)  # the checkout's own weights
    np.testing.assert_allclose(np.asarray(result["codes"]), expected, atol=1e-6)
    message = result["not_found"]
    # What was tried (nothing: no weights installed, no hub copy) and the one fix; not "the repository"
    # for site-packages, not Git LFS, not a download that cannot help.
    assert "this installed package carries no weights" in message and "(hub: null)" in message
    assert "Fix: set ZOO_MANIFEST to the weights_manifest.json of a checkout" in message
    assert "repository" not in message and "lfs" not in message.lower() and "network" not in message


def test_the_console_scripts_run_from_the_installed_package(installed, tmp_path):
    env, _ = installed
    help_text = subprocess.run([str(env / "bin" / "zoo-train"), "--help"], cwd=tmp_path, env=_env(tmp_path),
                               capture_output=True, text=True, timeout=180)
    assert help_text.returncode == 1, help_text.stderr[-3000:]  # absl's --help exits with 1, as under python -m
    assert "--model" in help_text.stdout and "--steps" in help_text.stdout  # the recipe's own flags, not none
    # The demo as `make demo` runs it, at smoke sizes: two metrics, 100 / 50 points.
    demo = subprocess.run([str(env / "bin" / "zoo-demo"), f"--out={tmp_path / 'demo'}", "--num_train=100",
                           "--num_test=50", "--metrics=mig,sap"], cwd=tmp_path, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-3000:]
    assert f"Loaded {NAME}" in demo.stdout and "mig.mig" in demo.stdout
    assert (tmp_path / "demo" / "factor_sweep.png").is_file()
