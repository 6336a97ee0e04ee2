"""scikit-learn's `GradientBoostingClassifier()` with each stage's trees grown side by side: the same trees.

DCI's "exact" backend is the reference's classifier, and its cost is the trees. cProfile of one
fit (scikit-learn 1.9.1, 10,000 points, 10 float codes, the 40 classes of dSprites' orientation,
10 of the 100 stages, one thread): 8.48 s, of which 7.99 s (94%) inside
`DecisionTreeRegressor._fit` (400 calls, 20 ms each: the compiled best-split search, which sorts
each feature's values at every node), 0.28 s in `_update_terminal_regions` (the leaves' Newton
steps), the rest validation and the loss. A DCI at the study's sizes grows 100 stages x 113
classes (3 + 6 + 40 + 32 + 32) = 11,300 such trees.

Reproducing scikit-learn's split search bit for bit (its unstable sort decides the order in which
tied values are summed, and so the last bits of the impurities that make the importances) means
rewriting its tree builder: `zoo/metrics/_boosting/presorted/` does, and is now DCI's "exact"
backend; this module is the `"sklearn"` backend, the reference it is checked against. What it
changes is only the schedule. Within one stage of a multi-class booster the K trees are independent: each is
fit to its own column of the negative gradient, computed once at the start of the stage, and
updates only its own column of the raw predictions. The only thing they share is the booster's
`RandomState`, from which each tree draws exactly one number as it starts
(`Splitter.__cinit__`: `random_state.randint(0, RAND_R_MAX)`, the seed of its feature order). So
before a stage the state is copied K times, tree k's copy positioned after k such draws, and the
shared state is advanced by K draws, exactly as the sequential loop leaves it. The trees are then
grown on a thread pool (the tree builder releases the GIL), and are identical to scikit-learn's
sequential ones (tests/test_metrics_dci.py compares importances and predictions bit for bit).

What that buys: DCI fits one booster per factor, and the factors are lopsided (orientation's 40
trees per stage against shape's 3), so spreading whole factors over 2 cores leaves one core idle
for about 15% of the run (64 of 113 trees per stage on the busier core). Growing trees, not
factors, in parallel balances the load (about 1.1x on 2 cores) and keeps scaling with cores
up to the 113 trees of a stage, where whole factors stop at 113 / 40 = 2.8x.
"""

from __future__ import annotations

import functools

import numpy as np

# The bound of the draw each tree's splitter makes (sklearn/tree/_utils.pxd).
RAND_R_MAX = 2147483647


def classifier(pool=None, **kwargs):
    """`GradientBoostingClassifier(**kwargs)` whose multi-class stages grow their trees on `pool`
    (a `concurrent.futures.Executor`; None: one after another, scikit-learn's own loop)."""
    model = _classifier_class()(**kwargs)
    model.tree_pool = pool  # not a constructor parameter: get_params() and clone() stay scikit-learn's
    return model


@functools.cache
def _classifier_class():
    from sklearn.ensemble import GradientBoostingClassifier

    class StageThreadedGradientBoostingClassifier(GradientBoostingClassifier):
        tree_pool = None

        def _fit_stage(self, i, X, y, raw_predictions, sample_weight, sample_mask, random_state,
                       X_csc=None, X_csr=None):
            if self.tree_pool is None or not self._loss.is_multiclass or self.subsample < 1.0 or X_csc is not None:
                return super()._fit_stage(i, X, y, raw_predictions, sample_weight, sample_mask, random_state,
                                          X_csc=X_csc, X_csr=X_csr)
            return _fit_stage_threaded(self, self.tree_pool, i, X, y, raw_predictions, sample_weight, sample_mask,
                                       random_state)

    return StageThreadedGradientBoostingClassifier


def _fit_stage_threaded(booster, pool, i, X, y, raw_predictions, sample_weight, sample_mask, random_state):
    """scikit-learn 1.9.1's `BaseGradientBoosting._fit_stage` for a multi-class log loss, with the
    stage's trees grown on `pool`, each from its own copy of the shared random state."""
    from sklearn.ensemble._gb import _update_terminal_regions
    from sklearn.tree import DecisionTreeRegressor

    neg_gradient = -booster._loss.gradient(y_true=y, raw_prediction=raw_predictions, sample_weight=None)
    states = []
    for _ in range(booster.n_trees_per_iteration_):
        state = np.random.RandomState()
        state.set_state(random_state.get_state())
        states.append(state)
        random_state.randint(0, RAND_R_MAX)

    def grow(k):
        tree = DecisionTreeRegressor(
            criterion="squared_error", splitter="best", max_depth=booster.max_depth,
            min_samples_split=booster.min_samples_split, min_samples_leaf=booster.min_samples_leaf,
            min_weight_fraction_leaf=booster.min_weight_fraction_leaf,
            min_impurity_decrease=booster.min_impurity_decrease, max_features=booster.max_features,
            max_leaf_nodes=booster.max_leaf_nodes, random_state=states[k], ccp_alpha=booster.ccp_alpha)
        tree.fit(X, neg_gradient[:, k], sample_weight=sample_weight, check_input=False)
        # Updates the tree's leaves and column k of the raw predictions only.
        _update_terminal_regions(booster._loss, tree.tree_, X, np.array(y == k, dtype=np.float64),
                                 neg_gradient[:, k], raw_predictions, sample_weight, sample_mask,
                                 learning_rate=booster.learning_rate, k=k)
        return tree

    for k, tree in enumerate(pool.map(grow, range(booster.n_trees_per_iteration_))):
        booster.estimators_[i, k] = tree
    return raw_predictions
