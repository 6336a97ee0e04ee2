"""IRS: hand-derived value, documented quirks, the sanity trio."""

import numpy as np
import pytest

import metrics_cases as cases
import zoo.metrics


def test_irs_by_hand():
    # v1 = [0,0,1,1], v2 = [0,1,0,1]; z1 = 10 v1 + v2, z2 = v2.
    # z1: within groups of v1 it deviates .5 from the group mean -> EMPIDA 0.5; max deviation 5.5;
    #     IRS row [1 - .5/5.5, 1 - 5/5.5] -> 10/11.
    # z2: constant within groups of v2 -> 1; max deviation .5.
    # Weighted by max deviation: (10/11 * 5.5 + 1 * .5) / 6 = 11/12.
    v = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    z = np.stack([10 * v[:, 0] + v[:, 1], v[:, 1]], axis=1).astype(float)
    assert zoo.metrics.irs(z, v, diff_quantile=1.0)["irs"] == pytest.approx(11 / 12)
    assert zoo.metrics.irs(z, v)["irs"] == pytest.approx(11 / 12)  # all deviations equal: any quantile


def test_irs_drops_constant_dimensions():
    v = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    z = np.stack([10 * v[:, 0] + v[:, 1], v[:, 1], np.full(4, 7.0)], axis=1)
    assert zoo.metrics.irs(z, v)["irs"] == pytest.approx(11 / 12)


def test_irs_sanity_trio():
    f = cases.factors(3000)
    identity = zoo.metrics.irs(cases.identity(f), f)["irs"]
    assert identity == pytest.approx(1.0)
    assert zoo.metrics.irs(cases.constant(f), f)["irs"] == 0.0
    # IRS does not claim to penalise redundancy: each copy is as robust as the original.
    assert zoo.metrics.irs(cases.duplicated(f), f)["irs"] == pytest.approx(identity)
    assert zoo.metrics.irs(cases.rotated(f), f)["irs"] < identity - 0.3


def test_irs_merges_factor_classes_beyond_num_bins():
    # 40 classes into 20 bins: pairs of neighbouring classes share a group, so a code that is
    # the factor itself is no longer constant within groups (the reference's behaviour).
    v = np.repeat(np.arange(40), 5)[:, None]
    z = v.astype(float)
    assert zoo.metrics.irs(np.hstack([z, z]), v)["irs"] < 1.0
    assert zoo.metrics.irs(np.hstack([z, z]), v, num_bins=40)["irs"] == pytest.approx(1.0)


def test_irs_rejects_bad_quantile():
    f = cases.factors(50)
    with pytest.raises(ValueError, match="diff_quantile"):
        zoo.metrics.irs(cases.identity(f), f, diff_quantile=0.0)
