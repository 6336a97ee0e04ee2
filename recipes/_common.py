"""What the recipes share: flag parsing for hyperparameters, strategies, run folders, atomic JSON."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

# Every hyperparameter flag any objective takes (the papers' symbols); None means "not given".
HPARAM_FLAGS = ("beta", "gamma", "c_max", "iteration_threshold", "lambda_od", "lambda_d",
                "num_categorical", "num_continuous", "noise_dim", "lambda_info")


class UsageError(ValueError):
    """A bad flag or folder, found before any work is done."""


def quiet_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_value(text: str, kind: type, name: str):
    """Parses one `k=v` value as the hyperparameter's type."""
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


def resolve_hparams(objective: str, hparams: str, flag_values: dict[str, Any]) -> dict[str, Any]:
    """The objective's hyperparameters from `--hparams=k=v,...` and the per-name flags.

    Raises `UsageError` for a hyperparameter the objective does not take, listing the ones it does.
    """
    import zoo.models

    specs = zoo.models.hparams(objective)
    given: dict[str, Any] = {}
    for name, value in flag_values.items():
        if value is not None:
            given[name] = value
    for item in filter(None, (s.strip() for s in (hparams or "").split(","))):
        if "=" not in item:
            raise UsageError(f"--hparams takes k=v pairs separated by commas; got {item!r}.")
        name, text = (s.strip() for s in item.split("=", 1))
        if name not in specs:
            given[name] = text  # reported below with the others
        else:
            given[name] = parse_value(text, specs[name].type, name)
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise UsageError(f"{objective} has no hyperparameter {', '.join(map(repr, unknown))}; it takes "
                         f"{', '.join(sorted(specs)) or 'none'}.")
    resolved = {name: spec.default for name, spec in specs.items()}
    for name, value in given.items():
        spec = specs[name]
        resolved[name] = value if spec.type is bool or value is None else spec.type(value)
    return resolved


def make_strategy(name: str):
    """The `tf.distribute` strategy for `--strategy` (default, mirrored, multi_worker, tpu)."""
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise UsageError("--strategy=multi_worker reads the cluster from the TF_CONFIG environment variable, "
                             "which is not set.")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise UsageError(f"unknown --strategy={name!r}; choose default, mirrored, multi_worker or tpu.")


def write_json_atomic(path, obj) -> None:
    """Writes JSON to a temp file beside `path`, then renames it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
