"""Ground truth stored as one image per factor combination, looked up by the combination's index.

3D Shapes, MPI3D, SmallNORB and Cars3D are not rendered: their files hold one image for every
combination of factor classes, and an observation is the stored image at `index_of(factors)`
(disentanglement_lib: `self.images[indices]`). `LookupData` is that dataset, over any row
reader (a lazy `files.RowFile`, an h5py dataset, an array in memory).
"""

from __future__ import annotations

import numpy as np

from zoo.data.base import GroundTruthData, as_generator, check_count
from zoo.data.files import DatasetFileError


class MemoryRows:
    """An in-memory array with the row-reader interface (`read(rows)`, `len`)."""

    def __init__(self, array: np.ndarray):
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def read(self, rows) -> np.ndarray:
        return self.array[np.asarray(rows, np.int64)]


class ImageLookup:
    """Maps flat factor indices to rows of a reader.

    Args:
      reader: `read(rows) -> uint8 [n, ...]` and `len(reader)`.
      total: size of the factor grid.
      index: the flat index each reader row holds (`[len(reader)]`, distinct), or None when row r
        holds index r (a file in the grid's own order).
      origin: where the images came from, for messages.

    A reader holding only part of the grid (a tensorflow_datasets split slice such as
    `train[:10%]`) is allowed: `present` lists the indices it has, `complete` is False, and
    asking for an index it lacks raises.
    """

    def __init__(self, reader, total: int, index=None, origin: str = ""):
        self.reader, self.total, self.origin = reader, int(total), origin
        if index is None:
            if len(reader) != self.total:
                raise DatasetFileError(f"{origin}: holds {len(reader):,} rows; the grid has {self.total:,}.")
            self._row = None
            self.present = None
        else:
            index = np.asarray(index, np.int64)
            if np.any((index < 0) | (index >= self.total)):
                raise DatasetFileError(f"{origin}: factor indices must lie in [0, {self.total - 1}].")
            if len(np.unique(index)) != len(index):
                twice = int(index[np.argmax(np.bincount(index, minlength=self.total)[index] > 1)])
                raise DatasetFileError(f"{origin}: holds a factor combination twice (flat index {twice}); each must "
                                       "appear once.")
            self._row = np.full(self.total, -1, np.int64)
            self._row[index] = np.arange(len(index))
            self.present = np.sort(index)

    @property
    def complete(self) -> bool:
        return self.present is None or len(self.present) == self.total

    def read(self, index) -> np.ndarray:
        index = np.asarray(index, np.int64).reshape(-1)
        if self._row is None:
            return self.reader.read(index)
        rows = self._row[index]
        if np.any(rows < 0):
            missing = int(index[np.argmax(rows < 0)])
            raise ValueError(f"factor combination {missing} is not in {self.origin}, which holds "
                             f"{len(self.present):,} of the {self.total:,}.")
        return self.reader.read(rows)


class LookupData(GroundTruthData):
    """A ground-truth dataset whose observation for `factors` is the stored image at
    `index_of(factors)`, as uint8 scaled to float32 in [0, 1] (disentanglement_lib divides by 255).

    Subclasses set the factor attributes and `self._lookup` (an `ImageLookup`).
    """

    _lookup: ImageLookup
    deterministic_observations = True  # a stored image per factor combination; the rng is not used

    def sample_factors(self, n: int, rng=None) -> np.ndarray:
        """Uniform over the grid; over the combinations present when only part of it was loaded."""
        if self._lookup.complete:
            return super().sample_factors(n, rng)
        rng = as_generator(rng)
        return self.factors_of(rng.choice(self._lookup.present, size=check_count(n, "n")))

    def stored_images(self, factors) -> np.ndarray:
        """The stored uint8 images `[n, H, W, C]` for factor classes `[n, K]`."""
        return self._lookup.read(self.index_of(factors)).reshape((-1,) + tuple(self.observation_shape))

    def sample_observations_from_factors(self, factors, rng=None) -> np.ndarray:
        return self.stored_images(factors).astype(np.float32) / 255.0
