"""The weak-supervision section (benchmarks/papers/weak_supervision.py) on a made-up manifest and
population: means over seeds, the target against the best unsupervised preset, the population counts."""

import json
import statistics

import pytest

from benchmarks.papers import weak_supervision as ws
from population_cases import make_row
from zoo import manifest

MIG, DCI, FVAE = ws.TARGET_SCORES


def _entry(base: dict, objective: str, seeds: dict[int, dict]) -> dict:
    """A copy of `base` as `objective`, with each seed's scores (seed 0 served)."""
    entry = json.loads(json.dumps(base))
    entry["objective"] = objective
    records = {}
    for seed, scores in seeds.items():
        records[str(seed)] = {k: entry[k] for k in ("config", "score_settings")}
        records[str(seed)].update(training={**entry["training"], "seed": seed}, scores={**entry["scores"], **scores})
    entry["scores"] = records["0"]["scores"]
    entry["training"] = records["0"]["training"]
    entry["seeds"] = records
    return entry


@pytest.fixture(scope="module")
def made_up():
    base = manifest.load_manifest()["models"]["betavae-dsprites"]
    unsupervised = {"betavae-dsprites": _entry(base, "beta_vae", {0: {MIG: 0.20, DCI: 0.30, FVAE: 0.70}}),
                    "factorvae-dsprites": _entry(base, "factor_vae", {0: {MIG: 0.10, DCI: 0.40, FVAE: 0.80},
                                                                      1: {MIG: 0.30, DCI: 0.20, FVAE: 0.60}})}
    weak = _entry(base, "ada_gvae", {0: {MIG: 0.30, DCI: 0.50, FVAE: 0.90},
                                     1: {MIG: 0.10, DCI: 0.45, FVAE: 0.60},
                                     2: {MIG: 0.35, DCI: 0.40, FVAE: 0.72}})
    population = {"rows": [make_row("beta_vae", 1.0, 0, quality=0.1), make_row("beta_vae", 4.0, 0, quality=0.3),
                           make_row("factor_vae", 10.0, 0, quality=0.5),
                           # beta-TCVAE at beta 1 is beta-VAE at beta 1: counted once.
                           make_row("beta_tcvae", 1.0, 0, quality=0.9)]}
    population["rows"][3]["hparams"] = {"beta": 1.0}
    return ws.compare({"models": {**unsupervised, "adagvae-dsprites": weak}}, population)


def test_every_seed_is_reported_with_the_mean_and_sd(made_up):
    row = next(w for w in made_up["weak"] if w["name"] == "adagvae-dsprites")
    assert row["seeds"][MIG] == [0.30, 0.10, 0.35]
    text = ws.markdown(made_up)
    expected = f"{statistics.fmean([0.30, 0.10, 0.35]):.3f} ± {statistics.stdev([0.30, 0.10, 0.35]):.3f}"
    assert expected + " (0.300, 0.100, 0.350)" in text
    # A weak name that is not trained yet says so rather than disappearing.
    assert any(w["name"] == "adamlvae-dsprites" and w.get("missing") for w in made_up["weak"])
    assert "`adamlvae-dsprites` | - | not in the zoo yet" in text


def test_the_target_is_the_mean_over_seeds_against_each_presets_mean(made_up):
    checks = {(c["model"], c["score"]): c for c in made_up["targets"]}
    # MIG: weak mean 0.25 against beta-VAE 0.20 and FactorVAE's mean over its seeds 0.20 -> met.
    mig = checks[("adagvae-dsprites", MIG)]
    assert mig["mean"] == pytest.approx(0.25) and mig["best_unsupervised_mean"] == pytest.approx(0.20) and mig["met"]
    # DCI: 0.45 against FactorVAE's mean 0.30 (its seed 0 alone, 0.40, is not the bar) -> met.
    dci = checks[("adagvae-dsprites", DCI)]
    assert dci["best_unsupervised"] == "factorvae-dsprites" and dci["best_unsupervised_mean"] == pytest.approx(0.30)
    # FactorVAE score: 0.74 against beta-VAE's 0.70 and FactorVAE's mean 0.70 -> met; below 0.80, its best seed.
    assert checks[("adagvae-dsprites", FVAE)]["met"] is True
    assert checks[("adamlvae-dsprites", MIG)]["met"] is None


def test_a_mean_below_the_best_preset_is_not_met(made_up):
    base = manifest.load_manifest()["models"]["betavae-dsprites"]
    result = ws.compare({"models": {
        "betavae-dsprites": _entry(base, "beta_vae", {0: {MIG: 0.20, DCI: 0.30, FVAE: 0.70}}),
        "adagvae-dsprites": _entry(base, "ada_gvae", {0: {MIG: 0.50, DCI: 0.10, FVAE: 0.70}})}}, None)
    met = {c["score"]: c["met"] for c in result["targets"] if c["model"] == "adagvae-dsprites"}
    assert met == {MIG: True, DCI: False, FVAE: False}  # equal is not above
    # One seed of the three the target is judged by: the verdict is "so far", with the count.
    text = ws.markdown(result)
    assert "| yes so far (1 of 3 seeds) |" in text and "| **no** so far (1 of 3 seeds) |" in text
    assert "| yes |" not in text and "| **no** |" not in text
    # Three seeds: the plain verdict.
    assert "| yes |" in ws.markdown(made_up)


def test_population_counts_and_plot(made_up, tmp_path):
    population = made_up["population"]
    assert population["num_models"] == 3 and population["counted_once"] == ["beta_tcvae-1-seed0"]
    mig = population["scores"][MIG]
    assert (mig["min"], mig["median"], mig["max"]) == (0.1, 0.3, 0.5)
    assert mig["above"] == {"adagvae-dsprites": 1}  # 0.25 is above 0.1 only
    assert "1 of 3" in ws.markdown(made_up)
    png = ws.plot(made_up, tmp_path / "weak.png")
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_speed_counts_a_pair_step_as_128_images():
    def result(steps):
        return {"steps_per_s_median": steps, "steps_per_s_min": steps - 1, "steps_per_s_max": steps + 1}

    rows = ws.train_speed({"results": {"beta_vae": result(8.0), "ada_gvae": result(4.0), "hand_written_beta_vae": result(9)}})
    assert [r["objective"] for r in rows] == ["beta_vae", "ada_gvae"]
    assert rows[1]["images_per_s"] == 512 and rows[1]["images_vs_beta_vae"] == pytest.approx(1.0)
    assert ws.train_speed({"results": {"beta_vae": result(8.0)}}) == [] and ws.train_speed(None) == []
    text = ws.markdown({"weak": [], "targets": [], "train_speed": rows})
    assert "| ada_gvae | 4.00 [3.00, 5.00] | 512 | 1.00x |" in text
    where = {"finished": "2026-12-07T15:07:53Z", "cpu": "AMD EPYC", "cpus": 2, "load": [1.65, 2.21]}
    text = ws.markdown({"weak": [], "targets": [], "train_speed": rows, "train_machine": where})
    assert "; run 2026-12-07T15:07:53Z, AMD EPYC, 2 cores, load 1.65 at the start, 2.21 at the end):" in text


def _weak_row(seed, mig, steps=10000):
    return {"name": f"adagvae-dsprites-seed{seed}", "objective": "ada_gvae", "hparams": {"beta": 1.0}, "seed": seed,
            "steps": steps, "scores": {MIG: mig, DCI: None, FVAE: 0.6}}


def test_same_steps_counts_each_seed_against_the_population(made_up, tmp_path):
    population = {"settings": {"num_train": 10}, "rows": [make_row("beta_vae", 1.0, 0, quality=0.1),
                                                          make_row("beta_vae", 4.0, 0, quality=0.3),
                                                          make_row("factor_vae", 10.0, 0, quality=0.5)]}
    weak = {"settings": {"num_train": 10}, "rows": [_weak_row(1, 0.4), _weak_row(0, 0.05), _weak_row(2, 0.2)]}
    [group] = ws.same_steps(population, weak, list(ws.TITLES))
    assert group["objective"] == "ada_gvae" and group["steps"] == 10000 and group["seeds"] == [0, 1, 2]
    assert group["values"][MIG] == [0.05, 0.4, 0.2]
    assert group["above"][MIG] == [0, 2, 1] and group["num_models"] == 3  # 0.05 < 0.1; 0.4 > 0.1, 0.3; 0.2 > 0.1
    assert group["above"][DCI] == [None, None, None]  # a score a row lacks is not counted as below anything
    result = {**made_up, "same_steps": [group]}
    text = ws.markdown(result)
    assert f"| ada_gvae | 10,000 | 0, 1, 2 | {statistics.fmean([0.05, 0.4, 0.2]):.3f} ± " in text
    assert "above 0, 2, 1 of 3" in text
    assert ws.plot(result, tmp_path / "weak.png").is_file()


def test_same_steps_refuses_files_scored_at_other_settings():
    with pytest.raises(ValueError, match="different settings"):
        ws.same_steps({"settings": {"num_train": 10}, "rows": []},
                      {"settings": {"num_train": 20}, "rows": [_weak_row(0, 0.1)]}, [MIG])


def test_compare_reads_the_same_steps_file_only_beside_a_population(made_up):
    base = manifest.load_manifest()["models"]["betavae-dsprites"]
    models = {"models": {"betavae-dsprites": _entry(base, "beta_vae", {0: {MIG: 0.20, DCI: 0.30, FVAE: 0.70}})}}
    weak = {"settings": None, "rows": [_weak_row(0, 0.1)]}
    assert "same_steps" not in ws.compare(models, None, weak)
    population = {"settings": None, "rows": [make_row("beta_vae", 1.0, 0, quality=0.1)]}
    assert ws.compare(models, population, weak)["same_steps"][0]["above"][MIG] == [0]


def test_the_section_replaces_its_own_block_and_links_the_plot_only_when_drawn(made_up):
    from benchmarks.papers import _population_markdown as pm

    with_plot, without = ws.section(made_up, "weak_supervision.png"), ws.section(made_up, None)
    assert with_plot.startswith(ws.INTRO) and "](weak_supervision.png)" in with_plot and "](" not in without
    readme = f"# Benchmarks\n\n{pm.BEGIN}\n## population\n{pm.END}\n"
    once = pm.with_section(readme, with_plot, ws.TITLE, ws.BEGIN, ws.END)
    twice = pm.with_section(once, without, ws.TITLE, ws.BEGIN, ws.END)
    assert once.index(pm.END) < once.index(ws.BEGIN) and once.count(ws.BEGIN) == 1
    assert twice.count(ws.BEGIN) == 1 and "](weak_supervision.png)" not in twice
    assert twice.split(ws.BEGIN)[0] == once.split(ws.BEGIN)[0]  # the population block is left as it was


def test_the_committed_section_is_current():
    """docs/bench/README.md's weak-supervision block is what the committed manifest and files give."""
    from benchmarks.papers import _population_markdown as pm

    readme = (ws.POPULATION_FILE.parent / "README.md").read_text()
    result = ws.collect(ws.POPULATION_FILE.parent)
    png = "weak_supervision.png" if (ws.POPULATION_FILE.parent / "weak_supervision.png").is_file() else None
    expected = pm.with_section(readme, ws.section(result, png), ws.TITLE, ws.BEGIN, ws.END)
    assert readme == expected, ("docs/bench/README.md's weak-supervision section is stale: run python -m "
                                "benchmarks.papers.weak_supervision --out_dir=docs/bench --readme=docs/bench/README.md")
