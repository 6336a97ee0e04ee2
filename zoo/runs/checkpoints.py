"""A run's checkpoints when it resumes: the latest intact one, damaged ones set aside, killed writes tidied.

`tf.train.CheckpointManager` trusts its `checkpoint` state file and the files it names: a flipped
byte, a truncated index or a garbled state file stop a resume with TensorFlow's own traceback, and
an older intact checkpoint is never tried. `prepare` reads every tensor of each checkpoint, newest
first (TensorFlow checks each tensor's CRC32C as it reads it), until one is whole; the damaged ones
are renamed `<file>.damaged` (kept for a look, ignored from then on), the state file is rewritten
to name the one chosen, and the `ckpt-<step>_temp/` folders of writes killed half-way are removed.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from zoo.runs.folder import RunFolderError

STATE = "checkpoint"  # tf.train.CheckpointManager's state file
DAMAGED = ".damaged"
_PREFIX = re.compile(r"^ckpt-(\d+)$")
_TEMP = re.compile(r"^ckpt-\d+_temp$")  # a sharded save writes here first, then renames its parts


def prepare(directory: str | Path) -> str | None:
    """The prefix of the latest intact checkpoint in `directory` (None when there is none to resume).

    Raises:
      RunFolderError: checkpoints exist but none is intact; the message names each and why.
    """
    import tensorflow as tf

    directory = Path(directory)
    if not directory.is_dir():
        return None
    for path in sorted(directory.iterdir()):
        if _TEMP.match(path.name) and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
            print(f"Removed {path}, left by a checkpoint write that was killed.", file=sys.stderr, flush=True)
    steps = sorted({int(m.group(1)) for p in directory.iterdir()
                    if not p.name.endswith(DAMAGED) and (m := _PREFIX.match(p.name.split(".")[0]))}, reverse=True)
    state_reason = _state_damage(directory)
    chosen, skipped = None, []
    for step in steps:
        prefix = directory / f"ckpt-{step}"
        reason = _damage(prefix)
        if reason is None:
            chosen = prefix
            break
        skipped.append((prefix, reason))
    for prefix, reason in skipped:
        for path in directory.glob(prefix.name + ".*"):
            path.rename(path.with_name(path.name + DAMAGED))
        print(f"Skipped checkpoint {prefix} ({reason}); its files are kept as {prefix.name}.*{DAMAGED}."
              + (f" Resuming from the older {chosen.name}." if chosen else ""), file=sys.stderr, flush=True)
    if state_reason:
        state = directory / STATE
        state.rename(state.with_name(STATE + DAMAGED))
        print(f"The checkpoint state file {state} is unreadable ({state_reason}); kept as {STATE}{DAMAGED}, and the "
              "checkpoints are found by their files instead.", file=sys.stderr, flush=True)
    if chosen is None:
        if skipped:
            raise RunFolderError(
                f"No intact checkpoint in {directory}: " + "; ".join(f"{p.name}: {r}" for p, r in skipped)
                + f". The damaged files are kept as *{DAMAGED}. Delete the run folder to start over (or restore its "
                "checkpoints from a copy).")
        return None
    if skipped or state_reason or _latest_in_state(directory) != chosen.name:
        older = [f"ckpt-{s}" for s in sorted(steps) if s < int(chosen.name.split("-")[1])]
        tf.compat.v1.train.update_checkpoint_state(str(directory), chosen.name,
                                                   all_model_checkpoint_paths=[*older, chosen.name])
    return str(chosen)


def _damage(prefix: Path) -> str | None:
    """Why the checkpoint `prefix` cannot be restored, or None when every tensor in it reads back."""
    import tensorflow as tf

    if not prefix.with_name(prefix.name + ".index").is_file():
        return "its .index file is missing"
    if not list(prefix.parent.glob(prefix.name + ".data-*")):
        return "its .data file is missing"
    try:
        reader = tf.train.load_checkpoint(str(prefix))
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except Exception as e:  # TensorFlow raises DataLossError, OutOfRangeError, ... by what is wrong
        return f"{type(e).__name__}: {str(e).strip().splitlines()[0][:300] if str(e).strip() else 'unreadable'}"
    return None


def _state_damage(directory: Path) -> str | None:
    import tensorflow as tf

    if not (directory / STATE).exists():
        return None
    try:
        tf.train.get_checkpoint_state(str(directory))
    except Exception as e:
        return f"{type(e).__name__}: {str(e).strip().splitlines()[0][:300] if str(e).strip() else 'unreadable'}"
    return None


def _latest_in_state(directory: Path) -> str | None:
    import tensorflow as tf

    state = tf.train.get_checkpoint_state(str(directory)) if (directory / STATE).exists() else None
    return Path(state.model_checkpoint_path).name if state and state.model_checkpoint_path else None
