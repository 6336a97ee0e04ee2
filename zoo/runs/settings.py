"""A training run's settings: what `run.json` holds, typed, with the hyperparameters resolved.

`RunSettings` is the run's identity: a folder holding a run with other values for the fields in
`IDENTITY` is refused rather than resumed (`zoo.runs.check_run_folder`). It reads and writes the
`run.json` files every version of the training recipes wrote (sorted keys, the same key set:
`init_from_training` appears only for a fine-tuning run):

    >>> s = RunSettings(model="beta_vae", hparams={"beta": 4.0}, steps=10000)
    >>> sorted(s.to_json())[:4], RunSettings.from_json(s.to_json()) == s
    (['batch_size', 'dataset', 'dataset_options', 'deterministic'], True)
    >>> zoo_name("dip_vae_ii", "color_dsprites")
    'dipvae2-color-dsprites'
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any, Mapping

from zoo.runs.strategy import STRATEGIES

# Settings that identify a run: a folder holding a run with other values is refused.
IDENTITY = ("model", "dataset", "dataset_options", "batch_size", "seed", "learning_rate", "latent_dim", "hparams",
            "init_from")


class RunSettingsError(ValueError):
    """A run's settings cannot start a run; the message names the setting (as its recipe flag) and the fix."""


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """Everything a training run needs besides its folder; the defaults are the recipes' (the study's).

    Attributes:
      model: objective, a `zoo.models.names()` entry.
      dataset: a `zoo.data.names()` entry; `dataset_options` go to `zoo.data.load`.
      batch_size: global batch size.
      seed: seeds the weights, the data stream and the training noise.
      learning_rate: the main optimizer's rate; None keeps the objective's (Adam 1e-4 for the VAEs).
      latent_dim: number of latents.
      hparams: every hyperparameter of the objective (`resolve_hparams` fills in the defaults).
      steps: total training steps (a resumed run counts the steps already done).
      strategy: `tf.distribute` strategy name (`zoo.runs.make_strategy`).
      deterministic: TensorFlow op determinism (a killed and resumed run ends bitwise equal).
      init_from: the pretrained model a fine-tuning run started from (None for a fresh run).
      init_from_training: that model's own training as it was then (kept in the new model card).
    """

    model: str = "beta_vae"
    dataset: str = "dsprites"
    dataset_options: dict = dataclasses.field(default_factory=dict)
    batch_size: int = 64
    seed: int = 0
    learning_rate: float | None = None
    latent_dim: int = 10
    hparams: dict = dataclasses.field(default_factory=dict)
    steps: int = 30000
    strategy: str = "default"
    deterministic: bool = False
    init_from: str | None = None
    init_from_training: dict | None = None

    def to_json(self) -> dict:
        """The `run.json` dict: every field, `init_from_training` only when set."""
        data = dataclasses.asdict(self)
        if data["init_from_training"] is None:
            del data["init_from_training"]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "RunSettings":
        """Reads a `run.json` dict; missing fields take their defaults, unknown ones are refused."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"run settings have no field {', '.join(map(repr, unknown))}; a run.json holds "
                             f"{', '.join(sorted(known))}.")
        return cls(**dict(data))

    def replace(self, **changes) -> "RunSettings":
        return dataclasses.replace(self, **changes)

    def check(self) -> "RunSettings":
        """Checks what can be checked without TensorFlow: sizes, the seed, finite numbers, the strategy.

        `zoo.runs.train` also builds the data, the strategy and the model before it writes anything.

        Raises:
          RunSettingsError: naming the setting (as its recipe flag), the value and what it must be.
        """
        for name in ("batch_size", "steps", "latent_dim"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise RunSettingsError(f"--{name} must be at least 1; got {value!r}.")
        if not _is_int(self.seed) or self.seed < 0:
            raise RunSettingsError(f"--seed must be a non-negative integer; got {self.seed!r}.")
        if self.seed > 2**32 - 1:  # numpy's and Keras's seeds are 32-bit
            raise RunSettingsError(f"--seed must be at most 2**32 - 1 = {2**32 - 1}; got {self.seed!r}.")
        for name in ("model", "dataset"):
            if not isinstance(getattr(self, name), str):
                raise RunSettingsError(f"--{name} must be a name (a str); got {getattr(self, name)!r}.")
        if self.learning_rate is not None and not (_is_finite(self.learning_rate) and self.learning_rate > 0):
            raise RunSettingsError(f"--learning_rate must be a positive finite number; got {self.learning_rate!r}. "
                                   "Leave it out to use the objective's own (Adam 1e-4 for the VAEs).")
        for name, value in self.hparams.items():
            if isinstance(value, numbers.Number) and not isinstance(value, bool) and not _is_finite(value):
                raise RunSettingsError(f"hyperparameter {name} must be a finite number; got {value!r}. "
                                       f"Pass a finite --{name} (or leave it out for the objective's default).")
        if self.strategy not in STRATEGIES:
            raise RunSettingsError(f"unknown --strategy={self.strategy!r}; choose {', '.join(STRATEGIES[:-1])} or "
                                   f"{STRATEGIES[-1]}.")
        if not isinstance(self.dataset_options, Mapping):
            raise RunSettingsError(f"--dataset_options must be key=value pairs; got {self.dataset_options!r}.")
        return self


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_finite(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def same_value(a, b) -> bool:
    """`a == b` for `run.json` values, where NaN equals NaN (as both are written `NaN`)."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def as_settings(settings: RunSettings | Mapping[str, Any]) -> RunSettings:
    """`settings` as `RunSettings` (a `run.json`-style dict is read with `RunSettings.from_json`)."""
    if isinstance(settings, RunSettings):
        return settings
    if not isinstance(settings, Mapping):
        raise TypeError(f"settings must be a RunSettings or a run.json-style dict; got {type(settings).__name__}.")
    return RunSettings.from_json(settings)


def resolve_hparams(objective: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Every hyperparameter of `objective`: the values in `given`, the objective's defaults for the rest.

    Values are checked and cast by the hyperparameter's declaration (`zoo.models.HParam.check`);
    None stays None.

    Raises:
      ValueError: a hyperparameter the objective does not take (the message lists the ones it does),
        or a value outside its valid range (NaN, inf, a negative weight: the message names the range).
    """
    import zoo.models

    specs = zoo.models.hparams(objective)
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise ValueError(f"{objective} has no hyperparameter {', '.join(map(repr, unknown))}; it takes "
                         f"{', '.join(sorted(specs)) or 'none'}.")
    resolved = {name: spec.default for name, spec in specs.items()}
    for name, value in given.items():
        spec = specs[name]
        resolved[name] = spec.check(value, objective)
    return resolved


def recorded_hparams(objective: str, recorded: Mapping[str, Any]) -> dict[str, Any]:
    """The hyperparameters a run's `run.json` records, completed with those added to `objective` since
    it was written: each at the value the run trained with, the objective's `LEGACY_HPARAMS` value
    where it has one, else its default (an option that did not exist was off). An objective or a
    key the code no longer knows is left as recorded."""
    import zoo.models

    if not isinstance(objective, str) or not isinstance(recorded, Mapping):
        return recorded
    try:
        cls = zoo.models.get_class(objective)
    except ValueError:
        return dict(recorded)
    defaults = {name: spec.default for name, spec in zoo.models.hparams(objective).items()}
    return {**defaults, **cls.complete_config(dict(recorded))}


def finetune_settings(settings: RunSettings, source: str, metadata: Mapping[str, Any]) -> RunSettings:
    """`settings` for fine-tuning the pretrained model `source`, whose preset metadata is `metadata`.

    The objective, latent size and hyperparameters are the source's (from its config); the source's
    own training is kept as `init_from_training`, since its name may later point at other weights.
    """
    import zoo.models

    model = metadata["objective"]
    # A config saved before a hyperparameter existed keeps that model's behaviour (LEGACY_HPARAMS).
    config = zoo.models.get_class(model).complete_config(metadata["config"])
    hparams = {k: config[k] for k in resolve_hparams(model, {}) if k in config}
    return settings.replace(model=model, latent_dim=int(config.get("latent_dim", settings.latent_dim)),
                            hparams=hparams, init_from=source,
                            init_from_training={k: v for k, v in metadata.get("training", {}).items()
                                                if k != "versions"})


def job_settings(job: Mapping[str, Any], steps: int) -> RunSettings:
    """The settings of one job of a training grid (`zoo.study.jobs`): the job's objective, dataset,
    hyperparameters and seed, the recipes' defaults otherwise."""
    return RunSettings(model=job["model"], dataset=job["dataset"], seed=job["seed"],
                       hparams=resolve_hparams(job["model"], job["hparams"]), steps=steps)


def zoo_name(model: str, dataset: str) -> str:
    """The zoo's name for a model trained on a dataset: "factor_vae", "dsprites" -> "factorvae-dsprites",
    "dip_vae_ii", "color_dsprites" -> "dipvae2-color-dsprites"."""
    short = {"dip_vae_i": "dipvae1", "dip_vae_ii": "dipvae2"}.get(model, model.replace("_", ""))
    return f"{short}-{dataset.replace('_', '-').replace(':', '-')}"
