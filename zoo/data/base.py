"""The data interface: images to train on, and (for ground truth) the factors that made them.

Two layers:

- `ObservationData`: what training needs. `observation_shape`, `sample_observations(n, rng)`,
  `sample(n, rng)` and the streaming `as_tf_dataset(batch_size, seed=, start_batch=)`. Your own
  images (a folder, a numpy array, a tensorflow_datasets set) are this and nothing more: they
  have no factors, `num_factors == 0`, and `sample` returns factors of shape `(n, 0)` beside the
  images, so code that unpacks `factors, images = data.sample(n)` (the KL trace, pictures) works
  on both layers alike.
- `GroundTruthData(ObservationData)`: a world simulator Sim(v, w) with known generative factors.
  A grid of factors v (class indices, one column per factor) and a renderer or lookup that maps
  v (plus nuisance randomness w drawn from the caller's rng) to images. The interface follows
  disentanglement_lib's `GroundTruthData` (Locatello et al. 2019). Every supervised metric needs
  this layer and refuses a factor-less dataset at once (`zoo.metrics` names the unsupervised
  scores, which need only codes).

Arrays are laid out as `factors (N, K)` and images `(N, H, W, C)` float32 in [0, 1].
"""

from __future__ import annotations

import abc
import atexit
import contextlib
import threading
import time
from typing import Sequence

import numpy as np


def check_count(value, name: str, *, minimum: int = 0) -> int:
    """`value` as an int >= `minimum`; anything else (a bool, a fraction, a string) raises naming `name`.

    Used for every size, seed and position the datasets take, so a bad one fails here with its
    name instead of deep inside numpy or tf.data (a zero batch size crashed tf.data outright).
    """
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise ValueError(f"{name} must be {what}; got {value!r} of type {type(value).__name__}.")
    if not float(value).is_integer() or value < minimum:
        raise ValueError(f"{name} must be {what}; got {value!r}.")
    return int(value)


def as_generator(rng) -> np.random.Generator:
    """Returns a `np.random.Generator` from a seed (an int >= 0), a Generator, or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.RandomState):
        return np.random.default_rng(rng.randint(2**31))
    if rng is None or isinstance(rng, (np.random.SeedSequence, np.random.BitGenerator)):
        return np.random.default_rng(rng)
    if isinstance(rng, (list, tuple, np.ndarray)):
        return np.random.default_rng([check_count(r, "rng (each entry of a seed sequence)") for r in rng])
    return np.random.default_rng(check_count(rng, "rng (a seed)"))


class ObservationData(abc.ABC):
    """Images to train on, without ground-truth factors.

    Subclasses set `name` and `observation_shape` and implement `sample_observations`.

    Attributes:
      name: registry name, e.g. "images".
      observation_shape: `(H, W, C)` of one image.
      factor_names, factor_sizes, factor_values: empty (no factors); `GroundTruthData` fills them.
    """

    name: str = ""
    factor_names: tuple[str, ...] = ()
    factor_sizes: tuple[int, ...] = ()
    factor_values: tuple[np.ndarray, ...] = ()
    observation_shape: tuple[int, int, int] = (0, 0, 0)

    @property
    def num_factors(self) -> int:
        return len(self.factor_sizes)

    @abc.abstractmethod
    def sample_observations(self, n: int, rng=None) -> np.ndarray:
        """Draws `n` images: float32 `(n, H, W, C)` in [0, 1]."""

    def sample(self, n: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """Returns `(factors (n, 0), observations (n, H, W, C))`: no factors, but the same pair as
        `GroundTruthData.sample`, so callers need not tell the two apart."""
        n = check_count(n, "n")
        return np.zeros((n, 0), np.int64), self.sample_observations(n, rng)

    def as_tf_dataset(self, batch_size: int = 64, seed: int = 0, *, with_factors: bool = False,
                      batches_per_call: int = 4, start_batch: int = 0):
        """A streaming, shuffled, batched, prefetched `tf.data.Dataset` of images.

        Images are drawn on the fly with `sample` (uniformly, with replacement: the standard way
        disentanglement models are trained, Locatello et al. 2019), so the dataset is never held
        in memory. The stream is infinite and deterministic given `seed`.

        Args:
          batch_size: images per batch, >= 1.
          seed: seeds the factor and nuisance randomness, an int >= 0.
          with_factors: yield `(images, factors)` instead of `images` (ground truth only).
          batches_per_call: batches rendered per numpy call (amortises Python overhead), >= 1.
          start_batch: position in the stream to start from, >= 0 (a resumed run passes the number of
            batches it has consumed, and continues with exactly the batches it would have seen).

        Raises:
          ValueError: a size, seed or position that is not an integer in its range (checked here,
            before tf.data sees it: a batch size of 0 used to crash the interpreter).
        """
        batch_size = check_count(batch_size, "batch_size", minimum=1)
        seed = check_count(seed, "seed")
        batches = check_count(batches_per_call, "batches_per_call", minimum=1)
        start_batch = check_count(start_batch, "start_batch")
        if not isinstance(with_factors, (bool, np.bool_)):
            raise ValueError(f"with_factors must be True or False; got {with_factors!r}.")
        if with_factors and self.num_factors == 0:
            raise ValueError(f"{self.name or type(self).__name__} has no ground-truth factors; "
                             "as_tf_dataset(with_factors=True) needs a GroundTruthData.")
        h, w, c = self.observation_shape
        k = self.num_factors

        def sample_chunk(call_index, rows):
            factors, images = self.sample(rows, np.random.default_rng([seed, int(call_index)]))
            images = images.astype(np.float32, copy=False)
            # (factors are left out unless asked for: unbatching a zero-width tensor crashes TF 2.20)
            return (images, factors.astype(np.int64, copy=False)) if with_factors else (images,)

        specs = [(np.float32, (h, w, c))] + ([(np.int64, (k,))] if with_factors else [])
        return stream_batches(sample_chunk, specs, batch_size=batch_size, batches_per_call=batches,
                              start_batch=start_batch)


def stream_batches(sample_chunk, specs, *, batch_size: int, batches_per_call: int, start_batch: int):
    """An infinite, deterministic `tf.data.Dataset` of batches cut from numpy chunks.

    The machinery behind `ObservationData.as_tf_dataset` and `zoo.data.pairs.as_pair_dataset`:
    call `i` of `sample_chunk(i, rows)` returns numpy arrays of `rows = batch_size *
    batches_per_call` rows each (seeded by `i` alone, so a stream started at `start_batch` sees
    exactly the batches an uninterrupted one would), which are cut into `batches_per_call`
    batches.

    Args:
      sample_chunk: `fn(call_index, rows) -> tuple of arrays`, one per entry of `specs`.
      specs: `[(numpy dtype, shape of one row), ...]`.
      batch_size, batches_per_call, start_batch: checked by the caller.

    Returns:
      a dataset of tensors (one spec) or tuples of tensors, `[batch_size, *shape]` each.
    """
    import tensorflow as tf

    _StreamExitGuard.install()
    rows = batch_size * batches_per_call
    dtypes = [tf.as_dtype(dtype) for dtype, _ in specs]

    def render(call_index):
        if _StreamExitGuard.closing:
            return tuple(np.zeros((rows, *shape), dtype) for dtype, shape in specs)
        with _StreamExitGuard.call():
            return tuple(sample_chunk(int(call_index), rows))

    def tf_render(call_index):
        arrays = tf.numpy_function(render, [call_index], dtypes, stateful=False)
        # Whole batches are cut here, so unbatch below moves batches, not single rows.
        batched = tuple(tf.reshape(a, (batches_per_call, batch_size, *shape)) for a, (_, shape) in zip(arrays, specs))
        return batched if len(batched) > 1 else batched[0]

    # Two renders in flight (one per core on the target machines) and bounded buffers: with
    # AUTOTUNE the buffers keep growing, and the exit guard needs the producers to go idle.
    first_call, skip = divmod(start_batch, batches_per_call)
    ds = tf.data.Dataset.counter(start=first_call).map(tf_render, num_parallel_calls=2, deterministic=True)
    return ds.unbatch().skip(skip).prefetch(2)


class GroundTruthData(ObservationData):
    """A dataset whose every image is rendered from known factor classes.

    Subclasses set `name`, `factor_names`, `factor_sizes`, `factor_values`, `observation_shape`
    and implement `sample_observations_from_factors`.

    Attributes:
      name: registry name, e.g. "dsprites".
      factor_names: one name per factor, in column order of `factors`.
      factor_sizes: number of classes of each factor.
      factor_values: per factor, the array of values its classes stand for (the value grid).
      observation_shape: `(H, W, C)` of one image.
      deterministic_observations: True when `sample_observations_from_factors` is a function of
        the factors alone and draws nothing from the rng it is given, so that equal factors give
        equal images. The intervention metrics then draw all their factors first and encode each
        distinct observation once (`zoo.metrics.evaluate(..., encode_once=...)`). False (the
        safe default) when images carry nuisance randomness (noise, colour, background crops).
    """

    deterministic_observations: bool = False

    @property
    def num_observations(self) -> int:
        """Size of the full factor grid (the number of distinct factor combinations)."""
        return int(np.prod(self.factor_sizes, dtype=np.int64))

    @property
    def factor_bases(self) -> np.ndarray:
        """Row-major strides: index = factors @ factor_bases (last factor varies fastest)."""
        sizes = np.asarray(self.factor_sizes, dtype=np.int64)
        return np.concatenate([np.cumprod(sizes[::-1])[::-1][1:], [1]]).astype(np.int64)

    def check_factors(self, factors) -> np.ndarray:
        """Validates a factor-class array `(N, K)` and returns it as int64."""
        factors = np.asarray(factors)
        if factors.ndim != 2 or factors.shape[1] != self.num_factors:
            raise ValueError(
                f"{self.name}: factors must have shape (N, {self.num_factors}) with columns "
                f"{list(self.factor_names)}; got shape {factors.shape}.")
        if not np.issubdtype(factors.dtype, np.integer):
            if not np.all(np.equal(np.mod(factors, 1), 0)):
                raise ValueError(f"{self.name}: factors must be integer class indices; got {factors.dtype} "
                                 "with fractional values.")
        factors = factors.astype(np.int64)
        sizes = np.asarray(self.factor_sizes)
        bad = (factors < 0) | (factors >= sizes)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"{self.name}: factor '{self.factor_names[col]}' must lie in [0, {sizes[col] - 1}]; "
                f"row {row} has {factors[row, col]}.")
        return factors

    def index_of(self, factors) -> np.ndarray:
        """Flat index of each factor combination in the dataset's own ordering, `(N,)` int64."""
        return self.check_factors(factors) @ self.factor_bases

    def factors_of(self, index) -> np.ndarray:
        """Inverse of `index_of`: factor classes `(N, K)` of flat indices `(N,)`."""
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        if np.any((index < 0) | (index >= self.num_observations)):
            raise ValueError(f"{self.name}: index must lie in [0, {self.num_observations - 1}].")
        return np.stack([(index // b) % s for b, s in zip(self.factor_bases, self.factor_sizes)], axis=1)

    def sample_factors(self, n: int, rng=None) -> np.ndarray:
        """Draws `n` factor combinations uniformly from the grid, `(n, K)` int64."""
        n = check_count(n, "n")
        rng = as_generator(rng)
        return np.stack([rng.integers(0, s, size=n) for s in self.factor_sizes], axis=1).astype(np.int64)

    @abc.abstractmethod
    def sample_observations_from_factors(self, factors, rng=None) -> np.ndarray:
        """Renders images for factor classes `(N, K)`: float32 `(N, H, W, C)` in [0, 1]."""

    def sample(self, n: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """Returns `(factors (n, K), observations (n, H, W, C))`."""
        rng = as_generator(rng)
        factors = self.sample_factors(n, rng)
        return factors, self.sample_observations_from_factors(factors, rng)

    def sample_observations(self, n: int, rng=None) -> np.ndarray:
        return self.sample(n, rng)[1]


class _StreamExitGuard:
    """Lets Python exit while a `tf.numpy_function` stream is still filling its buffers.

    tf.data's threads call back into Python. If the interpreter starts finalising while such a
    call runs (say, a script that exits right after its last training step), the call can never
    retake the GIL and TensorFlow waits for it forever: the process hangs at exit. At exit this
    guard makes new calls return zeros at once and waits (at most a few seconds) until no call is
    in flight, so the buffers fill and the producers go idle before finalisation begins.
    """

    closing = False
    _installed = False
    _active = 0
    _last_start = 0.0
    _lock = threading.Lock()

    @classmethod
    def install(cls):
        if not cls._installed:
            cls._installed = True
            atexit.register(cls._drain)

    @classmethod
    @contextlib.contextmanager
    def call(cls):
        with cls._lock:
            cls._active += 1
            cls._last_start = time.monotonic()
        try:
            yield
        finally:
            with cls._lock:
                cls._active -= 1

    @classmethod
    def _drain(cls, timeout: float = 5.0, quiet: float = 0.2):
        cls.closing = True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with cls._lock:
                idle = cls._active == 0 and time.monotonic() - cls._last_start > quiet
            if idle:
                return
            time.sleep(0.02)


# Float images may stray outside [0, 1] by rounding (resampling, colour conversion): up to half an
# 8-bit grey level is accepted as it is.
IMAGE_TOLERANCE = 0.5 / 255

# The two ways images get silently mis-scaled, and their fixes (shared with the models' tf checks).
UINT8_MASK_MESSAGE = (
    "uint8 images whose largest value is 1 hold 0/1 masks (DeepMind's dSprites file stores its frames "
    "so), not 8-bit grey levels 0..255: divided by 255 they would be nearly black. Pass them as float "
    "(images.astype('float32'): 0/1 already lies in [0, 1]) or as 0..255 (images * 255).")
FLOAT_RANGE_MESSAGE = (
    "float images must lie in [0, 1]; pixel values 0..255 must be divided by 255 first (or passed as "
    "uint8, which is scaled).")


def image_problem(images: np.ndarray) -> str | None:
    """What is wrong with the *values* of a uint8 or float image array under the rule of `check_images`, or None."""
    if images.size == 0:
        return None
    if images.dtype == np.uint8:
        return UINT8_MASK_MESSAGE if images.max() == 1 else None
    finite = np.isfinite(images).all()
    low, high = (float(images.min()), float(images.max())) if finite else (np.nanmin(images), np.nanmax(images))
    if finite and low >= -IMAGE_TOLERANCE and high <= 1.0 + IMAGE_TOLERANCE:
        return None
    found = f"got values in [{low:.3g}, {high:.3g}]" + ("" if finite else " with NaN/inf")
    return f"{FLOAT_RANGE_MESSAGE} ({found}.)"


def check_images(images, observation_shape: Sequence[int] | None = None, *, what: str = "images") -> np.ndarray:
    """Returns images as float32 in [0, 1], by the one rule every entry point of the zoo applies.

    The rule:
      * float images must lie in [0, 1] (within `IMAGE_TOLERANCE`, half an 8-bit grey level);
        a float batch in 0..255 is refused, never rescaled by guess;
      * uint8 images are 8-bit grey levels 0..255 and are divided by 255. A uint8 batch whose
        largest value is 1 holds 0/1 masks (how DeepMind's dSprites file stores its frames), which
        dividing by 255 would turn nearly black: it is refused, with the fix (pass it as float);
      * any other dtype is refused.

    Args:
      images: array `(N, H, W, C)`.
      observation_shape: expected `(H, W, C)`, or None to accept any.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"{what} must be a 4-D array (N, H, W, C); got shape {images.shape}.")
    if observation_shape is not None and tuple(images.shape[1:]) != tuple(observation_shape):
        raise ValueError(f"{what} must have shape (N, {', '.join(map(str, observation_shape))}); "
                         f"got {images.shape}.")
    if images.dtype != np.uint8 and not np.issubdtype(images.dtype, np.floating):
        raise ValueError(f"{what} must be float in [0, 1] or uint8 in [0, 255]; got dtype {images.dtype}.")
    problem = image_problem(images)
    if problem:
        raise ValueError(f"{what}: {problem}")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return images.astype(np.float32, copy=False)
