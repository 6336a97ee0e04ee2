"""Cluster accuracy: how well a discrete code matches class labels up to renaming the code values."""

from __future__ import annotations

import numpy as np


def _as_ids(values, name: str, num_points: int | None = None) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(f"{name} must be one id per data point, shape (N,) or (N, 1); got shape {values.shape} "
                         "(for a categorical code's probabilities pass their argmax).")
    if num_points is not None and len(values) != num_points:
        raise ValueError(f"{name} has {len(values)} entries but codes have {num_points}; they must hold one entry "
                         "per data point.")
    if len(values) == 0:
        raise ValueError(f"{name} is empty.")
    if not np.issubdtype(values.dtype, np.integer):
        if not (np.issubdtype(values.dtype, np.floating) and np.all(np.isfinite(values))
                and np.all(np.mod(values, 1) == 0)):
            raise ValueError(f"{name} must hold integer ids; got dtype {values.dtype} with non-integer values.")
    return values.astype(np.int64)


def cluster_accuracy(codes, labels) -> dict[str, float]:
    """Accuracy of a discrete code as a classifier, after the best one-to-one renaming of its values.

    The unsupervised-clustering accuracy behind InfoGAN's MNIST result (Chen et al. 2016, sec. 7.2:
    5% error "by matching each category in c1 to a digit type"), as deep clustering defines it
    (Xie, Girshick & Farhadi 2016, sec. 4.2):

        ACC = max_m  1/N  sum_i  1[ labels_i = m(codes_i) ]

    over one-to-one maps m from code values to labels. With the contingency table
    `C[a, b] = #{i : codes_i = a, labels_i = b}` this is a maximum-weight matching, solved
    exactly by the Hungarian method (`scipy.optimize.linear_sum_assignment`); code values left
    without a label (more values than labels) count as wrong, as do labels left without a value.

    Reference values: a perfect clustering under any renaming scores 1; a constant code scores the
    share of the most frequent label (1/K for K balanced labels); a code independent of the labels
    scores about that too, slightly more on small samples (the matching picks the luckiest pairs).

    Args:
      codes: `[N]` (or `[N, 1]`) integer code values, e.g. the argmax of InfoGAN's categorical head.
      labels: `[N]` (or `[N, 1]`) integer class labels.

    Returns:
      `{"cluster_accuracy": float}` in (0, 1].

    Example:
      >>> import zoo.metrics
      >>> zoo.metrics.cluster_accuracy([2, 2, 0, 0, 1], [0, 0, 1, 1, 1])["cluster_accuracy"]
      0.8
    """
    from scipy.optimize import linear_sum_assignment

    codes = _as_ids(codes, "codes")
    labels = _as_ids(labels, "labels", len(codes))
    code_values, code_index = np.unique(codes, return_inverse=True)
    label_values, label_index = np.unique(labels, return_inverse=True)
    table = np.zeros((len(code_values), len(label_values)), np.int64)
    np.add.at(table, (code_index, label_index), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return {"cluster_accuracy": float(table[rows, cols].sum() / len(codes))}
