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
import struct
import numbers
from typing import Any, Mapping

from zoo.runs.strategy import STRATEGIES

# Settings that identify a run: a folder holding a run with other values is refused.
IDENTITY = ("model", "dataset", "dataset_options", "batch_size", "seed", "learning_rate", "latent_dim", "hparams",
            "init_from", "optimizer")


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
      deterministic: TensorFlow op determinism (a killed and resumed run ends bitwise equal). It is
        enabled for the whole process, and Keras then compiles no model with XLA in that process.
      init_from: the pretrained model a fine-tuning run started from (None for a fresh run).
      init_from_training: that model's own training as it was then (kept in the new model card).
      optimizer: None for the objective's own optimizers; else each player's Adam exactly, as a
        preset's `training.optimizer` records it (`{"optimizer": {"name": "fused_adam" or "adam",
        "learning_rate", "beta_1", "beta_2", "epsilon"}, "discriminator_optimizer": {...}}`), so a
        zoo preset's recipe is reproduced (`recipe_stages`; most dSprites presets used epsilon 1e-7).
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
    optimizer: dict | None = None

    def to_json(self) -> dict:
        """The `run.json` dict: every field, `init_from_training` and `optimizer` only when set."""
        data = dataclasses.asdict(self)
        for name in ("init_from_training", "optimizer"):
            if data[name] is None:
                del data[name]
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
        if self.optimizer is not None:
            check_optimizers(self.optimizer)
            if self.learning_rate is not None:
                raise RunSettingsError("--learning_rate and a recorded optimizer (--recipe_of) both set the rate; "
                                       "drop --learning_rate.")
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


# ---------------------------------------------------------------------------- a zoo preset's recipe
#
# A zoo name is one setting; its extra training seeds must be trained with exactly the recipe of the
# shipped model (docs/seeds.md). `recipe_of` reads that recipe from a preset's metadata (or a manifest
# entry: the same `objective`, `dataset`, `training`), `recipe_stages` turns it into the runs that
# train it at another seed, and `recipe_differences` says where two recipes differ.

OPTIMIZER_KINDS = ("adam", "fused_adam")
OPTIMIZER_KEYS = ("learning_rate", "beta_1", "beta_2", "epsilon")
# The stages of a chained recipe (a model trained on from itself, as betavae-dsprites: 3 x 30,000
# steps) at training seed N use seeds N + STAGE_SEED_STRIDE * (stages left after it), so the last
# stage's seed is N and no new chain starts from the shipped chain's first seed (docs/seeds.md).
STAGE_SEED_STRIDE = 100


def optimizer_kind(name: str) -> str:
    """"fused_adam_1" -> "fused_adam": a recorded optimizer's kind (Keras numbers repeated names)."""
    base = str(name)
    while base and base.rsplit("_", 1)[-1].isdigit() and "_" in base:
        base = base.rsplit("_", 1)[0]
    return base


def check_optimizers(optimizers: Mapping[str, Any]) -> None:
    """Refuses a recorded optimizer summary that cannot be rebuilt exactly (`RunSettingsError`)."""
    if not isinstance(optimizers, Mapping) or "optimizer" not in optimizers:
        raise RunSettingsError("a recorded optimizer is {'optimizer': {...}[, 'discriminator_optimizer': {...}]}; "
                               f"got {optimizers!r}.")
    for role, spec in optimizers.items():
        if role not in ("optimizer", "discriminator_optimizer") or not isinstance(spec, Mapping):
            raise RunSettingsError(f"unknown optimizer role {role!r} (optimizer, discriminator_optimizer).")
        if optimizer_kind(spec.get("name", "")) not in OPTIMIZER_KINDS:
            raise RunSettingsError(f"{role} {spec.get('name')!r} cannot be rebuilt: only Adam "
                                   f"({', '.join(OPTIMIZER_KINDS)}) is recorded by the zoo's presets.")
        for key in OPTIMIZER_KEYS:
            if not _is_finite(spec.get(key)):
                raise RunSettingsError(f"{role} needs a finite {key}; got {spec.get(key)!r}.")


def _float32(value) -> float:
    """`value` as the float32 an optimizer holds it in (1e-4 and 9.999999747378752e-05 are one rate)."""
    return struct.unpack("f", struct.pack("f", float(value)))[0]


def _chain(training: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The runs of a recorded training, first run first (`init_from_training` nests the earlier ones)."""
    runs = [training]
    while isinstance(runs[-1].get("init_from_training"), Mapping):
        runs.append(runs[-1]["init_from_training"])
    return runs[::-1]


def recipe_of(metadata: Mapping[str, Any]) -> dict:
    """The recipe of a preset (its metadata.json) or manifest entry: objective, latent size, every
    hyperparameter (completed as `recorded_hparams` does), data, and per run of its chain (one run
    unless it was trained on from itself) the steps, batch and optimizers. Seeds are not part of it."""
    training = dict(metadata.get("training") or {})
    objective = metadata.get("objective")
    dataset = dict(metadata.get("dataset") or {})
    stages = []
    for run in _chain(training):
        stages.append({"steps": run.get("steps"), "batch_size": run.get("batch_size"),
                       "optimizer": {role: {"name": optimizer_kind(spec.get("name", "")),
                                            **{k: spec.get(k) for k in OPTIMIZER_KEYS}}
                                     for role, spec in sorted((run.get("optimizer") or {}).items())}})
    config = dict(metadata.get("config") or {})
    return {"objective": objective,
            "latent_dim": training.get("latent_dim", config.get("latent_dim")),
            "hparams": recorded_hparams(objective, training.get("hparams") or {}),
            "dataset": {"name": dataset.get("name"), "source": dataset.get("source"),
                        "observation_shape": dataset.get("observation_shape") or config.get("input_shape")},
            "stages": stages}


def recipe_differences(recorded: Mapping[str, Any], candidate: Mapping[str, Any]) -> list[str]:
    """Where `candidate`'s recipe differs from `recorded`'s (`recipe_of`), one line each; [] if equal.
    Rates and Adam constants are compared as the float32 the optimizer holds."""
    out = []

    def same(a, b):
        if isinstance(a, float) or isinstance(b, float):
            return _is_finite(a) and _is_finite(b) and _float32(a) == _float32(b)
        return same_value(a, b)

    for key in ("objective", "latent_dim"):
        if not same_value(recorded.get(key), candidate.get(key)):
            out.append(f"{key}: {recorded.get(key)!r} recorded, {candidate.get(key)!r} here")
    a, b = recorded.get("hparams") or {}, candidate.get("hparams") or {}
    for key in sorted(set(a) | set(b)):
        if not same(a.get(key), b.get(key)):
            out.append(f"hparams.{key}: {a.get(key)!r} recorded, {b.get(key)!r} here")
    a, b = recorded.get("dataset") or {}, candidate.get("dataset") or {}
    for key in ("name", "source", "observation_shape"):
        if not same_value(a.get(key), b.get(key)):
            out.append(f"dataset.{key}: {a.get(key)!r} recorded, {b.get(key)!r} here")
    a, b = recorded.get("stages") or [], candidate.get("stages") or []
    if len(a) != len(b):
        out.append(f"runs in the chain: {len(a)} recorded ({' + '.join(str(s['steps']) for s in a)} steps), "
                   f"{len(b)} here ({' + '.join(str(s['steps']) for s in b)} steps)")
    for i, (x, y) in enumerate(zip(a, b)):
        where = f"run {i + 1} of {len(a)}: " if len(a) > 1 else ""
        for key in ("steps", "batch_size"):
            if not same_value(x.get(key), y.get(key)):
                out.append(f"{where}{key}: {x.get(key)!r} recorded, {y.get(key)!r} here")
        ox, oy = x.get("optimizer") or {}, y.get("optimizer") or {}
        for role in sorted(set(ox) | set(oy)):
            if role not in ox or role not in oy:
                out.append(f"{where}{role}: {'absent' if role not in ox else 'present'} recorded, "
                           f"{'absent' if role not in oy else 'present'} here")
                continue
            for key in ("name",) + OPTIMIZER_KEYS:
                if not same(ox[role].get(key), oy[role].get(key)):
                    out.append(f"{where}{role}.{key}: {ox[role].get(key)!r} recorded, {oy[role].get(key)!r} here")
    return out


def stage_seeds(recipe: Mapping[str, Any], seed: int) -> list[int]:
    """The seed of each run of a recipe's chain at training seed `seed` (`STAGE_SEED_STRIDE`)."""
    count = len(recipe["stages"])
    return [seed + STAGE_SEED_STRIDE * (count - 1 - i) for i in range(count)]


def recipe_stages(recipe: Mapping[str, Any], seed: int, *, source: str | None = None) -> list[RunSettings]:
    """The runs that train `recipe` (`recipe_of`) at training seed `seed`, first first: each with the
    recipe's objective, hyperparameters, data, steps, batch and exact optimizers; a run after the
    first starts from the one before (`init_from`, set by the caller to the earlier run's preset).
    `source`: the recorded dataset source when it is not the renderer (e.g. "file" for MNIST)."""
    source = recipe["dataset"].get("source") if source is None else source
    options = {} if source in (None, "rendered") else {"source": source}
    runs = []
    for stage, stage_seed in zip(recipe["stages"], stage_seeds(recipe, seed)):
        runs.append(RunSettings(model=recipe["objective"], dataset=recipe["dataset"]["name"], dataset_options=options,
                                batch_size=stage["batch_size"], seed=stage_seed, latent_dim=recipe["latent_dim"],
                                hparams=dict(recipe["hparams"]), steps=stage["steps"],
                                optimizer={role: dict(spec) for role, spec in stage["optimizer"].items()} or None))
    return runs
