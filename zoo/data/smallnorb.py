"""SmallNORB (LeCun, Huang & Bottou 2004): toys photographed under controlled pose and lighting.

The NYU distribution (https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/) is two chunks,
`smallnorb-5x46789x9x18x6x2x96x96-training-*.mat` and `smallnorb-5x01235x9x18x6x2x96x96-testing-*.mat`,
each three files in NORB's binary matrix format (little-endian):

    int32 magic   0x1E3D4C55 (507333717): bytes, 0x1E3D4C54 (507333716): int32
    int32 ndim
    int32 dims[max(3, ndim)]   (unused trailing dims are 1)
    the data, C order

- `-dat.mat`: bytes (24300, 2, 96, 96), a stereo pair per row;
- `-cat.mat`: int32 (24300,), the category 0..4;
- `-info.mat`: int32 (24300, 4): instance 0..9, elevation 0..8, azimuth 0, 2, ..., 34, lighting 0..5.

As in disentanglement_lib (`data/ground_truth/norb.py`): both chunks together cover every
combination of category 5 x instance 10 x elevation 9 x azimuth 18 x lighting 6 once (48,600
images; azimuth halved to 0..17); the factors are category, elevation, azimuth and lighting, and
the instance is not a factor: each observation draws it uniformly from the caller's rng. The
image is the first of the stereo pair, resized to 64x64 with Lanczos and divided by 255.

The resize reproduces the reference's: it reads the bytes as int8, which PIL takes as 32-bit
integers (mode "I", the bytes read unsigned), so Lanczos runs without the 8-bit rounding and
clipping of a greyscale ("L") image; at sharp edges it overshoots (to about -0.15 and 1.1 after
dividing by 255). The reference keeps the overshoot; here it is clipped to [0, 1], the range of
every dataset's images, and every other pixel equals the reference's.

Checks: no sha256 of the unpacked `.mat` files is published (tensorflow_datasets registers the
sha256 of the `.mat.gz` downloads only), so each file is checked against its format: magic
number, dims, a byte size equal to what its header implies (a truncated file is refused),
values in range, and full coverage of the grid. Pass `sha256s={file name: sha256}` to pin copies
you trust.

Reading is lazy: `-dat.mat` rows are read as they are drawn (`files.RowFile`, first image of
each pair only) and resized then.
"""

from __future__ import annotations

import struct

import numpy as np

from zoo.data import files
from zoo.data.base import GroundTruthData, as_generator, check_count
from zoo.data.files import DatasetFileError
from zoo.data.lookup import ImageLookup, MemoryRows

SOURCE_URL = "https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/"
CHUNKS = ("5x46789x9x18x6x2x96x96-training", "5x01235x9x18x6x2x96x96-testing")
ROWS_PER_CHUNK = 24_300
MAGIC_BYTE, MAGIC_INT = 0x1E3D4C55, 0x1E3D4C54
# The full grid in disentanglement_lib's column order: category, instance, elevation, azimuth, lighting.
ALL_SIZES = (5, 10, 9, 18, 6)
ALL_NAMES = ("category", "instance", "elevation", "azimuth", "lighting")
SOURCES = ("file", "tfds")


def file_name(chunk: str, kind: str) -> str:
    """`smallnorb-<chunk>-<kind>.mat`, kind one of dat, cat, info."""
    return f"smallnorb-{chunk}-{kind}.mat"


class SmallNORB(GroundTruthData):
    """SmallNORB: category 5, elevation 9, azimuth 18, lighting 6 (instance drawn as nuisance); 64x64x1.

    Sources:
      "file" (default): the six unpacked `.mat` files of NYU's distribution in one folder
        (`path=`, default `$ZOO_DATA_DIR/smallnorb/`), checked and read lazily.
      "tfds": tensorflow_datasets' `smallnorb`, prepared in `data_dir` (never downloaded); the
        96x96 images of `split` (default both, "train+test") are held in memory (448 MB for all).
        A slice holding part of the grid is allowed: sampling then stays on the combinations
        (and instances) present.

    Args:
      source: "file" or "tfds".
      path: for "file": the folder holding the six files.
      data_dir, split: for "tfds".
      sha256s: for "file": `{file name: sha256}` to check (none are published; see the module doc).
      verify: check `sha256s` (the format is checked either way).

    Attributes:
      factor_values: elevation in degrees (30, 35, ..., 70), azimuth in degrees (0, 20, ..., 340),
        category and lighting as class numbers.
      category_names: the five categories.
    """

    name = "smallnorb"
    deterministic_observations = False  # the instance is drawn from the rng per image
    factor_names = ("category", "elevation", "azimuth", "lighting")
    factor_sizes = (5, 9, 18, 6)
    observation_shape = (64, 64, 1)
    category_names = ("four-legged animal", "human figure", "airplane", "truck", "car")

    def __init__(self, source: str = "file", path=None, *, data_dir=None, split: str = "train+test",
                 sha256s: dict | None = None, verify=True):
        files.check_source(self.name, source, SOURCES, path=path, data_dir=data_dir)
        self.factor_values = (np.arange(5), 30.0 + 5.0 * np.arange(9), 20.0 * np.arange(18), np.arange(6))
        self.source = source
        if source == "file":
            reader, features, origin = _read_files(path, sha256s if files.as_bool(verify) else None)
        else:
            reader, features, origin = _read_tfds(data_dir, split)
        self._lookup = ImageLookup(reader, int(np.prod(ALL_SIZES)), index=_full_index(features, origin), origin=origin)
        if source == "file" and not self._lookup.complete:
            raise DatasetFileError(f"{origin}: the two chunks should cover all {self._lookup.total:,} combinations of "
                                   f"{dict(zip(ALL_NAMES, ALL_SIZES))} once; they cover {len(self._lookup.present):,}.")
        self._present = np.zeros(self._lookup.total, bool)
        self._present[self._lookup.present] = True
        # [category, elevation, azimuth, lighting, instance]: which instances each combination has.
        self._instances = np.moveaxis(self._present.reshape(ALL_SIZES), 1, -1).reshape(-1, ALL_SIZES[1])

    def sample_factors(self, n: int, rng=None) -> np.ndarray:
        """Uniform over the grid; over the combinations present when only part of it was loaded."""
        if self._lookup.complete:
            return super().sample_factors(n, rng)
        rng = as_generator(rng)
        full = rng.choice(self._lookup.present, size=check_count(n, "n"))
        return np.stack([(full // b) % s for b, s in zip(_bases(ALL_SIZES), ALL_SIZES)], 1)[:, [0, 2, 3, 4]]

    def sample_observations_from_factors(self, factors, rng=None) -> np.ndarray:
        """The first camera's image at each combination, of an instance drawn uniformly from `rng`."""
        factors = self.check_factors(factors)
        rng = as_generator(rng)
        candidates = self._instances[factors @ self.factor_bases]              # [n, 10] bool
        counts = candidates.sum(axis=1)
        if np.any(counts == 0):
            row = int(np.argmax(counts == 0))
            raise ValueError(f"{self.name}: factors {factors[row].tolist()} are not in {self._lookup.origin}.")
        # The u-th present instance, u uniform in [0, count): with all 10 present, instance = u.
        u = np.minimum((rng.random(len(factors)) * counts).astype(np.int64), counts - 1)
        instance = np.argmax(np.cumsum(candidates, axis=1) > u[:, None], axis=1)
        full = np.column_stack([factors[:, 0], instance, factors[:, 1], factors[:, 2], factors[:, 3]])
        raw = self._lookup.read(full @ _bases(ALL_SIZES))
        return (resize_like_reference(raw).astype(np.float32) / 255.0)[..., None]


def resize_like_reference(raw: np.ndarray) -> np.ndarray:
    """uint8 `[n, 96, 96]` -> uint8 `[n, 64, 64]`: Lanczos on 32-bit integers, as disentanglement_lib
    resizes its int8 arrays (PIL mode "I"), then clipped to 0..255 (see the module doc)."""
    from PIL import Image

    out = np.empty((len(raw), 64, 64), np.uint8)
    for i, image in enumerate(raw):
        resized = Image.fromarray(np.asarray(image, np.int32)).resize((64, 64), Image.LANCZOS)
        np.clip(np.asarray(resized), 0, 255, out=out[i], casting="unsafe")
    return out


def _bases(sizes) -> np.ndarray:
    sizes = np.asarray(sizes, np.int64)
    return np.concatenate([np.cumprod(sizes[::-1])[::-1][1:], [1]])


def _full_index(features: np.ndarray, origin: str) -> np.ndarray:
    """Flat index over (category, instance, elevation, azimuth, lighting), ranges checked."""
    for k, (name, size) in enumerate(zip(ALL_NAMES, ALL_SIZES)):
        column = features[:, k]
        if column.size and (column.min() < 0 or column.max() >= size):
            row = int(np.argmax((column < 0) | (column >= size)))
            raise DatasetFileError(f"{origin}: {name} must lie in [0, {size - 1}]; row {row} has {column[row]}.")
    return features.astype(np.int64) @ _bases(ALL_SIZES)


class _Chunks:
    """Two row readers, one after the other."""

    def __init__(self, parts):
        self.parts = parts
        self.starts = np.cumsum([0] + [len(p) for p in parts])

    def __len__(self) -> int:
        return int(self.starts[-1])

    def read(self, rows) -> np.ndarray:
        rows = np.asarray(rows, np.int64)
        part = np.searchsorted(self.starts, rows, side="right") - 1
        out = np.empty((len(rows),) + self.parts[0].row_shape, np.uint8)
        for p, reader in enumerate(self.parts):
            mask = part == p
            if mask.any():
                out[mask] = reader.read(rows[mask] - self.starts[p])
        return out


def read_matrix_header(path, *, magic: int, dims: tuple) -> int:
    """Checks a NORB matrix file's header and byte size against `magic` and `dims`; returns the
    data offset."""
    name = {MAGIC_BYTE: "bytes", MAGIC_INT: "int32"}[magic]
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise DatasetFileError(f"{path}: too short for a NORB matrix header ({len(head)} bytes). Download it again.")
        found_magic, ndim = struct.unpack("<ii", head)
        if found_magic != magic:
            raise DatasetFileError(f"{path}: expected NORB magic number {magic:#x} ({name} matrix); found "
                                   f"{found_magic & 0xFFFFFFFF:#x}. Is it still gzipped, or another file?")
        if not 1 <= ndim <= 8:
            raise DatasetFileError(f"{path}: NORB header gives {ndim} dimensions; expected {len(dims)}.")
        raw = f.read(4 * max(3, ndim))
        if len(raw) < 4 * max(3, ndim):
            raise DatasetFileError(f"{path}: the NORB header is cut short. Download it again.")
        found = struct.unpack(f"<{max(3, ndim)}i", raw)[:ndim]
    if tuple(found) != tuple(dims):
        raise DatasetFileError(f"{path}: expected a {name} matrix of shape {tuple(dims)}; the header gives {tuple(found)}.")
    offset = 8 + 4 * max(3, ndim)
    expected = offset + int(np.prod(dims)) * (1 if magic == MAGIC_BYTE else 4)
    size = path.stat().st_size
    if size != expected:
        what = "truncated" if size < expected else "longer than its header says"
        raise DatasetFileError(f"{path} is {what}: a {name} matrix {tuple(dims)} takes {expected:,} bytes with its "
                               f"header; the file has {size:,}. Download it again.")
    return offset


def _read_int_matrix(path, dims) -> np.ndarray:
    offset = read_matrix_header(path, magic=MAGIC_INT, dims=dims)
    return np.fromfile(path, dtype="<i4", offset=offset).reshape(dims).astype(np.int64)


def _read_files(path, sha256s):
    folder = files.data_dir("smallnorb") if path is None else path
    from pathlib import Path

    folder = Path(folder).expanduser()
    names = [file_name(c, k) for c in CHUNKS for k in ("dat", "cat", "info")]
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        gz = [n for n in missing if (folder / f"{n}.gz").is_file()]
        hint = (f" {len(gz)} of them are there gzipped: unpack them first (gunzip {folder}/smallnorb-*.mat.gz)." if gz
                else f" Get them from {SOURCE_URL} (the .mat.gz files; gunzip them) and pass path=<their folder>.")
        raise FileNotFoundError(f"smallnorb files missing in {folder}: {', '.join(missing)}.{hint}")
    unknown = sorted(set(sha256s or {}) - set(names))
    if unknown:
        raise files.DatasetFileError(f"smallnorb: sha256s names {', '.join(map(repr, unknown))}, which is not one of "
                                     f"its files ({', '.join(names)}); key each sha256 by one of those names.")
    for name, digest in (sha256s or {}).items():
        files.verify_dataset_file(folder / name, sha256=digest, size=None, dataset="smallnorb", source=SOURCE_URL)
    readers, features = [], []
    for chunk in CHUNKS:
        dat = folder / file_name(chunk, "dat")
        offset = read_matrix_header(dat, magic=MAGIC_BYTE, dims=(ROWS_PER_CHUNK, 2, 96, 96))
        # Row r's first camera image: 96*96 bytes at offset + r * (2*96*96).
        readers.append(files.RowFile(dat, offset, ROWS_PER_CHUNK, (96, 96), np.uint8, row_stride=2 * 96 * 96))
        category = _read_int_matrix(folder / file_name(chunk, "cat"), (ROWS_PER_CHUNK,))
        info = _read_int_matrix(folder / file_name(chunk, "info"), (ROWS_PER_CHUNK, 4))
        azimuth = info[:, 2]
        if np.any(azimuth % 2):
            row = int(np.argmax(azimuth % 2))
            raise DatasetFileError(f"{folder / file_name(chunk, 'info')}: azimuth must be even (0, 2, ..., 34); row "
                                   f"{row} has {azimuth[row]}.")
        features.append(np.column_stack([category, info[:, 0], info[:, 1], azimuth // 2, info[:, 3]]))
    return _Chunks(readers), np.concatenate(features), str(folder)


def _read_tfds(data_dir, split):
    import tensorflow_datasets as tfds

    builder = files.prepared_builder("smallnorb", data_dir, how=", or use source='file' with NYU's .mat files")
    origin = f"tensorflow_datasets smallnorb {split} ({builder.data_dir})"
    n = builder.info.splits[split].num_examples
    if not n:
        raise DatasetFileError(f"{origin} holds no examples.")
    images, features = np.empty((n, 96, 96), np.uint8), np.empty((n, 5), np.int64)
    keys = ("label_category", "instance", "label_elevation", "label_azimuth", "label_lighting")
    start = 0
    for batch in tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False, batch_size=4096)):
        stop = start + len(batch["image"])
        images[start:stop] = batch["image"].reshape(-1, 96, 96)
        features[start:stop] = np.stack([batch[k] for k in keys], 1)  # tfds has halved azimuth already: 0..17
        start = stop
    if start != n:
        raise DatasetFileError(f"{origin}: its metadata promises {n:,} examples; it holds {start:,}.")
    return MemoryRows(images), features, origin
