"""Encoding for the metrics that take a dataset and a representation function.

A metric that samples (BetaVAE, FactorVAE, `evaluate`'s shared arrays) asks an *encoder* for the
codes of factor samples with `request(factors, rng, reduce=...)` while it draws them, and reads
`request.value` (`reduce(codes [n, D])`) once `encoder.run()` has returned. Two encoders:

* `ImmediateEncoder`: renders with the caller's rng and encodes at once, request by request.
  This is the original path, and the only correct one when images carry nuisance randomness
  (noisy, scream, colour dSprites): rendering then draws from the same rng as the factors, so
  the order of draws and renders is part of the result.
* `CodeTable`: for datasets that declare `deterministic_observations` (an image is a function of
  its factors; rendering draws nothing from the rng), requests only record the flat index of
  each factor vector (`data.index_of`). `run()` encodes every *distinct* observation once, in
  chunks of `TABLE_CHUNK` images, into a table of at most `data.num_observations` x D codes, and
  then reduces each request from it. The factor draws are the same as the immediate path's (the
  rng is not used by rendering), and a deterministic representation function gives the same code
  for the same image, so every score is the same as the immediate path's, while the
  BetaVAE score's 1.9 million encodings at the study's settings (64 pairs per point) become the
  at most 737,280 distinct dSprites images. That equality needs `representation_fn` to be a
  deterministic function of each image, whatever else is in its batch (`zoo`'s models are under
  TensorFlow's default threads; with one intra-op thread, tried 2026-12-07, a network's codes moved
  in their last bits with the batch, and a continuous score such as IRS then differed in its tenth
  digit; a sampled code is not: pass `encode_once=False` for one).

A `CodeCache` carries the codes already computed from one table to the next: the same
representation scored at several evaluation seeds (`zoo.registry.score_eval_seeds`) encodes each
distinct image once over all of them, not once per seed. At the study's sizes on dSprites, the
BetaVAE and FactorVAE draws of evaluation seed 0 touch 722,397 of the 737,280 images; seed 1's add
14,608 and seed 2's 269 (measured 2026-12-07), so further seeds cost their sampling and scoring alone.

Peak memory of the table path: the indices of all requests (int64; 2.9 million, 23 MB, for
`evaluate` at the study's settings), the code table (at most 737,280 x 10 float32, 29 MB, for
dSprites), and two chunks of images (one being encoded, one being rendered beside it).
"""

from __future__ import annotations

import numpy as np

# Images per call of the representation function on the immediate path: large enough to amortise
# a network's call overhead, small enough that a chunk of 64x64 images stays in the tens of MB.
IMAGES_PER_CALL = 2048
# Images per call when the code table is filled: 4096 64x64x1 float32 images are 64 MiB.
TABLE_CHUNK = 4096


def encode(representation_fn, observations, num_codes: int | None = None) -> np.ndarray:
    """Calls `representation_fn(observations)` and checks it returns finite `[n, D]` codes.

    Floating codes keep their dtype (the reference's histogram edges are computed in it); other
    numbers become float64.
    """
    codes = np.asarray(representation_fn(observations))
    n = len(observations)
    if codes.ndim != 2 or codes.shape[0] != n or codes.shape[1] < 1:
        raise ValueError(f"representation_fn must map {n} observations to an array of shape ({n}, D), D >= 1; "
                         f"got shape {codes.shape}.")
    if num_codes is not None and codes.shape[1] != num_codes:
        raise ValueError(f"representation_fn returned {codes.shape[1]} dimensions, earlier {num_codes}.")
    if not (np.issubdtype(codes.dtype, np.number) or codes.dtype == np.bool_):
        raise ValueError(f"representation_fn must return numbers; got dtype {codes.dtype}.")
    if np.issubdtype(codes.dtype, np.complexfloating):  # casting would drop the imaginary part
        raise ValueError(f"representation_fn must return real codes; got {codes.dtype}. Return the real and "
                         "imaginary parts as separate dimensions if both carry information.")
    if not np.all(np.isfinite(codes)):
        raise ValueError("representation_fn returned NaN/inf codes.")
    return codes if np.issubdtype(codes.dtype, np.floating) else codes.astype(np.float64)


def check_counts(**counts) -> None:
    for name, value in counts.items():
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")


def check_has_factors(data) -> None:
    """Refuses a dataset without ground-truth factors (your own images), naming what does work."""
    if hasattr(data, "sample_observations") and not getattr(data, "factor_sizes", ()):
        raise ValueError(
            f"this metric needs ground-truth factors, and dataset {getattr(data, 'name', '') or type(data).__name__!r} "
            "has none (images only). Without factors only the unsupervised scores apply: zoo.metrics.unsupervised"
            "(codes) gives gaussian_total_correlation, gaussian_wasserstein_correlation(_norm) and mutual_info_score "
            "from codes = representation_fn(data.sample_observations(n)).")


def check_data(data, min_factors: int = 2) -> None:
    check_has_factors(data)
    for attr in ("num_factors", "sample_factors", "sample_observations_from_factors"):
        if not hasattr(data, attr):
            raise TypeError(f"data must be a zoo.data.GroundTruthData (missing {attr!r}); got {type(data).__name__}.")
    if data.num_factors < min_factors:
        raise ValueError(f"data must have at least {min_factors} factors; got {data.num_factors}.")


def encode_factors(data, representation_fn, factors: np.ndarray, rng, per_call: int = IMAGES_PER_CALL) -> np.ndarray:
    """Renders `factors [n, K]` with `rng` and encodes them, `per_call` images at a time -> `[n, D]`."""
    parts, num_codes = [], None
    for start in range(0, len(factors), per_call):
        chunk = factors[start:start + per_call]
        codes = encode(representation_fn, data.sample_observations_from_factors(chunk, rng), num_codes)
        num_codes = codes.shape[1]
        parts.append(codes)
    return np.concatenate(parts, axis=0)


def make_encoder(data, representation_fn, encode_once: bool | None = None, *, progress: bool = False,
                 cache: CodeCache | None = None):
    """The encoder for `data`: a `CodeTable` when `encode_once` (default: `data.deterministic_observations`),
    reading and filling `cache` when one is given.

    Raises if `encode_once=True` is asked of a dataset whose images are random given the factors, or a
    cache is given for the immediate path (which has no table to keep).
    """
    if encode_once is not None and not isinstance(encode_once, (bool, np.bool_)):  # "false" is truthy
        raise TypeError(f"encode_once must be True, False or None; got {type(encode_once).__name__} {encode_once!r}.")
    deterministic = bool(getattr(data, "deterministic_observations", False))
    if encode_once is None:
        encode_once = deterministic
    if encode_once and not deterministic:
        raise ValueError(f"encode_once=True needs a dataset whose images are a function of the factors; "
                         f"{getattr(data, 'name', type(data).__name__)} declares deterministic_observations="
                         "False (its images carry nuisance randomness). Use encode_once=None or False.")
    if encode_once:
        return CodeTable(data, representation_fn, progress=progress, cache=cache)
    if cache is not None:
        raise ValueError("a code cache keeps the code table's codes; it needs encode_once (a dataset whose images "
                         "are a function of the factors), not encode_once=False.")
    return ImmediateEncoder(data, representation_fn)


class Request:
    """The codes of one batch of factor samples, reduced: `value` is `reduce(codes [n, D])` after `run()`."""

    __slots__ = ("reduce", "indices", "_value")
    _PENDING = object()

    def __init__(self, reduce, indices=None, value=_PENDING):
        self.reduce = reduce
        self.indices = indices
        self._value = value

    @property
    def value(self):
        if self._value is Request._PENDING:
            raise RuntimeError("The codes of this request are not computed yet: call the encoder's run() first.")
        return self._value


def _identity(codes):
    return codes


class ImmediateEncoder:
    """Renders (with the caller's rng) and encodes each request when it is made: the original path."""

    immediate = True

    def __init__(self, data, representation_fn):
        self.data = data
        self.representation_fn = representation_fn
        self.num_codes = None
        self.num_encoded = 0

    def request(self, factors, rng, *, reduce=_identity, per_call: int = IMAGES_PER_CALL) -> Request:
        codes = encode_factors(self.data, self.representation_fn, factors, rng, per_call)
        if self.num_codes is not None and codes.shape[1] != self.num_codes:
            raise ValueError(f"representation_fn returned {codes.shape[1]} dimensions, earlier {self.num_codes}.")
        self.num_codes = codes.shape[1]
        self.num_encoded += len(codes)
        return Request(reduce, value=reduce(codes))

    def run(self) -> None:
        """Nothing to do: every request was encoded when it was made."""


class CodeTable:
    """Records requests as flat indices; `run()` encodes each distinct observation once.

    Attributes (after `run()`):
      num_requested: factor vectors requested in all.
      num_encoded: distinct observations encoded (the rows of the table).
    """

    immediate = False

    def __init__(self, data, representation_fn, *, chunk: int = TABLE_CHUNK, progress: bool = False,
                 cache: CodeCache | None = None):
        self.data = data
        self.representation_fn = representation_fn
        self.chunk = int(chunk)
        self.progress = progress
        self.cache = cache
        self._requests: list[Request] = []
        self.num_requested = 0
        self.num_encoded = 0

    def request(self, factors, rng=None, *, reduce=_identity, per_call: int | None = None) -> Request:
        """Records `factors [n, K]`; `rng` and `per_call` are unused (rendering draws nothing)."""
        request = Request(reduce, indices=self.data.index_of(factors))
        self._requests.append(request)
        return request

    def run(self) -> None:
        pending = [r for r in self._requests if r.indices is not None]
        if not pending:
            return
        indices = np.concatenate([r.indices for r in pending])
        unique, inverse = np.unique(indices, return_inverse=True)
        inverse = inverse.reshape(-1)
        if self.cache is None:
            table = self._encode(unique)
            encoded = len(unique)
        else:
            table, encoded = self.cache.codes_of(unique, self._encode)
        start = 0
        for request in pending:
            stop = start + len(request.indices)
            request._value = request.reduce(table[inverse[start:stop]])
            request.indices = None
            start = stop
        self._requests = []
        self.num_requested += len(indices)
        self.num_encoded += encoded

    def _encode(self, unique: np.ndarray) -> np.ndarray:
        """Codes `[len(unique), D]` of the observations at flat indices `unique` (sorted)."""
        from concurrent.futures import ThreadPoolExecutor

        from tqdm.auto import tqdm

        # Chunks of nearly equal size, so that no call gets a lone image when others get thousands
        # (a network's kernels for a batch of one can round differently from its batched ones).
        num_chunks = -(-len(unique) // self.chunk)
        bounds = np.linspace(0, len(unique), num_chunks + 1).round().astype(np.int64)
        render_rng = np.random.default_rng(0)  # never drawn from: the dataset is deterministic

        def render(i):
            factors = self.data.factors_of(unique[bounds[i]:bounds[i + 1]])
            return self.data.sample_observations_from_factors(factors, render_rng)

        table, num_codes = None, None
        # The next chunk is rendered on a thread while this one is encoded (numpy and TensorFlow
        # both release the GIL), so the renderer's time hides behind the network's.
        with ThreadPoolExecutor(1) as pool, tqdm(total=len(unique), desc="encoding (distinct images)", unit="img",
                                                 disable=not self.progress, leave=False) as bar:
            ahead = pool.submit(render, 0)
            for i in range(num_chunks):
                images = ahead.result()
                if i + 1 < num_chunks:
                    ahead = pool.submit(render, i + 1)
                codes = encode(self.representation_fn, images, num_codes)
                del images
                if table is None:
                    num_codes = codes.shape[1]
                    table = np.empty((len(unique), num_codes), codes.dtype)
                table[bounds[i]:bounds[i + 1]] = codes
                bar.update(len(codes))
        return table


class CodeCache:
    """The codes of one representation function on one deterministic dataset, kept across code tables.

    `evaluate(..., code_cache=cache)` calls with the same function and dataset (several evaluation
    seeds, say) then encode only the images no earlier call encoded; the scores are those of calls
    without it, as the table's codes are (a code is a function of its image alone). Holds the codes of
    every image encoded so far: at most `data.num_observations` x D numbers (29 MB for dSprites and
    10 latents, float32).

    Attributes:
      num_encoded: distinct images encoded through this cache.
    """

    def __init__(self):
        self._owner = None
        self._indices = np.empty(0, np.int64)  # sorted flat indices of the images encoded so far
        self._codes = None
        self.num_encoded = 0

    def bind(self, data, representation_fn, precision: str = "float32") -> None:
        """Ties the cache to its first (dataset, function, precision); another one later is refused."""
        owner = (data, representation_fn, precision)
        if self._owner is None:
            self._owner = owner
            return
        if not (self._owner[0] is data and self._owner[1] == representation_fn and self._owner[2] == precision):
            raise ValueError("this code cache holds the codes of another representation function, dataset or "
                             "precision; use one cache per (function, dataset, precision).")

    def codes_of(self, unique: np.ndarray, encode_fn) -> tuple[np.ndarray, int]:
        """Codes `[len(unique), D]` of the images at sorted flat indices `unique`, encoding (with
        `encode_fn(indices)`) only those not yet held; returns them and how many were encoded."""
        known = self._indices
        position = np.searchsorted(known, unique)
        hit = np.zeros(len(unique), bool)
        inside = position < len(known)
        hit[inside] = known[position[inside]] == unique[inside]
        missing = unique[~hit]
        if len(missing):
            new_codes = encode_fn(missing)
            if self._codes is not None and new_codes.shape[1:] != self._codes.shape[1:]:
                raise ValueError(f"representation_fn returned {new_codes.shape[1]} dimensions, earlier "
                                 f"{self._codes.shape[1]}.")
            indices = np.concatenate([known, missing])
            codes = new_codes if self._codes is None else np.concatenate([self._codes,
                                                                          new_codes.astype(self._codes.dtype)])
            order = np.argsort(indices, kind="stable")
            self._indices, self._codes = indices[order], codes[order]
            self.num_encoded += len(missing)
        return self._codes[np.searchsorted(self._indices, unique)], len(missing)
