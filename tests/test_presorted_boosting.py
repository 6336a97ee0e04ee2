"""The presorted booster (DCI's exact backend) against scikit-learn's GradientBoostingClassifier."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier

import metrics_cases as cases
import zoo.metrics
from zoo.metrics._boosting import presorted


def _assert_same_booster(ours, theirs, x_new):
    """Every tree node for node, importances, raw predictions and predictions: bit for bit (==)."""
    n_stages, n_trees = theirs.estimators_.shape
    assert ours.node_count.shape == (n_stages, n_trees)
    for stage in range(n_stages):
        for k in range(n_trees):
            tree, count = theirs.estimators_[stage, k].tree_, ours.node_count[stage, k]
            where = f"stage {stage}, tree {k}"
            assert count == tree.node_count, where
            np.testing.assert_array_equal(ours.feature[stage, k, :count], tree.feature, where)
            np.testing.assert_array_equal(ours.threshold[stage, k, :count], tree.threshold, where)
            np.testing.assert_array_equal(ours.children_left[stage, k, :count], tree.children_left, where)
            np.testing.assert_array_equal(ours.children_right[stage, k, :count], tree.children_right, where)
            np.testing.assert_array_equal(ours.impurity[stage, k, :count], tree.impurity, where)
            np.testing.assert_array_equal(ours.weighted_n_node_samples[stage, k, :count],
                                          tree.weighted_n_node_samples, where)
            np.testing.assert_array_equal(ours.value[stage, k, :count], tree.value[:, 0, 0], where)
    np.testing.assert_array_equal(ours.feature_importances_, theirs.feature_importances_)
    for x in x_new:
        np.testing.assert_array_equal(ours.decision_function(x), theirs.decision_function(x))
        np.testing.assert_array_equal(ours.predict(x), theirs.predict(x))


def _awkward_features(rng, n):
    """Continuous features plus everything scikit-learn's splitter treats specially."""
    x = rng.standard_normal((n, 9))
    x[:, 1] = 3.0  # constant: found at the root, skipped below it
    x[:, 2] = np.round(x[:, 2] * 2) / 2  # exact ties: scikit-learn's unstable sort orders them
    x[:, 3] = 1.0 + rng.integers(0, 3, n) * 2.0 ** -23  # float32 neighbours: within 1e-7, never split between
    x[:, 4] = 1e-8 * rng.standard_normal(n)  # near-constant: max - min <= 1e-7, so "constant"
    x[:, 5] = 2.0 * x[:, 0] + 1.0  # a monotone copy of feature 0: equal proxies, the first visited wins
    x[:, 6] = rng.integers(0, 4, n)  # few values
    x[::7] = x[0]  # duplicated rows (with different labels below)
    return x


@pytest.mark.parametrize("num_classes,seed", [(2, 0), (3, 1), (7, 2)])
def test_same_trees_as_scikit_learn(num_classes, seed):
    rng = np.random.default_rng(seed)
    x = _awkward_features(rng, 300)
    y = (rng.integers(0, num_classes, 300) + (x[:, 0] > 0.3) + (x[:, 6] > 1)) % num_classes
    theirs = GradientBoostingClassifier(random_state=seed, n_estimators=10).fit(x, y)
    ours = presorted.fit(x, y, random_state=seed, n_estimators=10)
    _assert_same_booster(ours, theirs, [x, rng.standard_normal((50, 9))])


@pytest.mark.parametrize("seed", [0, 1])
def test_same_trees_with_a_few_coincidental_ties(seed):
    # Continuous codes where a few values coincide (pairs to quadruples of samples with different
    # labels), as float32 codes do: the order scikit-learn's sort leaves them in decides the last
    # bits of some sums, and the order of its samples before each split.
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((600, 5))
    for f in range(5):
        for size in (2,) * 12 + (3, 3, 4):
            rows = rng.choice(600, size, replace=False)
            x[rows, f] = x[rows[0], f]
    y = rng.integers(0, 3, 600)
    theirs = GradientBoostingClassifier(random_state=seed, n_estimators=8).fit(x, y)
    ours = presorted.fit(x, y, random_state=seed, n_estimators=8)
    _assert_same_booster(ours, theirs, [x])


def test_same_trees_with_other_settings_labels_and_threads():
    # Depth 5, learning rate 0.5, string labels, a RandomState; the trees of a stage on 3 threads.
    rng = np.random.default_rng(3)
    x = _awkward_features(rng, 250)
    y = np.array(["a", "b", "c", "d"])[rng.integers(0, 4, 250)]
    theirs = GradientBoostingClassifier(random_state=np.random.RandomState(5), n_estimators=6, max_depth=5,
                                        learning_rate=0.5).fit(x, y)
    with ThreadPoolExecutor(3) as pool:
        ours = presorted.fit(x, y, random_state=np.random.RandomState(5), n_estimators=6, max_depth=5,
                                       learning_rate=0.5, pool=pool)
    _assert_same_booster(ours, theirs, [x])
    assert ours.predict(x).dtype == y.dtype


def test_one_split_by_hand():
    # Six points, x0 = 0..5 with classes 0, 0, 1, 1, 2, 2; x1 = 1 on the class-1 points only.
    # Priors 1/3: raw predictions 0, p_k = 1/3, so tree k fits g = [y == k] - 1/3: 2/3 on its two
    # points, -1/3 on the four others (sum 0, sum of squares 12/9: root impurity 12/9/6 = 2/9).
    # The best proxy S_L^2/n_L + S_R^2/n_R isolates the two points: (4/3)^2/2 + (4/3)^2/4 = 4/3
    # (classes 0 and 2 on x0 at 1.5 and 3.5 (x1 gives 1/3 at best), class 1 on x1 at 0.5). Both
    # children are pure (impurity 0, leaves). A tree's unnormalised importance is
    # (6 * 2/9 - 0 - 0) / 6 = 2/9: x0 gets 2 * 2/9, x1 2/9, normalised 2/3 and 1/3.
    # Leaves (Newton step, (K-1)/K = 2/3): on the two points mean g = 2/3, p = 1/3, mean p(1-p) = 2/9:
    # 2/3 * 2/3 / (2/9) = 2; on the four others 2/3 * (-1/3) / (2/9) = -1. After one stage at
    # learning rate 0.1 a point's raw prediction is 0.2 for its class and -0.1 for the others.
    x = np.column_stack([np.arange(6.0), [0, 0, 1, 1, 0, 0]])
    y = np.array([0, 0, 1, 1, 2, 2])
    model = presorted.fit(x, y, random_state=0, n_estimators=1)
    np.testing.assert_array_equal(model.node_count, [[3, 3, 3]])
    np.testing.assert_array_equal(model.feature[0, :, 0], [0, 1, 0])
    np.testing.assert_array_equal(model.threshold[0, :, 0], [1.5, 0.5, 3.5])
    np.testing.assert_allclose(model.impurity[0, :, :3], [[2 / 9, 0, 0]] * 3, atol=1e-15)
    np.testing.assert_allclose(model.value[0, 0, 1:3], [2.0, -1.0], rtol=1e-12)
    np.testing.assert_allclose(model.feature_importances_, [2 / 3, 1 / 3], rtol=1e-12)
    expected = np.full((6, 3), -0.1)
    expected[np.arange(6), y] = 0.2
    np.testing.assert_allclose(model.decision_function(x), expected, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(x), y)


def test_no_split_gives_zero_importances():
    # One class per constant x: every tree is a single leaf, so feature_importances_ is all zeros.
    x = np.zeros((20, 2))
    y = np.arange(20) % 2
    model = presorted.fit(x, y, random_state=0, n_estimators=3)
    np.testing.assert_array_equal(model.node_count, [[1], [1], [1]])
    np.testing.assert_array_equal(model.feature_importances_, [0.0, 0.0])


@pytest.mark.parametrize("x,y,match", [
    (np.zeros((4, 2)), np.zeros(4, dtype=int), "single class"),
    (np.array([[0.0, np.nan], [1, 2]]), np.array([0, 1]), "finite"),
    (np.zeros(4), np.array([0, 1, 0, 1]), "2-D"),
    (np.zeros((4, 2)), np.array([0, 1, 0]), "one label per row"),
])
def test_bad_input(x, y, match):
    with pytest.raises(ValueError, match=match):
        presorted.fit(x, y, random_state=0)


def test_dci_exact_backend_equals_the_scikit_learn_backend():
    # Codes with a tied column (a factor itself) and a duplicated one: every score equal.
    f = cases.factors(500, sizes=(3, 7, 2))
    noisy = cases.identity(f) + np.random.default_rng(1).normal(0, 0.8, (500, 3))
    codes = np.column_stack([noisy, f[:, 1], noisy[:, 0]])
    exact = zoo.metrics.dci(*cases.split(codes, f, 350), backend="exact", n_jobs=2)
    reference = zoo.metrics.dci(*cases.split(codes, f, 350), backend="sklearn", n_jobs=2)
    assert exact == reference
