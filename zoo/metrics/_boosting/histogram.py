"""A histogram version of scikit-learn's `GradientBoostingClassifier()`, for DCI's "fast" backend.

DCI needs the *importances* of the reference's booster, so this follows that algorithm step by
step and changes one thing: split thresholds are searched on 255 per-feature quantile bins
instead of at every distinct value. Everything else is scikit-learn 1.9's
`GradientBoostingClassifier` with default settings (`sklearn/ensemble/_gb.py`):

* log loss; initial raw prediction from the class priors; for K > 2 classes one tree per class
  and stage, fit to the negative gradient y_k - p_k (multinomial); for K = 2 one tree on y - p;
* regression trees of depth 3 on those residuals with the squared-error criterion: a node is
  split where S_L^2 / n_L + S_R^2 / n_R is largest (S the residual sum), min_samples_leaf=1.
  Exact ties between features are broken at random, as scikit-learn's random feature order
  does (it matters for duplicated codes): each tree sees the features in a random order;
* each leaf takes one Newton step, (K-1)/K * mean(y_k - p_k) / mean(p_k (1 - p_k)) ((K-1)/K
  dropped for K = 2), shrunk by the learning rate 0.1, for 100 stages;
* a split's importance is the decrease of its node's summed squared residual error,
  S_L^2 / n_L + S_R^2 / n_R - S^2 / n; a feature's importance is its sum over all trees,
  normalised to 1 (`feature_importances_`).

The trees are grown by scikit-learn's compiled histogram tree grower (the engine of
`HistGradientBoostingClassifier`, a private module of the pinned scikit-learn 1.9.1): given
constant unit hessians and gradients p - y, its split gain G_L^2/n_L + G_R^2/n_R - G^2/n *is* the
squared-error criterion above. We only use it to find the partition; leaf values, predictions and
importances are computed here. One OpenMP thread per fit (see `dci`).
"""

from __future__ import annotations

import numpy as np

NUM_BINS = 256  # 255 quantile bins (+ the grower's bin for missing values, unused here)


def fit(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, *, seed: int = 0,
        n_estimators: int = 100, learning_rate: float = 0.1, max_depth: int = 3):
    """Fits the booster; returns `(importances [D], predictions on x_train, predictions on x_test)`."""
    from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper
    from sklearn.ensemble._hist_gradient_boosting.grower import TreeGrower

    rng = np.random.default_rng(seed)
    classes, y = np.unique(y_train, return_inverse=True)
    y = y.reshape(-1)
    n, d = x_train.shape
    k = len(classes)
    binary = k == 2
    trees_per_stage = 1 if binary else k
    # scikit-learn's trees see float32 features.
    x_train = x_train.astype(np.float32).astype(np.float64)
    x_test = x_test.astype(np.float32).astype(np.float64)
    mapper = _BinMapper(n_bins=NUM_BINS, subsample=None, n_threads=1)
    bins_train = np.asfortranarray(mapper.fit_transform(x_train))
    bins_test = np.ascontiguousarray(mapper.transform(x_test))
    non_missing = mapper.n_bins_non_missing_.astype(np.uint32)

    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    target = onehot[:, 1:] if binary else onehot
    prior = onehot.mean(axis=0)
    raw = np.tile(np.array([np.log(prior[1] / prior[0])]) if binary else np.log(prior), (n, 1))
    raw_test = np.tile(raw[0], (len(x_test), 1))
    step_factor = 1.0 if binary else (k - 1.0) / k
    unit_hessian = np.ones(1, dtype=np.float32)
    importance = np.zeros(d)

    for _ in range(n_estimators):
        proba = _expit(raw) if binary else _softmax(raw)
        # Per tree (row): the negative gradient y - p and the hessian p (1 - p), [trees_per_stage, n].
        residual = np.ascontiguousarray((target - proba).T)
        hessian = np.ascontiguousarray((proba * (1.0 - proba)).T)
        gradient = (-residual).astype(np.float32)
        update = np.empty((trees_per_stage, n))
        update_test = np.empty((trees_per_stage, len(x_test)))
        for t in range(trees_per_stage):
            order = rng.permutation(d)
            grower = TreeGrower(
                np.asfortranarray(bins_train[:, order]), gradient[t], unit_hessian,
                max_depth=max_depth, min_samples_leaf=1, n_bins=NUM_BINS,
                n_bins_non_missing=non_missing[order], l2_regularization=0.0, n_threads=1)
            grower.grow()
            importance += _split_gains(grower.root, order, residual[t], d)
            for leaf in grower.finalized_leaves:
                rows = leaf.sample_indices
                # Means over the leaf; the sample count cancels in the ratio.
                denominator = hessian[t, rows].sum()
                leaf.value = 0.0 if abs(denominator) < 1e-150 * len(rows) else step_factor * residual[t, rows].sum() / denominator
                update[t, rows] = leaf.value
            update_test[t] = _route(grower.root, bins_test, order)
        raw += learning_rate * update.T
        raw_test += learning_rate * update_test.T

    total = importance.sum()
    importance = importance / total if total > 0 else importance
    return importance, _predict(raw, classes, binary), _predict(raw_test, classes, binary)


def _split_gains(root, order, residual, d):
    """Squared-error decrease of every split of the tree, summed per (original) feature."""
    gains = np.zeros(d)
    # The grower evaluates the root with value 0, so its gain lacks the parent term -S^2/n.
    stack = [(root, residual.sum() ** 2 / len(residual))]
    while stack:
        node, parent_term = stack.pop()
        if node.split_info is None or node.left_child is None:
            continue
        gains[order[node.split_info.feature_idx]] += max(node.split_info.gain - parent_term, 0.0)
        stack.extend([(node.left_child, 0.0), (node.right_child, 0.0)])
    return gains


def _route(root, bins, order):
    """Leaf values of the tree for binned samples `bins [M, D]` (left when bin <= threshold bin)."""
    out = np.empty(len(bins))
    stack = [(root, np.arange(len(bins)))]
    while stack:
        node, rows = stack.pop()
        if node.left_child is None:
            out[rows] = node.value
            continue
        go_left = bins[rows, order[node.split_info.feature_idx]] <= node.split_info.bin_idx
        stack.extend([(node.left_child, rows[go_left]), (node.right_child, rows[~go_left])])
    return out


def _softmax(raw):
    z = np.exp(raw - raw.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _expit(raw):
    return 1.0 / (1.0 + np.exp(-raw))


def _predict(raw, classes, binary):
    if binary:
        return classes[(raw[:, 0] > 0).astype(np.int64)]
    return classes[np.argmax(raw, axis=1)]
