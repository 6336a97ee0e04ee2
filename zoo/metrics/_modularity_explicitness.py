"""Modularity and explicitness (Ridgeway & Mozer 2018, "Learning Deep Disentangled Embeddings With the F-Statistic Loss")."""

from __future__ import annotations

import numpy as np

from zoo.metrics._utils import check_pair, histogram_discretize, mutual_information, single_threaded


def modularity_explicitness(codes_train, factors_train, codes_test, factors_test, *,
                            num_bins: int = 20) -> dict[str, float]:
    """Modularity (does each code dimension depend on one factor?) and explicitness (linear decodability).

    Ridgeway & Mozer 2018, Sec. 3. With m_if the mutual information between code dimension i and
    factor f, theta_i = max_f m_if and t_i the template that keeps only that maximum,

        delta_i = sum_f (m_if - t_if)^2 / (theta_i^2 (K - 1))
        modularity = 1/D sum_i (1 - delta_i)

    i.e. 1 - (sum_f m_if^2 - theta_i^2) / (theta_i^2 (K - 1)); a dimension with theta_i = 0 scores 0.
    Explicitness: for each factor, a one-vs-rest ROC AUC per class of a logistic regression on
    the codes, averaged over classes (macro) and factors.

    As in disentanglement_lib (`modularity_explicitness.py`, the study's
    `modularity_explicitness.gin`):
      * m_if is the discrete mutual information (nats) of the `num_bins`-bin histogram-discretised
        training codes with the factor classes, as in `mig`;
      * the codes are standardised with the training mean and standard deviation (ddof=0), and the
        classifier is `sklearn.linear_model.LogisticRegression()` with default settings (lbfgs,
        C=1, 100 iterations; multinomial under the pinned scikit-learn), one per factor, fit on the
        training split; AUCs are computed on the training split (`explicitness_train`) and the
        test split (`explicitness_test`) from `predict_proba`.
    Where the reference would produce NaN or crash we return a documented value instead:
      * a constant code dimension (std 0) is left unscaled (it is 0 after centring and carries
        nothing) instead of dividing by zero;
      * a class absent from a split (or the only class in it) has no defined AUC and is left out
        of that split's average; the reference raises on the shape mismatch.
    A constant code therefore has explicitness 0.5 (chance AUC), the floor of this score.

    Checked against disentanglement_lib 1.5 `compute_modularity_explicitness`: modularity and
    explicitness_test within 2e-16, explicitness_train within 2e-7 (float32 codes: the reference
    standardises them in float32); asserted within 1e-6 (tests/test_metrics_reference.py).

    Args:
      codes_train: `[N, D]` float codes, N > D.
      factors_train: `[N, K]` int factor classes, K >= 2 (modularity compares factors), each
        varying.
      codes_test: `[M, D]` float codes.
      factors_test: `[M, K]` int factor classes.
      num_bins: histogram bins per code dimension for the mutual information.

    Returns:
      `{"modularity", "explicitness_train", "explicitness_test"}`.

    Example:
      >>> import numpy as np, zoo.metrics
      >>> f = np.random.default_rng(0).integers(0, 4, size=(400, 2))
      >>> s = zoo.metrics.modularity_explicitness(f + 0.0, f, f + 0.0, f)
      >>> round(s["modularity"], 2), round(s["explicitness_test"], 2)
      (1.0, 1.0)
    """
    codes_train, factors_train, codes_test, factors_test = check_pair(
        codes_train, factors_train, codes_test, factors_test)
    if factors_train.shape[1] < 2:
        raise ValueError("modularity needs at least 2 factors (it measures how a code dimension's "
                         f"information is spread across factors); got {factors_train.shape[1]}.")
    mi = mutual_information(histogram_discretize(codes_train, num_bins), factors_train)
    x_train = codes_train.astype(np.float64)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    x_train = (x_train - mean) / std
    x_test = (codes_test.astype(np.float64) - mean) / std
    auc_train, auc_test = [], []
    with single_threaded():
        for k in range(factors_train.shape[1]):
            a, b = explicitness_per_factor(x_train, factors_train[:, k], x_test, factors_test[:, k])
            auc_train.append(a)
            auc_test.append(b)
    return {"modularity": modularity(mi), "explicitness_train": float(np.mean(auc_train)),
            "explicitness_test": _nanmean(auc_test)}


def modularity(mutual_information: np.ndarray) -> float:
    """Modularity from a `[D, K]` mutual-information matrix (Ridgeway & Mozer 2018, eq. in Sec. 3)."""
    squared = np.square(mutual_information)
    top = squared.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = (squared.sum(axis=1) - top) / (top * (squared.shape[1] - 1.0))
    return float(np.mean(np.where(top == 0.0, 0.0, 1.0 - delta)))


def explicitness_per_factor(x_train, y_train, x_test, y_test) -> tuple[float, float]:
    """Macro one-vs-rest ROC AUC of a default LogisticRegression on standardised codes (train, test)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(x_train, y_train)
    return (_macro_auc(y_train, model.predict_proba(x_train), model.classes_),
            _macro_auc(y_test, model.predict_proba(x_test), model.classes_))


def _macro_auc(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """Mean over classes of the one-vs-rest ROC AUC of `proba[:, c]`, via the rank-sum statistic.

    AUC = (sum of the positives' ranks - P(P+1)/2) / (P N), ranks averaged over ties: the
    Mann-Whitney form of the trapezoidal ROC area that `sklearn.metrics.roc_auc_score` computes.
    Classes with no positive or no negative in `y` are skipped; NaN if none is left.
    """
    from scipy.stats import rankdata

    positive = y[:, None] == classes[None, :]
    n_pos = positive.sum(axis=0)
    n_neg = len(y) - n_pos
    usable = (n_pos > 0) & (n_neg > 0)
    if not usable.any():
        return float("nan")
    ranks = rankdata(proba[:, usable], axis=0)
    p = n_pos[usable].astype(np.float64)
    auc = ((ranks * positive[:, usable]).sum(axis=0) - p * (p + 1) / 2) / (p * n_neg[usable])
    return float(auc.mean())


def _nanmean(values) -> float:
    values = np.asarray(values, dtype=np.float64)
    if np.all(np.isnan(values)):
        raise ValueError("factors_test leaves no class with both positives and negatives in any factor; "
                         "explicitness_test is undefined (use a larger test split).")
    return float(np.nanmean(values))
