"""Longer training (the same runs at 10,000 and 30,000 steps) and evaluation noise
(benchmarks/papers/_population_steps.py), on made-up rows."""

import math
import statistics

import pytest

from benchmarks.papers import _population_steps as ps
from population_cases import make_row

MIG = "mig.mig"
OBJECTIVES = {"beta_vae": 4.0, "factor_vae": 30.0, "dip_vae_i": 5.0}


def _long_runs(gain=0.1):
    rows = []
    for level, (objective, value) in enumerate(OBJECTIVES.items()):
        for seed in (3, 4, 5):
            early = make_row(objective, value, seed, quality=0.2 * level + 0.01 * seed)
            late = make_row(objective, value, seed, quality=0.2 * level + 0.01 * seed + gain * (level + 1))
            late["steps"] = 30000
            early["name"] = late["name"] + "@10000"
            rows += [early, late]
    return rows


def test_pairs_match_a_snapshot_with_its_run():
    rows = _long_runs()
    found = ps.pairs(rows)
    assert len(found) == 9 and all(a["name"] == b["name"] + "@10000" for a, b in found)
    assert all(a["steps"] == 10000 and b["steps"] == 30000 for a, b in found)


def test_longer_training_change_and_objective_share_by_hand():
    result = ps.longer(_long_runs(gain=0.1), resamples=100)
    assert result["num_runs"] == 9 and result["steps"] == [[10000], [30000]]
    mig = result["scores"]["MIG"]
    # Each objective gains 0.1 x its level + 1: mean change (0.1 + 0.2 + 0.3) / 3 = 0.2, the same in every resample
    # that keeps three runs per objective.
    assert mig["change"]["estimate"] == pytest.approx(0.2) and mig["change"]["low"] == pytest.approx(0.2)
    assert mig["per_objective"]["factor_vae"] == {"before": pytest.approx(0.24), "after": pytest.approx(0.44),
                                                  "runs": 3}
    # Objective means spread further apart at 30,000 steps while seeds stay 0.01 apart: its share grows.
    assert mig["objective_share"]["after"] > mig["objective_share"]["before"] > 0.9
    assert mig["share_change"]["estimate"] > 0


def test_no_pairs_and_slow_ramps_are_left_out():
    assert ps.longer([make_row("beta_vae", 4.0, 0)]) == {"num_runs": 0}
    ramp = make_row("annealed_vae", 25.0, 0)
    ramp["hparams"]["iteration_threshold"] = 30000
    late = {**ramp, "steps": 30000}
    early = {**ramp, "name": ramp["name"] + "@10000"}
    assert ps.is_slow_ramp(ramp) and not ps.is_slow_ramp(make_row("annealed_vae", 25.0, 0))
    assert ps.longer([early, late]) == {"num_runs": 0}
    rows = _long_runs() + [early, late]
    assert {r["name"] for r in ps.population_rows(rows)} == {r["name"] for r in _long_runs() if r["steps"] == 10000}


def test_evaluation_noise_is_the_root_mean_variance_over_evaluation_seeds():
    rows = []
    for seed, values in enumerate(([0.5, 0.6, 0.7], [0.8, 0.8, 0.8], [0.4, 0.5, 0.6])):
        row = make_row("beta_vae", 4.0, seed)
        row["scores"]["beta_vae_score.eval_accuracy"] = values[0]
        row["eval_seeds"] = {"seeds": [0, 1, 2], "beta_vae_score.eval_accuracy": values,
                             "factor_vae_score.eval_accuracy": [0.5, 0.5, None]}
        rows.append(row)
    noise = ps.evaluation_noise(rows)
    expected = math.sqrt(statistics.fmean([statistics.variance(v) for v in ([0.5, 0.6, 0.7], [0.8] * 3, [0.4, 0.5, 0.6])]))
    assert noise["BetaVAE"]["evaluation_sd"] == pytest.approx(expected) and noise["BetaVAE"]["models"] == 3
    assert noise["BetaVAE"]["training_seed_sd"] == pytest.approx(statistics.stdev([0.5, 0.8, 0.4]))
    assert noise["FactorVAE"] == {"models": 0}  # a missing value leaves that score out
    text = ps.markdown({"longer": {"num_runs": 0}, "evaluation_noise": noise})
    assert "No run holds both step counts yet" in text and f"| BetaVAE | 3 | {expected:.3f} |" in text


def test_markdown_of_the_paired_comparison():
    text = ps.markdown(ps.compute(_long_runs(), resamples=50))
    assert "The same 9 runs at 10,000 and 30,000 steps" in text and "| MIG | +0.200 [+0.200, +0.200] |" in text
    assert "No row holds several evaluation seeds yet" in text


def test_the_population_sections_keep_their_step_count_and_the_capacity_figure_takes_the_ramps():
    from benchmarks.papers import _population_figures as figures
    from population_cases import dozen

    rows = dozen(lambda o, rank, seed: 0.1 * rank + 0.01 * seed)
    trace = {"steps": [0, 100, 200], "kl_per_latent": [[0.0, 0.0], [0.9, 0.0], [1.5, 0.2]]}
    mi = {"matrix": [[0.1, 2.0], [0.5, 0.3]], "factor_entropy": [1.0, 3.0], "factor_names": ["shape", "posX"]}
    for r in rows:
        if r["objective"] == "annealed_vae":
            r["kl_trace"], r["mutual_information"] = trace, mi
    later = {**rows[0], "name": rows[0]["name"] + "-long", "steps": 30000}
    ramp = {**make_row("annealed_vae", 25.0, 0), "kl_trace": trace, "mutual_information": mi, "steps": 30000}
    ramp["hparams"]["iteration_threshold"] = 30000
    base = figures.compute(rows, None, resamples=30)
    more = figures.compute(rows + [later, ramp], None, resamples=30)
    assert more["num_models"] == base["num_models"] == 12 and more["steps"] == [10000]
    assert more["variance"]["MIG"]["shares"] == base["variance"]["MIG"]["shares"]
    assert len(more["capacity"]) == len(base["capacity"]) + 1 and more["capacity"][-1]["name"] == ramp["name"]
    assert list(more["selection"]["by_steps"]) == ["10000", "30000"]
    assert more["steps_comparison"]["longer"] == {"num_runs": 0}  # "-long" is no snapshot pair
