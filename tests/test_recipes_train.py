"""The training recipe: flags checked before work, kill-and-resume equals an uninterrupted run,
non-finite losses stop with a clear message."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def _recipe(name, *args, check=True):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, "-m", f"recipes.{name}", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{name} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def _train_args(out, *extra):
    return ["--model=beta_vae", "--dataset=tiny", "--batch_size=8", "--latent_dim=3", "--checkpoint_every=5",
            "--noprogress", "--nopreset", "--deterministic", f"--out={out}", *extra]


def _train(out, *extra, check=True):
    return _recipe("train", *_train_args(out, *extra), check=check)


def _weights(run):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(run / "checkpoints")))
    names = sorted(n for n in reader.get_variable_to_shape_map() if "OPTIMIZER_SLOT" not in n
                   and not n.startswith("_CHECKPOINTABLE"))
    return {n: reader.get_tensor(n) for n in names}


@pytest.mark.slow  # a real process (make test-slow)
def test_sigkill_then_rerun_equals_uninterrupted_run(tmp_path):
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    _train(straight, "--steps=20")
    killed = _train(interrupted, "--steps=20", "--debug_kill_at_step=13", check=False)
    assert killed.returncode == -9, killed.stderr[-2000:]
    # Killed between checkpoints: the latest is step 10, steps 11-13 are lost and redone.
    assert (interrupted / "checkpoints" / "ckpt-10.index").exists()
    assert not (interrupted / "checkpoints" / "ckpt-15.index").exists()
    resumed = _train(interrupted, "--steps=20")
    assert "Resuming" in resumed.stdout and "at step 10" in resumed.stdout
    a, b = _weights(straight), _weights(interrupted)
    assert a.keys() == b.keys() and len(a) > 10
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert int(a["model/step/.ATTRIBUTES/VARIABLE_VALUE"]) == 20


def _settings_from(argv):
    from absl import flags

    from recipes import _flags  # the training flags, defined on import

    flags.FLAGS.unparse_flags()
    flags.FLAGS(["train", *argv])
    try:
        return _flags.run_settings()
    finally:
        flags.FLAGS.unparse_flags()


@pytest.mark.parametrize("argv, message", [
    (["--model=betavae", "--out=x"], r"Unknown model 'betavae'. Did you mean 'beta_vae'"),
    (["--model=beta_vae", "--gamma=3", "--out=x"], r"beta_vae has no hyperparameter 'gamma'; it takes beta"),
    (["--model=factor_vae", "--hparams=gama=3", "--out=x"], r"no hyperparameter 'gama'; it takes gamma"),
    (["--steps=-5", "--out=x"], r"--steps must be positive; got -5"),
    (["--dataset=dsprite", "--out=x"], r"Unknown dataset 'dsprite'"),
    (["--model=beta_vae"], r"--out is required"),
    (["--model=beta_vae", "--hparams=beta=abc", "--out=x"], r"beta='abc' is not a valid float"),
    # Hyperparameters outside their declared range stop here, before a run folder is written
    # (they used to build, write run.json and fill the weights with NaN, or train and exit 0).
    (["--model=beta_vae", "--beta=nan", "--out=x"], r"beta must be a finite number in \[0, inf\); got nan"),
    (["--model=beta_vae", "--beta=-1", "--out=x"], r"beta must be a finite number in \[0, inf\); got -1.0"),
    (["--model=dip_vae_ii", "--hparams=lambda_od=inf", "--out=x"], r"lambda_od must be a finite number"),
    (["--model=annealed_vae", "--c_max=-25", "--out=x"], r"c_max must be a finite number in \[0, inf\)"),
])
def test_bad_flags_fail_before_work(argv, message):
    with pytest.raises(ValueError, match=message):
        _settings_from(argv)


def test_hparams_resolve_with_flags_and_defaults():
    settings = _settings_from(["--model=annealed_vae", "--c_max=10", "--hparams=gamma=100", "--out=x"])
    assert settings.hparams["c_max"] == 10.0 and settings.hparams["gamma"] == 100.0
    assert settings.hparams["iteration_threshold"] > 0  # the study's default


def test_folder_with_a_different_run_is_refused(tmp_path):
    import zoo.runs

    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"model": "beta_vae", "dataset": "tiny", "seed": 0}))
    settings = {"model": "factor_vae", "dataset": "tiny", "seed": 0}
    with pytest.raises(ValueError, match="holds a different run .*model: 'beta_vae' there, 'factor_vae' now"):
        zoo.runs.check_run_folder(out, settings, resume=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a training run"):
        zoo.runs.check_run_folder(tmp_path / "other", settings, resume=True)


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    import tensorflow as tf

    import zoo.data
    import zoo.losses
    import zoo.runs
    from zoo.data.tiny import TinySprites

    class Poisoned(TinySprites):
        """Tiny sprites whose images turn uniform grey (0.5, valid images) from the 8th rendered batch of 4 on."""
        name = "poisoned"
        calls = 0

        def sample_observations_from_factors(self, factors, rng=None):
            images = super().sample_observations_from_factors(factors, rng)
            Poisoned.calls += 1
            return np.full_like(images, 0.5) if Poisoned.calls > 7 else images

    # NaN images are refused by the model's input check before any loss is computed, so the NaN
    # is put into the loss itself, for the grey batches only.
    bernoulli_nll = zoo.losses.bernoulli_nll

    def poisoned_nll(images, logits):
        nll = bernoulli_nll(images, logits)
        return tf.where(tf.reduce_all(tf.equal(images, 0.5)), tf.fill(tf.shape(nll), np.nan), nll)

    monkeypatch.setattr(zoo.losses, "bernoulli_nll", poisoned_nll)
    zoo.data.register("poisoned")(Poisoned)
    settings = {"model": "beta_vae", "dataset": "poisoned", "dataset_options": {}, "batch_size": 4, "seed": 0,
                "learning_rate": None, "latent_dim": 2, "hparams": {"beta": 1.0}, "steps": 100,
                "strategy": "default", "deterministic": False}
    with pytest.raises(zoo.runs.NonFiniteLossError, match=r"loss term '(loss|reconstruction_loss|kl_loss)' is nan "
                                                        r"at step \d+.*last good checkpoint is .*ckpt-\d+"):
        zoo.runs.train(settings, tmp_path / "run", progress=False, write_preset=False, checkpoint_every=2)
    ckpts = sorted((tmp_path / "run" / "checkpoints").glob("ckpt-*.index"))
    assert ckpts, "the checkpoints before the NaN are kept"
    reader = tf.train.load_checkpoint(str(ckpts[-1]).removesuffix(".index"))
    for name in reader.get_variable_to_shape_map():
        value = reader.get_tensor(name)
        if np.issubdtype(np.asarray(value).dtype, np.floating):
            assert np.all(np.isfinite(value)), name


def test_finetune_records_where_it_started(tmp_path):
    """A fine-tuned preset keeps its source's training (the source's name may later hold other weights)."""
    from zoo import cards, presets

    from recipes import finetune, train
    from zoo_testing import run_main

    source = tmp_path / "source"  # both recipes in this process: two processes importing TensorFlow took 18 s
    assert run_main(train, _train_args(source, "--steps=5", "--preset", "--name=betavae-tiny")) == 0
    assert run_main(finetune, [f"--from={source / 'preset'}", "--dataset=tiny", "--batch_size=8", "--steps=3",
                               "--seed=1", "--noprogress", f"--out={tmp_path / 'ft'}", "--name=betavae-tiny"]) == 0
    training = presets.read_metadata(tmp_path / "ft" / "preset")["training"]
    assert training["steps"] == 3 and training["seed"] == 1
    assert training["init_from_training"]["steps"] == 5 and training["init_from_training"]["seed"] == 0
    assert training["init_from_training"]["hparams"] == training["hparams"]
    assert cards.total_steps(training) == 8
    card = (tmp_path / "ft" / "preset" / "README.md").read_text()
    assert f"| initialised from | `{source / 'preset'}` (as it was then: 5 steps, seed 0, beta " in card


def test_every_hyperparameter_of_every_objective_has_a_flag():
    """The flags come from the objectives' declarations, so a new hyperparameter cannot be missed."""
    import zoo.models
    from recipes import _flags

    for objective in zoo.models.names():
        for name, spec in zoo.models.hparams(objective).items():
            flag = _flags.FLAGS[name]
            assert f"{objective}: {spec.doc}" in flag.help, (objective, name)
    assert {"variant", "learn_scale", "filters", "instance_noise"} <= set(_flags.HPARAMS)
    settings = _settings_from(["--model=infogan", "--nolearn_scale", "--filters=8", "--instance_noise=0.3", "--out=x"])
    assert settings.hparams["learn_scale"] is False and settings.hparams["filters"] == 8
    assert settings.hparams["instance_noise"] == 0.3
    assert _settings_from(["--model=infogan", "--hparams=learn_scale=no", "--out=x"]).hparams["learn_scale"] is False
