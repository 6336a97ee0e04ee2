r"""Trains one objective on one ground-truth dataset, resumably, and writes a preset folder.

    python -m recipes.train --model=factor_vae --dataset=dsprites --steps=30000 --out=runs/factorvae

The run folder holds `run.json` (the settings that identify the run), `checkpoints/` (model,
optimizers and the step counter, which is also the data stream's position), `logs/`
(TensorBoard) and, at the end, `preset/` (config, inference weights, metadata, model card and a
latent traversal). Rerunning the same command after a crash or a kill resumes from the latest
checkpoint; with `--deterministic` the resumed run ends with the same weights as an
uninterrupted one.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from absl import app, flags

import zoo.data
import zoo.losses
import zoo.models
from recipes import _common
from recipes._common import UsageError

FLAGS = flags.FLAGS


def define_flags():
    """Defines this recipe's flags (once; absl flags are global, so only the recipe being run defines them)."""
    if "checkpoint_every" in FLAGS:
        return
    flags.DEFINE_string("model", "beta_vae", "Objective: vae, beta_vae, annealed_vae, dip_vae_i, dip_vae_ii, "
                        "beta_tcvae, factor_vae, infogan.")
    flags.DEFINE_string("dataset", "dsprites", "A registered dataset (zoo.data.names()), or tfds:<name>.")
    flags.DEFINE_string("dataset_options", "", "k=v,... passed to zoo.data.load (e.g. source=file,path=...).")
    flags.DEFINE_integer("steps", 30000, "Total training steps (a resumed run counts the steps already done).")
    flags.DEFINE_integer("batch_size", 64, "Global batch size.")
    flags.DEFINE_integer("seed", 0, "Seeds the weights, the data stream and the training noise.")
    flags.DEFINE_float("learning_rate", None, "Main optimizer's learning rate (default: the objective's, "
                       "Adam 1e-4 for the VAEs as in the study).")
    flags.DEFINE_integer("latent_dim", 10, "Number of latents.")
    flags.DEFINE_string("hparams", "", "Objective hyperparameters as k=v,... (e.g. beta=4).")
    for _name in _common.HPARAM_FLAGS:
        flags.DEFINE_string(_name, None, f"Objective hyperparameter {_name} (same as --hparams={_name}=...).")
    flags.DEFINE_string("out", None, "Run folder (created; a folder holding a different run is refused).")
    flags.DEFINE_enum("strategy", "default", ["default", "mirrored", "multi_worker", "tpu"], "tf.distribute strategy.")
    flags.DEFINE_bool("resume", True, "Continue from the latest checkpoint in --out (rerunning a command resumes).")
    flags.DEFINE_integer("checkpoint_every", 1000, "Steps between checkpoints.")
    flags.DEFINE_integer("keep_checkpoints", 2, "Checkpoints kept.")
    flags.DEFINE_bool("deterministic", False, "Enable TensorFlow op determinism (bitwise-reproducible resume).")
    flags.DEFINE_bool("progress", True, "Show a progress bar.")
    flags.DEFINE_bool("preset", True, "Write a preset folder (config, weights, card, traversal) at the end.")
    flags.DEFINE_string("name", None, "The model's name in its preset and card (default <model>-<dataset>).")
    flags.DEFINE_integer("debug_kill_at_step", None, "Testing only: SIGKILL this process after this step.")


# Settings that identify a run: a folder holding a run with other values is refused.
IDENTITY = ("model", "dataset", "dataset_options", "batch_size", "seed", "learning_rate", "latent_dim", "hparams",
            "init_from")


def run_settings() -> dict:
    """The run's settings from the flags, validated before any work is done."""
    if FLAGS.model not in zoo.models.names():
        zoo.models.get_class(FLAGS.model)  # raises with close names
    zoo.data.check_name(FLAGS.dataset)  # raises with the known names
    if FLAGS.steps <= 0:
        raise UsageError(f"--steps must be positive; got {FLAGS.steps}.")
    if FLAGS.batch_size <= 0:
        raise UsageError(f"--batch_size must be positive; got {FLAGS.batch_size}.")
    if FLAGS.checkpoint_every <= 0:
        raise UsageError(f"--checkpoint_every must be positive; got {FLAGS.checkpoint_every}.")
    if FLAGS.learning_rate is not None and not FLAGS.learning_rate > 0:
        raise UsageError(f"--learning_rate must be positive; got {FLAGS.learning_rate}.")
    if not FLAGS.out:
        raise UsageError("--out is required: the folder for checkpoints, logs and the preset.")
    hparams = _common.resolve_hparams(FLAGS.model, FLAGS.hparams,
                                      {name: getattr(FLAGS, name) for name in _common.HPARAM_FLAGS})
    return {"model": FLAGS.model, "dataset": FLAGS.dataset, "dataset_options": _parse_options(FLAGS.dataset_options),
            "batch_size": FLAGS.batch_size, "seed": FLAGS.seed, "learning_rate": FLAGS.learning_rate,
            "latent_dim": FLAGS.latent_dim, "hparams": hparams, "steps": FLAGS.steps,
            "strategy": FLAGS.strategy, "deterministic": FLAGS.deterministic, "init_from": None}


def _parse_options(text: str) -> dict:
    options = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        if "=" not in item:
            raise UsageError(f"--dataset_options takes k=v pairs; got {item!r}.")
        key, value = (s.strip() for s in item.split("=", 1))
        options[key] = value
    return options


def check_run_folder(out: Path, settings: dict, resume: bool) -> bool:
    """Refuses a folder that holds a different run; returns whether there is a run to resume."""
    import json

    run_file = out / "run.json"
    if not run_file.exists():
        if out.exists() and any(p for p in out.iterdir() if not p.name.startswith(".")):
            raise UsageError(f"--out={out} exists and holds files but no run.json: it is not a training run. "
                             "Choose another --out or empty it.")
        return False
    previous = json.loads(run_file.read_text())
    diff = {k: (previous.get(k), settings.get(k)) for k in IDENTITY if previous.get(k) != settings.get(k)}
    if diff:
        lines = ", ".join(f"{k}: {a!r} there, {b!r} now" for k, (a, b) in diff.items())
        raise UsageError(f"--out={out} holds a different run ({lines}). Choose another --out, or delete the folder "
                         "to start over.")
    if not resume:
        raise UsageError(f"--out={out} holds this run already and --noresume was given; delete the folder to "
                         "start over.")
    return True


def zoo_name(model: str, dataset: str) -> str:
    """The zoo's name for a model trained on a dataset: "factor_vae", "dsprites" -> "factorvae-dsprites",
    "dip_vae_ii", "color_dsprites" -> "dipvae2-color-dsprites"."""
    short = {"dip_vae_i": "dipvae1", "dip_vae_ii": "dipvae2"}.get(model, model.replace("_", ""))
    return f"{short}-{dataset.replace('_', '-').replace(':', '-')}"


class NonFiniteLossError(RuntimeError):
    """A loss term became NaN or inf."""


def train(settings: dict, out: Path, *, progress: bool = True, write_preset: bool = True,
          checkpoint_every: int = 1000, keep_checkpoints: int = 2, kill_at_step: int | None = None,
          initialize=None, preset_name: str | None = None, steps_per_execution: int = 1) -> Path:
    """Trains (or resumes) the run in `out` up to `settings["steps"]`; returns the run folder.

    Args:
      settings: from `run_settings()` (model, dataset, hparams, batch_size, seed, ...).
      out: the run folder.
      initialize: `fn(model)` run on a fresh (not resumed) model before training, e.g. to load
        pretrained weights for fine-tuning. The optimizers start fresh either way.
      preset_name: the model's name in its preset and card (default `<model>-<dataset>`).
      steps_per_execution: training steps per call of the compiled train function (Keras's
        `steps_per_execution`); callbacks then run once per call. The steps are the same.
    """
    resuming = check_run_folder(out, settings, resume=True)
    out.mkdir(parents=True, exist_ok=True)
    _common.write_json_atomic(out / "run.json", settings)
    if settings["deterministic"]:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(settings["seed"])

    data = zoo.data.load(settings["dataset"], **settings["dataset_options"])
    strategy = _common.make_strategy(settings["strategy"])
    with strategy.scope():
        model = zoo.models.get(settings["model"], input_shape=data.observation_shape,
                               latent_dim=settings["latent_dim"], seed=settings["seed"], **settings["hparams"])
        model.compile(steps_per_execution=steps_per_execution)
        if settings["learning_rate"] is not None:  # the objective's own optimizer, at another rate
            model.optimizer.learning_rate = settings["learning_rate"]
    trackables = {"model": model, "optimizer": model.optimizer}
    if getattr(model, "discriminator_optimizer", None) is not None:
        trackables["discriminator_optimizer"] = model.discriminator_optimizer
    checkpoint = tf.train.Checkpoint(**trackables)
    manager = tf.train.CheckpointManager(checkpoint, str(out / "checkpoints"), max_to_keep=keep_checkpoints)
    if resuming and manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    elif initialize is not None:
        initialize(model)
    step = int(model.step.numpy())
    total = settings["steps"]
    if step > 0:
        print(f"Resuming {out} at step {step} of {total} ({manager.latest_checkpoint}).", flush=True)

    callbacks = [_Guard(manager), keras.callbacks.TensorBoard(str(out / "logs"), update_freq=100,
                                                                     write_graph=False)]
    if progress:
        callbacks.append(_Progress(total, step))
    if kill_at_step is not None:
        callbacks.append(_KillAt(kill_at_step))
    trace = KLTrace(out / "kl_trace.json", data) if isinstance(model, zoo.models.VAE) else None
    if trace is not None and step == 0:
        trace.record(model)
    while step < total:
        n = min(checkpoint_every - step % checkpoint_every, total - step)
        dataset = data.as_tf_dataset(settings["batch_size"], seed=settings["seed"], start_batch=step)
        if steps_per_execution > 1:  # exactly n steps, though n need not be a multiple of it
            dataset, n = dataset.take(n), None
        model.fit(dataset, steps_per_epoch=n, epochs=1, verbose=0, shuffle=False, callbacks=callbacks)
        step = int(model.step.numpy())
        if trace is not None:  # before the checkpoint: a kill in between rewrites this step's entry
            trace.record(model)
        manager.save(checkpoint_number=step)
    for callback in callbacks:
        if isinstance(callback, _Progress):
            callback.close()
    if write_preset:
        name = preset_name or zoo_name(settings["model"], settings["dataset"])
        write_run_preset(model, data, settings, out / "preset", name=name)
    return out


class KLTrace:
    """KL(q(z|x) || p(z)) per latent through training, on a fixed set of images (`kl_trace.json`).

    Burgess et al. 2018 (Fig. 3) follow each latent's KL as the capacity grows; the trace records it
    at every checkpoint, averaged over `num_images` images drawn once with a fixed seed. An entry
    is keyed by its step, so a resumed run overwrites the steps it repeats.
    """

    def __init__(self, path: Path, data, num_images: int = 1000, seed: int = 7):
        import json

        self.path = Path(path)
        _, self._images = data.sample(num_images, rng=seed)
        self._entries = {}
        if self.path.exists():
            previous = json.loads(self.path.read_text())
            self._entries = dict(zip(previous["steps"], previous["kl_per_latent"]))
        self._header = {"num_images": num_images, "image_seed": seed}

    def record(self, model):
        z_mean, z_logvar = model.encoder(self._images, training=False)
        kl = zoo.losses.gaussian_kl_per_latent(z_mean, z_logvar).numpy().mean(axis=0)
        self._entries[int(model.step.numpy())] = [round(float(v), 6) for v in kl]
        steps = sorted(self._entries)
        _common.write_json_atomic(self.path, {**self._header, "steps": steps,
                                              "kl_per_latent": [self._entries[s] for s in steps]})


class _Guard(keras.callbacks.Callback):
    """Stops at the first non-finite loss term, naming the step and the term. Checkpoints are
    written only after a finite segment, so the latest one on disk is the last good one."""

    def __init__(self, manager):
        super().__init__()
        self._manager = manager

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if not np.isfinite(float(value)):
                self.model.stop_training = True
                raise NonFiniteLossError(
                    f"loss term {name!r} is {float(value)} at step {int(self.model.step.numpy())}; training stopped. "
                    f"The last good checkpoint is {self._manager.latest_checkpoint or 'none (none was written yet)'}. "
                    "Lower the learning rate or check the data.")


class _Progress(keras.callbacks.Callback):
    """A tqdm bar over the whole run with the loss terms and the ETA."""

    def __init__(self, total, initial):
        super().__init__()
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True, mininterval=1.0)

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(int(self.model.step.numpy()) - self.bar.n)  # one call per execution
        if logs and self.bar.n % 25 == 0:
            self.bar.set_postfix({k: f"{float(v):.4g}" for k, v in logs.items()}, refresh=False)

    def close(self):
        self.bar.close()


class _KillAt(keras.callbacks.Callback):
    """Testing only: SIGKILLs the process once the model has taken `step` steps."""

    def __init__(self, step):
        super().__init__()
        self._step = step

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.step.numpy()) >= self._step:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)


def write_run_preset(model, data, settings: dict, directory: Path, name: str | None = None) -> Path:
    """Writes the preset folder: inference weights, config, metadata, card and a traversal image."""
    from zoo import presets, visualize

    traversal = visualize.traversal_grid(model, data, seed=settings["seed"])
    metadata = {
        "objective": settings["model"],
        "dataset": {"name": data.name, "source": settings["dataset_options"].get("source", "rendered"),
                    "observation_shape": list(data.observation_shape)},
        "training": {"steps": int(model.step.numpy()), "batch_size": settings["batch_size"], "seed": settings["seed"],
                     "optimizer": _optimizer_summary(model), "strategy": settings["strategy"],
                     "hparams": settings["hparams"], "latent_dim": settings["latent_dim"]},
    }
    if settings.get("init_from"):
        metadata["training"]["init_from"] = settings["init_from"]
    if settings.get("init_from_training"):
        metadata["training"]["init_from_training"] = settings["init_from_training"]
    return presets.save_preset(model, directory, objective=settings["model"], metadata=metadata,
                               images={"traversal.png": traversal}, name=name)


def _optimizer_summary(model) -> dict:
    summary = {}
    for name in ("optimizer", "discriminator_optimizer"):
        opt = getattr(model, name, None)
        if opt is not None:
            cfg = opt.get_config()
            summary[name] = {k: cfg[k] for k in ("name", "learning_rate", "beta_1", "beta_2", "epsilon") if k in cfg}
    return summary


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    _common.quiet_tensorflow()
    from absl import logging
    logging.set_verbosity(logging.WARNING)
    try:
        settings = run_settings()
        out = Path(FLAGS.out)
        check_run_folder(out, settings, FLAGS.resume)
    except (UsageError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    start = time.time()
    try:
        train(settings, out, progress=FLAGS.progress, write_preset=FLAGS.preset,
              checkpoint_every=FLAGS.checkpoint_every, keep_checkpoints=FLAGS.keep_checkpoints,
              kill_at_step=FLAGS.debug_kill_at_step, preset_name=FLAGS.name)
    except NonFiniteLossError as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    print(f"Trained {settings['model']} on {settings['dataset']} to step {settings['steps']} in "
          f"{time.time() - start:.0f} s; run folder {out}.")
    return 0


if __name__ == "__main__":
    define_flags()
    app.run(main)
