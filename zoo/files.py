"""Files at the ground of the package: integrity checks and atomic writes, standard library only.

Everything in `zoo` that verifies a file (the weights manifest, preset folders, downloaded dataset
files) or writes one (manifests, presets, run folders, pictures) goes through here, so a file is
never half-written and a changed file always fails the same way:

* `file_digest(path)` is `(size, sha256)`, read in 1 MiB blocks; `verify_file` raises
  `IntegrityError` (or a subclass, e.g. `zoo.data.files.DatasetFileError`) naming the file, what
  was expected, what was found and the fix. It is the one check of a file against a recorded size
  and sha256: presets, the manifest and the dataset files all use it.
* `to_uint8` is the one rule from float pixels to PNG levels (clip to [0, 1], then 255 x rounded
  half up); `write_png` applies it to a float image.
* `write_bytes`, `write_text`, `write_json` and `write_png` (and `atomic_file`, for what is
  written in pieces) write a temp file beside the target, fsync it, give it the permissions a
  plain `open()` would (the umask's), then rename it over the target, so a reader sees the old
  file or the new one, never a mix.
* `staged_folder(directory)` does the same for a whole folder (a preset): fill the temp folder it
  yields, and on success it is swapped in place of `directory`; `copy_folder` builds on it.
* `folder_lock(path)` is the lock for a file that several processes extend (the manifest, a
  population table): read it, change it and write it inside the block, and no process's change is
  dropped by another's write.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = write_json(folder / "a.json", {"b": 1, "a": [1, 2]}, sort_keys=True)
    >>> file_digest(path)[0], path.read_text().splitlines()[1]
    (40, '  "a": [')
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one writer at a time is then the user's to keep
    fcntl = None

_BLOCK = 1 << 20


class IntegrityError(ValueError):
    """A file's size or sha256 differs from the one recorded for it."""


# ---------------------------------------------------------------------------- integrity


def file_digest(path: str | os.PathLike) -> tuple[int, str]:
    """Returns `(size in bytes, sha256 hex)` of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
            size += len(block)
    return size, h.hexdigest()


def verify_file(path: str | os.PathLike, *, size: int | None, sha256: str | None, label: str, fix: str,
                error: type[IntegrityError] = IntegrityError, hash_wrong_size: bool = True) -> None:
    """Raises `error` naming the file, what was expected, what was found and `fix`, unless the file matches.

    The size is checked first, from the file system; a file of the wrong size is hashed only to name
    its sha256 in the message (`hash_wrong_size`: the dataset loaders do not read a 13 GB file that
    has already failed).

    Args:
      path: the file to check.
      size, sha256: what was recorded for it; None skips that check.
      label: what the file is, first in the message (e.g. "model 'factorvae-dsprites'").
      fix: the sentence that tells the user what to do.
      error: `IntegrityError` or a subclass (the dataset loaders raise `DatasetFileError`).
      hash_wrong_size: name the sha256 of a file of the wrong size too (it reads the file).
    """
    path = Path(path)
    found_size = path.stat().st_size
    if size is not None and found_size != int(size):
        what = "is truncated" if found_size < int(size) else "has the wrong size"
        found = f" (sha256 {file_digest(path)[1]})" if hash_wrong_size and sha256 else ""
        raise error(f"{label}: {path} {what}: expected {int(size):,} bytes"
                    + (f" with sha256 {sha256.lower()}" if sha256 else "")
                    + f", found {found_size:,} bytes{found}. Nothing was loaded. {fix}")
    if sha256 is not None:
        found = file_digest(path)[1]
        if found != sha256.lower():
            raise error(f"{label}: {path} is corrupted: expected sha256 {sha256.lower()}"
                        + (f" ({int(size):,} bytes)" if size is not None else "")
                        + f", found sha256 {found} ({found_size:,} bytes). Nothing was loaded. {fix}")


def verify_files(records: Iterable[tuple[Path, dict]], *, label: str, fix: str) -> None:
    """Verifies every `(local path, {"size", "sha256"})` pair before the caller builds anything."""
    for path, rec in records:
        verify_file(path, size=rec["size"], sha256=rec["sha256"], label=label, fix=fix)


# ---------------------------------------------------------------------------- atomic writes


def write_bytes(path: str | os.PathLike, payload: bytes) -> Path:
    """Writes `payload` to a temp file beside `path`, fsyncs it, then renames it over `path`.

    Missing folders are created; the file gets the permissions the umask gives a new file.
    Returns `path`.
    """
    with atomic_file(path) as f:
        f.write(payload)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """`write_bytes` of `text` in UTF-8."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, data: Any, *, sort_keys: bool = False, allow_nan: bool = False) -> Path:
    """Writes `data` as JSON (indent 2, a final newline), atomically.

    Args:
      sort_keys: order every object's keys (run folders do; the manifest keeps its own order).
      allow_nan: write NaN/Infinity tokens (not JSON proper) instead of raising on them.
    """
    with atomic_file(path, "w") as f:
        json.dump(data, f, indent=2, sort_keys=sort_keys, allow_nan=allow_nan)
        f.write("\n")
    return Path(path)


def to_uint8(image):
    """Pixels as PNG levels: a uint8 array unchanged; floats clipped to [0, 1], then 255 x rounded half up.

    The one rule for every picture the package writes (traversals, reconstructions, preset images):
    floor(255 clip(x, 0, 1) + 0.5) in the array's own float type, so 0.5 / 255 is the first value
    that reaches level 1. numpy is imported here, when it is called (the module is standard library
    otherwise).
    """
    import numpy as np

    array = np.asarray(image)
    if array.dtype == np.uint8:
        return array
    return (np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def write_png(path: str | os.PathLike, image) -> Path:
    """Encodes an array `[H, W]` or `[H, W, 3]` (uint8, or float in [0, 1] through `to_uint8`), or a
    Pillow image, as PNG and writes it atomically."""
    from PIL import Image

    buf = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(to_uint8(image))).save(buf, format="PNG")
    return write_bytes(path, buf.getvalue())


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Yields a temp file beside `path` (opened with `mode`, "wb" or "w" for UTF-8 text); on success
    fsyncs it, gives it the umask's permissions and renames it over `path`.

    For what is written in pieces (a stream, a zip archive of gigabytes); an exception inside the
    block removes the temp file and leaves `path` as it was. Missing folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# Folders whose lock this process holds, with the depth of nested `folder_lock` blocks.
_HELD: dict[str, int] = {}


@contextlib.contextmanager
def folder_lock(path: str | os.PathLike) -> Iterator[None]:
    """Holds an exclusive `flock` on the folder that holds `path`, for a read-change-write of `path`.

    For a file that several processes extend (the weights manifest, a population table): each reads
    it, adds its part and writes it whole, so without a lock the later write drops the earlier's
    change. Read the file only once the lock is held, and write it before letting go. The lock is on
    the folder, not the file: the file is replaced by a rename at each write (`atomic_file`; a lock on
    it would be on the file that was), and a lock file would be one more file beside it. Re-entrant
    within a process; where `fcntl` is missing (Windows) it does nothing. Missing folders are created,
    as a write would.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if fcntl is None or _HELD.get(folder):
        _HELD[folder] = _HELD.get(folder, 0) + 1
        try:
            yield
        finally:
            _HELD[folder] -= 1
        return
    os.makedirs(folder, exist_ok=True)
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _HELD[folder] = 1
        try:
            yield
        finally:
            _HELD[folder] = 0
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


@contextlib.contextmanager
def staged_folder(directory: str | os.PathLike) -> Iterator[Path]:
    """Yields an empty temp folder beside `directory`; on success swaps it in place of `directory`.

    The swap is two renames on one filesystem (old -> `.name.old-*`, new -> name); the old folder
    is deleted only after the new one is in place, so some complete folder exists at every moment.
    An exception inside the block leaves `directory` as it was and removes the temp folder.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    try:
        yield tmp
        for p in tmp.iterdir():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o777 & ~_umask())
        if directory.exists():
            old = directory.parent / f".{directory.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(directory, old)
            try:
                os.rename(tmp, directory)
            except BaseException:
                os.rename(old, directory)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, directory)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def clean_staged(directory: str | os.PathLike) -> list[Path]:
    """Tidies what a killed `staged_folder(directory)` left beside `directory`; returns what it removed.

    Only `staged_folder`'s own names are touched: temp folders `.<name>.tmp-*` (a write that never
    finished) are removed; an old copy `.<name>.old-*` is renamed back when `directory` itself is
    missing (the kill came between the two renames), else removed. Call it only while nothing else
    writes `directory` (e.g. when a run folder's single trainer starts).
    """
    directory = Path(directory)
    if not directory.parent.is_dir():
        return []
    removed = []
    for prefix in (f".{directory.name}.tmp-", f".{directory.name}.old-"):
        for path in sorted(directory.parent.iterdir()):
            if not (path.name.startswith(prefix) and path.is_dir() and not path.is_symlink()):
                continue
            if prefix.endswith(".old-") and not directory.exists():
                os.rename(path, directory)
                continue
            shutil.rmtree(path)
            removed.append(path)
    return removed


def copy_folder(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Replaces `target` with a copy of the plain, non-hidden files of `source`, atomically."""
    with staged_folder(target) as tmp:
        for path in sorted(Path(source).iterdir()):
            if path.is_file() and not path.name.startswith("."):
                shutil.copy2(path, tmp / path.name)
    return Path(target)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
