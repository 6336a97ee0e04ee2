"""scikit-learn's `GradientBoostingClassifier()` with features sorted once: the same trees, bit for bit.

Gradient boosting (Friedman 2001, "Greedy Function Approximation: A Gradient Boosting Machine",
Ann. Statist. 29(5), Algorithm 6, "L_K-TreeBoost"): K regression trees per stage, tree k fit by
least squares to the negative gradient y_k - p_k of the multinomial log loss, each leaf then
taking one Newton step (K-1)/K * sum(y_k - p_k) / sum(p_k (1 - p_k)) (Friedman's eq. 32), shrunk
by the learning rate. For K = 2 one tree per stage on y - p, the step without (K-1)/K.

This is a port of scikit-learn 1.9.1's implementation of that algorithm, as DCI's "exact" backend
runs it (`GradientBoostingClassifier()`: 100 stages, depth 3, learning rate 0.1, subsample 1, all
features, min_samples_leaf 1, unit sample weights), following its loops step by step
(`sklearn/ensemble/_gb.py`, `sklearn/tree/_tree.pyx` `DepthFirstTreeBuilder.build`,
`_splitter.pyx` `node_split_best`, `_partitioner.pyx` `DensePartitioner`, `_criterion.pyx` `MSE`,
`_utils.pyx` `rand_int`, `sklearn/utils/_sorting.pyx`), so that every number is scikit-learn's:

* the trees: X cast to float32; nodes grown depth first, left child first; at each node the
  features visited in the order the splitter's own xorshift generator draws them (seeded per
  tree with one `random_state.randint(0, RAND_R_MAX)` from the booster's RandomState, in stage
  then class order), with its bookkeeping of constant features (max - min <= 1e-7 in float32)
  carried from node to node; candidate positions skipping values within 1e-7 of the previous one;
  the split with the largest proxy S_L^2/n_L + S_R^2/n_R, strict `>` (ties keep the first visited
  feature and the first position); thresholds a/2 + b/2 in float64 of the float32 neighbours;
  a leaf at depth max_depth, below 2 samples, at impurity <= machine epsilon or at an
  improvement below -epsilon;
* the sums, in scikit-learn's order: node totals over the node's samples in the order its
  partitioning leaves them (a Hoare partition of the samples as the last sort left them), left
  sums along the sorted order with `RegressionCriterion.update`'s backward branch where it
  applies, right = total - left; leaf steps with numpy's pairwise summation over each leaf's
  samples in index order, as `np.average` does in `_update_terminal_regions`, and its 1e-150
  denominator guard; raw predictions started from the prior (scikit-learn's own
  `_init_raw_predictions`), the negative gradient from scikit-learn's own loss object;
  importances per tree as `Tree.compute_feature_importances`, averaged and normalised by numpy
  as `feature_importances_` does;
* the order of equal values: scikit-learn's introsort is not stable, and the order it leaves
  equal values in is the order their targets are summed in. Samples with equal rows and equal
  labels are interchangeable (equal targets in every tree); where a node holds equal values of
  samples that differ ("mixed ties"), the sum over such a group is tried in every order (groups
  of up to 3); where the order changes a bit, or the sample order is needed for the final
  partition, the sorts are replayed: scikit-learn's introsort run from its current sample order,
  only into the parts of the array holding mixed ties.

tests/test_presorted_boosting.py checks trees, importances and predictions against
`GradientBoostingClassifier` bit for bit (`==`), with ties, constant and near-constant features,
duplicated rows and 2 to 7 classes.

Why faster: scikit-learn sorts every feature's values at every node (`sort_samples_and_feature_values`,
O(n log n) per feature and node: 94% of a fit, `threaded_sklearn.py` beside this folder). X is the same
for every tree of every stage (no subsampling), so here each feature is sorted once per fit, and
each tree keeps each feature's samples of a node in sorted order by splitting the parent's sorted
order stably into the two children (as scikit-learn's old `presort=True` did): O(n) per feature
and node. Everything runs compiled (numba, without the GIL), so the trees of a stage grow on
threads. A replayed sort costs about what scikit-learn's does; continuous codes need few (a
handful of coincidentally equal float32 values per feature; at 10,000 points they make a fit
about 1.5x slower than without any).

Example:
  >>> import numpy as np
  >>> from zoo.metrics._boosting import presorted
  >>> x = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
  >>> model = presorted.fit(x, y, random_state=0, n_estimators=5)
  >>> model.predict(x).tolist(), model.feature_importances_.tolist()
  ([0, 0, 1, 1], [1.0])
"""

from zoo.metrics._boosting.presorted.booster import PresortedBoosting, fit

__all__ = ["PresortedBoosting", "fit"]
