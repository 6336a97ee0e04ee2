"""Separated Attribute Predictability (Kumar et al. 2018, "Variational Inference of Disentangled Latent Concepts")."""

from __future__ import annotations

import warnings

import numpy as np

from zoo.metrics._utils import check_pair, single_threaded


def sap(codes_train, factors_train, codes_test, factors_test, *,
        continuous_factors: bool = False) -> dict[str, float]:
    """SAP score: mean over factors of the gap between the two code dimensions that predict it best.

    Kumar et al. 2018, Sec. 3: build a score matrix S `[D, K]` where S_ik says how well code
    dimension i alone predicts factor k, then

        SAP = 1/K sum_k ( S_(1)k - S_(2)k )      (top score minus runner-up, per factor)

    As in disentanglement_lib (`sap_score.py`, the study's `sap_score.gin` with
    `continuous_factors=False`):
      * discrete factors: S_ik is the *test* accuracy of `sklearn.svm.LinearSVC(C=0.01,
        class_weight="balanced")` fit on the single feature z_i of the training split (one-vs-rest
        for more than two classes). We pass `dual=False` explicitly: it is what scikit-learn's
        default `dual="auto"` picks for one feature (the reference ran with liblinear's dual
        solver, the default of its day, which solves the same convex problem);
      * continuous factors: S_ik = Cov(z_i, v_k)^2 / (Var z_i Var v_k) (squared correlation, ddof=1)
        on the *training* split only (the test split is ignored, as in the reference), and 0 for
        a code dimension whose variance is <= 1e-12.

    Checked against disentanglement_lib 1.5 `_compute_sap` (`SAP_score`), both settings:
    difference below 3e-16; asserted within 1e-6 (tests/test_metrics_reference.py).

    Args:
      codes_train: `[N, D]` float codes, D >= 2, N > D.
      factors_train: `[N, K]` factors: int classes, or any numbers with `continuous_factors`.
      codes_test: `[M, D]` float codes (unused with `continuous_factors`).
      factors_test: `[M, K]` factors.
      continuous_factors: treat factors as continuous values (squared correlation) instead of
        classes (linear SVM accuracy).

    Returns:
      `{"sap": float}` in [0, 1].

    Example:
      >>> import numpy as np, zoo.metrics
      >>> f = np.random.default_rng(0).integers(0, 4, size=(500, 2))
      >>> round(zoo.metrics.sap(f + 0.0, f, f + 0.0, f, continuous_factors=True)["sap"], 3)
      1.0
    """
    codes_train, factors_train, codes_test, factors_test = check_pair(
        codes_train, factors_train, codes_test, factors_test, discrete=not continuous_factors)
    if codes_train.shape[1] < 2:
        raise ValueError("sap needs codes with at least 2 dimensions (the gap is to the runner-up); "
                         f"got shape {codes_train.shape}.")
    if continuous_factors:
        scores = _squared_correlation(codes_train.astype(np.float64), factors_train)
    else:
        with single_threaded():
            scores = _svm_accuracy(codes_train.astype(np.float64), factors_train,
                                   codes_test.astype(np.float64), factors_test)
    top_two = -np.sort(-scores, axis=0)[:2]
    return {"sap": float(np.mean(top_two[0] - top_two[1]))}


def _squared_correlation(codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    d = codes.shape[1]
    cov = np.cov(np.concatenate([codes, factors], axis=1), rowvar=False, ddof=1)
    var_z = np.diag(cov)[:d, None]
    var_v = np.diag(cov)[None, d:]
    cross = cov[:d, d:]
    with np.errstate(divide="ignore", invalid="ignore"):
        score = cross**2 / (var_z * var_v)
    return np.where(var_z > 1e-12, score, 0.0)


def _svm_accuracy(codes_train, factors_train, codes_test, factors_test) -> np.ndarray:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    d, k = codes_train.shape[1], factors_train.shape[1]
    scores = np.zeros((d, k))
    for i in range(d):
        x_train, x_test = codes_train[:, i:i + 1], codes_test[:, i:i + 1]
        for j in range(k):
            with warnings.catch_warnings():
                # A code dimension that carries nothing about the factor makes liblinear hit its
                # iteration cap; the (poor) accuracy is the answer, the warning is noise.
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = LinearSVC(C=0.01, class_weight="balanced", dual=False).fit(x_train, factors_train[:, j])
            scores[i, j] = np.mean(model.predict(x_test) == factors_test[:, j])
    return scores
