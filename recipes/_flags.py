"""The training flags `recipes.train` and `recipes.finetune` share, and `run_settings()`, which turns
them into a validated `zoo.runs.RunSettings` before any work is done.

Defaults come from `RunSettings`; the hyperparameter flags and their help from the objectives'
own declarations (`zoo.models.hparams`), so every hyperparameter of every objective has a flag.
"""

from __future__ import annotations

from absl import flags

import zoo.data
import zoo.models
from zoo.runs import RunSettings, resolve_hparams
from zoo.runs.strategy import STRATEGIES

from ._common import UsageError, check_output_folder

FLAGS = flags.FLAGS
DEFAULTS = RunSettings()


def _hparam_declarations() -> dict[str, list[tuple[str, zoo.models.HParam]]]:
    """`{hyperparameter: [(objective, its HParam), ...]}` over every registered objective."""
    found: dict[str, list] = {}
    for objective in zoo.models.names():
        for name, spec in zoo.models.hparams(objective).items():
            found.setdefault(name, []).append((objective, spec))
    return dict(sorted(found.items()))


HPARAMS = _hparam_declarations()

flags.DEFINE_string("model", DEFAULTS.model, f"Objective: {', '.join(zoo.models.names())}.")
flags.DEFINE_string("dataset", DEFAULTS.dataset, "A registered dataset (zoo.data.names()), or tfds:<name>.")
flags.DEFINE_string("dataset_options", "", "k=v,... passed to zoo.data.load (e.g. source=file,path=...).")
flags.DEFINE_integer("steps", DEFAULTS.steps, "Total training steps (a resumed run counts the steps already done).")
flags.DEFINE_integer("batch_size", DEFAULTS.batch_size, "Global batch size.")
flags.DEFINE_integer("seed", DEFAULTS.seed, "Seeds the weights, the data stream and the training noise.")
flags.DEFINE_float("learning_rate", DEFAULTS.learning_rate, "Main optimizer's learning rate (default: the "
                   "objective's, Adam 1e-4 for the VAEs as in the study).")
flags.DEFINE_integer("latent_dim", DEFAULTS.latent_dim, "Number of latents.")
flags.DEFINE_string("hparams", "", "Objective hyperparameters as k=v,... (e.g. beta=4).")
for _name, _declared in HPARAMS.items():
    _help = (f"Objective hyperparameter {_name} (same as --hparams={_name}=...): "
             + "; ".join(f"{objective}: {spec.doc} (default {spec.default})" for objective, spec in _declared) + ".")
    if all(spec.type is bool for _, spec in _declared):
        flags.DEFINE_bool(_name, None, _help)
    else:
        flags.DEFINE_string(_name, None, _help)
flags.DEFINE_string("out", None, "Run folder (created; a folder holding a different run is refused).")
flags.DEFINE_enum("strategy", DEFAULTS.strategy, list(STRATEGIES), "tf.distribute strategy.")
flags.DEFINE_bool("resume", True, "Continue from the latest checkpoint in --out (rerunning a command resumes).")
flags.DEFINE_integer("checkpoint_every", 1000, "Steps between checkpoints.")
flags.DEFINE_integer("keep_checkpoints", 2, "Checkpoints kept.")
flags.DEFINE_integer("kl_trace_every", None, "Also record the KL-per-latent trace (kl_trace.json) every this many "
                     "steps (default: at each checkpoint).")
flags.DEFINE_list("snapshot_steps", [], "Steps at which the model is also written as a preset, into "
                  "<out>/snapshots/step<N>/preset/ (e.g. 10000: a longer run's model at the population's steps).")
flags.DEFINE_bool("deterministic", DEFAULTS.deterministic, "Enable TensorFlow op determinism (bitwise-reproducible "
                  "resume).")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.DEFINE_bool("preset", True, "Write a preset folder (config, weights, card, traversal) at the end.")
flags.DEFINE_string("name", None, "The model's name in its preset and card (default <model>-<dataset>).")
flags.DEFINE_integer("debug_kill_at_step", None, "Testing only: SIGKILL this process after this step.")


# `--help` shows these first; each objective's hyperparameter flags follow in a group of their own,
# and the testing-only flags appear only under --helpfull (`help_sections`).
COMMON = ("model", "dataset", "dataset_options", "steps", "batch_size", "seed", "learning_rate", "latent_dim",
          "hparams", "out", "strategy", "resume", "checkpoint_every", "keep_checkpoints", "kl_trace_every",
          "snapshot_steps", "deterministic", "progress", "preset", "name")
DEBUG = ("debug_kill_at_step",)


def help_sections(title: str, *, extra=(), objectives: bool = True) -> list[tuple[str, list[str]]]:
    """`--help`'s groups for a training recipe: `title` (the common flags and `extra`), then, with
    `objectives`, one group per objective with the flags of its hyperparameters."""
    sections = [(title, [*extra, *COMMON])]
    if objectives:
        for objective in zoo.models.names():
            names = sorted(zoo.models.hparams(objective))
            if names:
                sections.append((f"{objective} hyperparameters (or --hparams=name=value,...)", names))
    return sections


def run_settings(*, model: str | None = None) -> RunSettings:
    """The run's settings from the flags, validated before any work is done.

    Args:
      model: the objective, when it is not `--model`'s (a fine-tuning run takes its source's).
    """
    model = model or FLAGS.model
    if model not in zoo.models.names():
        zoo.models.get_class(model)  # raises with close names
    zoo.data.check_name(FLAGS.dataset)  # raises with the known names
    for name in ("steps", "batch_size", "checkpoint_every"):
        if FLAGS[name].value <= 0:
            raise UsageError(f"--{name} must be positive; got {FLAGS[name].value}.")
    if FLAGS.keep_checkpoints < 1:
        raise UsageError(f"--keep_checkpoints must be at least 1; got {FLAGS.keep_checkpoints}.")
    if FLAGS.kl_trace_every is not None and FLAGS.kl_trace_every < 1:
        raise UsageError(f"--kl_trace_every must be positive; got {FLAGS.kl_trace_every}.")
    snapshot_steps()  # refuses a malformed list before any work
    if not FLAGS.out:
        raise UsageError("--out is required: the folder for checkpoints, logs and the preset.")
    check_output_folder(FLAGS.out, "--out")
    return RunSettings(model=model, dataset=FLAGS.dataset, dataset_options=_options(FLAGS.dataset_options),
                       batch_size=FLAGS.batch_size, seed=FLAGS.seed, learning_rate=FLAGS.learning_rate,
                       latent_dim=FLAGS.latent_dim, hparams=resolve_hparams(model, given_hparams(model)),
                       steps=FLAGS.steps, strategy=FLAGS.strategy, deterministic=FLAGS.deterministic).check()


def snapshot_steps() -> tuple[int, ...]:
    """`--snapshot_steps` as integers between 1 and `--steps` - 1."""
    return parse_snapshot_steps(FLAGS.snapshot_steps, FLAGS.steps)


def parse_snapshot_steps(values: list[str], steps: int) -> tuple[int, ...]:
    """Step numbers from `--snapshot_steps`'s list, each between 1 and `steps` - 1, or a `UsageError`."""
    try:
        chosen = tuple(int(s) for s in values)
    except ValueError:
        raise UsageError(f"--snapshot_steps takes step numbers such as 10000,20000; got {','.join(values)!r}.") from None
    for step in chosen:
        if not 0 < step < steps:
            raise UsageError(f"--snapshot_steps={step} is not between 1 and --steps - 1 ({steps - 1}); the last "
                             "step's model is the run's own preset.")
    return chosen


def given_hparams(objective: str) -> dict:
    """The hyperparameters given on the command line (`--hparams=k=v,...` and the per-name flags),
    parsed as `objective` declares them; names it does not take are kept for `resolve_hparams` to refuse."""
    specs = zoo.models.hparams(objective)
    given = {name: FLAGS[name].value for name in HPARAMS if FLAGS[name].value is not None}
    for item in filter(None, (s.strip() for s in (FLAGS.hparams or "").split(","))):
        if "=" not in item:
            raise UsageError(f"--hparams takes k=v pairs separated by commas; got {item!r}.")
        name, text = (s.strip() for s in item.split("=", 1))
        given[name] = text
    return {name: _parse(value, specs[name].type, name) if name in specs and isinstance(value, str) else value
            for name, value in given.items()}


def _parse(text: str, kind: type, name: str):
    """One hyperparameter's text as its declared type."""
    try:
        if kind is bool:
            if text.lower() in ("1", "true", "yes"):
                return True
            if text.lower() in ("0", "false", "no"):
                return False
            raise ValueError(text)
        return kind(text)
    except ValueError:
        raise UsageError(f"hyperparameter {name}={text!r} is not a valid {kind.__name__}.") from None


def _options(text: str) -> dict:
    options = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        if "=" not in item:
            raise UsageError(f"--dataset_options takes k=v pairs; got {item!r}.")
        key, value = (s.strip() for s in item.split("=", 1))
        options[key] = value
    return options
