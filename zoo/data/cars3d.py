"""Cars3D (Reed, Zhang, Zhang & Lee 2015, "Deep Visual Analogy-Making"): 183 car models rendered from 96 poses.

The cars folder of Reed's data (http://www.scottreed.info/, `nips2015-analogy-data.tar.gz`,
`data/cars/`) holds one MATLAB file per car model, each with an array `im` of uint8
(128, 128, 3, 24, 4): height, width, RGB, 24 azimuths, 4 elevations.

As in disentanglement_lib (`data/ground_truth/cars3d.py`): factors elevation 4, azimuth 24,
object 183, in that column order; each 128x128 image is shrunk to 64x64 with Lanczos (PIL
`thumbnail`, which for a square image is `resize`) and divided by 255; the observation for
(elevation e, azimuth a, object o) is car o's image at azimuth a, elevation e, i.e.
`im[:, :, :, a, e]`.

The object number is the car file's position in the folder sorted by name. disentanglement_lib
numbers the files in the order the file system lists them (`gfile.ListDirectory`), which is not
fixed across machines; sorting makes it so.

Checks: no size or sha256 of these files is published, so each file is checked for its layout:
exactly 183 `.mat` files, each readable, with `im` uint8 (128, 128, 3, 24, 4).

All 17,568 images are read and resized once, when the dataset is built (about 215 MB as uint8),
as the reference does; the 183 files are small (4.7 MB of pixels each).
"""

from __future__ import annotations

import concurrent.futures
import os
from pathlib import Path

import numpy as np

from zoo.data import files
from zoo.data.files import DatasetFileError
from zoo.data.lookup import ImageLookup, LookupData, MemoryRows

SOURCE_URL = "http://www.scottreed.info/ (nips2015-analogy-data.tar.gz, folder data/cars)"
NUM_CARS = 183
MESH_SHAPE = (128, 128, 3, 24, 4)


class Cars3D(LookupData):
    """Cars3D: elevation 4, azimuth 24, object 183; 64x64x3.

    Args:
      source: "file" (tensorflow_datasets has no Cars3D).
      path: the folder of the 183 car `.mat` files (default `$ZOO_DATA_DIR/cars3d/`).
    """

    name = "cars3d"
    factor_names = ("elevation", "azimuth", "object")
    factor_sizes = (4, 24, NUM_CARS)
    observation_shape = (64, 64, 3)

    def __init__(self, source: str = "file", path=None):
        if source != "file":
            raise ValueError(f"{self.name}: source must be 'file' (tensorflow_datasets has no Cars3D); got {source!r}.")
        self.source = source
        self.factor_values = (np.arange(4), np.arange(24), np.arange(NUM_CARS))
        self.folder = files.data_dir(self.name) if path is None else Path(path).expanduser()
        self.files = car_files(self.folder)
        images = np.empty((self.num_observations, 64, 64, 3), np.uint8)
        # Rows of one car's 96 images: elevation e, azimuth a -> index e * 24 * 183 + a * 183 + o.
        poses = np.stack(np.meshgrid(np.arange(4), np.arange(24), indexing="ij"), -1).reshape(-1, 2)
        # zlib and PIL work without the GIL: a few threads read and resize several cars at once.
        with concurrent.futures.ThreadPoolExecutor(min(4, os.cpu_count() or 1)) as pool:
            for o, car in enumerate(pool.map(load_car, self.files)):
                index = self.index_of(np.column_stack([poses, np.full(len(poses), o)]))
                images[index] = car[poses[:, 1], poses[:, 0]]
        self._lookup = ImageLookup(MemoryRows(images), self.num_observations, origin=str(self.folder))


def car_files(folder: Path) -> list[Path]:
    """The folder's `.mat` files sorted by name; exactly `NUM_CARS` of them."""
    if not folder.is_dir():
        raise FileNotFoundError(f"cars3d folder not found: {folder}. Get the cars folder from {SOURCE_URL} and pass "
                                f"path=<that folder> (or put it at {files.data_dir('cars3d')}).")
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".mat" and p.is_file())
    if len(found) != NUM_CARS:
        raise DatasetFileError(f"{folder}: expected the {NUM_CARS} car .mat files of Reed et al.'s cars folder; found "
                               f"{len(found)}. Point path= at data/cars of {SOURCE_URL}.")
    return found


def load_car(path: Path) -> np.ndarray:
    """One car file -> uint8 `[24 azimuths, 4 elevations, 64, 64, 3]`, resized as the reference does."""
    import scipy.io
    from PIL import Image

    try:
        mesh = scipy.io.loadmat(path, variable_names=["im"]).get("im")
    except Exception as error:  # scipy raises ValueError, OSError, TypeError, ... for damaged files
        raise DatasetFileError(f"{path} is not a readable .mat file (truncated or corrupt?): {type(error).__name__}: "
                               f"{error}. Get it again from {SOURCE_URL}.") from error
    if mesh is None:
        raise DatasetFileError(f"{path}: expected an array named 'im' (uint8 {MESH_SHAPE}); the file has none.")
    if mesh.shape != MESH_SHAPE or mesh.dtype != np.uint8:
        raise DatasetFileError(f"{path}: expected im uint8 {MESH_SHAPE} (height, width, RGB, azimuth, elevation); "
                               f"found {mesh.dtype} {mesh.shape}.")
    # disentanglement_lib: einsum("abcde->deabc") puts azimuth, elevation first.
    mesh = mesh.transpose(3, 4, 0, 1, 2)
    out = np.empty((24, 4, 64, 64, 3), np.uint8)
    for a in range(24):
        for e in range(4):
            picture = Image.fromarray(np.ascontiguousarray(mesh[a, e]))
            out[a, e] = np.asarray(picture.resize((64, 64), Image.LANCZOS))
    return out
