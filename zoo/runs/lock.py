"""One writer per run folder: an exclusive lock file held for the life of a training job.

    with hold("runs/factorvae"):      # RunLockedError while another live process holds it
        ...                           # train, checkpoint, write the preset

The lock is `<run>/.lock`, created with `O_CREAT | O_EXCL` (atomic on a local filesystem and on
NFSv3+), holding the owner's pid, host and start time. A second job on the same folder (a sweep
rerun while an orphaned job still writes there, or two array tasks given the same index) gets a
`RunLockedError` naming the owner. A lock left by a process that is gone (killed with SIGKILL, a
crashed node on this host) is stale: on the same host that is detected (no such pid, or the pid
now belongs to a process started at another time) and the lock taken over, with a message; a lock
from another host cannot be checked from here, so the error names the host and the file to delete.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path
from typing import Iterator

from zoo.runs.folder import RunFolderError

LOCK_FILE = ".lock"


class RunLockedError(RunFolderError):
    """Another process trains this run folder now."""


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux `/proc/<pid>/stat` field 22), which
    tells a live owner from another process that reuses its pid; None where there is no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    now = _start_time(pid)
    return started is None or now is None or now == started


def owner(folder: str | os.PathLike) -> dict | None:
    """The lock's record (`pid`, `host`, `started`, `since`), or None when the folder is not locked."""
    path = Path(folder) / LOCK_FILE
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


@contextlib.contextmanager
def hold(folder: str | os.PathLike) -> Iterator[Path]:
    """Holds `folder`'s lock (creating the folder) for the block; yields the folder.

    On exit the lock file is removed, and a folder this call created is removed again if nothing
    else was left in it.

    Raises:
      RunLockedError: a live process (or one on another host) holds the lock; the message names
        its pid, host and the lock file.
    """
    folder = Path(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    me = {"pid": os.getpid(), "host": socket.gethostname(), "started": _start_time(os.getpid()),
          "since": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            _clear_if_stale(folder, path)
            continue
        with os.fdopen(fd, "w") as f:
            json.dump(me, f)
        break
    else:
        raise RunLockedError(f"--out={folder}: could not take the run folder's lock {path}; retry.")
    try:
        yield folder
    finally:
        if (owner(folder) or {}).get("pid") == me["pid"]:
            path.unlink(missing_ok=True)
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _clear_if_stale(folder: Path, path: Path) -> None:
    """Removes a stale lock (its owner gone, on this host); raises `RunLockedError` for a live one."""
    record = owner(folder)
    if record is None:  # released meanwhile
        return
    pid, host = record.get("pid"), record.get("host")
    if not isinstance(pid, int) or not isinstance(host, str):
        if time.time() - _mtime(path) < 5:  # being written this instant by its owner
            time.sleep(0.5)
            return
        raise RunLockedError(f"--out={folder} holds an unreadable lock file {path}. If no job trains this folder "
                             "now, delete the file and rerun.")
    if host == socket.gethostname() and not _alive(pid, record.get("started")):
        print(f"{folder}: taking over a stale lock of process {pid} on {host} (since {record.get('since')}), "
              "which is gone.", flush=True)
        path.unlink(missing_ok=True)
        return
    where = "this host" if host == socket.gethostname() else f"host {host}"
    raise RunLockedError(f"--out={folder} is being trained by process {pid} on {where} since {record.get('since')} "
                         f"(lock file {path}). Two jobs must not write one run folder: wait for that one to end or "
                         "stop it" + ("" if host == socket.gethostname() else
                                      f"; if it is gone (a lock from another host cannot be checked from here), "
                                      f"delete {path}") + ".")


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
