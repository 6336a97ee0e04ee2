"""The population study's uncertainty (issue 34): the bootstrap, the verdict rule, within-objective
correlations, the same objective counted once, each checked by hand (the figures step end to end:
tests/test_population.py)."""

import math

import numpy as np
import pytest

from benchmarks.papers import _population_intervals as intervals
from benchmarks.papers import _agreement
from benchmarks.papers import _population_stats as stats
from population_cases import make_row


def test_bootstrap_of_a_mean_by_hand():
    # Two values {0, 1}: a resample's mean is 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4. A 90% interval
    # cuts 5% from each end, inside the 1/4 at 0 and at 1: [0, 1]. A 40% interval cuts 30%: [0.5, 0.5].
    x = np.array([0.0, 1.0])
    b = stats.bootstrap(lambda i: x[i].mean(), 2, level=0.9)
    assert (b["estimate"], b["low"], b["high"]) == (0.5, 0.0, 1.0)
    assert (b["resamples"], b["seed"]) == (stats.RESAMPLES, stats.SEED) == (2000, 0)
    narrow = stats.bootstrap(lambda i: x[i].mean(), 2, level=0.4)
    assert (narrow["low"], narrow["high"]) == (0.5, 0.5)
    assert stats.bootstrap(lambda i: x[i].mean(), 2, level=0.4, seed=0) == narrow  # fixed seed: reproducible
    # A statistic undefined on a constant resample (half of them here) is left out and counted.
    odd = stats.bootstrap(lambda i: x[i].mean() if np.ptp(x[i]) else math.nan, 2, level=0.9)
    assert 900 < odd["undefined"] < 1100 and (odd["low"], odd["high"]) == (0.5, 0.5)
    # Strata keep their sizes: two rows of "b" in every resample; arrays come back element by element.
    both = stats.bootstrap(lambda i: [np.sum(i >= 2), x[i[i < 2]].mean()], 4, strata=["a", "a", "b", "b"],
                           resamples=300, level=0.9)
    assert both["low"] == [2.0, 0.0] and both["high"] == [2.0, 1.0]
    with pytest.raises(ValueError, match="one label per row"):
        stats.bootstrap(lambda i: 0.0, 3, strata=["a"])


def test_seed_bootstrap_of_a_trend_by_hand():
    # Settings {1}, {0, 2}, {3}: trend 3 - 1 = 2. The middle setting's deviations -1, +1, scaled by sqrt(2 / 1),
    # are the only ones; each single-seed end draws one: 2 + d_strong - d_weak is 2 - 2 sqrt 2, 2 or 2 + 2 sqrt 2
    # with probabilities 1/4, 1/2, 1/4, so the 95% interval is [2 - 2 sqrt 2, 2 + 2 sqrt 2].
    t = intervals.trend_interval([[1.0], [0.0, 2.0], [3.0]])
    assert t["estimate"] == 2.0 and t["deviations"] == 2
    assert (t["low"], t["high"]) == pytest.approx((2 - 2 * math.sqrt(2), 2 + 2 * math.sqrt(2)))
    assert math.isnan(intervals.trend_interval([[1.0], [2.0], [3.0]])["low"])  # no seed spread to draw from
    # Pools: a pool with no setting of several seeds leaves its models where they are.
    b = stats.seed_bootstrap(lambda y: y.copy(), [1.0, 0.0, 2.0, 5.0], ["a", "b", "b", "c"], pools=[0, 0, 0, 1],
                             resamples=200, level=0.9)
    assert b["unmoved"] == 1 and b["low"][3] == b["high"][3] == 5.0
    assert b["low"][0] == pytest.approx(1 - math.sqrt(2)) and b["high"][0] == pytest.approx(1 + math.sqrt(2))


def test_verdict_rule():
    v = stats.verdict
    assert v(0.36, 0.81, 0.80) == "agrees"          # contains the paper's value, not 0
    assert v(0.60, 0.95, 0.44) == "disagrees"       # misses it
    assert v(-0.38, 0.51, 0.25) == "undetermined"   # contains it and 0
    assert v(-0.1, 0.2, 0.0) == "agrees"            # the paper says 0 and the interval holds it
    assert v(-0.5, -0.4, None, side="below") == "agrees"
    assert v(-0.1, 0.2, None, side="below") == "undetermined"
    assert v(0.1, 0.2, None, side="below") == "disagrees"
    assert v(0.6, 0.9, None, side="below", boundary=0.5) == "disagrees"
    assert v(math.nan, 0.2, 0.1) == "undetermined"
    with pytest.raises(ValueError, match="'below' or 'above'"):
        v(0.0, 1.0, None, side="falls")


def test_spearman_and_within_objective_correlation_by_hand():
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=(20, 4)), 1)  # ties
    x[:, 3] = 7.0  # constant
    names = list("abcd")
    np.testing.assert_allclose(intervals.spearman(x),
                               _agreement.rank_correlation([dict(zip(names, row)) for row in x], names), atol=1e-12)
    # Objective A: x (1, 2), y (2, 1); B: x (11, 12), y (12, 11). Pooled ranks x 1 2 3 4, y 2 1 4 3:
    # rho = 1 - 6 (1 + 1 + 1 + 1) / (4 x 15) = 0.6. With each objective's mean removed, x is (-.5, .5) and
    # y (.5, -.5) in both: rho = -1.
    v = np.array([[1, 2], [2, 1], [11, 12], [12, 11]], np.float64)
    assert intervals.spearman(v)[0, 1] == pytest.approx(0.6)
    w = intervals.within_objective(v, ["A", "A", "B", "B"])
    np.testing.assert_allclose(w, [[-0.5, 0.5], [0.5, -0.5], [-0.5, 0.5], [0.5, -0.5]])
    assert intervals.spearman(w)[0, 1] == pytest.approx(-1.0)


def test_same_objective_is_counted_once():
    rows = [make_row("beta_vae", 1.0, 0), make_row("beta_tcvae", 1.0, 0), make_row("beta_tcvae", 1.0, 1),
            make_row("beta_tcvae", 4.0, 0), make_row("beta_vae", 4.0, 0)]
    kept, dropped = stats.distinct_objectives(rows)
    # beta-TCVAE at beta 1, seed 0 has a beta-VAE twin; at seed 1 it has none and stays.
    assert [r["name"] for r in dropped] == ["beta_tcvae-1-seed0"]
    assert [r["name"] for r in kept] == ["beta_vae-1-seed0", "beta_tcvae-1-seed1", "beta_tcvae-4-seed0",
                                         "beta_vae-4-seed0"]


def test_adjusted_difference_and_evaluation_noise_by_hand():
    # score = 0.5 + 0.2 [FactorVAE] - 0.001 error, exactly: the difference at equal error is 0.2.
    error = np.array([60.0, 80.0, 140.0, 75.0, 90.0, 130.0])
    second = np.array([0, 0, 0, 1, 1, 1])
    assert intervals.adjusted_difference(0.5 + 0.2 * second - 0.001 * error, error, second) == pytest.approx(0.2)
    assert math.isnan(intervals.adjusted_difference([1, 2], [5, 5], [0, 1]))  # error and group confounded
    # Evaluation noise: accuracies 0.5 and 0.9 over 100 votes: mean p (1 - p) / 100 = (0.25 + 0.09) / 200.
    rows = [make_row("beta_vae", 4.0, 0, quality=0.5), make_row("beta_vae", 4.0, 1, quality=0.9)]
    v = intervals.variance(rows, [("BetaVAE", "beta_vae_score.eval_accuracy")], eval_points=100, resamples=50,
                           seed=0, level=0.95)["BetaVAE"]
    assert v["evaluation"]["sd"] == pytest.approx(math.sqrt(0.34 / 200))
    # Seed s.d. of {0.5, 0.9}: sqrt(0.08); the noise is 0.0017 / 0.08 of its variance.
    assert v["seed_sd"]["estimate"] == pytest.approx(math.sqrt(0.08))
    assert v["evaluation"]["share_of_seed_variance"]["estimate"] == pytest.approx(0.0017 / 0.08)
