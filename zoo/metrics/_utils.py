"""Shared pieces of the metric cores: input checks, histogram discretisation, discrete information.

All arrays are laid out as `codes (N, D)` and `factors (N, K)`, one row per data point (the
reference, disentanglement_lib, uses the transpose). The discretiser and the information
measures reproduce `disentanglement_lib.evaluation.metrics.utils` (`_histogram_discretize`,
`discrete_mutual_info`, `discrete_entropy`) number for number; see tests/test_metrics_reference.py.
"""

from __future__ import annotations

import numpy as np


def check_codes(codes, name: str = "codes", *, fit: bool = False) -> np.ndarray:
    """Returns `codes` as a finite floating 2-D array `(N, D)` (float32 stays float32).

    The dtype is kept because the histogram bin edges of the reference are computed in the
    codes' own precision; float64 is used for everything else.

    Args:
      codes: the array.
      name: the argument's name, for error messages.
      fit: the codes a score is estimated from (not a held-out test split): they must hold more
        points than dimensions, N > D. Fewer cannot estimate any of the scores: N points span at
        most N - 1 directions (a singular covariance, a classifier that separates anything), and
        a histogram of N values carries at most log N nats, so every dimension looks alike.
    """
    codes = np.asarray(codes)
    if codes.ndim != 2:
        hint = " (use codes[:, None] for a single dimension)" if codes.ndim == 1 else ""
        raise ValueError(f"{name} must be a 2-D array (N, D); got shape {codes.shape}{hint}.")
    if codes.shape[0] < 2 or codes.shape[1] < 1:
        raise ValueError(f"{name} needs at least 2 rows and 1 column; got shape {codes.shape}.")
    if fit and codes.shape[0] <= codes.shape[1]:
        raise ValueError(f"{name} holds {codes.shape[0]} points of {codes.shape[1]} dimensions; a score needs more "
                         "points than code dimensions (N > D), as fewer cannot estimate it. Score more points "
                         "(the study uses 10,000).")
    if not (np.issubdtype(codes.dtype, np.floating) or np.issubdtype(codes.dtype, np.integer)
            or codes.dtype == np.bool_):
        raise ValueError(f"{name} must be numeric; got dtype {codes.dtype}.")
    if not np.issubdtype(codes.dtype, np.floating):
        codes = codes.astype(np.float64)
    bad = ~np.isfinite(codes)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"{name} contains {int(bad.sum())} NaN/inf value(s), e.g. {codes[row, col]} "
                         f"at row {row}, column {col}.")
    return codes


def check_factors(factors, num_points: int, name: str = "factors", *, discrete: bool = True,
                  require_varying: bool = True) -> np.ndarray:
    """Returns `factors` as a 2-D array `(N, K)` with `N == num_points`.

    Args:
      factors: ground-truth factors, one column per factor.
      num_points: the number of rows the matching codes have.
      name: the argument's name, for error messages.
      discrete: factors must be integer class indices (integer dtype, or floats holding whole
        numbers); returned as int64. Otherwise returned as finite float64.
      require_varying: raise if a factor column takes a single value (no metric is defined for a
        factor that never varies: its entropy is zero and no classifier can be fit on one class).
    """
    factors = np.asarray(factors)
    if factors.ndim != 2:
        hint = " (use factors[:, None] for a single factor)" if factors.ndim == 1 else ""
        raise ValueError(f"{name} must be a 2-D array (N, K); got shape {factors.shape}{hint}.")
    if factors.shape[0] != num_points:
        raise ValueError(f"{name} has {factors.shape[0]} rows but the codes have {num_points}; "
                         "they must hold one row per data point.")
    if factors.shape[1] < 1:
        raise ValueError(f"{name} needs at least one column; got shape {factors.shape}.")
    if not (np.issubdtype(factors.dtype, np.number) or factors.dtype == np.bool_) \
            or np.issubdtype(factors.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real numbers; got dtype {factors.dtype}.")
    if np.issubdtype(factors.dtype, np.floating):
        if not np.all(np.isfinite(factors)):
            raise ValueError(f"{name} contains NaN/inf.")
        if discrete:
            if not np.all(np.mod(factors, 1) == 0):
                raise ValueError(f"{name} must be integer class indices; got {factors.dtype} with "
                                 "fractional values (pass continuous_factors=True where supported).")
            factors = factors.astype(np.int64)
    elif discrete:
        factors = factors.astype(np.int64)
    if not discrete:
        factors = factors.astype(np.float64)
    if require_varying:
        constant = np.all(factors == factors[:1], axis=0)
        if constant.any():
            col = int(np.flatnonzero(constant)[0])
            raise ValueError(f"{name} column {col} is constant (every row is {factors[0, col]}); "
                             "a factor must take at least two values to be scored.")
    return factors


def check_pair(codes_train, factors_train, codes_test, factors_test, *, discrete: bool = True):
    """Checks a train/test split: equal code width D and factor count K across the two."""
    codes_train = check_codes(codes_train, "codes_train", fit=True)
    codes_test = check_codes(codes_test, "codes_test")
    factors_train = check_factors(factors_train, len(codes_train), "factors_train", discrete=discrete)
    factors_test = check_factors(factors_test, len(codes_test), "factors_test", discrete=discrete,
                                 require_varying=False)
    if codes_train.shape[1] != codes_test.shape[1]:
        raise ValueError(f"codes_train has {codes_train.shape[1]} dimensions but codes_test has "
                         f"{codes_test.shape[1]}.")
    if factors_train.shape[1] != factors_test.shape[1]:
        raise ValueError(f"factors_train has {factors_train.shape[1]} factors but factors_test has "
                         f"{factors_test.shape[1]}.")
    return codes_train, factors_train, codes_test, factors_test


def histogram_discretize(x: np.ndarray, num_bins: int = 20) -> np.ndarray:
    """Equal-width binning of each column into `num_bins` bins, labels 1..num_bins (int64).

    Reproduces disentanglement_lib's `_histogram_discretize`: the edges are those of
    `np.histogram(column, num_bins)` (computed in the column's own dtype), and labels come from
    `np.digitize(column, edges[:-1])`, so the column minimum gets 1 and the maximum `num_bins`
    (the last bin is closed). A constant column lands in one bin.

    Args:
      x: `(N, D)` array, codes or factors.
      num_bins: number of bins per column.
    """
    if not isinstance(num_bins, (int, np.integer)) or num_bins < 1:
        raise ValueError(f"num_bins must be a positive integer; got {num_bins!r}.")
    out = np.empty(x.shape, dtype=np.int64)
    for j in range(x.shape[1]):
        edges = np.histogram_bin_edges(x[:, j], int(num_bins))
        out[:, j] = np.digitize(x[:, j], edges[:-1])
    return out


def _labels(column: np.ndarray) -> tuple[np.ndarray, int]:
    _, inverse = np.unique(column, return_inverse=True)
    inverse = inverse.reshape(-1)
    return inverse, int(inverse.max()) + 1


def mutual_information(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Discrete mutual information (nats) between every column of `a` and every column of `b`.

    Plug-in estimate from the contingency table, as `sklearn.metrics.mutual_info_score`
    computes it: I(a; b) = sum_ij p_ij log(p_ij / (p_i p_j)), clipped at 0.

    Args:
      a: `(N, Da)` labels (any hashable numbers).
      b: `(N, Db)` labels.

    Returns:
      `(Da, Db)` float64 matrix.
    """
    n = a.shape[0]
    la = [_labels(a[:, i]) for i in range(a.shape[1])]
    lb = [_labels(b[:, j]) for j in range(b.shape[1])]
    out = np.zeros((a.shape[1], b.shape[1]))
    for i, (ai, na) in enumerate(la):
        ca = np.bincount(ai, minlength=na).astype(np.float64)
        for j, (bj, nb) in enumerate(lb):
            if na == 1 or nb == 1:
                continue
            joint = np.bincount(ai * nb + bj, minlength=na * nb).reshape(na, nb)
            rows, cols = np.nonzero(joint)
            nij = joint[rows, cols].astype(np.float64)
            cb = np.bincount(bj, minlength=nb).astype(np.float64)
            terms = nij / n * (np.log(nij) + np.log(n) - np.log(ca[rows]) - np.log(cb[cols]))
            out[i, j] = max(float(terms.sum()), 0.0)
    return out


def entropy(y: np.ndarray) -> np.ndarray:
    """Discrete entropy (nats) of each column of `y` `(N, K)`: H = -sum p log p, i.e. I(y; y)."""
    out = np.zeros(y.shape[1])
    for j in range(y.shape[1]):
        labels, n_labels = _labels(y[:, j])
        p = np.bincount(labels, minlength=n_labels) / len(labels)
        out[j] = float(-(p * np.log(p)).sum())
    return out


def single_threaded():
    """Context manager: BLAS and OpenMP pools limited to one thread.

    The metrics' linear algebra is on small matrices (10-dimensional codes), where extra threads
    only add synchronisation; on a shared 2-core machine their spinning made a logistic
    regression 7x and a histogram booster 10-50x slower (benchmarks/speed/metrics_bench.py). Parallel
    work is done across factors in processes instead (`dci`).
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def seed_of(seed) -> int:
    """An int seed for scikit-learn estimators from an int, a Generator or None."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**31 - 1))
    if seed is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    return int(seed)
