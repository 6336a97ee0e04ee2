"""The population benchmark (issue 20): each figure's numbers rebuilt from a hand-made population file.

A dozen rows with known structure go through the same functions the figures use, and every number
is checked against a value derived by hand in the comments; the variance decomposition against a
worked example; Theorem 1's demonstration against its invariants; and the score step (on a tiny
untrained model) against its promise to score a model once and refuse a second setting.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from benchmarks.papers import _impossibility as imp
from benchmarks.papers import _population_intervals as intervals
from benchmarks.papers import _population_figures as figures
from benchmarks.papers import _population_stats as stats
from benchmarks.papers import population
from benchmarks import _report

from population_cases import OBJ_LEVEL, SIX, VALUES, dozen, make_row  # noqa: F401  (the hand-made rows)


# ----------------------------------------------------------------------------- 2. variance shares

def test_scores_that_depend_only_on_the_objective_are_all_objective():
    rows = dozen(lambda o, rank, seed: OBJ_LEVEL[o])
    v = stats.shares_of(rows, "mig.mig")
    assert v["shares"]["objective"] == pytest.approx(1.0)
    assert v["shares"]["setting"] == pytest.approx(0.0, abs=1e-12)
    assert v["shares"]["seed"] == pytest.approx(0.0, abs=1e-12)
    # df: 3 objectives -> 2; 9 settings - 3 objectives -> 6; 12 models - 9 settings -> 3.
    assert v["df"] == {"objective": 2, "setting": 6, "seed": 3}
    assert v["null_shares"]["seed"] == pytest.approx(3 / 11)


def test_variance_shares_worked_example():
    # Objective A: setting a1 {1}, a2 {2, 4} (two seeds); objective B: b1 {6}, b2 {7}.
    # mean 4; SS_total = 9 + 4 + 0 + 4 + 9 = 26.
    # A's mean 7/3 (3 models), B's 6.5 (2): SS_obj = 3 (7/3 - 4)^2 + 2 (2.5)^2 = 25/3 + 12.5 = 125/6.
    # SS_setting = (1 - 7/3)^2 + 2 (3 - 7/3)^2 + (6 - 6.5)^2 + (7 - 6.5)^2 = 16/9 + 8/9 + 1/2 = 19/6.
    # SS_seed = (2 - 3)^2 + (4 - 3)^2 = 2.   125/6 + 19/6 + 2 = 26.
    v = stats.variance_shares([1, 2, 4, 6, 7], ["A", "A", "A", "B", "B"], ["a1", "a2", "a2", "b1", "b2"])
    assert v["ss"]["total"] == pytest.approx(26.0)
    assert v["shares"]["objective"] == pytest.approx(125 / 156)
    assert v["shares"]["setting"] == pytest.approx(19 / 156)
    assert v["shares"]["seed"] == pytest.approx(12 / 156)
    assert v["df"] == {"objective": 1, "setting": 2, "seed": 1}
    assert v["null_shares"] == pytest.approx({"objective": 0.25, "setting": 0.5, "seed": 0.25})
    assert v["seed_sd"] == pytest.approx(math.sqrt(2.0))
    # The same setting label under two objectives is two settings.
    w = stats.variance_shares([1, 2, 3, 4], ["A", "A", "B", "B"], ["x", "x", "x", "x"])
    assert w["df"] == {"objective": 1, "setting": 0, "seed": 2}


def test_seed_noise_only_lands_in_the_seed_share():
    rows = dozen(lambda o, rank, seed: 0.5 + (0.1 if seed else -0.1) * (rank == 1))
    # Middle cells hold {0.4, 0.6}: every objective and setting mean is 0.5 except the middle
    # settings' (0.5 too): all variance is between seeds.
    v = stats.shares_of(rows, "sap.sap")
    assert v["shares"]["seed"] == pytest.approx(1.0)
    assert v["seed_sd"] == pytest.approx(math.sqrt(3 * 0.02 / 3))  # 3 cells x (0.1^2 + 0.1^2), 3 df


def test_dip_vae_settings_hold_their_variant_string_and_split_like_the_others():
    rows = [make_row(o, v, seed, quality=q) for o, v, seed, q in
            [("dip_vae_i", 1.0, 0, 0.2), ("dip_vae_i", 1.0, 1, 0.4), ("dip_vae_i", 5.0, 0, 0.6),
             ("dip_vae_ii", 1.0, 0, 0.7), ("dip_vae_ii", 5.0, 0, 0.9)]]
    assert rows[0]["hparams"] == {"variant": "i", "lambda_od": 1.0, "lambda_d": 10.0}
    assert stats.setting_key(rows[3]) == (("lambda_d", 10.0), ("lambda_od", 1.0), ("variant", "ii"))
    assert stats.setting_key(rows[0]) == stats.setting_key(rows[1]) != stats.setting_key(rows[2])
    # By hand: grand mean 0.56; objective means 0.4 / 0.8 -> SS 3(0.16^2) + 2(0.24^2) = 0.192;
    # settings (0.3, 0.6 | 0.7, 0.9) around them -> 0.06 + 0.02 = 0.08; seeds 0.01 + 0.01 = 0.02.
    shares = stats.shares_of(rows, "sap.sap")["shares"]
    assert shares["objective"] == pytest.approx(0.192 / 0.292)
    assert shares["setting"] == pytest.approx(0.08 / 0.292)
    assert shares["seed"] == pytest.approx(0.02 / 0.292)


# ----------------------------------------------------------------------------- 1. agreement

def test_agreement_of_monotone_scores_is_plus_or_minus_one_and_compared_cell_by_cell():
    rows = dozen(lambda o, rank, seed: OBJ_LEVEL[o] + 0.1 * rank + 0.01 * seed)  # 12 distinct qualities
    a = figures.agreement(rows)
    ours = np.array(a["ours"])
    assert a["num_models"] == 12
    mod = a["metrics"].index("Modularity")
    expected = np.ones((6, 6))
    expected[mod, :] = expected[:, mod] = -1
    expected[mod, mod] = 1
    np.testing.assert_allclose(ours, expected, atol=1e-12)
    # The paper's upper triangle (Noisy-dSprites, %), row by row:
    paper = [80, 44, 41, 46, 37, 49, 52, 25, 38, 76, 6, 42, -8, 38, 13]
    signs = [1, 1, 1, -1, 1, 1, 1, -1, 1, 1, -1, 1, -1, 1, -1]  # modularity is the 5th metric
    mad = np.mean([abs(s - p / 100) for s, p in zip(signs, paper)])
    assert a["comparison"]["mean_abs_difference"] == pytest.approx(mad)
    assert a["comparison"]["pairs"] == 15
    # Same sign: the 10 pairs without Modularity are positive in both; of Modularity's 5, only
    # the paper's -8 (DCI) is negative.
    assert a["comparison"]["same_sign"] == 11


# ----------------------------------------------------------------------------- 3. mean vs sampled

def test_tc_trends_follow_regularisation_strength_not_the_raw_value():
    rows = []
    for o, values in VALUES.items():
        for rank, seed in ((0, 0), (1, 0), (1, 1), (2, 0)):
            # Sampled TC falls and mean TC rises with the *strength* rank; AnnealedVAE's values run
            # 100 -> 25 -> 5, weakest first, so the rank, not the value, must order its settings.
            rows.append(make_row(o, values[rank], seed, tc=(1.0 + rank + 0.2 * seed, 3.0 - rank)))
    m = stats.mean_vs_sampled(rows)
    assert list(m) == ["beta_vae", "annealed_vae", "factor_vae"]
    a = m["annealed_vae"]
    assert [s["value"] for s in a["mean"]] == [100.0, 25.0, 5.0]
    assert [s["mean"] for s in a["mean"]] == pytest.approx([1.0, 2.1, 3.0])  # middle: (2 + 2.2) / 2
    assert a["trend_mean"] == {"weak": 1.0, "strong": 3.0, "direction": "rises"}
    assert a["trend_sampled"]["direction"] == "falls"


# ----------------------------------------------------------------------------- 4. trade-off

def test_tradeoff_front_counts():
    rows = [make_row("beta_vae", 1.0, 0, quality=0.3, recon=50.0),    # best error: on the front
            make_row("beta_vae", 4.0, 0, quality=0.5, recon=80.0),    # beaten by factor_vae 10
            make_row("beta_vae", 16.0, 0, quality=0.9, recon=200.0),  # best score: on the front
            make_row("factor_vae", 10.0, 0, quality=0.6, recon=70.0),  # on the front
            make_row("factor_vae", 100.0, 0, quality=0.6, recon=90.0),  # beaten by factor_vae 10
            make_row("annealed_vae", 5.0, 0, quality=1.0, recon=1.0)]   # not in the figure
    t = stats.tradeoff(rows, "factor_vae_score.eval_accuracy")
    assert t["count"] == {"beta_vae": 3, "factor_vae": 2}
    assert t["on_front"] == {"beta_vae": 2, "factor_vae": 1}
    assert stats.pareto_front([(1, 1), (1, 1)]) == [True, True]  # ties beat nobody


# ----------------------------------------------------------------------------- 5. capacity

def test_capacity_switch_on_order_and_factor_names():
    trace = {"steps": [0, 500, 1000, 1500, 2000],
             "kl_per_latent": [[0.0, 0.0, 0.0], [0.6, 0.1, 0.0], [1.0, 0.3, 0.1], [1.2, 0.7, 0.1], [1.3, 1.1, 0.2]]}
    # MI [latents x factors] in nats; entropies (log 3, log 32): latent 0 -> posX (2.0 / 3.466 = 0.58),
    # latent 1 -> shape (0.5 / 1.099 = 0.46 > 0.3 / 3.466), latent 2 inactive.
    mi = {"matrix": [[0.1, 2.0], [0.5, 0.3], [0.01, 0.02]], "factor_entropy": [math.log(3), math.log(32)],
          "factor_names": ["shape", "posX"]}
    row = make_row("annealed_vae", 25.0, 0, trace=trace, mi=mi)
    c = stats.capacity_trace(row)
    assert c["order"] == [0, 1, 2]
    assert [l["on_step"] for l in c["latents"]] == [500, 1500, None]
    assert [l["factor"] for l in c["latents"]] == ["posX", "shape", None]
    assert c["latents"][0]["normalised_mi"] == pytest.approx(2.0 / math.log(32))
    # C = c_max min(step / threshold, 1) with c_max 25, threshold 2000.
    assert c["capacity"] == pytest.approx([0.0, 6.25, 12.5, 18.75, 25.0])
    assert c["total_kl"][-1] == pytest.approx(2.6)


# ----------------------------------------------------------------------------- the figures step end to end

def test_figures_step_recomputes_every_number_from_the_file(tmp_path, monkeypatch):
    rows = dozen(lambda o, rank, seed: OBJ_LEVEL[o] + 0.1 * rank + 0.01 * seed)
    # beta-TCVAE at beta 1, seed 0: the same objective as beta-VAE at beta 1, seed 0, to be counted once.
    copy = make_row("beta_tcvae", 1.0, 0, quality=0.99)
    rows.append(copy)
    trace = {"steps": [0, 1000, 2000], "kl_per_latent": [[0.0, 0.0], [0.9, 0.0], [1.5, 0.2]]}
    mi = {"matrix": [[0.1, 2.0], [0.5, 0.3]], "factor_entropy": [1.0, 3.0], "factor_names": ["shape", "posX"]}
    for r in rows:
        if r["objective"] == "annealed_vae":
            r["kl_trace"], r["mutual_information"] = trace, mi
    path = tmp_path / "population.json"
    path.write_text(json.dumps({"format": "zoo population v1", "settings": {"num_train": 1}, "rows": rows}))
    drawn = []  # what each figure was asked to draw: its content, not just a file of some size

    def spy(module, name):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda path, *a, **k: (drawn.append((Path(path).name, a, k)),
                                                                 real(path, *a, **k))[1])

    spy(figures._plots, "panels")
    spy(figures._plots, "heatmaps")
    result = _report.run_and_save(population, quick=True, out=tmp_path / "out", population_file=path,
                                  impossibility=False, resamples=60)
    assert result["num_models"] == 13
    assert result["distinct"]["num_models"] == 12 and result["distinct"]["dropped"] == [copy["name"]]
    assert result["agreement"]["num_models"] == 12  # the copy, whose 0.99 would rank first, is left out
    rows.remove(copy)
    assert result["variance"]["MIG"]["shares"] == pytest.approx(stats.shares_of(rows, "mig.mig")["shares"])
    # Seeds: 3 middle cells whose two seeds differ by 0.01, SS_seed = 3 x 2 x 0.005^2 = 1.5e-4.
    assert result["variance"]["MIG"]["ss"]["seed"] == pytest.approx(1.5e-4)
    assert len(result["capacity"]) == 4 and result["capacity"][0]["latents"][0]["factor"] == "posX"
    drawn = {name: (args, kwargs) for name, args, kwargs in drawn}
    assert set(drawn) == {result["figures"][k] for k in ("agreement", "variance", "mean_vs_sampled", "tradeoff",
                                                          "capacity")}
    # Agreement: our matrix, the within-objective one and the paper's, as computed.
    (panels, labels), _ = drawn[result["figures"]["agreement"]]
    i = result["intervals"]
    assert [m for _, m in panels] == [result["agreement"]["ours"], i["agreement"]["within_matrix"],
                                      result["agreement"]["paper"]]
    assert len(labels) == len(result["agreement"]["ours"])
    # Variance: one panel per score, its points the twelve models' scores.
    (specs,), _ = drawn[result["figures"]["variance"]]
    assert len(specs) == len(result["variance"])
    for spec, entry in zip(specs, result["variance"].values()):
        assert sorted(y for s in spec["series"] for _, y in s["points"]) == sorted(p["score"] for p in entry["points"])
    # MIG's panel: beta-VAE's weakest setting scores 0.2 (OBJ_LEVEL), AnnealedVAE's strongest 1.0.
    mig = specs[list(result["variance"]).index("MIG")]
    assert min(y for s in mig["series"] for _, y in s["points"]) == pytest.approx(0.2)
    assert max(y for s in mig["series"] for _, y in s["points"]) == pytest.approx(1.0)
    # Capacity: each annealed model's KL trace, latent by latent, as in the file.
    (specs,), _ = drawn[result["figures"]["capacity"]]
    assert len(specs) == 4
    kl = {s["name"].split(":")[0]: s["points"] for s in specs[0]["series"] if s["name"].startswith("z")}
    assert kl == {"z0": list(zip(trace["steps"], [0.0, 0.9, 1.5])), "z1": list(zip(trace["steps"], [0.0, 0.0, 0.2]))}
    # Trade-off: (score, reconstruction error) of each beta-VAE and FactorVAE model.
    (specs,), _ = drawn[result["figures"]["tradeoff"]]
    models = result["tradeoff"]["mig"]["models"]
    points = [p for s in specs[1]["series"] if s["name"] for p in s["points"]]
    assert sorted(points) == sorted((m["score"], m["error"]) for m in models) and len(points) == 8
    # Each PNG decodes to a picture with ink on it.
    from PIL import Image

    for key in ("agreement", "variance", "mean_vs_sampled", "tradeoff", "capacity"):
        with Image.open(tmp_path / "out" / result["figures"][key]) as image:
            pixels = np.asarray(image.convert("L"))
        assert pixels.shape[0] > 200 and pixels.shape[1] > 400 and (pixels < 200).mean() > 0.01, key
    text = (tmp_path / "out" / "population.md").read_text()
    assert text.count("**Paper**") == 5 and "Not computed in this run" in text  # no impossibility demo here
    assert "13 trained models (beta-VAE 4, AnnealedVAE 4, FactorVAE 4, beta-TCVAE 1)" in text
    assert f"drop the beta-TCVAE copy (`{copy['name']}`) and count 12 models" in text
    saved = json.loads((tmp_path / "out" / "population_figures.json").read_text())
    assert saved["agreement"]["comparison"] == result["agreement"]["comparison"]
    assert saved["intervals"]["resamples"] == 60 and saved["intervals"]["rule"] == stats.VERDICT_RULE
    # Intervals. Every score is the same monotone quality (Modularity its negative): in every resample the
    # correlations are +1 or -1, pooled and within objectives, so each interval is a point that misses
    # the paper's cell: 15 disagreements each way.
    pairs = i["agreement"]["pairs"]
    assert len(pairs) == 15 and pairs[0]["pair"] == ["BetaVAE", "FactorVAE"] and pairs[0]["paper"] == 0.8
    for p in pairs:
        sign = -1 if "Modularity" in p["pair"] else 1
        for which in ("ours", "within"):
            assert (p[which]["low"], p[which]["estimate"], p[which]["high"]) == pytest.approx((sign,) * 3), p
    assert i["agreement"]["verdicts"] == i["agreement"]["within_verdicts"] == {"agrees": 0, "disagrees": 15,
                                                                               "undetermined": 0}
    assert "| BetaVAE - FactorVAE | 80 | 100 [100, 100] | disagrees | 100 [100, 100] | disagrees |" in text
    # Variance, by hand: objective levels 0.2 / 0.5 / 0.8, four models each: SS_obj = 4 (0.09 + 0 + 0.09) = 0.72;
    # settings L, L + 0.105, L + 0.2 around L + 0.1025: SS_setting = 3 (0.1025^2 + 2 0.0025^2 + 0.0975^2)
    # = 0.060075; SS_seed = 3 x 2 x 0.005^2 = 1.5e-4. Seed deviations of +-0.005 sqrt(2) barely move it:
    # the objective's share stays above one half, against the paper.
    mig = i["variance"]["MIG"]
    total = 0.72 + 0.060075 + 1.5e-4
    assert mig["objective"]["estimate"] == pytest.approx(0.72 / total)
    assert mig["objective"]["low"] <= 0.72 / total <= mig["objective"]["high"] < mig["objective"]["low"] + 0.02
    # Reconstruction is 100 for every model: no variance to share, undetermined.
    assert mig["verdict"] == "disagrees" and i["variance"]["Recon. NLL"]["verdict"] == "undetermined"
    assert "above it for 7 (BetaVAE, FactorVAE, MIG, DCI, Modularity, SAP, IRS)" in text
    assert mig["seed_sd"]["estimate"] == pytest.approx(math.sqrt(1.5e-4 / 3))
    # The file's settings name no evaluation size: no evaluation noise is claimed.
    assert "evaluation" not in i["variance"]["BetaVAE"]
    # Trends: every TC is 1.0, so every change is 0 with no seed spread: [0, 0], undetermined.
    t = i["mean_vs_sampled"]["beta_vae"]["sampled"]
    assert (t["low"], t["estimate"], t["high"]) == (0.0, 0.0, 0.0) and t["verdict"] == "undetermined"
    assert i["mean_vs_sampled"]["annealed_vae"]["mean"]["verdict"] is None  # not in the paper's figure
    # Trade-off: one reconstruction error for all, no difference at equal error can be fitted.
    assert i["tradeoff"]["mig"]["verdict"] == "undetermined" and math.isnan(i["tradeoff"]["mig"]["estimate"])
    # Capacity: every trace switches position on alone: nothing to order.
    assert i["capacity"] == {"ordered_runs": 0, "position_first_of_ordered": 0, "verdict": "undetermined"}


# ----------------------------------------------------------------------------- 6. impossibility

def test_normal_code_is_the_standard_normal_quantile_of_the_class_cell():
    from scipy.stats import norm

    sizes = (3, 40)
    obs = np.array([[0.5, 20.0], [2.999, 0.25]])  # class + offset
    np.testing.assert_allclose(imp.normal_code(obs, sizes), norm.ppf(obs / np.array(sizes)))
    assert imp.normal_code([[1.5, 20.0]], sizes)[0] == pytest.approx([0.0, 0.0])  # the middle of each grid


def test_rotation_is_orthogonal_turns_its_principal_plane_by_45_degrees_and_keeps_the_prior():
    r = imp.rotation(1.0, 5, seed=0)
    np.testing.assert_allclose(r.T @ r, np.eye(5), atol=1e-13)
    assert np.linalg.det(r) == pytest.approx(1.0)
    assert np.max(np.abs(np.angle(np.linalg.eigvals(r)))) == pytest.approx(math.pi / 4)
    np.testing.assert_allclose(imp.rotation(0.0, 5), np.eye(5), atol=1e-15)
    z = np.random.default_rng(1).standard_normal((1000, 5))
    # log N(z; 0, I) = -|z|^2 / 2 - 5/2 log 2 pi, and |Rz| = |z|.
    np.testing.assert_allclose(imp.log_prior(z @ r.T), imp.log_prior(z), atol=1e-12)
    assert imp.log_prior(np.zeros((1, 5)))[0] == pytest.approx(-2.5 * math.log(2 * math.pi))


def test_theorem_one_demonstration_keeps_the_likelihood_and_every_score_falls():
    demo = imp.demonstrate(ts=(0.0, 1.0), num_train=600, num_test=300, batch_size=8, dci_backend="fast", seed=0)
    start, end = demo["rows"]
    assert end["max_abs_log_prior_change"] < 1e-12 and end["orthogonality_error"] < 1e-13
    assert start["mean_log_prior"] == pytest.approx(end["mean_log_prior"], abs=1e-12)
    # z ~ N(0, I) exactly: its Gaussian total correlation is ~0 and so is that of Rz (sampling noise only).
    assert abs(start["gaussian_total_correlation"]) < 0.05 and abs(end["gaussian_total_correlation"]) < 0.05
    for label, _ in imp.SUPERVISED:
        assert end["scores"][label] < start["scores"][label], label
    assert start["scores"]["BetaVAE"] > 0.95 and start["scores"]["DCI"] > 0.8


# ----------------------------------------------------------------------------- the score step

@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """A runs folder with one finished run: an untrained beta-VAE on the tiny dataset, as a preset."""
    import zoo.data
    import zoo.models
    from zoo import presets

    runs = tmp_path_factory.mktemp("runs")
    data = zoo.data.load("tiny")
    model = zoo.models.get("beta_vae", input_shape=data.observation_shape, latent_dim=4, beta=4.0)
    model.representation(np.zeros((1, *data.observation_shape), np.float32))
    presets.save_preset(model, runs / "beta_vae-beta4-seed0" / "preset", objective="beta_vae",
                        metadata={"dataset": {"name": "tiny"},
                                  "training": {"hparams": {"beta": 4.0}, "seed": 0, "steps": 0}})
    (runs / "beta_vae-beta4-seed0" / "kl_trace.json").write_text(json.dumps(
        {"steps": [0], "kl_per_latent": [[0.0] * 4], "num_images": 10, "image_seed": 7}))
    (runs / "unfinished").mkdir()
    return runs


TINY = {"num_train": 200, "num_test": 100, "intervention_train": 20, "intervention_eval": 10,
        "num_variance_estimate": 100, "batch_size": 8, "dci_backend": "fast", "seed": 0, "probe_points": 120,
        "probe_seed": 1}


def test_score_step_writes_a_full_row_once_and_refuses_another_setting(tiny_runs, tmp_path):
    from benchmarks.papers import _population_score as ps

    path = tmp_path / "population.json"
    content = ps.score_population(tiny_runs, path, TINY, log=lambda s: None)
    (row,) = content["rows"]
    assert row["name"] == "beta_vae-beta4-seed0" and row["objective"] == "beta_vae" and row["hparams"] == {"beta": 4.0}
    assert set(SIX) <= set(row["scores"]) and "unsupervised.gaussian_total_correlation" in row["scores"]
    assert len(row["kl_per_latent"]) == 4 and np.shape(row["mutual_information"]["matrix"]) == (4, 4)
    assert row["reconstruction"]["nll_sampled"] > 0 and row["kl_trace"]["steps"] == [0]
    assert set(row["gaussian_total_correlation"]) == {"mean", "sampled"}
    # An untrained encoder's sampled code is mostly the unit noise: its latents are closer to
    # independent than the means are.
    assert row["gaussian_total_correlation"]["sampled"] < row["gaussian_total_correlation"]["mean"]
    # BetaVAE and FactorVAE also at evaluation seeds 1 and 2; the first value is the row's own score.
    assert row["eval_seeds"]["seeds"] == [0, 1, 2]
    for key in ("beta_vae_score.eval_accuracy", "factor_vae_score.eval_accuracy"):
        assert len(row["eval_seeds"][key]) == 3 and row["eval_seeds"][key][0] == row["scores"][key]
        assert all(0.0 <= v <= 1.0 for v in row["eval_seeds"][key])
    assert json.loads(path.read_text()) == json.loads(json.dumps(content))
    again = ps.score_population(tiny_runs, path, TINY, log=lambda s: None)
    assert again["rows"] == content["rows"]  # nothing rescored (the timings would differ)
    with pytest.raises(ValueError, match="other settings .*num_train"):
        ps.score_population(tiny_runs, path, {**TINY, "num_train": 300}, log=lambda s: None)


def test_score_step_keeps_rows_another_process_wrote_while_it_scored(tiny_runs, tmp_path, monkeypatch):
    """Two score steps into one file (two lanes): each reads the file again under its folder's lock
    before adding its row, so the other's rows stay (it read the file once and wrote that copy back)."""
    from benchmarks.papers import _population_score as ps

    path = tmp_path / "population.json"
    other = {"name": "another-lane-row", "scores": {}}

    def score_run(run_dir, settings, data, *, name, **kwargs):  # the other lane writes its row meanwhile
        ps._report.write_json(path, {"format": ps.FORMAT, "settings": TINY, "rows": [other]})
        return {"name": name, "scores": {}, "seconds": 0.0, "timing": {}}

    monkeypatch.setattr(ps, "score_run", score_run)
    content = ps.score_population(tiny_runs, path, TINY, log=lambda s: None)
    names = ["another-lane-row", "beta_vae-beta4-seed0"]
    assert [r["name"] for r in content["rows"]] == names
    assert [r["name"] for r in json.loads(path.read_text())["rows"]] == names


def test_score_step_scores_a_snapshot_as_its_own_row_with_the_trace_to_its_step(tiny_runs, tmp_path):
    import shutil

    from benchmarks.papers import _population_score as ps

    runs = tmp_path / "runs"
    shutil.copytree(tiny_runs / "beta_vae-beta4-seed0" / "preset", runs / "long" / "snapshots" / "step5" / "preset")
    (runs / "long" / "kl_trace.json").write_text(json.dumps(
        {"steps": [0, 5, 10], "kl_per_latent": [[0.0] * 4, [1.0] * 4, [2.0] * 4], "num_images": 10, "image_seed": 7}))
    content = ps.score_population(runs, tmp_path / "p.json", TINY, log=lambda s: None, extra_eval_seeds=())
    (row,) = content["rows"]  # "long" itself is still training: only its snapshot is scored
    assert row["name"] == "long@5" and "eval_seeds" not in row
    assert row["kl_trace"]["steps"] == [0, 5] and row["kl_trace"]["kl_per_latent"] == [[0.0] * 4, [1.0] * 4]


def test_score_step_names_unknown_settings_and_a_missing_runs_folder(tmp_path):
    with pytest.raises(ValueError, match="unknown score settings .*num_points"):
        population.score(tmp_path, tmp_path / "p.json", quick=True, num_points=5)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        population.score(tmp_path / "nowhere", tmp_path / "p.json", quick=True)
    with pytest.raises(FileNotFoundError, match="run the score step first"):
        population.run(quick=True, out=tmp_path, population_file=tmp_path / "absent.json", impossibility=False)


def test_readme_section_is_appended_once_then_replaced_and_a_broken_one_refused(tmp_path):
    from benchmarks.papers import _population_markdown as md

    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\nintro\n")
    md.publish(readme, "first\n", "Population")
    once = readme.read_text()
    assert once.startswith("# Benchmarks\n\nintro\n\n" + md.BEGIN + "\n## Population\n\nfirst\n" + md.END)
    readme.write_text(once + "\n## After\n")
    md.publish(readme, "second", "Population")
    text = readme.read_text()
    assert "first" not in text and text.count(md.BEGIN) == 1 and text.endswith(md.END + "\n\n## After\n")
    readme.write_text(text.replace(md.END, ""))
    with pytest.raises(ValueError, match="broken section"):
        md.publish(readme, "third", "Population")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        md.publish(tmp_path / "missing.md", "x", "Population")


def test_capacity_first_on_per_factor_group_and_summary_by_hand():
    def trace_of(factors_on):  # latents named (factor, on_step); steps every 500
        latents = [{"latent": j, "factor": f, "on_step": on, "final_kl": 1.0, "normalised_mi": 0.5}
                   for j, (f, on) in enumerate(factors_on)]
        return {"first_on": stats.first_on(latents), "steps": [0, 500, 1000, 1500]}

    a = trace_of([("posY", 1000), ("posX", 500), ("scale", 1500), (None, None)])
    b = trace_of([("scale", 500), ("posX", 1000), ("shape", 1500)])
    c = trace_of([("posX", 500), ("posY", 500)])
    assert a["first_on"] == {"position": 500, "scale": 1500, "shape": None, "orientation": None}
    assert b["first_on"] == {"position": 1000, "scale": 500, "shape": 1500, "orientation": None}
    s = stats.capacity_summary([a, b, c])
    # position first in a and c; scale on in a (after position) and b (before); shape only in b.
    # Ordered runs (two groups on at different steps): a (position 500 < scale 1500) and b (scale first); c
    # has position alone, where "position first" cannot fail. Position strictly first: a only.
    assert s == {"runs": 3, "position_first": 2, "scale_on": 2, "scale_after_position": 1,
                 "shape_or_orientation": 1, "ordered_runs": 2, "position_first_of_ordered": 1, "resolution": 500}
    assert intervals.capacity(s)["verdict"] == "undetermined"  # 1 of 2
    assert intervals.capacity(stats.capacity_summary([c]))["verdict"] == "undetermined"  # nothing to order
    assert intervals.capacity(stats.capacity_summary([a]))["verdict"] == "agrees"
    assert intervals.capacity(stats.capacity_summary([b]))["verdict"] == "disagrees"


def test_readme_flag_is_checked_before_any_work(tmp_path):
    import subprocess
    import sys

    def run(*flags):
        return subprocess.run([sys.executable, "-m", "benchmarks.papers.population", *flags], cwd=population.ROOT,
                              capture_output=True, text=True, timeout=120)

    elsewhere = run(f"--readme={tmp_path / 'README.md'}", f"--out={tmp_path / 'plots'}")
    assert elsewhere.returncode == 2 and "must sit in --out" in elsewhere.stderr
    assert not (tmp_path / "plots").exists()  # nothing written
    scoring = run("--step=score", f"--readme={tmp_path / 'README.md'}", f"--out={tmp_path}")
    assert scoring.returncode == 2 and "use it with --step=figures" in scoring.stderr


def test_udr_step_scores_each_setting_among_its_models_and_again_when_one_is_added(tmp_path):
    import zoo.data
    import zoo.metrics
    import zoo.models
    from benchmarks.papers import _population_score as ps, _population_udr as pu
    from zoo import presets

    data = zoo.data.load("tiny")
    runs, rows = tmp_path / "runs", []
    for name, beta, seed in (("b4-s0", 4.0, 0), ("b4-s1", 4.0, 1), ("b4-s2", 4.0, 2), ("b8-s0", 8.0, 0)):
        model = zoo.models.get("beta_vae", input_shape=data.observation_shape, latent_dim=3, beta=beta, seed=seed)
        model.representation(np.zeros((1, *data.observation_shape), np.float32))
        head = model.encoder.get_layer("mean")  # a fresh encoder's codes barely move: spread them past the KL filter
        head.kernel.assign(head.kernel * 50.0)
        folder = runs / name if name != "b4-s2" else runs / "long" / "snapshots" / "step0"
        presets.save_preset(model, folder / "preset", objective="beta_vae",
                            metadata={"dataset": {"name": "tiny"}, "training": {"hparams": {"beta": beta}, "seed": seed,
                                                                                 "steps": 0}})
        rows.append({"name": name if name != "b4-s2" else "long@0", "objective": "beta_vae", "hparams": {"beta": beta},
                     "seed": seed, "steps": 0, "dataset": "tiny", "scores": {}})
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"format": ps.FORMAT, "settings": TINY, "rows": rows[:2] + rows[3:]}))
    content = pu.udr_step(runs, path, points=200, log=lambda s: None)
    by_name = {r["name"]: r for r in content["rows"]}
    assert "udr" not in by_name["b8-s0"]  # alone in its setting
    assert by_name["b4-s0"]["udr"]["models"] == ["b4-s0", "b4-s1"]
    # The numbers are zoo.metrics.udr's on the models' codes of the same 200 images.
    _, images = data.sample(200, rng=pu.SEED)
    models = [zoo.load(str(runs / n / "preset")) for n in ("b4-s0", "b4-s1")]
    codes, log_variances = zip(*(pu.encode(m, np.asarray(images, np.float32)) for m in models))
    expected = zoo.metrics.udr(list(codes), log_variances=np.stack(log_variances))["model_scores"]
    assert [by_name[n]["udr"]["lasso"] for n in ("b4-s0", "b4-s1")] == pytest.approx(list(expected), abs=1e-12)
    assert min(expected) > 0.01  # untrained encoders still spread their codes: a real comparison, not 0 == 0
    # A third model of the setting (a snapshot) joins: the group is scored again, among all three.
    content["rows"].append(rows[2])
    path.write_text(json.dumps(content))
    again = {r["name"]: r for r in pu.udr_step(runs, path, points=200, log=lambda s: None)["rows"]}
    assert again["long@0"]["udr"]["models"] == again["b4-s0"]["udr"]["models"] == ["b4-s0", "b4-s1", "long@0"]
    assert all(0.0 <= again[n]["udr"]["spearman"] <= 1.0 for n in ("b4-s0", "b4-s1", "long@0"))
