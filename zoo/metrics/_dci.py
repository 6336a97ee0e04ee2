"""Disentanglement, Completeness and Informativeness (Eastwood & Williams 2018)."""

from __future__ import annotations

import os

import numpy as np

from zoo.metrics._utils import check_pair, seed_of, single_threaded

BACKENDS = ("exact", "fast", "sklearn")


def dci(codes_train, factors_train, codes_test, factors_test, *, backend: str = "exact",
        n_jobs: int | None = None, seed=0) -> dict[str, float]:
    """DCI scores from a gradient-boosted-tree importance matrix.

    Eastwood & Williams 2018, "A Framework for the Quantitative Evaluation of Disentangled
    Representations", Sec. 2: one regressor per factor k predicts v_k from all codes; its feature
    importances give column k of the importance matrix R `[D, K]`. With P_ik = R_ik / sum_k R_ik
    and Ptilde_ik = R_ik / sum_i R_ik,

        D_i = 1 - H_K(P_i.)              disentanglement of code i   (entropy in base K)
        C_k = 1 - H_D(Ptilde_.k)         completeness of factor k    (entropy in base D)
        disentanglement = sum_i rho_i D_i,   rho_i = sum_k R_ik / sum_ik R_ik
        completeness    = sum_k rho_k C_k,   rho_k = sum_i R_ik / sum_ik R_ik

    Following disentanglement_lib (`dci.py`, `dci.gin`), which is what Locatello et al. 2019 report:
      * the predictor is `sklearn.ensemble.GradientBoostingClassifier()` with default settings
        (100 stages, depth 3, learning rate 0.1), one per factor, and R_ik is its
        `feature_importances_` (impurity-based, each column sums to 1, or is all zero when no
        tree splits);
      * "informativeness" is the classifier's *accuracy* (higher is better) on the training and
        the test split, averaged over factors, not the paper's prediction error;
      * 1e-11 is added to R before the entropies (so an all-zero row or column has entropy 1 and
        scores 0), and an all-zero R is weighted uniformly.

    Backends:
      * `"exact"`: the reference's classifiers, with `random_state=seed` (the reference leaves
        it None; with default settings it only breaks exact ties between features, which on small
        samples moves the reference's own DCI by ~3e-3 between runs). Checked against disentanglement_lib 1.5 `_compute_dci` with its trees
        pinned to the same seed: identical (difference 0.0) on a 1000-point mixed code with
        factors of 3-32 classes and on a near-identity code; asserted within 1e-3
        (tests/test_metrics_reference.py). Unpinned, on the benchmark arrays: within 3e-3.
        The classifiers are grown by `zoo/metrics/_boosting/presorted/`, a port of
        scikit-learn 1.9.1's `GradientBoostingClassifier` to numba that gives the same trees,
        importances and predictions bit for bit (tests/test_presorted_boosting.py; scores equal
        to the `"sklearn"` backend's with `==`) without scikit-learn's cost: scikit-learn sorts
        every feature at every node of every tree (94% of its fit; 100 stages x 113 trees for
        dSprites' factors), while the port sorts each feature once per fit and keeps the sorted
        order per node by splitting it (O(n) per node and feature); it replays scikit-learn's
        sort only where equal values of differing samples make the order matter. The trees of
        a stage are grown on `n_jobs` threads (the compiled code releases the GIL), each with
        the seed scikit-learn's sequential loop would hand it. Time per DCI:
        benchmarks/speed/metrics_bench.py (`--dci_only`).
      * `"sklearn"`: the reference itself, `sklearn.ensemble.GradientBoostingClassifier`, kept
        to check `"exact"` against: each stage's trees grown on `n_jobs` threads, each from the
        random state scikit-learn's own loop would hand it (`zoo/metrics/_boosting/threaded_sklearn.py`;
        bit for bit scikit-learn's sequential trees), so whole factors need not be fit in
        parallel (that left a core idle 15% of the time on 2 cores: orientation has 40 classes,
        shape 3).
      * `"fast"`: the same boosting algorithm (same loss, stages, depth, learning rate, leaf
        steps and importance definition), with split thresholds searched on 255 quantile bins per
        code dimension instead of every distinct value (`zoo/metrics/_boosting/histogram.py`, grown by
        scikit-learn's compiled histogram tree grower). With fewer than 256 distinct values per
        dimension it *is* the exact algorithm. On the benchmark arrays (10000 train points, 5
        factors of 3-40 classes, 10 codes) it is within 0.015 of `"exact"` on disentanglement and
        completeness and was 12-16x faster than scikit-learn's own trees (now the `"sklearn"`
        backend) on the shared 2-core machine (23 s vs 274-355 s; benchmarks/speed/metrics_bench.py). With few training points the gap grows: 0.04 at 1000
        points on the same codes, where most splits fit noise and the exact thresholds matter
        (the exact backend is cheap at such sizes). We tried the obvious
        alternative, `HistGradientBoostingClassifier`'s own split gains: 0.08 off, because its
        Newton splits and gains weigh samples by their hessians where the reference's
        squared-error trees weigh them equally. Informativeness is the fast booster's accuracy.

    Args:
      codes_train: `[N, D]` float codes to fit the classifiers on, D >= 2, N > D.
      factors_train: `[N, K]` int factor classes, K >= 2; every factor must vary.
      codes_test: `[M, D]` float codes for the test accuracy.
      factors_test: `[M, K]` int factor classes.
      backend: `"exact"`, `"fast"` or `"sklearn"` (the reference implementation of `"exact"`).
      n_jobs: "exact" and "sklearn": threads growing trees (default: the CPU count); "fast": worker processes
        across factors (default: min(K, CPU count)). Each fit runs with one BLAS/OpenMP thread (on
        a shared 2-core machine spinning OpenMP threads made a histogram fit 10-50x slower).
      seed: int or `np.random.Generator`, the classifiers' random_state.

    Returns:
      `{"disentanglement", "completeness", "informativeness_train", "informativeness_test"}`.

    Example:
      >>> import numpy as np, zoo.metrics
      >>> f = np.random.default_rng(0).integers(0, 3, size=(600, 2))
      >>> s = zoo.metrics.dci(f[:400] + 0.0, f[:400], f[400:] + 0.0, f[400:], backend="fast")
      >>> round(s["disentanglement"], 2), s["informativeness_test"]
      (1.0, 1.0)
    """
    if backend not in BACKENDS:
        raise ValueError(f"Unknown dci backend {backend!r}; choose one of {', '.join(map(repr, BACKENDS))}.")
    codes_train, factors_train, codes_test, factors_test = check_pair(
        codes_train, factors_train, codes_test, factors_test)
    if factors_train.shape[1] < 2 or codes_train.shape[1] < 2:
        # The reference returns NaN here: log base 1 in the entropy.
        raise ValueError("dci needs at least 2 factors and 2 code dimensions: disentanglement is an entropy over "
                         "the factors in base K, completeness one over the codes in base D, and both are 0/0 for "
                         f"a single one; got K={factors_train.shape[1]}, D={codes_train.shape[1]}.")
    importance, accuracy_train, accuracy_test = fit_classifiers(
        codes_train, factors_train, codes_test, factors_test, backend=backend, n_jobs=n_jobs, seed=seed)
    return {
        "disentanglement": disentanglement(importance),
        "completeness": completeness(importance),
        "informativeness_train": float(np.mean(accuracy_train)),
        "informativeness_test": float(np.mean(accuracy_test)),
    }


def fit_classifiers(codes_train, factors_train, codes_test, factors_test, *, backend: str, n_jobs, seed):
    """DCI's classifiers on checked arrays: `(importance [D, K], train accuracy [K], test accuracy [K])`."""
    seed = seed_of(seed)
    x_train = codes_train.astype(np.float64)
    x_test = codes_test.astype(np.float64)
    if backend in ("exact", "sklearn"):
        fit_one = _fit_one_exact if backend == "exact" else _fit_one_sklearn
        columns = _fit_all_exact(fit_one, x_train, factors_train, x_test, factors_test, seed, n_jobs)
    else:
        columns = _fit_all(_fit_one_fast, x_train, factors_train, x_test, factors_test, seed, n_jobs)
    importance = np.stack([c[0] for c in columns], axis=1)  # [D, K]
    return importance, np.array([c[1] for c in columns]), np.array([c[2] for c in columns])


def _entropy_base(p: np.ndarray, base: int) -> np.ndarray:
    """Entropy of each row of non-negative `p` (normalised per row) in log base `base`."""
    p = p / p.sum(axis=1, keepdims=True)
    return -(p * np.log(p)).sum(axis=1) / np.log(base)


def disentanglement(importance: np.ndarray) -> float:
    """Importance-weighted mean of 1 - H_K(P_i.) over codes; `importance` is `[D, K]`."""
    per_code = 1.0 - _entropy_base(importance + 1e-11, importance.shape[1])
    if importance.sum() == 0.0:
        importance = np.ones_like(importance)
    weight = importance.sum(axis=1) / importance.sum()
    return float(np.sum(per_code * weight))


def completeness(importance: np.ndarray) -> float:
    """Importance-weighted mean of 1 - H_D(Ptilde_.k) over factors; `importance` is `[D, K]`."""
    per_factor = 1.0 - _entropy_base(importance.T + 1e-11, importance.shape[0])
    if importance.sum() == 0.0:
        importance = np.ones_like(importance)
    weight = importance.sum(axis=0) / importance.sum()
    return float(np.sum(per_factor * weight))


def _fit_one_exact(x_train, y_train, x_test, y_test, seed, pool=None):
    from zoo.metrics._boosting import presorted

    model = presorted.fit(x_train, y_train, random_state=seed, pool=pool)
    return (np.abs(model.feature_importances_), float(np.mean(model.predict(x_train) == y_train)),
            float(np.mean(model.predict(x_test) == y_test)))


def _fit_one_sklearn(x_train, y_train, x_test, y_test, seed, pool=None):
    from zoo.metrics._boosting import threaded_sklearn

    model = threaded_sklearn.classifier(pool, random_state=seed).fit(x_train, y_train)
    return (np.abs(model.feature_importances_), float(np.mean(model.predict(x_train) == y_train)),
            float(np.mean(model.predict(x_test) == y_test)))


def _fit_all_exact(fit_one, x_train, factors_train, x_test, factors_test, seed, n_jobs):
    """One booster per factor, all in this process; every stage's trees grown on `n_jobs` threads."""
    from concurrent.futures import ThreadPoolExecutor

    num_factors = factors_train.shape[1]
    if n_jobs is None:
        n_jobs = os.cpu_count() or 1
    args = [(x_train, factors_train[:, k], x_test, factors_test[:, k], seed) for k in range(num_factors)]
    with single_threaded():
        if n_jobs == 1:
            return [fit_one(*a) for a in args]
        # The boosters run side by side (their Python between stages overlaps the trees of the
        # others); their trees share one pool of n_jobs threads.
        with ThreadPoolExecutor(n_jobs, thread_name_prefix="dci-trees") as trees, \
                ThreadPoolExecutor(num_factors, thread_name_prefix="dci-factors") as factors:
            return list(factors.map(lambda a: fit_one(*a, pool=trees), args))


def _fit_all(fit, x_train, factors_train, x_test, factors_test, seed, n_jobs):
    num_factors = factors_train.shape[1]
    if n_jobs is None:
        n_jobs = min(num_factors, os.cpu_count() or 1)
    # A multi-class booster fits one tree per class and stage, so its cost grows with the number of
    # classes: start the largest factors first (longest-processing-time-first scheduling).
    order = sorted(range(num_factors), key=lambda k: -len(np.unique(factors_train[:, k])))
    args = [(x_train, factors_train[:, k], x_test, factors_test[:, k], seed) for k in order]
    if n_jobs == 1 or num_factors == 1:
        results = [fit(*a) for a in args]
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs)(delayed(fit)(*a) for a in args)
    by_factor = dict(zip(order, results))
    return [by_factor[k] for k in range(num_factors)]


def _fit_one_fast(x_train, y_train, x_test, y_test, seed):
    from zoo.metrics._boosting import histogram

    with single_threaded():
        importance, predicted_train, predicted_test = histogram.fit(x_train, y_train, x_test, seed=seed)
    return (importance, float(np.mean(predicted_train == y_train)), float(np.mean(predicted_test == y_test)))
