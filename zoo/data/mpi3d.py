"""MPI3D (Gondal et al. 2019): a real robot platform and its two renderings, one image per factor combination.

Three datasets of 64x64x3 images, each an `.npz` holding one array `images`
(`rr-learning/disentanglement_dataset`, README): `mpi3d_toy` (simplistic renderings),
`mpi3d_realistic` (realistic renderings), `mpi3d_real` (camera images). The files published
today hold 1,036,800 images each, every combination of seven factors in row-major order:

    object_color 6 (white, green, red, blue, brown, olive), object_shape 6 (cone, cube, cylinder,
    hexagonal, pyramid, sphere), object_size 2, camera_height 3, background_color 3,
    horizontal_axis 40, vertical_axis 40

so `images.reshape([6, 6, 2, 3, 3, 40, 40, 64, 64, 3])` indexes them by factor, and the
observation for factors v is `images[v @ bases] / 255` (disentanglement_lib
`data/ground_truth/mpi3d.py`).

Factor sizes follow the file. disentanglement_lib's `mpi3d.py` gives `mpi3d_toy` and
`mpi3d_realistic` 4 colours and 4 shapes (460,800 images: the versions of the 2019 NeurIPS
challenge, which its code was written for) and `mpi3d_real` 6 and 6. On a 1,036,800-image file
the 4x4 sizes would look up the wrong images, so a file of 1,036,800 rows gets sizes
(6, 6, 2, 3, 3, 40, 40) and a file of 460,800 rows gets (4, 4, 2, 3, 3, 40, 40); any other count
is refused.

Checks: no size or sha256 is published for these files (neither the dataset's README nor
tensorflow_datasets, which has no MPI3D builder, gives one), so by default only the layout is
checked: an array `images` of uint8 `(1036800 or 460800, 64, 64, 3)` in C order, whose bytes
are all present. Pass `sha256=` (and `size=`) to pin a copy you trust.

Reading is lazy: the images are read from the file row by row as they are drawn
(`files.RowFile`), never loaded whole; the 12.7 GB file costs a few megabytes of memory.
"""

from __future__ import annotations

import numpy as np

from zoo.data import files
from zoo.data.lookup import ImageLookup, LookupData

SOURCE_URL = "https://github.com/rr-learning/disentanglement_dataset"
FACTOR_NAMES = ("object_color", "object_shape", "object_size", "camera_height", "background_color",
                "horizontal_axis", "vertical_axis")
SIZES_BY_ROWS = {1_036_800: (6, 6, 2, 3, 3, 40, 40), 460_800: (4, 4, 2, 3, 3, 40, 40)}
CLASS_NAMES = {  # of the 1,036,800-image files (README of rr-learning/disentanglement_dataset)
    "object_color": ("white", "green", "red", "blue", "brown", "olive"),
    "object_shape": ("cone", "cube", "cylinder", "hexagonal", "pyramid", "sphere"),
    "object_size": ("small", "large"),
    "camera_height": ("top", "center", "bottom"),
    "background_color": ("purple", "sea green", "salmon"),
}


class MPI3D(LookupData):
    """MPI3D toy: seven factors, 64x64x3 images looked up lazily in the `.npz` (see the module doc).

    Args:
      source: "file" (tensorflow_datasets has no MPI3D).
      path: the `.npz` (or a `.npy` of the images, e.g. from `files.extract_npy`), or a folder
        holding `<name>.npz`; default `$ZOO_DATA_DIR/<name>/`.
      sha256, size: expected checksum and bytes of the file (none are published, so none are
        checked by default).
      verify: check `sha256` and `size` when given (the layout is checked either way).

    Attributes:
      factor_sizes: (6, 6, 2, 3, 3, 40, 40), or (4, 4, 2, 3, 3, 40, 40) for a 460,800-image file.
    """

    name = "mpi3d_toy"
    factor_names = FACTOR_NAMES
    factor_sizes = SIZES_BY_ROWS[1_036_800]
    observation_shape = (64, 64, 3)

    def __init__(self, source: str = "file", path=None, *, sha256: str | None = None, size: int | None = None,
                 verify=True):
        if source != "file":
            raise ValueError(f"{self.name}: source must be 'file' (tensorflow_datasets has no MPI3D); got {source!r}.")
        path = files.find_file(path, [f"{self.name}.npz", f"{self.name}.npy"], dataset=self.name, source=SOURCE_URL)
        if files.as_bool(verify):
            files.verify_dataset_file(path, sha256=sha256, size=None if size is None else int(size),
                                      dataset=self.name, source=SOURCE_URL)
        allowed = tuple(SIZES_BY_ROWS)
        if path.suffix.lower() == ".npy":
            rows = files.npy_rows(path, row_shape=(64, 64, 3), num_rows=allowed)
        else:
            rows = files.npz_rows(path, "images", row_shape=(64, 64, 3), num_rows=allowed)
        self.factor_sizes = SIZES_BY_ROWS[rows.num_rows]
        self.factor_values = tuple(np.arange(s) for s in self.factor_sizes)
        self.source, self.path = source, path
        self._lookup = ImageLookup(rows, self.num_observations, origin=str(path))


class MPI3DToy(MPI3D):
    __doc__ = MPI3D.__doc__
    name = "mpi3d_toy"


class MPI3DRealistic(MPI3D):
    __doc__ = MPI3D.__doc__.replace("MPI3D toy", "MPI3D realistic")
    name = "mpi3d_realistic"


class MPI3DReal(MPI3D):
    __doc__ = MPI3D.__doc__.replace("MPI3D toy", "MPI3D real (camera images)")
    name = "mpi3d_real"

