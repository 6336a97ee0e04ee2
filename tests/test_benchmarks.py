"""The paper benchmarks' cores on the tiny dataset: structure, and facts that can fail.

The BetaVAE table: the ground truth scores ~100%, a constant code about chance; the ordering checker
finds the paper's chain in its own numbers and reports a reversal it is given. The metric agreement:
a metric's rank correlation with itself is 1, with its negation -1, and the ground truth beats a
constant code on every score. Sizes are tiny: this is about the plumbing, not the numbers.
"""

import json

import numpy as np
import pytest

import zoo.data
import zoo.runs
from benchmarks.papers import _agreement, _betavae, _trained, betavae_table, metric_agreement
from benchmarks import _report
from benchmarks.papers import _representations as reps


@pytest.fixture(scope="module")
def tiny():
    data = zoo.data.load("tiny")
    return data, reps.FactorOracle(data)


def test_factor_oracle_gives_the_factors_of_its_last_batch_only(tiny):
    data, oracle = tiny
    factors = data.sample_factors(5, 0)
    images = oracle.sample_observations_from_factors(factors)
    np.testing.assert_array_equal(oracle.factors_for(images), factors)
    with pytest.raises(RuntimeError, match="did not just render"):
        oracle.factors_for(images.copy())


def test_betavae_table_ground_truth_tops_and_constant_is_near_chance(tiny):
    _, oracle = tiny
    rows = [_betavae.Row("ground_truth", "ground truth", [(reps.ground_truth(oracle), [0, 1, 2])], "gt"),
            _betavae.Row("constant", "constant", [(reps.constant(), [0, 1, 2])], "zeros"),
            _betavae.Row("vae", "VAE", [], "absent", "not in the zoo yet")]
    results = _betavae.score_rows(oracle, rows, num_train=100, num_eval=60, batch_size=8,
                                  paper=_betavae.paper_table(), log=lambda line: None)
    gt, const, absent = results
    assert gt["seeds"] == [0, 1, 2] and len(gt["scores"]) == 3
    assert gt["paper_mean"] == 100.0 and gt["mean"] > 99.0
    # 4 factors: chance is 25%; a constant code gives the classifier nothing to go on.
    assert const["mean"] < 50.0 and const["paper_mean"] is None
    assert absent["mean"] is None and absent["scores"] == [] and absent["status"] == "not in the zoo yet"
    assert absent["paper_mean"] == 61.58  # the paper's number stays, ours is never filled in


def test_ordering_checker_reports_a_reversal_and_ties():
    paper = {"a": (90.0, 1.0), "b": (50.0, 1.0), "c": (49.0, 1.0)}
    ours = {"a": (40.0, 1.0), "b": (50.0, 1.0), "c": (48.5, 0.1)}
    pairs = {(p["a"], p["b"]): p for p in _betavae.compare_orderings(paper, ours)}
    assert pairs[("a", "b")]["verdict"] == "reversed" and pairs[("a", "b")]["paper"] == ">"
    assert pairs[("b", "c")]["paper"] == "~" and pairs[("b", "c")]["ours"] == ">"
    assert pairs[("b", "c")]["verdict"] == "tie vs order"
    assert _betavae.chain(ours) == "b > c > a"
    assert _betavae.chain(paper) == "a > b ~ c"


def test_a_row_of_several_training_seeds_is_spread_over_their_means():
    import math
    import statistics

    # Three training seeds, each at three evaluation seeds: mean and sd over the seeds' means; the
    # evaluation sd is the root mean of each seed's variance.
    seeds = [[80.0, 82.0, 84.0], [70.0, 70.0, 70.0], [90.0, 91.0, 92.0]]
    row = _betavae.spread(seeds)
    assert row["over"] == "training seeds" and row["instance_means"] == [82.0, 70.0, 91.0]
    assert row["mean"] == pytest.approx(81.0) and row["std"] == pytest.approx(statistics.stdev([82.0, 70.0, 91.0]))
    assert row["eval_std"] == pytest.approx(math.sqrt((4.0 + 0.0 + 1.0) / 3))
    # One trained model, or a baseline refit per evaluation seed: the sd over all its scores, as before.
    assert _betavae.spread([[80.0, 82.0, 84.0]]) == {"mean": 82.0, "std": 2.0, "over": "evaluation seeds"}
    assert _betavae.spread([[80.0], [82.0], [84.0]])["std"] == 2.0
    assert _betavae.spread([]) == {"mean": None, "std": None, "over": None}


def test_pairs_are_counted_apart_for_baselines_and_trained_models():
    def result(key, paper, ours):
        return {"key": key, "label": key, "paper_mean": paper, "paper_std": 1.0, "mean": ours, "std": 1.0}

    report = _betavae.ordering_report([result("ground_truth", 100.0, 100.0), result("pca", 85.0, 60.0),
                                       result("raw_pixels", 45.0, 70.0), result("beta_vae", 99.0, 90.0)])
    # Baselines: GT > PCA agrees, GT > pixels agrees, PCA > pixels is reversed. With beta-VAE: above PCA and
    # pixels agree; the paper ties it with GT (99 and 100 within their sds), ours orders them: 2 of 3.
    assert report["by_kind"] == {"baselines": {"agree": 2, "pairs": 3}, "with a trained model": {"agree": 2, "pairs": 3}}
    lines = betavae_table.ordering_lines(report, [result(k, 1.0, 1.0) | {"note": ""} for k in
                                                  ("ground_truth", "pca", "raw_pixels", "beta_vae")])
    assert "baselines: 2 of 3 agree; with a trained model: 2 of 3 agree" in lines[3]


def test_the_papers_own_ordering():
    rows = _betavae.paper_table()["rows"]
    labels = {k: label for k, label, _ in _betavae.PAPER_ROWS}
    assert _betavae.chain({k: tuple(v) for k, v in rows.items()}, {**labels, "ground_truth": "GT"}) == (
        "GT > DC-IGN ~ beta-VAE > PCA (10) > InfoGAN > VAE > raw pixels ~ VAE untrained ~ ICA (10)")
    same = {k: tuple(v) for k, v in rows.items()}
    assert all(p["verdict"] == "agree" for p in _betavae.compare_orderings(same, same))


def test_betavae_table_run_writes_json_csv_png(tiny, tmp_path):
    report = _report.run_and_save(betavae_table, quick=True, out=tmp_path, dataset="tiny", rows=["ground_truth", "pca"],
                                  num_train=40, num_eval=30, batch_size=8, fit_images=100, seeds=[0, 1, 2])
    saved = json.loads((tmp_path / "betavae_table.json").read_text())
    assert [r["key"] for r in saved["rows"]] == ["ground_truth", "pca"]
    assert saved["ordering"]["rows_compared"] == ["ground_truth", "pca"] and "markdown" in saved
    assert (tmp_path / "betavae_table.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len((tmp_path / "betavae_table.csv").read_text().splitlines()) == 3
    assert report["rows"][0]["mean"] > 95.0  # 30 points of 8 pairs: a rare batch leaves a factor unchanged


def test_rank_correlation_of_a_metric_with_itself_is_one():
    rng = np.random.default_rng(0)
    x = rng.random(8)
    scored = [{"m": a, "same": 2 * a + 1, "negated": -a, "flat": 0.5, "noise": b} for a, b in zip(x, rng.random(8))]
    r = _agreement.rank_correlation(scored, ["m", "same", "negated", "flat", "noise"])
    assert r[0, 1] == pytest.approx(1.0) and r[0, 2] == pytest.approx(-1.0)
    np.testing.assert_allclose(np.diag(r), 1.0)
    assert np.isnan(r[0, 3]) and np.isnan(r[3, 4])  # a metric that ranks nothing
    np.testing.assert_allclose(r, r.T)


def test_metric_agreement_scores_and_matrix_on_tiny(tiny):
    data, oracle = tiny
    representations = [reps.ground_truth(oracle), reps.constant(), reps.noisy_ground_truth(oracle, 0.3, 0),
                       reps.rotated_ground_truth(oracle, 45), reps.random_projection(data, 4, 0)]
    scored, skipped = _agreement.score_representations(
        oracle, representations, num_train=200, num_test=100, intervention_train=30, intervention_eval=20,
        num_variance_estimate=200, batch_size=8, log=lambda line: None)
    assert skipped == [] and [r["name"] for r in scored] == [r.name for r in representations]
    names = [m[0] for m in _agreement.METRICS]
    gt, const = scored[0], scored[1]
    for name in names:
        assert gt[name] > const[name], name
    ours = _agreement.rank_correlation(scored, names)
    _, paper, _ = _agreement.paper_matrix()
    assert ours.shape == paper.shape == (6, 6)
    # Every metric ranks the ground truth above the constant code, so every one varies and each of
    # the 15 pairs is Spearman's rho: the Pearson correlation of the average ranks, by hand.
    from scipy.stats import rankdata

    values = np.array([[row[name] for name in names] for row in scored])
    ranks = [rankdata(values[:, k]) for k in range(len(names))]
    by_hand = np.array([[np.corrcoef(ranks[a], ranks[b])[0, 1] for b in range(6)] for a in range(6)])
    np.testing.assert_allclose(ours, by_hand, atol=1e-12)
    comparison = _agreement.compare(ours, paper)
    i, j = np.triu_indices(6, k=1)
    assert comparison["pairs"] == 15
    assert comparison["same_sign"] == int(np.sum(np.sign(by_hand[i, j]) == np.sign(paper[i, j])))
    assert comparison["mean_abs_difference"] == pytest.approx(np.mean(np.abs(by_hand[i, j] - paper[i, j])))
    report = {"sizes": {**metric_agreement.QUICK}, "quick": True, "dataset": "tiny", "num_representations": 5,
              "representations": scored, "skipped": skipped, "ours": ours.tolist(), "paper": paper.tolist(),
              "comparison": comparison}
    assert "across 5 representations" in metric_agreement.markdown(report)


def test_run_checkpoints_leave_out_what_the_zoo_already_holds(tmp_path):
    run = tmp_path / "study" / "betavae-b4"
    (run / "checkpoints").mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"model": "beta_vae", "dataset": "tiny", "steps": 20, "latent_dim": 4,
                                              "seed": 0, "hparams": {}}))
    for step in (10, 20):
        (run / "checkpoints" / f"ckpt-{step}.index").write_text("")
        (run / "checkpoints" / f"ckpt-{step}.data-00000-of-00001").write_text("")
    (run / "checkpoints" / "ckpt-30.index").write_text("")  # no data file: still being written
    data = zoo.data.load("tiny")
    assert zoo.runs.find_runs([tmp_path]) == [run]
    assert [r.name for r in _trained.run_checkpoints([tmp_path], data)] == ["betavae-b4 @ step 10", "betavae-b4 @ step 20"]
    (run / "preset").mkdir()
    (run / "preset" / "metadata.json").write_text(json.dumps({"name": "betavae-tiny"}))
    assert [r.name for r in _trained.run_checkpoints([tmp_path], data, published=["betavae-tiny"])] == [
        "betavae-b4 @ step 10"]
    assert _trained.run_checkpoints([tmp_path], data, latest_only=True, published=["betavae-tiny"]) == []


def test_evenly_spaced_keeps_the_last_and_spreads_the_rest():
    steps = list(range(1000, 30001, 1000))
    assert _trained.evenly_spaced(steps, None) == steps
    assert _trained.evenly_spaced(steps, 1) == [30000]
    assert _trained.evenly_spaced(steps, 2) == [1000, 30000]
    assert _trained.evenly_spaced(steps, 4) == [1000, 11000, 20000, 30000]
    assert _trained.evenly_spaced(steps[:3], 6) == steps[:3]
    assert _trained.evenly_spaced(steps, 0) == []


def test_run_all_readme_uses_each_benchmarks_markdown_or_its_console_output(tmp_path):
    from benchmarks import run_all

    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "data_bench.log").write_text("E0000 cuda_platform noise\nprogress\r 50%\rimages/s 1234\n")
    steps = [{"name": "data_bench", "returncode": 0, "seconds": 3.0, "log": str(tmp_path / "logs" / "data_bench.log")},
             {"name": "metrics_bench", "returncode": None, "seconds": None, "log": None},
             {"name": "betavae_table", "returncode": 1, "seconds": 2.0, "log": None}]
    results = {"data": {"file": "data.json", "fresh": True, "content": {"x": 1}},
               "betavae_table": {"file": "betavae_table.json", "fresh": False, "content": {"markdown": "| a |"}}}
    text = run_all.readme({"finished": "now", "quick": True, "seconds": 5.0, "machine": _report.machine(),
                           "versions": {"python": "3"}, "out_dir": str(tmp_path), "steps": steps,
                           "results": results})
    assert "images/s 1234" in text and "cuda" not in text
    assert "| a |" in text and "from an earlier run" in text and "failed (exit 1)" in text
    assert "quick budget 600 s: met" in text
    cmd = run_all.command("betavae_table", quick=True, out_dir=tmp_path, runs_dirs=["r"])
    assert "--quick" in cmd and cmd[cmd.index("--runs_dir") + 1] == "r"


def test_every_row_scores_the_same_pairs_for_a_seed(tiny):
    # The table compares rows on one set of factor pairs per seed: the pairs must not depend on the
    # representation (its codes, or how many dimensions it has).
    import zoo.metrics

    _, oracle = tiny
    seen = {"narrow": [], "wide": []}

    def recorder(key, width):
        def fn(images):
            seen[key].append(oracle.factors_for(images).copy())
            return np.random.default_rng(len(seen[key])).random((len(images), width))
        return fn
    for key, width in (("narrow", 2), ("wide", 7)):
        zoo.metrics.beta_vae_score(oracle, recorder(key, width), seed=3, batch_size=4, num_train=20, num_eval=10)
    np.testing.assert_array_equal(np.concatenate(seen["narrow"]), np.concatenate(seen["wide"]))


def test_zoo_scores_table_and_targets_come_from_the_manifest():
    from benchmarks.papers import zoo_scores

    def entry(objective, bvae, mig, **hparams):
        return {"objective": objective, "training": {"steps": 30000, "hparams": hparams},
                "scores": {"beta_vae_score.eval_accuracy": bvae, "mig.mig": mig}}
    manifest = {"models": {"factorvae-dsprites": entry("factor_vae", 0.87, 0.17, gamma=40.0),
                           "vae-dsprites": entry("vae", 0.75, 0.08),
                           "betavae-dsprites": entry("beta_vae", 0.79, 0.2, beta=4.0),
                           "dipvae1-dsprites": entry("dip_vae_i", 0.70, 0.09, lambda_od=10.0)}}
    table = zoo_scores.rows(manifest)
    assert [r["name"] for r in table] == ["vae-dsprites", "betavae-dsprites", "dipvae1-dsprites", "factorvae-dsprites"]
    assert table[1]["hparams"] == "beta 4" and table[1]["scores"]["dci.disentanglement"] is None
    met = {(c["model"], c["score"], c["bar"].split()[0]): c["met"] for c in zoo_scores.target_checks(table)}
    assert met[("betavae-dsprites", "beta_vae_score.eval_accuracy", ">=")] is False  # 0.79 < 0.80
    assert met[("betavae-dsprites", "mig.mig", ">=")] is True
    assert met[("betatcvae-dsprites", "mig.mig", ">=")] is None  # not in the zoo
    assert met[("dipvae1-dsprites", "beta_vae_score.eval_accuracy", ">")] is False  # 0.70 < vae's 0.75
    assert met[("factorvae-dsprites", "mig.mig", ">")] is True
    assert not any(c["model"] == "vae-dsprites" for c in zoo_scores.target_checks(table))
    # A model of another dataset is not held to the dSprites baseline.
    manifest["models"]["annealedvae-color-dsprites"] = {**entry("annealed_vae", 0.5, 0.01),
                                                        "dataset": {"name": "color_dsprites"}}
    assert not any(c["model"] == "annealedvae-color-dsprites"
                   for c in zoo_scores.target_checks(zoo_scores.rows(manifest)))
    text = zoo_scores.tables_markdown(table, zoo_scores.target_checks(table))
    assert "| `betavae-dsprites` | beta 4 | 30,000 | 0.790 |" in text and "**no**" in text
    # Options added after a model trained show the value it trained with (LEGACY_HPARAMS), not today's default.
    manifest["models"]["infogan-dsprites"] = entry("infogan", 0.8, 0.1, num_categorical=0, num_continuous=5)
    infogan = next(r for r in zoo_scores.rows(manifest) if r["name"] == "infogan-dsprites")
    assert infogan["hparams"].startswith("num_categorical 0, num_continuous 5, noise_dim 62")
    assert infogan["hparams"].endswith("noise_prior normal, alternating False, leak 0.1") and "network dcgan" in infogan["hparams"]


def test_zoo_scores_counts_the_steps_a_fine_tuned_model_started_from():
    from benchmarks.papers import zoo_scores

    training = {"steps": 30000, "hparams": {"beta": 16.0}, "init_from": "betavae-dsprites",
                "init_from_training": {"steps": 30000, "seed": 0, "hparams": {"beta": 16.0}}}
    manifest = {"models": {"betavae-dsprites": {"objective": "beta_vae", "training": training, "scores": {}}}}
    table = zoo_scores.rows(manifest)
    assert table[0]["total_steps"] == 60000
    assert "| `betavae-dsprites` | beta 16 | 60,000 (30,000 fine-tuned) |" in zoo_scores.tables_markdown(table, [])
    twice = {"steps": 30000, "hparams": {"beta": 16.0}, "init_from_training": training}  # tuned again
    manifest["models"]["betavae-dsprites"]["training"] = twice
    table = zoo_scores.rows(manifest)
    assert table[0]["total_steps"] == 90000 and table[0]["first_run_steps"] == 30000
    assert "| `betavae-dsprites` | beta 16 | 90,000 (60,000 fine-tuned) |" in zoo_scores.tables_markdown(table, [])


def test_sample_spread_of_hand_made_frames():
    from benchmarks.infogan.sample_spread import spread

    frames = np.zeros((4, 8, 8, 1), np.float32)
    frames[0, 1:3, 1:3] = 1.0       # area 4, centre (x 1.5, y 1.5)
    frames[1, 1:3, 5:7] = 1.0       # area 4, centre (x 5.5, y 1.5)
    frames[2, 4:8, 0:4] = 0.9       # area 16, centre (x 1.5, y 5.5)
    frames[3] = frames[0] * 0.6     # the same binarised frame as 0
    row = spread(frames)
    assert row["n"] == 4 and row["distinct"] == 3
    assert row["area_std"] == pytest.approx(np.std([4, 4, 16, 4]))
    assert row["centre_x_std"] == pytest.approx(np.std([1.5, 5.5, 1.5, 1.5]))
    assert row["centre_y_std"] == pytest.approx(np.std([1.5, 1.5, 5.5, 1.5]))
    collapsed = spread(np.repeat(frames[:1, ..., 0], 5, axis=0))
    assert collapsed["distinct"] == 1 and collapsed["area_std"] == collapsed["centre_x_std"] == 0.0
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        spread(np.zeros((8, 8)))


def test_betavae_table_takes_extra_zoo_rows_only_from_the_same_dataset():
    # infogan-mnist reads 28x28 digits and annealedvae-color-dsprites colour frames: neither can be
    # scored on greyscale dSprites, so the table's "other zoo models" are those trained on it.
    assert _betavae.trained_on("infogan-mnist") == "mnist"
    assert _betavae.trained_on("annealedvae-color-dsprites") == "color_dsprites"
    assert _betavae.trained_on("factorvae-dsprites") == "dsprites"


def test_card_scores_compares_each_card_score_and_keeps_the_largest_difference():
    from benchmarks.papers import card_scores

    card = {"mig.mig": 0.20, "sap.sap": 0.05, "timing.dci": 3.0, "irs.irs": None}
    rows = card_scores.compare(card, {"mig.mig": 0.21, "sap.sap": 0.02, "timing.dci": 9.0, "irs.irs": 0.5,
                                      "dci.completeness": 0.4})
    assert [(r["score"], round(r["difference"], 9)) for r in rows] == [("mig.mig", 0.01), ("sap.sap", -0.03)]
    worst = card_scores.largest([{"name": "a", "rows": rows},
                                 {"name": "b", "rows": card_scores.compare(card, {"mig.mig": 0.15})},
                                 {"name": "c", "skipped": "no digits"}])
    assert [(w["score"], w["model"], round(w["difference"], 9)) for w in worst] == [("mig.mig", "b", -0.05),
                                                                                    ("sap.sap", "a", -0.03)]
    # The card's own settings, not the evaluate defaults; quick mode shrinks only the sizes.
    entry = {"score_settings": {"metrics": ["mig", "dci"], "num_train": 10000, "num_test": 5000, "seed": 0,
                                "dci_backend": "exact"}}
    assert card_scores.settings_of(entry, quick=False) == {"metrics": ["mig", "dci"], "num_train": 10000,
                                                           "num_test": 5000, "seed": 0,
                                                           "metric_options": {"dci": {"backend": "exact"}}}
    assert card_scores.settings_of(entry, quick=True)["num_train"] == 1000
