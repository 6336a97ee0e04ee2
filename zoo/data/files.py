"""Reading real dataset files lazily, and checking them before use.

What the ground-truth loaders (`shapes3d`, `mpi3d`, `smallnorb`, `cars3d`) share:

- `RowFile`: fixed-size rows of a raw array inside a file (a `.npy`, a member of an uncompressed
  `.npz`, a NORB `-dat.mat`), read with `os.pread` only for the rows asked for. The file is
  never loaded whole and never memory-mapped, so a 12.7 GB file costs a few megabytes of
  resident memory (a mapping would count every page it touched in the process's RSS) and the
  operating system's page cache does the caching.
- `find_file`, `verify_dataset_file`: where a file is looked for, and its size and sha256 against
  the published ones (`zoo.files.verify_file`, the package's one integrity check, raising
  `DatasetFileError`, an `IntegrityError`), with messages that name what was expected, what was
  found and what to do.
- `prepared_builder`: a tensorflow_datasets builder that is already prepared in `data_dir`;
  nothing is ever downloaded.
"""

from __future__ import annotations

import os
import shutil
import struct
import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np

from zoo.files import IntegrityError, atomic_file, file_digest, verify_file

__all__ = ["DatasetFileError", "RowFile", "as_bool", "data_dir", "extract_npy", "find_file", "npy_rows", "npz_rows",
           "check_source", "prepared_builder", "sha256_of", "verify_dataset_file"]


class DatasetFileError(IntegrityError):
    """A dataset file exists but is not the file that was expected (its size, sha256 or layout).

    An `IntegrityError` (so a `ValueError`): one `except zoo.files.IntegrityError` catches a changed
    preset file and a changed dataset file alike."""


def sha256_of(path) -> str:
    return file_digest(path)[1]


def check_source(dataset: str, source: str, sources, *, path=None, data_dir=None) -> None:
    """Refuses an unknown `source`, and `path=` / `data_dir=` given to a source that does not read them."""
    if source not in sources:
        raise ValueError(f"{dataset}: source must be one of {', '.join(map(repr, sources))}; got {source!r}.")
    if path is not None and source != "file":
        raise ValueError(f"{dataset}: path= is read only with source='file' (got source={source!r}).")
    if data_dir is not None and source != "tfds":
        raise ValueError(f"{dataset}: data_dir= is read only with source='tfds' (got source={source!r}).")


def as_bool(value) -> bool:
    """`True`/`False`, or the strings a recipe's `--dataset_options` passes ("false", "0", ...)."""
    if isinstance(value, str):
        if value.lower() in ("1", "true", "yes"):
            return True
        if value.lower() in ("0", "false", "no"):
            return False
        raise ValueError(f"expected a boolean (true or false); got {value!r}.")
    return bool(value)


def data_dir(name: str) -> Path:
    """The default folder of dataset `name`: `$ZOO_DATA_DIR/<name>` (`~/zoo_data/<name>`)."""
    return Path(os.environ.get("ZOO_DATA_DIR", "~/zoo_data")).expanduser() / name


def find_file(path, names: Sequence[str], *, dataset: str, source: str) -> Path:
    """Resolves `path` (a file, a folder holding one of `names`, or None for `data_dir(dataset)`).

    Raises `FileNotFoundError` naming every place looked at, where to get the file (`source`) and
    where to put it.
    """
    folder = data_dir(dataset) if path is None else Path(path).expanduser()
    candidates = [folder / n for n in names] if path is None or folder.is_dir() else [folder]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{dataset} file not found: looked for {' or '.join(map(str, candidates))}. Get {' or '.join(names)} "
        f"from {source} and pass path=<the file or its folder> (or put it in {data_dir(dataset)}, the default "
        "folder; $ZOO_DATA_DIR moves it).")


def verify_dataset_file(path, *, sha256: str | None, size: int | None, dataset: str, source: str) -> None:
    """`zoo.files.verify_file` with a dataset's label and fix: the size (from the file system: a file
    of the wrong size is not read) and then the sha256, each skipped when None; raises `DatasetFileError`."""
    verify_file(path, size=size, sha256=sha256, label=f"{dataset} file", error=DatasetFileError, hash_wrong_size=False,
                fix=f"Download it again from {source}, or pass sha256= (and size=) for a copy you trust "
                    "(verify=False skips the check).")


class RowFile:
    """Rows of a raw C-order array stored at `offset` in a file, read on demand with `os.pread`.

    Row r occupies `prod(row_shape) * itemsize` bytes starting at `offset + r * row_stride`; a
    stride larger than the row skips data between rows (NORB stores two camera images per row,
    and only the first is read). Reads are thread-safe (pread has no shared file position).

    Args:
      path: the file.
      offset: byte offset of row 0.
      num_rows: rows in the array.
      row_shape: shape of one row, e.g. `(64, 64, 3)`.
      dtype: element type.
      row_stride: bytes from one row to the next (default: the row's own size).
    """

    def __init__(self, path, offset: int, num_rows: int, row_shape: Sequence[int], dtype=np.uint8,
                 row_stride: int | None = None):
        self.path = Path(path)
        self.offset, self.num_rows = int(offset), int(num_rows)
        self.row_shape = tuple(int(d) for d in row_shape)
        self.dtype = np.dtype(dtype)
        self.row_bytes = int(np.prod(self.row_shape, dtype=np.int64)) * self.dtype.itemsize
        self.row_stride = self.row_bytes if row_stride is None else int(row_stride)
        needed = self.offset + (self.num_rows - 1) * self.row_stride + self.row_bytes if self.num_rows else 0
        found = self.path.stat().st_size
        if found < needed:
            raise DatasetFileError(
                f"{self.path} is truncated: its {self.num_rows:,} rows of {self.row_shape} {self.dtype} need "
                f"{needed:,} bytes, the file has {found:,}. Download it again.")
        self._fd = os.open(self.path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.num_rows

    def read(self, rows) -> np.ndarray:
        """Rows `[n]` (any order, repeats allowed) -> array `[n, *row_shape]`."""
        rows = np.asarray(rows, np.int64).reshape(-1)
        if rows.size and (rows.min() < 0 or rows.max() >= self.num_rows):
            raise IndexError(f"{self.path}: rows must lie in [0, {self.num_rows - 1}].")
        unique, inverse = np.unique(rows, return_inverse=True)
        buf = bytearray(len(unique) * self.row_bytes)
        view = memoryview(buf)
        contiguous = self.row_stride == self.row_bytes
        i = 0
        while i < len(unique):
            # Consecutive rows of a contiguous array are read in one call.
            j = i + 1
            if contiguous:
                while j < len(unique) and unique[j] == unique[j - 1] + 1:
                    j += 1
            want = (j - i) * self.row_bytes
            got = os.preadv(self._fd, [view[i * self.row_bytes:j * self.row_bytes]],
                            self.offset + int(unique[i]) * self.row_stride)
            if got != want:
                raise DatasetFileError(f"{self.path}: rows {unique[i]}..{unique[j - 1]} are cut short (the file "
                                       "shrank after it was opened?).")
            i = j
        out = np.frombuffer(buf, self.dtype).reshape((len(unique),) + self.row_shape)
        return out[inverse]

    def close(self):
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self):
        self.close()


def _npy_header(f):
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(f)
    raise ValueError(f"npy format version {version} is not supported (1.0 and 2.0 are)")


def _allowed(num_rows) -> tuple | None:
    if num_rows is None:
        return None
    return (int(num_rows),) if isinstance(num_rows, (int, np.integer)) else tuple(int(n) for n in num_rows)


def _check_layout(where, shape, fortran, dtype, row_shape, num_rows, dtype_expected, what):
    """Checks an array header against `dtype_expected`, `row_shape` and the allowed row counts."""
    allowed = _allowed(num_rows)
    rows = "N" if allowed is None else f"{allowed[0]}" if len(allowed) == 1 else "N"
    expected = f"{what} {np.dtype(dtype_expected)} ({', '.join(map(str, (rows,) + tuple(row_shape)))})"
    if allowed is not None and len(allowed) > 1:
        expected += f" with N = {' or '.join(f'{n:,}' for n in allowed)}"
    if (len(shape) != 1 + len(row_shape) or tuple(shape[1:]) != tuple(row_shape)
            or np.dtype(dtype) != np.dtype(dtype_expected) or (allowed is not None and shape[0] not in allowed)):
        raise DatasetFileError(f"{where}: expected {expected}; found {np.dtype(dtype)} {tuple(shape)}.")
    if fortran and len(shape) > 1:
        raise DatasetFileError(f"{where}: {what} is stored in Fortran order; expected C order (np.save of a "
                               "C-contiguous array).")


def npy_rows(path, *, row_shape, dtype=np.uint8, num_rows: int | Sequence[int] | None = None,
             what: str = "images") -> RowFile:
    """The rows of a `.npy` file, checked against `row_shape`, `dtype` and (if given) `num_rows`
    (an int or the allowed ints)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            shape, fortran, found = _npy_header(f)
            offset = f.tell()
    except (ValueError, OSError, EOFError) as error:
        raise DatasetFileError(f"{path} is not a readable .npy file: {error}") from error
    _check_layout(path, shape, fortran, found, row_shape, num_rows, dtype, what)
    return RowFile(path, offset, shape[0], row_shape, dtype)


def npz_rows(path, member: str, *, row_shape, dtype=np.uint8, num_rows: int | Sequence[int] | None = None) -> RowFile:
    """The rows of array `member` inside an uncompressed `.npz` (a zip of `.npy` files), read in place.

    `np.savez` stores members uncompressed, so the array's bytes sit contiguous in the zip and can
    be read row by row. A member compressed by `np.savez_compressed` cannot: this raises, naming
    `extract_npy`, which unpacks it once into a `.npy`.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = {Path(n).stem: n for n in archive.namelist()}
            if member not in names:
                raise DatasetFileError(f"{path}: expected an array named {member!r}; the npz holds "
                                       f"{sorted(names) or 'nothing'}.")
            info = archive.getinfo(names[member])
        with open(path, "rb") as f:
            f.seek(info.header_offset)
            local = f.read(30)
            if len(local) != 30 or local[:4] != b"PK\x03\x04":
                raise DatasetFileError(f"{path}: the zip entry of {member!r} is damaged (no local header).")
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            start = info.header_offset + 30 + name_len + extra_len
            if info.compress_type != zipfile.ZIP_STORED:
                raise DatasetFileError(
                    f"{path}: {member!r} is compressed inside the npz, so it cannot be read lazily. Unpack it "
                    f"once (about {info.file_size / 1e9:.1f} GB): python -c \"from zoo.data.files import "
                    f"extract_npy; print(extract_npy('{path}', '{member}'))\", and pass path= the .npy it writes.")
            f.seek(start)
            shape, fortran, found = _npy_header(f)
            offset = f.tell()
    except DatasetFileError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, struct.error) as error:
        raise DatasetFileError(f"{path} is not a readable npz file (truncated or corrupt?): {type(error).__name__}: "
                               f"{error}. Download it again.") from error
    _check_layout(f"{path} ({member})", shape, fortran, found, row_shape, num_rows, dtype, member)
    if offset - start + int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize != info.file_size:
        raise DatasetFileError(f"{path}: the zip entry of {member!r} holds {info.file_size:,} bytes, which does not "
                               f"match its header {tuple(shape)}. Download it again.")
    return RowFile(path, offset, shape[0], row_shape, dtype)


def extract_npy(npz, member: str, out=None) -> Path:
    """Unpacks array `member` of an npz into a `.npy` (default: beside it, `<npz stem>.npy`),
    streaming (never holding the array in memory) and atomically (temp file, then rename)."""
    npz = Path(npz)
    out = npz.with_suffix(".npy") if out is None else Path(out)
    with zipfile.ZipFile(npz) as archive:
        names = {Path(n).stem: n for n in archive.namelist()}
        if member not in names:
            raise DatasetFileError(f"{npz}: no array named {member!r}; the npz holds {sorted(names)}.")
        with archive.open(names[member]) as src, atomic_file(out) as dst:
            shutil.copyfileobj(src, dst, 16 << 20)
    return out


def prepared_builder(name: str, data_dir=None, *, how: str = ""):
    """The tensorflow_datasets builder of `name`, prepared in `data_dir`; never downloads.

    Raises `FileNotFoundError` at once when the dataset is not prepared there (without network
    access tensorflow_datasets would retry a download for minutes), saying how to prepare it.
    """
    import tensorflow_datasets as tfds

    folder = Path(data_dir or tfds.core.constants.DATA_DIR).expanduser()
    try:
        builder = tfds.builder(name, data_dir=str(folder))
    except Exception as error:  # tfds raises several types for unknown names and unreadable folders
        raise FileNotFoundError(f"tensorflow_datasets has no dataset {name!r} in {folder} and no builder of that "
                                f"name ({type(error).__name__}: {error}).") from error
    if not builder.is_prepared():
        raise FileNotFoundError(
            f"tensorflow_datasets' {name!r} is not prepared in {folder} (nothing is downloaded here). Prepare it "
            f"where there is network access (`tfds build {name} --data_dir={folder}`, or tfds.load once) and copy "
            f"the folder over{how}.")
    return builder
