"""Unsupervised model selection on the population (benchmarks/papers/_population_selection.py), on
made-up rows whose answers are known by hand."""

import math

import pytest

from benchmarks.papers import _population_selection as sel
from population_cases import make_row

MIG = "mig.mig"
RECON = ("Recon. NLL", "reconstruction.nll_sampled", -1)
UDR = ("UDR_L", "udr.lasso", 1)


def _setting(objective, value, recon_and_mig, steps=10000):
    rows = []
    for seed, (recon, mig) in enumerate(recon_and_mig):
        row = make_row(objective, value, seed, recon=recon)
        row["scores"][MIG], row["steps"] = mig, steps
        rows.append(row)
    return rows


def test_chance_is_the_share_strictly_above_the_median():
    assert sel.chance(2) == 0.5 and sel.chance(3) == pytest.approx(1 / 3) and sel.chance(4) == 0.5
    assert sel.chance(5) == pytest.approx(2 / 5) and sel.chance(6) == 0.5


def test_selection_picks_the_lowest_error_and_counts_a_hit_above_the_median():
    # Setting A: the lowest error (90) has the highest MIG -> hit. Setting B: the lowest error (80) has the
    # median MIG (0.2, not above it) -> miss. Setting C: one model -> not a setting to choose in.
    rows = (_setting("beta_vae", 4.0, [(100, 0.1), (90, 0.5), (110, 0.2)])
            + _setting("factor_vae", 30.0, [(85, 0.3), (80, 0.2), (95, 0.1)])
            + _setting("dip_vae_i", 5.0, [(70, 0.9)]))
    out = sel.select(rows, RECON, MIG)
    assert (out["hits"], out["settings"]) == (1, 2) and out["chance"] == pytest.approx(1 / 3)
    assert out["low"] < 1 / 3 < out["high"] and out["verdict"] == "undetermined"
    # Higher is better for UDR: the same rows with UDR = -error pick the same models.
    for row in rows:
        row["udr"] = {"lasso": -row["reconstruction"]["nll_sampled"]}
    assert sel.select(rows, UDR, MIG)["hits"] == 1


def test_ties_go_to_the_lowest_seed_and_many_hits_are_above_chance():
    rows = []
    for value in (1.0, 4.0, 16.0):
        for objective in ("beta_vae", "factor_vae", "annealed_vae", "dip_vae_i"):
            rows += _setting(objective, value, [(50, 0.9), (50, 0.1), (60, 0.2)])  # seeds 0, 1 tie: seed 0 wins
    out = sel.select(rows, RECON, MIG)
    assert (out["hits"], out["settings"]) == (12, 12) and out["verdict"] == "above chance"


def test_correlation_is_spearman_over_the_models_having_the_score():
    rows = _setting("beta_vae", 4.0, [(100 - 10 * i, 0.1 * i) for i in range(5)])
    for row in rows:
        for key in row["scores"]:
            row["scores"][key] = row["scores"][MIG]
    out = sel.correlation(rows, "reconstruction.nll_sampled", resamples=50, seed=0)
    assert out["num_models"] == 5 and out["estimate"] == pytest.approx([-1.0] * 6)
    assert sel.correlation(rows, "udr.lasso", resamples=50, seed=0) == {"num_models": 0}  # no UDR yet
    assert sel.correlation(rows[:3], "reconstruction.nll_sampled", resamples=50, seed=0) == {"num_models": 3}


def test_kl_total_and_missing_scores():
    row = make_row("beta_vae", 4.0, 0)
    row["kl_per_latent"] = [1.0, 2.5]
    assert sel.unsupervised_value(row, "kl_total") == 3.5
    assert math.isnan(sel.unsupervised_value(row, "udr.lasso"))
    assert math.isnan(sel.unsupervised_value({"scores": {}}, "kl_total"))


def test_compute_keeps_step_counts_apart_and_counts_one_objective_once():
    rows = (_setting("beta_vae", 1.0, [(100, 0.1), (90, 0.5), (110, 0.2)])
            + _setting("beta_tcvae", 1.0, [(100, 0.1), (90, 0.5), (110, 0.2)])  # beta-VAE at beta 1 again
            + _setting("beta_vae", 4.0, [(100, 0.1), (90, 0.5), (110, 0.2)], steps=30000))
    for row in rows:
        row["kl_per_latent"] = [1.0]
    result = sel.compute(rows, resamples=50)
    assert list(result["by_steps"]) == ["10000", "30000"]
    assert result["by_steps"]["10000"]["num_models"] == 3  # the beta-TCVAE copies are left out
    assert result["by_steps"]["10000"]["scores"]["Recon. NLL"]["selection"]["MIG"]["hits"] == 1
    text = sel.markdown(result)
    assert "At 10,000 steps (3 models):" in text and "At 30,000 steps (3 models):" in text
    # BetaVAE and FactorVAE are equal across seeds (not above the median), MIG picks the best.
    assert "| Recon. NLL | 0/1 ~ | 0/1 ~ | 1/1 ~ |" in text and "| UDR_L | - |" in text
