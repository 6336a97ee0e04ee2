"""cluster_accuracy: a hand-derived matching where greedy fails, the sanity trio, input checks."""

import doctest

import numpy as np
import pytest

import zoo.metrics
from zoo.metrics import _cluster_accuracy


def acc(codes, labels):
    return zoo.metrics.cluster_accuracy(codes, labels)["cluster_accuracy"]


def test_by_hand_where_greedy_matching_is_wrong():
    # Contingency table (rows: code values A=0, B=1; columns: labels x=0, y=1):
    #        x  y
    #   A    3  2
    #   B    2  0
    # Greedy takes the largest cell first, A->x (3), leaving B->y (0): 3/7.
    # The best one-to-one matching is A->y, B->x: (2 + 2) / 7 = 4/7.
    codes = [0, 0, 0, 0, 0, 1, 1]
    labels = [0, 0, 0, 1, 1, 0, 0]
    assert acc(codes, labels) == pytest.approx(4 / 7, abs=1e-12)


def test_more_code_values_than_labels_leave_some_unmatched():
    # Codes 0, 1, 2 vs labels 5, 6 (ids need not start at 0): 0->5 (2), 1->6 (2), code 2 (one
    # point, label 6) has no label left: 4/5.
    assert acc([0, 0, 1, 1, 2], [5, 5, 6, 6, 6]) == pytest.approx(0.8, abs=1e-12)
    # Fewer code values than labels: a constant code matches one label only.
    assert acc([7, 7, 7, 7], [0, 1, 1, 2]) == pytest.approx(0.5, abs=1e-12)


def test_sanity_trio():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 10_000)
    # 1. A perfect clustering under a renaming of the values scores exactly 1.
    permutation = rng.permutation(10) + 100
    assert acc(permutation[labels], labels) == 1.0
    # 2. A constant code scores the most frequent label's share (1/K for balanced labels).
    balanced = np.repeat(np.arange(10), 50)
    assert acc(np.zeros(500, int), balanced) == pytest.approx(0.1, abs=1e-12)
    assert acc(np.zeros(len(labels), int), labels) == pytest.approx(np.bincount(labels).max() / len(labels))
    # 3. A code independent of the labels scores about chance: 1/K plus the matching's small
    #    optimism on a finite sample.
    random_codes = rng.integers(0, 10, len(labels))
    assert 0.1 <= acc(random_codes, labels) < 0.12
    # A half-corrupted clustering scores about half plus chance on the corrupted half.
    noisy = np.where(rng.random(len(labels)) < 0.5, permutation[labels], rng.integers(0, 10, len(labels)) + 100)
    assert acc(noisy, labels) == pytest.approx(0.5 + 0.5 * 0.1, abs=0.02)


def test_input_checks():
    assert acc(np.array([[1], [1], [2]]), np.array([[0], [0], [1]])) == 1.0  # (N, 1) columns work
    assert acc(np.array([1.0, 2.0]), [3, 4]) == 1.0                          # whole-number floats too
    with pytest.raises(ValueError, match="argmax"):
        zoo.metrics.cluster_accuracy(np.eye(3), [0, 1, 2])
    with pytest.raises(ValueError, match="labels has 2 entries but codes have 3"):
        zoo.metrics.cluster_accuracy([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="integer ids"):
        zoo.metrics.cluster_accuracy([0.5, 1.0], [0, 1])
    with pytest.raises(ValueError, match="empty"):
        zoo.metrics.cluster_accuracy([], [])


def test_docstring_example():
    result = doctest.testmod(_cluster_accuracy, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
