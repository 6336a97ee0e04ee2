"""Network representations for the paper benchmarks: untrained networks, zoo models, training-run checkpoints.

Each is a `Representation` whose `make()` builds (or loads) the network only when it is scored.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import zoo
import zoo.data
import zoo.runs
from benchmarks.papers._representations import Representation, Skip
from zoo.data.base import GroundTruthData

def untrained(model_name: str, data: GroundTruthData, seed: int) -> Representation:
    """`zoo.models.get(model_name)` freshly initialised with Keras's global seed `seed`."""
    def make():
        import keras

        import zoo.models

        keras.utils.set_random_seed(seed)
        return zoo.models.get(model_name, input_shape=data.observation_shape, seed=seed).representation
    return Representation(f"{model_name} untrained (seed {seed})", "untrained", make,
                          f"zoo.models.get({model_name!r}) at initialisation seed {seed}")


def _check_shape(model, data: GroundTruthData, what: str):
    if tuple(model.observation_shape) != tuple(data.observation_shape):
        raise Skip(f"{what} takes {tuple(model.observation_shape)} images; {data.name} has "
                   f"{tuple(data.observation_shape)}")
    return model.representation


def zoo_model(name: str, data: GroundTruthData, seed: int | None = None) -> Representation:
    """A pretrained model from the weights manifest (`zoo.load(name)`, or one training seed of it)."""
    def make():
        try:
            model = zoo.load(name) if seed is None else zoo.load(name, seed=seed)
        except (FileNotFoundError, LookupError, ValueError) as e:  # a seed kept by its scores alone
            raise Skip(f"{name} seed {seed}: {str(e).splitlines()[0][:200]}") from e
        return _check_shape(model, data, name)
    if seed is None:
        return Representation(name, "zoo", make, f"zoo.load({name!r})")
    return Representation(f"{name} seed {seed}", "zoo", make, f"zoo.load({name!r}, seed={seed})")


def zoo_models(data: GroundTruthData, exclude=()) -> list[Representation]:
    """Every model in the weights manifest, except the names in `exclude`."""
    return [zoo_model(name, data) for name in zoo.list_models() if name not in set(exclude)]


def checkpoint(run: Path, step: int, prefix: Path, data: GroundTruthData) -> Representation:
    """The model of a training run restored from one checkpoint (weights only, no optimizers)."""
    settings = zoo.runs.read_settings(run)

    def make():
        import tensorflow as tf

        shape = zoo.data.load(settings.dataset, **settings.dataset_options).observation_shape
        if tuple(shape) != tuple(data.observation_shape):
            raise Skip(f"run {run.name} trained on {settings.dataset} {tuple(shape)}; {data.name} has "
                       f"{tuple(data.observation_shape)}")
        try:
            model = zoo.runs.restore(run, prefix, settings, input_shape=shape)
        except (tf.errors.NotFoundError, AssertionError, ValueError) as e:
            # Training keeps only its last few checkpoints: one may vanish while we read it.
            raise Skip(f"cannot restore {prefix}: {type(e).__name__}: {str(e).splitlines()[0][:160]}") from e
        return model.representation
    return Representation(f"{run.name} @ step {step}", "checkpoint", make,
                          f"{settings.model} {settings.hparams} from {prefix}")


def evenly_spaced(items: list, count: int | None) -> list:
    """At most `count` of `items`, evenly spaced and always including the last (all when `count` is None)."""
    if count is None or len(items) <= count:
        return list(items)
    if count <= 0:
        return []
    picks = np.linspace(len(items) - 1, 0, count).round().astype(int)
    return [items[i] for i in sorted(set(picks.tolist()))]


def run_checkpoints(runs_dirs, data: GroundTruthData, *, latest_only: bool = False,
                    published=(), per_run: int | None = None) -> list[Representation]:
    """One representation per checkpoint of every run found under `runs_dirs` (or per run's latest).

    The final checkpoint of a run whose preset was published under one of the names in `published`
    (the zoo's models) is left out: the zoo model already stands for those very weights. With
    `latest_only`, such a run is left out altogether. `per_run` caps the checkpoints taken from each
    run, evenly spaced over its training and ending at its latest.
    """
    reps = []
    for run in zoo.runs.find_runs(runs_dirs):
        steps = zoo.runs.checkpoints_of(run)
        final = zoo.runs.read_settings(run).steps
        if zoo.runs.preset_name(run) in set(published):
            if latest_only:
                continue
            steps = [(step, prefix) for step, prefix in steps if step != final]
        for step, prefix in steps[-1:] if latest_only else evenly_spaced(steps, per_run):
            reps.append(checkpoint(run, step, prefix, data))
    return reps
