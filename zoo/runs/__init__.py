"""Training runs: settings, the resumable loop, run folders, strategies, runs side by side.

    import zoo.runs

    settings = zoo.runs.RunSettings(model="factor_vae", hparams=zoo.runs.resolve_hparams("factor_vae", {"gamma": 40}))
    zoo.runs.train(settings, "runs/factorvae")          # rerun to resume; returns the run folder

| module        | what |
|---|---|
| `settings`    | `RunSettings` (the typed `run.json`), `resolve_hparams`, `finetune_settings`, `job_settings`, `zoo_name` |
| `folder`      | a run folder's layout; `check_run_folder`, `read_settings`, `find_runs`, `checkpoints_of`, `restore` |
| `training`    | `train` (checkpoints, resume, KL trace, preset), `train_chain`, `write_run_preset` |
| `callbacks`   | `NonFiniteLossError`, the guard, the progress bar, `KLTrace` |
| `strategy`    | `make_strategy` (`tf.distribute` by name) |
| `parallel`    | `run_side_by_side`: single-threaded child processes, one run folder each |
| `lock`        | one writer per run folder: the lock file a job holds while it trains (`RunLockedError`) |
| `signals`     | SIGTERM / SIGINT: a job checkpoints and stops (`Stopped`), a sweep passes the signal on |

Importing `zoo.runs` stays light: TensorFlow is imported when `train` (or the training names
below) is first used.
"""

import importlib

from zoo.runs.folder import (RunFolderError, check_run_folder, checkpoints_of, find_runs, is_finished,  # noqa: F401
                             is_run, preset_name, read_run_file, read_settings, restore)
from zoo.runs.lock import RunLockedError  # noqa: F401
from zoo.runs.parallel import run_side_by_side  # noqa: F401
from zoo.runs.settings import (IDENTITY, RunSettings, RunSettingsError, finetune_settings,  # noqa: F401
                               job_settings, resolve_hparams, zoo_name)
from zoo.runs.signals import Stopped  # noqa: F401
from zoo.runs.strategy import make_strategy  # noqa: F401

_TRAINING = {"train": "zoo.runs.training", "train_chain": "zoo.runs.training",
             "write_run_preset": "zoo.runs.training",
             "NonFiniteLossError": "zoo.runs.callbacks", "KLTrace": "zoo.runs.callbacks"}


def __getattr__(name):
    """`train`, `train_chain`, `write_run_preset`, `NonFiniteLossError` and `KLTrace`, imported (with TensorFlow)
    on first use."""
    if name in _TRAINING:
        return getattr(importlib.import_module(_TRAINING[name]), name)
    raise AttributeError(f"module 'zoo.runs' has no attribute {name!r}")


__all__ = ["IDENTITY", "KLTrace", "NonFiniteLossError", "RunFolderError", "RunLockedError", "RunSettings",
           "RunSettingsError", "Stopped", "check_run_folder", "checkpoints_of", "find_runs", "finetune_settings",
           "is_finished", "is_run", "job_settings", "make_strategy", "preset_name", "read_run_file", "read_settings",
           "resolve_hparams", "restore", "run_side_by_side", "train", "train_chain", "write_run_preset", "zoo_name"]
