"""3D Shapes (Burgess & Kim 2018; introduced with FactorVAE, Kim & Mnih 2018): one image per factor combination.

DeepMind's `3dshapes.h5` holds `images` uint8 (480000, 64, 64, 3) and `labels` float64
(480000, 6), the factor values of each image. The images are in row-major order over six
factors, orientation varying fastest (the dataset's README):

    floor_hue 10, wall_hue 10, object_hue 10, scale 8, shape 4, orientation 15

so the observation for factor classes v is `images[v @ bases] / 255`, exactly as
disentanglement_lib's `data/ground_truth/shapes3d.py` computes it (its docstring calls the
factors floor color, wall color, object color, object size, object type and azimuth; the names
here are DeepMind's and tensorflow_datasets').

Checks, and against what:
- size 267,573,662 bytes and sha256 0a0f6ed9...5b5769be1785, the values tensorflow_datasets
  4.9.10 registers for https://storage.googleapis.com/3d-shapes/3dshapes.h5
  (`datasets/shapes3d/checksums.tsv`);
- the arrays' names, shapes and dtypes; and the labels: each column must hold exactly as many
  distinct values as its factor has classes, and the classes they give (rank among the column's
  distinct values, as tensorflow_datasets discretises them) must run through the grid in
  row-major order, so that row r holds the image of `factors_of(r)`.

Reading is lazy: images are read from the file as they are drawn (through h5py, a chunk cache of
64 MiB); only the 480,000 x 6 labels (23 MB) are read whole, to check them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.data import files
from zoo.data.files import DatasetFileError
from zoo.data.lookup import ImageLookup, LookupData, MemoryRows

FILE_NAME = "3dshapes.h5"
SOURCE_URL = "https://github.com/deepmind/3d-shapes (https://storage.googleapis.com/3d-shapes/3dshapes.h5)"
FILE_SIZE = 267_573_662
FILE_SHA256 = "0a0f6ed98baff276a50f3a081a7434d788da63cb135a98189b2a5b5769be1785"
NUM_IMAGES = 480_000
SOURCES = ("file", "tfds")


class Shapes3D(LookupData):
    """3D Shapes: floor_hue 10, wall_hue 10, object_hue 10, scale 8, shape 4, orientation 15; 64x64x3.

    Sources:
      "file" (default): DeepMind's `3dshapes.h5` (`path=`), checked and read lazily.
      "tfds": tensorflow_datasets' `shapes3d`, prepared in `data_dir` (never downloaded). Its
        images are decoded into memory once (5.9 GB for the whole set; a split slice such as
        `split="train[:10%]"` loads part of the grid, and sampling then stays on that part).

    Args:
      source: "file" or "tfds".
      path: for "file": the `.h5` or a folder holding `3dshapes.h5` (default `$ZOO_DATA_DIR/shapes3d/`).
      data_dir: for "tfds": tensorflow_datasets' data folder.
      split: for "tfds": the split to read (the set has only "train").
      sha256, size: expected checksum and bytes of the file (default: the published ones).
      verify: check size and sha256 (the layout is checked either way).

    Attributes:
      factor_values: the label values of each class, as the file (or tfds) gives them.
    """

    name = "shapes3d"
    factor_names = ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
    factor_sizes = (10, 10, 10, 8, 4, 15)
    observation_shape = (64, 64, 3)

    def __init__(self, source: str = "file", path=None, *, data_dir=None, split: str = "train",
                 sha256: str | None = None, size: int | None = None, verify=True):
        files.check_source(self.name, source, SOURCES, path=path, data_dir=data_dir)
        self.source = source
        if source == "file":
            path = files.find_file(path, [FILE_NAME], dataset=self.name, source=SOURCE_URL)
            if files.as_bool(verify):
                if sha256 is None and size is None:
                    sha256, size = FILE_SHA256, FILE_SIZE
                files.verify_dataset_file(path, sha256=sha256, size=None if size is None else int(size),
                                          dataset=self.name, source=SOURCE_URL)
            rows, labels = _open_h5(path)
            self.factor_values = _check_labels(path, labels, self.factor_sizes, self.factor_bases)
            self._lookup = ImageLookup(rows, self.num_observations, origin=str(path))
        else:
            self._lookup, self.factor_values = self._read_tfds(data_dir, split)

    def _read_tfds(self, data_dir, split):
        import tensorflow_datasets as tfds

        builder = files.prepared_builder("shapes3d", data_dir, how=", or use source='file' with 3dshapes.h5")
        origin = f"tensorflow_datasets shapes3d {split} ({builder.data_dir})"
        n = builder.info.splits[split].num_examples
        if not n:
            raise DatasetFileError(f"{origin} holds no examples.")
        # Filled in place: a list of batches concatenated at the end would hold the 5.9 GB twice.
        images = np.empty((n,) + self.observation_shape, np.uint8)
        classes, values = np.empty((n, self.num_factors), np.int64), np.empty((n, self.num_factors))
        start = 0
        for batch in tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False, batch_size=4096)):
            stop = start + len(batch["image"])
            images[start:stop] = batch["image"]
            classes[start:stop] = np.stack([batch[f"label_{k}"] for k in self.factor_names], 1)
            values[start:stop] = np.stack([batch[f"value_{k}"] for k in self.factor_names], 1)
            start = stop
        if start != n:
            raise DatasetFileError(f"{origin}: its metadata promises {n:,} examples; it holds {start:,}.")
        grids = []
        for k, size in enumerate(self.factor_sizes):
            grid = np.full(size, np.nan)
            grid[classes[:, k]] = values[:, k]  # classes missing from a partial split stay NaN
            grids.append(grid)
        lookup = ImageLookup(MemoryRows(images), self.num_observations,
                             index=self.index_of(classes), origin=origin)
        return lookup, tuple(grids)


class _H5Rows:
    """Rows of an h5py dataset, read in increasing order as h5py requires."""

    def __init__(self, h5file, dataset):
        self._file, self._dataset = h5file, dataset  # the file stays open as long as the rows are used

    def __len__(self) -> int:
        return self._dataset.shape[0]

    def read(self, rows) -> np.ndarray:
        unique, inverse = np.unique(np.asarray(rows, np.int64), return_inverse=True)
        return self._dataset[unique][inverse]


def _open_h5(path: Path):
    import h5py

    try:
        h5 = h5py.File(path, "r", rdcc_nbytes=64 << 20)
    except OSError as error:
        raise DatasetFileError(
            f"{path} is not a readable hdf5 file (truncated or corrupt?): {error}. Download it again from "
            f"{SOURCE_URL}.") from error
    missing = [k for k in ("images", "labels") if k not in h5]
    if missing:
        names = sorted(h5.keys())
        h5.close()
        raise DatasetFileError(f"{path}: expected datasets images and labels (DeepMind's 3dshapes.h5 layout); found "
                               f"{names or 'none'}, missing {missing}.")
    images, labels = h5["images"], h5["labels"]
    expected = (NUM_IMAGES, 64, 64, 3)
    found_images, found_labels = (images.dtype, images.shape), (labels.dtype, labels.shape)
    if found_images != (np.uint8, expected):
        h5.close()
        raise DatasetFileError(f"{path}: expected images uint8 {expected}; found {found_images[0]} {found_images[1]}.")
    if found_labels[1] != (NUM_IMAGES, 6) or not np.issubdtype(found_labels[0], np.floating):
        h5.close()
        raise DatasetFileError(f"{path}: expected labels float ({NUM_IMAGES}, 6), the factor values of each image; "
                               f"found {found_labels[0]} {found_labels[1]}.")
    try:
        values = np.asarray(labels[()], np.float64)
    except OSError as error:
        h5.close()
        raise DatasetFileError(f"{path}: cannot read labels (truncated or corrupt?): {error}.") from error
    return _H5Rows(h5, images), values


def _check_labels(path, labels, sizes, bases) -> tuple[np.ndarray, ...]:
    """Classes from the label values (rank among each column's distinct values); checks that row r
    holds the factors of index r. Returns each factor's values."""
    grids, classes = [], []
    for k, size in enumerate(sizes):
        grid, cls = np.unique(labels[:, k], return_inverse=True)
        if len(grid) != size:
            raise DatasetFileError(f"{path}: labels column {k} ({Shapes3D.factor_names[k]}) should hold {size} "
                                   f"distinct values; found {len(grid)}.")
        grids.append(grid)
        classes.append(cls.reshape(-1))
    index = np.stack(classes, 1) @ bases
    wrong = np.flatnonzero(index != np.arange(len(index)))
    if len(wrong):
        row = int(wrong[0])
        raise DatasetFileError(
            f"{path}: images are not in DeepMind's row-major factor order: row {row} is labelled with the factors of "
            f"image {int(index[row])} ({len(wrong):,} rows out of place).")
    return tuple(grids)
