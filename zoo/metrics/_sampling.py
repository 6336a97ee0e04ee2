"""Encoding helpers for the metrics that take a dataset and a representation function."""

from __future__ import annotations

import numpy as np

# Images per call of the representation function: large enough to amortise a network's call
# overhead, small enough that a chunk of 64x64 images stays in the tens of megabytes.
IMAGES_PER_CALL = 2048


def encode(representation_fn, observations, num_codes: int | None = None) -> np.ndarray:
    """Calls `representation_fn(observations)` and checks it returns finite `[n, D]` codes.

    Floating codes keep their dtype (the reference's histogram edges are computed in it); other
    numbers become float64.
    """
    codes = np.asarray(representation_fn(observations))
    n = len(observations)
    if codes.ndim != 2 or codes.shape[0] != n:
        raise ValueError(f"representation_fn must map {n} observations to an array of shape ({n}, D); "
                         f"got shape {codes.shape}.")
    if num_codes is not None and codes.shape[1] != num_codes:
        raise ValueError(f"representation_fn returned {codes.shape[1]} dimensions, earlier {num_codes}.")
    if not (np.issubdtype(codes.dtype, np.number) or codes.dtype == np.bool_):
        raise ValueError(f"representation_fn must return numbers; got dtype {codes.dtype}.")
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


def encode_factors(data, representation_fn, factors: np.ndarray, rng) -> np.ndarray:
    """Renders `factors [n, K]` and encodes them, `IMAGES_PER_CALL` images at a time -> `[n, D]`."""
    parts, num_codes = [], None
    for start in range(0, len(factors), IMAGES_PER_CALL):
        chunk = factors[start:start + IMAGES_PER_CALL]
        codes = encode(representation_fn, data.sample_observations_from_factors(chunk, rng), num_codes)
        num_codes = codes.shape[1]
        parts.append(codes)
    return np.concatenate(parts, axis=0)
