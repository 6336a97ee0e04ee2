"""Reading DeepMind's real dSprites files (npz, hdf5, or through tensorflow_datasets).

The frames are kept as packed bits keyed by their dSprites index (737,280 frames take 377 MB
packed, against 3 GB as uint8 and 12 GB as float32), and unpacked only for the frames asked for.

What is checked, and against what:

- hdf5 (`dsprites_ndarray_co1sh3sc6or40x32y32_64x64.hdf5`, the file tensorflow_datasets
  downloads): size 28,024,106 bytes and the sha256 that tensorflow_datasets 4.9.10 registers for
  it (`datasets/dsprites/checksums.tsv`).
- npz (`dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz`, the file disentanglement_lib reads): no
  official checksum is published, so by default only its layout is checked. Pass `sha256=` (and
  `size=`) to pin the copy you trust.
- Always, whatever the format: the arrays `imgs` uint8 `(n, 64, 64)` with values 0/1,
  `latents_classes` `(n, 6)` inside the grid `[1, 3, 6, 40, 32, 32]` with colour 0, and
  `latents_values` `(n, 6)` equal to the value grids at those classes. A file that passes the
  checksum has n = 737,280 and every index exactly once.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from zoo.data import files
from zoo.data.files import DatasetFileError, sha256_of  # noqa: F401 (sha256_of: re-exported)

NPZ_NAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
HDF5_NAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.hdf5"
SOURCE_URL = "https://github.com/deepmind/dsprites-dataset"
HDF5_SIZE = 28_024_106
HDF5_SHA256 = "729fa22e884c9c500e1f17415d580746b4c5894fbbb780a1319bbcfa39a745bb"

NUM_IMAGES = 737_280
# DeepMind's full factor layout: color (always 0), shape, scale, orientation, posX, posY.
FILE_FACTOR_SIZES = (1, 3, 6, 40, 32, 32)
FILE_FACTOR_BASES = (737_280, 245_760, 40_960, 1_024, 32, 1)

_CHUNK_ROWS = 16_384


def default_data_dir() -> Path:
    """Where `source="file"` looks when no path is given: `$ZOO_DATA_DIR/dsprites`."""
    return Path(os.environ.get("ZOO_DATA_DIR", "~/zoo_data")).expanduser() / "dsprites"


class SpriteStore:
    """Binary 64x64 frames, packed 8 pixels a byte, looked up by dSprites index.

    Attributes:
      indices: `[m]` sorted int64 dSprites indices present (all 737,280 for the real file).
      origin: where the frames came from, for error messages.
    """

    def __init__(self, indices: np.ndarray, packed: np.ndarray, origin: str):
        indices = np.asarray(indices, np.int64)
        if np.any(indices[1:] <= indices[:-1]):  # DeepMind's files are in index order already
            order = np.argsort(indices, kind="stable")
            indices, packed = indices[order], packed[order]
            # A repeated index keeps its last frame, as a dict would.
            last = np.r_[indices[1:] != indices[:-1], True]
            indices, packed = indices[last], packed[last]
        self.indices = indices
        self._packed = packed
        self.origin = origin

    @property
    def complete(self) -> bool:
        return len(self.indices) == NUM_IMAGES

    def lookup(self, index, out=None) -> np.ndarray:
        """Frames `[n, 64, 64]` uint8 0/1 (or written into `out`) for dSprites indices `[n]`."""
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        if self.complete:
            rows = index
        else:
            rows = np.minimum(np.searchsorted(self.indices, index), max(len(self.indices) - 1, 0))
            missing = self.indices[rows] != index if len(self.indices) else np.ones(len(index), bool)
            if np.any(missing):
                raise ValueError(
                    f"dSprites index {int(index[np.argmax(missing)])} is not in {self.origin}, which holds "
                    f"{len(self.indices):,} of the {NUM_IMAGES:,} frames.")
        frames = np.unpackbits(self._packed[rows], axis=-1)
        if out is None:
            return frames
        out.reshape(frames.shape)[...] = frames
        return out


def _expected_checks(path: Path, sha256, size):
    """The official size and sha256 for this format when the caller gives neither."""
    if sha256 is None and size is None and path.suffix.lower() in (".hdf5", ".h5"):
        return HDF5_SHA256, HDF5_SIZE
    return sha256, size


def _verify(path, *, sha256: str | None = None, size: int | None = None) -> None:
    """Checks a file's size and sha256; raises `DatasetFileError` naming expected and found values.

    Args:
      path: the file.
      sha256: expected hex digest; None means the official one for an hdf5 file and no check for
        an npz (whose official checksum is not published).
      size: expected bytes; defaults like `sha256`.
    """
    path = Path(path)
    sha256, size = _expected_checks(path, sha256, size)
    files.verify_dataset_file(path, sha256=sha256, size=size, dataset="dSprites", source=SOURCE_URL)


def find_file(path=None) -> Path:
    """Resolves `path` (a file, a folder holding DeepMind's file, or None for the default folder)."""
    candidates = []
    if path is None or Path(path).expanduser().is_dir():
        folder = default_data_dir() if path is None else Path(path).expanduser()
        candidates = [folder / NPZ_NAME, folder / HDF5_NAME]
    else:
        candidates = [Path(path).expanduser()]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    where = " or ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"dSprites file not found: looked for {where}. Download {NPZ_NAME} or {HDF5_NAME} from "
        f"{SOURCE_URL} and put it there (or pass path=..., or set ZOO_DATA_DIR; the default folder "
        f"is {default_data_dir()}). Without the file, use the rendered source (the default).")


def read_file(path=None, *, sha256: str | None = None, size: int | None = None,
              verify: bool = True) -> SpriteStore:
    """Reads DeepMind's dSprites npz or hdf5 into a `SpriteStore`.

    Args:
      path: the file, a folder holding it, or None for `default_data_dir()`.
      sha256, size: expected checksum and byte size (see `_verify` for the defaults).
      verify: check size and sha256 (the layout is checked either way).
    """
    path = find_file(path)
    if verify:
        _verify(path, sha256=sha256, size=size)
    if path.suffix.lower() == ".npz":
        return _read_npz(path)
    if path.suffix.lower() in (".hdf5", ".h5"):
        return _read_hdf5(path)
    raise DatasetFileError(f"{path}: expected a .npz or .hdf5 file (DeepMind's {NPZ_NAME} or {HDF5_NAME}).")


def _unreadable(path: Path, fmt: str, error: Exception) -> DatasetFileError:
    return DatasetFileError(
        f"{path} is not a readable dSprites {fmt} file (truncated or corrupt?): expected DeepMind's layout "
        f"with imgs uint8 (737280, 64, 64), latents_classes and latents_values (737280, 6); found "
        f"{type(error).__name__}: {error}")


def _read_npz(path: Path) -> SpriteStore:
    try:
        with zipfile.ZipFile(path) as archive:
            members = {Path(n).stem: n for n in archive.namelist()}
            missing = [k for k in ("imgs", "latents_classes", "latents_values") if k not in members]
            if missing:
                raise DatasetFileError(
                    f"{path}: expected arrays imgs, latents_classes, latents_values (DeepMind's npz "
                    f"layout); found {sorted(members)}, missing {missing}.")
            classes = _read_npy(archive, members["latents_classes"])
            values = _read_npy(archive, members["latents_values"])
            _check_latents(path, classes, values)
            with archive.open(members["imgs"]) as f:
                shape, fortran, dtype = _npy_header(f)
                _check_imgs_header(path, shape, dtype, len(classes))
                if fortran:
                    raise DatasetFileError(f"{path}: imgs is stored in Fortran order; expected C order.")
                packed = _pack_chunks(path, (_read_rows(f, shape, start, min(start + _CHUNK_ROWS, shape[0]))
                                             for start in range(0, shape[0], _CHUNK_ROWS)), shape[0])
    except DatasetFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        raise _unreadable(path, "npz", error) from error
    return SpriteStore(_file_index(classes), packed, str(path))


def _npy_header(f):
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    return np.lib.format.read_array_header_2_0(f)


def _read_npy(archive, member):
    with archive.open(member) as f:
        shape, fortran, dtype = _npy_header(f)
        if dtype.hasobject:
            raise DatasetFileError(f"{member}: expected a numeric array; found dtype {dtype}.")
        data = f.read()
    count = int(np.prod(shape))
    if len(data) != count * dtype.itemsize:
        raise EOFError(f"{member}: expected {count * dtype.itemsize:,} bytes of data, found {len(data):,}")
    return np.frombuffer(data, dtype).reshape(shape, order="F" if fortran else "C")


def _read_rows(f, shape, start, stop):
    row_bytes = int(np.prod(shape[1:]))
    data = f.read((stop - start) * row_bytes)
    if len(data) != (stop - start) * row_bytes:
        raise EOFError(f"imgs: rows {start}..{stop} are cut short ({len(data):,} bytes)")
    return np.frombuffer(data, np.uint8).reshape((stop - start,) + tuple(shape[1:]))


def _read_hdf5(path: Path) -> SpriteStore:
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            def get(*names):
                for name in names:
                    if name in h5:
                        return h5[name]
                raise DatasetFileError(
                    f"{path}: expected dataset {' or '.join(names)} (DeepMind's hdf5 layout: imgs, "
                    f"latents/classes, latents/values); found {sorted(_h5_names(h5))}.")
            imgs = get("imgs")
            classes = np.asarray(get("latents/classes", "latents_classes")[()])
            values = np.asarray(get("latents/values", "latents_values")[()])
            _check_latents(path, classes, values)
            _check_imgs_header(path, imgs.shape, imgs.dtype, len(classes))
            n = imgs.shape[0]
            packed = _pack_chunks(path, (imgs[start:min(start + _CHUNK_ROWS, n)]
                                         for start in range(0, n, _CHUNK_ROWS)), n)
    except DatasetFileError:
        raise
    except (OSError, KeyError, ValueError) as error:
        raise _unreadable(path, "hdf5", error) from error
    return SpriteStore(_file_index(classes), packed, str(path))


def _h5_names(h5):
    names = []
    h5.visit(names.append)
    return names


def _check_imgs_header(path, shape, dtype, n):
    if len(shape) != 3 or tuple(shape[1:]) != (64, 64) or shape[0] != n or np.dtype(dtype) != np.uint8:
        raise DatasetFileError(
            f"{path}: expected imgs uint8 ({n}, 64, 64) to match latents_classes; found {np.dtype(dtype)} "
            f"{tuple(shape)}.")


def _check_latents(path, classes, values):
    if classes.ndim != 2 or classes.shape[1] != 6 or not np.issubdtype(classes.dtype, np.integer):
        raise DatasetFileError(f"{path}: expected latents_classes integer (n, 6) over color, shape, scale, "
                               f"orientation, posX, posY; found {classes.dtype} {classes.shape}.")
    if values.shape != classes.shape:
        raise DatasetFileError(f"{path}: expected latents_values of shape {classes.shape}; found {values.shape}.")
    sizes = np.asarray(FILE_FACTOR_SIZES)
    bad = (classes < 0) | (classes >= sizes)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DatasetFileError(f"{path}: latents_classes column {col} must lie in [0, {sizes[col] - 1}] "
                               f"(grid {list(FILE_FACTOR_SIZES)}); row {row} has {classes[row, col]}.")
    grids = file_value_grids()
    for col in range(2, 6):
        expected = grids[col][classes[:, col]]
        err = np.abs(values[:, col] - expected)
        if err.size and err.max() > 1e-4:
            row = int(np.argmax(err))
            raise DatasetFileError(
                f"{path}: latents_values column {col} should be the value grid at latents_classes; row {row} "
                f"expected {expected[row]:.6g}, found {values[row, col]:.6g}.")


def file_value_grids():
    """Value grids of DeepMind's six latent columns (colour and shape hold class numbers)."""
    return (np.ones(1), np.arange(1.0, 4.0), np.linspace(0.5, 1.0, 6), np.linspace(0.0, 2 * np.pi, 40),
            np.linspace(0.0, 1.0, 32), np.linspace(0.0, 1.0, 32))


def _file_index(classes) -> np.ndarray:
    return (np.asarray(classes, np.int64) @ np.asarray(FILE_FACTOR_BASES, np.int64)).astype(np.int64)


def _pack_chunks(path, chunks, n) -> np.ndarray:
    packed = np.empty((n, 64, 8), np.uint8)
    start = 0
    for chunk in chunks:
        chunk = np.asarray(chunk)
        if chunk.size and chunk.max() > 1:
            raise DatasetFileError(f"{path}: expected binary imgs (0/1); found values up to {chunk.max()} "
                                   f"in rows {start}..{start + len(chunk) - 1}.")
        packed[start:start + len(chunk)] = np.packbits(chunk, axis=-1)
        start += len(chunk)
    return packed


def read_tfds(data_dir=None, *, sha256: str | None = None, size: int | None = None,
              verify: bool = True, split: str = "train") -> SpriteStore:
    """Reads dSprites through tensorflow_datasets' `dsprites` builder, never downloading.

    If the dataset is not prepared in `data_dir`, DeepMind's hdf5 must sit in the manual folder
    `<data_dir>/downloads/manual/`; it is checked (size and sha256, as in `_verify`) and
    tensorflow_datasets prepares the dataset from it. Otherwise this raises `FileNotFoundError`
    at once: without network access tensorflow_datasets would retry the download for minutes.

    Args:
      data_dir: tensorflow_datasets' data folder (default: its own default, `~/tensorflow_datasets`
        or `$TFDS_DATA_DIR`).
      sha256, size, verify: checks of the manual file, as in `read_file`.
      split: the split to read (dSprites has only "train").
    """
    import tensorflow_datasets as tfds

    data_dir = Path(data_dir or tfds.core.constants.DATA_DIR).expanduser()
    builder = tfds.builder("dsprites", data_dir=str(data_dir))
    if not builder.is_prepared():
        manual_dir = data_dir / "downloads" / "manual"
        manual = manual_dir / HDF5_NAME
        if not manual.is_file():
            raise FileNotFoundError(
                f"dSprites is not prepared in tensorflow_datasets' folder {data_dir}, and its manual copy "
                f"{manual} does not exist. Download {HDF5_NAME} ({HDF5_SIZE:,} bytes) from {SOURCE_URL} "
                f"and put it at {manual} (nothing is downloaded automatically), or use source='file'.")
        if verify:
            _verify(manual, sha256=sha256, size=size)
        config = tfds.download.DownloadConfig(manual_dir=str(manual_dir), try_download_gcs=False)
        builder.download_and_prepare(download_dir=str(data_dir / "downloads"), download_config=config)
    dataset = builder.as_dataset(split=split, shuffle_files=False, batch_size=4096)
    indices, packed = [], []
    keys = ("label_shape", "label_scale", "label_orientation", "label_x_position", "label_y_position")
    for batch in tfds.as_numpy(dataset):
        images = np.asarray(batch["image"]).reshape(-1, 64, 64)
        if images.size and images.max() > 1:
            raise DatasetFileError(f"tensorflow_datasets dsprites in {data_dir}: expected binary images (0/1); "
                                   f"found values up to {images.max()}.")
        classes = np.stack([np.zeros(len(images), np.int64)] + [np.asarray(batch[k], np.int64) for k in keys], 1)
        indices.append(_file_index(classes))
        packed.append(np.packbits(images, axis=-1))
    if not indices:
        raise DatasetFileError(f"tensorflow_datasets dsprites in {data_dir} holds no examples.")
    return SpriteStore(np.concatenate(indices), np.concatenate(packed), f"tensorflow_datasets dsprites ({data_dir})")
