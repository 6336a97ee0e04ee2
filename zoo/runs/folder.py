"""A training run's folder: what is in it, whether it may be resumed, and reading its checkpoints.

    <run>/run.json                 the settings (`RunSettings`), written before training starts
    <run>/checkpoints/ckpt-<step>  model, optimizers and the step counter (tf.train.CheckpointManager)
    <run>/kl_trace.json            KL per latent at every checkpoint (VAEs; `zoo.runs.KLTrace`)
    <run>/logs/                    TensorBoard
    <run>/preset/                  the preset folder, written when training ends (`zoo.presets`)
    <run>/snapshots/step<N>/preset/  the model at step N as a preset (`train(..., snapshot_steps=)`)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import zoo.data
from zoo.runs.settings import IDENTITY, RunSettings, recorded_hparams, same_value

RUN_FILE = "run.json"
CHECKPOINTS = "checkpoints"
KL_TRACE = "kl_trace.json"
LOGS = "logs"
PRESET = "preset"
SNAPSHOTS = "snapshots"


class RunFolderError(ValueError):
    """A folder that is not the run asked for (another run, or not a run at all)."""


def check_run_folder(out: str | Path, settings: RunSettings | Mapping[str, Any], resume: bool) -> bool:
    """Refuses a folder that holds a different run; returns whether there is a run to resume.

    Args:
      out: the run folder (it may not exist yet).
      settings: the run's settings; a folder whose `run.json` differs on any `IDENTITY` field is refused.
      resume: False refuses a folder that holds this very run (the recipes' `--noresume`).

    Raises:
      RunFolderError: naming every field that differs, or why the folder is not a run.
    """
    out = Path(out)
    run_file = out / RUN_FILE
    if not run_file.exists():
        if out.exists() and any(p for p in out.iterdir() if not p.name.startswith(".")):
            raise RunFolderError(f"--out={out} exists and holds files but no run.json: it is not a training run. "
                                 "Choose another --out or empty it.")
        return False
    previous = read_run_file(out)
    current = settings.to_json() if isinstance(settings, RunSettings) else dict(settings)
    if "hparams" in previous:  # a run from before an option was added resumes; the option was off
        previous["hparams"] = recorded_hparams(previous.get("model"), previous["hparams"])
    diff = {k: (previous.get(k), current.get(k)) for k in IDENTITY
            if not same_value(previous.get(k), current.get(k))}
    if diff:
        lines = ", ".join(f"{k}: {a!r} there, {b!r} now" for k, (a, b) in diff.items())
        raise RunFolderError(f"--out={out} holds a different run ({lines}). Choose another --out, or delete the "
                             "folder to start over.")
    if not resume:
        raise RunFolderError(f"--out={out} holds this run already and --noresume was given; delete the folder to "
                             "start over.")
    return True


def read_run_file(run: str | Path) -> dict:
    """A run folder's `run.json` as a dict.

    Raises:
      RunFolderError: the file is not valid JSON (or not an object), naming the file and the fix.
    """
    path = Path(run) / RUN_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RunFolderError(f"{path} is not valid JSON ({e}). It holds the run's settings: restore it from the "
                             "command that started the run (rerun that command in an empty --out to see the file "
                             "it writes), or delete the folder to start over.") from None
    if not isinstance(data, dict):
        raise RunFolderError(f"{path} holds {type(data).__name__}, not the run's settings (a JSON object); restore "
                             "it, or delete the folder to start over.")
    return data


def read_settings(run: str | Path) -> RunSettings:
    """The `RunSettings` in a run folder's `run.json`."""
    return RunSettings.from_json(read_run_file(run))


def find_runs(roots) -> list[Path]:
    """Training run folders (holding `run.json` and `checkpoints/`) in or up to two levels under each root."""
    found = []
    for root in roots or ():
        root = Path(root)
        for pattern in (RUN_FILE, f"*/{RUN_FILE}", f"*/*/{RUN_FILE}"):
            for run_file in sorted(root.glob(pattern)):
                if (run_file.parent / CHECKPOINTS).is_dir() and run_file.parent not in found:
                    found.append(run_file.parent)
    return found


def checkpoints_of(run: str | Path) -> list[tuple[int, Path]]:
    """`(step, checkpoint prefix)` of every complete checkpoint of a run, by step.

    A checkpoint is complete once its `.index` and a `.data-*` file exist (training writes them
    before it moves on, and deletes all but the last few).
    """
    out = []
    for index in (Path(run) / CHECKPOINTS).glob("ckpt-*.index"):
        prefix = index.with_suffix("")
        step = prefix.name.split("-")[-1]
        if step.isdigit() and list(prefix.parent.glob(prefix.name + ".data-*")):
            out.append((int(step), prefix))
    return sorted(out)


def preset_name(run: str | Path) -> str | None:
    """The zoo name in a run's preset (its metadata.json), or None when training has not finished."""
    metadata = Path(run) / PRESET / "metadata.json"
    return json.loads(metadata.read_text()).get("name") if metadata.is_file() else None


def is_finished(run: str | Path) -> bool:
    """Whether training has ended in `run`: the preset, written last, is complete (its metadata.json is there)."""
    return (Path(run) / PRESET / "metadata.json").is_file()


def snapshot_folder(run: str | Path, step: int) -> Path:
    """Where a run's snapshot at `step` lives: `<run>/snapshots/step<step>/` (its preset in `preset/`)."""
    return Path(run) / SNAPSHOTS / f"step{int(step)}"


def snapshots_of(run: str | Path) -> list[tuple[int, Path]]:
    """`(step, folder)` of every complete snapshot of a run (its preset's metadata.json written), by step."""
    found = []
    for folder in (Path(run) / SNAPSHOTS).glob("step*"):
        step = folder.name[len("step"):]
        if step.isdigit() and is_finished(folder):
            found.append((int(step), folder))
    return sorted(found)


def is_run(path: str | Path) -> bool:
    """Whether `path` is a finished run folder: it holds `run.json` and a `preset/` folder."""
    return (Path(path) / RUN_FILE).is_file() and (Path(path) / PRESET).is_dir()


def restore(run: str | Path, prefix: str | Path, settings: RunSettings | None = None, input_shape=None):
    """The model of a run rebuilt from its settings, with the weights of checkpoint `prefix` (no optimizers).

    `input_shape` defaults to the run's dataset's image shape.

    Raises TensorFlow's errors (or AssertionError) when the checkpoint cannot be read or does not
    fit the model, e.g. when training deleted it meanwhile.
    """
    import tensorflow as tf

    import zoo.models

    settings = settings or read_settings(run)
    shape = input_shape or zoo.data.load(settings.dataset, **settings.dataset_options).observation_shape
    model = zoo.models.get(settings.model, input_shape=shape, latent_dim=settings.latent_dim, seed=settings.seed,
                           **settings.hparams)
    status = tf.train.Checkpoint(model=model).restore(str(prefix)).expect_partial()
    status.assert_existing_objects_matched()
    return model
