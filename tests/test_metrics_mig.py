"""MIG: hand-derived values, the discretiser's conventions, the sanity trio."""

import numpy as np
import pytest

import metrics_cases as cases
import zoo.metrics
from zoo.metrics._utils import entropy, histogram_discretize, mutual_information


def test_histogram_discretize_follows_numpy_histogram_and_digitize():
    # Edges of np.histogram(x, 4) are [0, .25, .5, .75, 1]; np.digitize against the first four puts
    # a value on an edge into the bin to its right and the maximum into the last bin.
    x = np.array([[0.0], [0.25], [0.5], [0.6], [1.0]])
    np.testing.assert_array_equal(histogram_discretize(x, 4)[:, 0], [1, 2, 3, 3, 4])
    # A constant column lands in one bin (np.histogram widens its range to [c - .5, c + .5]).
    assert len(np.unique(histogram_discretize(np.full((5, 1), 3.0), 20))) == 1


def test_mutual_information_and_entropy_by_hand():
    # v = [0, 0, 1, 1], z = [0, 0, 0, 1]:  I(z; v) = H(v) - H(v | z) = log 2 - 3/4 H(2/3, 1/3)
    #   = log 2 - 3/4 (log 3 - 2/3 log 2) = 3/2 log 2 - 3/4 log 3.
    v = np.array([[0], [0], [1], [1]])
    z = np.array([[0], [0], [0], [1]])
    assert mutual_information(z, v)[0, 0] == pytest.approx(1.5 * np.log(2) - 0.75 * np.log(3), abs=1e-12)
    assert entropy(v)[0] == pytest.approx(np.log(2), abs=1e-12)
    # A constant has no information.
    assert mutual_information(np.zeros((4, 1)), v)[0, 0] == 0.0


def test_mig_by_hand():
    # Factor v = [0, 0, 1, 1]; codes z1 = [0, 0, 0, 1] and z2 = [0, 1, 0, 1] (independent of v).
    # With 2 bins the codes keep their two levels, so I(z1; v) = 3/2 log 2 - 3/4 log 3 (above),
    # I(z2; v) = 0, and MIG = I(z1; v) / H(v) = 3/2 - 3/4 log2(3) = 0.311278...
    codes = np.array([[0, 0], [0, 1], [0, 0], [1, 1]], dtype=float)
    v = np.array([[0], [0], [1], [1]])
    assert zoo.metrics.mig(codes, v, num_bins=2)["mig"] == pytest.approx(1.5 - 0.75 * np.log2(3), abs=1e-12)


def test_mig_sanity_trio():
    f = cases.factors(4000)
    identity = zoo.metrics.mig(cases.identity(f), f)["mig"]
    assert identity > 0.98
    assert zoo.metrics.mig(cases.constant(f), f)["mig"] == 0.0
    # The duplicated factor's gap is 0, the other three are ~1: MIG ~ 3/4.
    duplicated = zoo.metrics.mig(cases.duplicated(f), f)["mig"]
    assert duplicated == pytest.approx(0.75, abs=0.02)
    assert zoo.metrics.mig(cases.rotated(f), f)["mig"] < identity - 0.5


def test_mig_keys_and_float_type():
    f = cases.factors(200)
    out = zoo.metrics.mig(cases.identity(f).astype(np.float32), f)
    assert list(out) == ["mig"] and isinstance(out["mig"], float)
