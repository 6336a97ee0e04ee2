"""The booster (`sklearn/ensemble/_gb.py`): the prior, K trees per stage on the negative gradient,
each stage's trees on a pool; the fitted arrays DCI reads (`PresortedBoosting`). See the package
docstring."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zoo.metrics._boosting.presorted.compiled import RAND_R_MAX, TREE_LEAF, TREE_UNDEFINED
from zoo.metrics._boosting.presorted.sort_replay import _has_mixed_ties
from zoo.metrics._boosting.presorted.tree import _fit_tree, _predict_raw


# ---------------------------------------------------------------- the booster (_gb.py)

@dataclass
class PresortedBoosting:
    """A fitted booster: scikit-learn's `GradientBoostingClassifier` attributes that DCI reads.

    Trees are arrays `[n_estimators, n_trees_per_stage, max_nodes]` in scikit-learn's node order
    (`tree_.feature`, `tree_.threshold`, `tree_.children_left` / `_right`, `tree_.impurity`,
    `tree_.weighted_n_node_samples`, `tree_.value[:, 0, 0]`),
    valid up to `node_count[stage, k]`.
    """

    classes_: np.ndarray
    learning_rate: float
    init_raw: np.ndarray  # [n_trees_per_stage], the prior's raw prediction
    node_count: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    children_left: np.ndarray
    children_right: np.ndarray
    impurity: np.ndarray
    weighted_n_node_samples: np.ndarray
    value: np.ndarray
    tree_importances: np.ndarray  # [n_estimators, n_trees_per_stage, D], unnormalised

    @property
    def feature_importances_(self) -> np.ndarray:
        """`BaseGradientBoosting.feature_importances_`: the mean over trees with a split, normalised."""
        relevant = self.tree_importances[self.node_count > 1]
        if len(relevant) == 0:
            return np.zeros(self.tree_importances.shape[-1])
        average = np.mean(relevant, axis=0, dtype=np.float64)
        return average / np.sum(average)

    def decision_function(self, x) -> np.ndarray:
        """Raw predictions `[M, K]` (`[M]` for two classes), scikit-learn's `decision_function`."""
        x32 = _as_float32(x, "x", self.tree_importances.shape[-1])
        raw = np.tile(self.init_raw, (x32.shape[0], 1))
        _predict_raw(np.ascontiguousarray(x32.T), self.feature, self.threshold, self.children_left,
                     self.children_right, self.value, self.learning_rate, raw)
        return raw[:, 0] if len(self.classes_) == 2 else raw

    def predict(self, x) -> np.ndarray:
        """The classes of the largest raw prediction (the first on a tie; raw >= 0 for two classes)."""
        raw = self.decision_function(x)
        encoded = (raw >= 0).astype(int) if raw.ndim == 1 else np.argmax(raw, axis=1)
        return self.classes_[encoded]


def fit(x, y, *, random_state, n_estimators: int = 100, learning_rate: float = 0.1, max_depth: int = 3,
        pool=None) -> PresortedBoosting:
    """Fits `GradientBoostingClassifier(n_estimators, learning_rate, max_depth, random_state)`'s trees.

    Args:
      x: `[N, D]` numeric features (cast to float32, as scikit-learn does), finite.
      y: `[N]` class labels, at least 2 distinct.
      random_state: int, `np.random.RandomState` or None, as scikit-learn's `random_state`.
      n_estimators: boosting stages.
      learning_rate: shrinkage of every leaf value.
      max_depth: depth of every tree.
      pool: a `concurrent.futures.Executor` growing the trees of a stage side by side (the trees of a
        stage are independent; each has its own seed), or None for one after another.

    Returns:
      A `PresortedBoosting` with `feature_importances_`, `predict` and `decision_function`.
    """
    from sklearn.utils import check_random_state

    x32 = _as_float32(x, "x")
    classes, y_encoded = _check_labels(y, x32.shape[0])
    n_estimators, max_depth = _check_settings(n_estimators, learning_rate, max_depth)
    loss, init_raw = _initial_raw_prediction(y_encoded, len(classes))
    n_samples, n_features = x32.shape
    n_trees = init_raw.shape[0]
    max_nodes = min(2 ** (max_depth + 1) - 1, 2 * n_samples - 1)
    model = PresortedBoosting(
        classes_=classes, learning_rate=float(learning_rate), init_raw=init_raw,
        node_count=np.zeros((n_estimators, n_trees), dtype=np.int64),
        feature=np.full((n_estimators, n_trees, max_nodes), TREE_UNDEFINED, dtype=np.int64),
        threshold=np.full((n_estimators, n_trees, max_nodes), float(TREE_UNDEFINED)),
        children_left=np.full((n_estimators, n_trees, max_nodes), TREE_LEAF, dtype=np.int64),
        children_right=np.full((n_estimators, n_trees, max_nodes), TREE_LEAF, dtype=np.int64),
        impurity=np.zeros((n_estimators, n_trees, max_nodes)),
        weighted_n_node_samples=np.zeros((n_estimators, n_trees, max_nodes)),
        value=np.zeros((n_estimators, n_trees, max_nodes)),
        tree_importances=np.zeros((n_estimators, n_trees, n_features)))
    xt = np.ascontiguousarray(x32.T)  # feature-major: each feature's values contiguous
    presorted_samples = np.argsort(xt, axis=1, kind="stable").astype(np.int32)
    presorted_values = np.take_along_axis(xt, presorted_samples, axis=1)
    sample_class, mixed_ties = _tie_classes(x32, y_encoded, presorted_values, presorted_samples)
    y_float = y_encoded.astype(np.float64)
    # _update_terminal_regions' (K - 1) / K (HalfMultinomialLoss only)
    numerator_factor = (n_trees - 1) / n_trees if n_trees > 1 else 1.0
    targets = [np.array(y_encoded == k, dtype=np.float64) for k in range(n_trees)] if n_trees > 1 else [y_float]
    raw = np.tile(init_raw, (n_samples, 1))
    raw_columns = np.asfortranarray(raw)  # each tree adds to its own contiguous column
    state = check_random_state(random_state)
    for stage in range(n_estimators):
        neg_gradient = -loss.gradient(y_true=y_float, raw_prediction=np.ascontiguousarray(raw_columns),
                                      sample_weight=None)
        neg_gradient = np.asfortranarray(neg_gradient.reshape(n_samples, n_trees))
        # Splitter.init: each tree draws its seed from the shared state as it starts.
        seeds = [state.randint(0, RAND_R_MAX) for _ in range(n_trees)]

        def grow(k, stage=stage, neg_gradient=neg_gradient, seeds=seeds):
            model.node_count[stage, k] = _fit_tree(
                xt, presorted_values, presorted_samples, sample_class, mixed_ties, neg_gradient[:, k], targets[k],
                seeds[k], max_depth,
                numerator_factor, learning_rate, raw_columns[:, k], model.feature[stage, k],
                model.threshold[stage, k], model.children_left[stage, k], model.children_right[stage, k],
                model.impurity[stage, k], model.weighted_n_node_samples[stage, k], model.value[stage, k],
                model.tree_importances[stage, k])

        if pool is None or n_trees == 1:
            for k in range(n_trees):
                grow(k)
        else:
            list(pool.map(grow, range(n_trees)))
    return model


def _tie_classes(x32, y_encoded, presorted_values, presorted_samples):
    """Samples with equal rows of X and equal labels get equal targets in every tree, so no
    computation can tell them apart: they share a class. A feature has mixed ties where it holds
    an equal value for samples of different classes: only there does the order that scikit-learn's
    sort leaves matter."""
    rows = np.column_stack([x32.view(np.int32), y_encoded.astype(np.int32)])
    sample_class = np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)
    n_samples = x32.shape[0]
    mixed_ties = np.array([_has_mixed_ties(presorted_values[f], presorted_samples[f], sample_class)
                           for f in range(x32.shape[1])])
    return sample_class, mixed_ties


def _initial_raw_prediction(y_encoded, n_classes):
    """scikit-learn's loss and its prior raw prediction (`init_ = DummyClassifier(strategy="prior")`,
    `_init_raw_predictions`), computed by scikit-learn on one row: every row is the same."""
    from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble._gb import _init_raw_predictions

    loss = HalfBinomialLoss() if n_classes == 2 else HalfMultinomialLoss(n_classes=n_classes)
    y_float = y_encoded.astype(np.float64)
    prior = DummyClassifier(strategy="prior").fit(np.zeros((len(y_float), 1)), y_float)
    init_raw = _init_raw_predictions(np.zeros((1, 1), dtype=np.float32), prior, loss, True)[0]
    return loss, np.ascontiguousarray(init_raw, dtype=np.float64)


def _as_float32(x, name, num_features=None) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"{name} must be a 2-D array (N, D) with N >= 1; got shape {x.shape}.")
    if num_features is not None and x.shape[1] != num_features:
        raise ValueError(f"{name} has {x.shape[1]} features but the booster was fit on {num_features}.")
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
        raise ValueError(f"{name} must be numeric; got dtype {x.dtype}.")
    x32 = x.astype(np.float32)  # scikit-learn's trees work on float32 (sklearn.tree._tree.DTYPE)
    if not np.all(np.isfinite(x32)):
        raise ValueError(f"{name} must be finite in float32 (scikit-learn's tree dtype); it holds NaN, inf "
                         "or values beyond +-3.4e38.")
    return x32


def _check_labels(y, num_points):
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != num_points:
        raise ValueError(f"y must be a 1-D array with one label per row of x ({num_points}); got shape {y.shape}.")
    classes, y_encoded = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"y holds a single class ({classes[0]!r}); a classifier needs at least 2.")
    return classes, y_encoded.reshape(-1)


def _check_settings(n_estimators, learning_rate, max_depth):
    if int(n_estimators) != n_estimators or n_estimators < 1:
        raise ValueError(f"n_estimators must be a positive integer; got {n_estimators!r}.")
    if int(max_depth) != max_depth or max_depth < 1:
        raise ValueError(f"max_depth must be a positive integer; got {max_depth!r}.")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive; got {learning_rate!r}.")
    return int(n_estimators), int(max_depth)
