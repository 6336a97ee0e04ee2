"""Weak supervision (Locatello et al. 2020) against the unsupervised zoo and population (issue 33).

    .venv/bin/python -m benchmarks.papers.weak_supervision [--manifest ...] [--population_file docs/bench/population.json]
    # ... and the section written into the benchmarks README (replacing the previous one), its plot beside it
    .venv/bin/python -m benchmarks.papers.weak_supervision --out_dir=docs/bench --readme=docs/bench/README.md

Nothing is trained or scored here: every number is one that `recipes.evaluate --add_to_zoo` wrote into
the manifest (each weakly supervised name over its training seeds, at the study's sizes) or one of the
population file's rows. It reports, for `adagvae-dsprites` and `adamlvae-dsprites`:

* each score as mean ± sd over the name's training seeds, with every seed's value (none dropped);
* the issue's target, by the mean over seeds: above every unsupervised dSprites preset (each also
  by its mean over seeds) on MIG, DCI disentanglement and the FactorVAE score, with the preset to
  beat named; "not in the zoo yet" while a name has no scores;
* the unsupervised population (`docs/bench/population.json`, 10,000 steps per model): its median and
  range per score, and how many of its models each weak name's mean is above. The population is scored
  at the same sizes and evaluation seed as the zoo; its step count is stated beside the zoo's, since
  the two differ;
* the same comparison at the same steps: each weak training seed's checkpoint at the population's
  step count (10,000), scored by the population's own score step at its settings into
  `docs/bench/weak_population.json` (`WEAK_POPULATION_FILE`), against the population's models;
* one plot: per score, the population's models by objective, the unsupervised presets and each
  weak seed (at the presets' steps and at the population's);
* what the pairs cost in training: steps/s and images/s of both objectives beside the beta-VAE's, from
  `<out>/train.json` when `benchmarks.speed.train_bench` ran with them (run_all runs it first).

Locatello et al. 2020 train 300,000 steps on the real dSprites file; the presets here train 30,000
on rendered dSprites, like every other preset. The paper's dSprites numbers are not transcribed here:
no source of them can be read on this machine, so the section does not place its numbers beside them.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from absl import flags

from benchmarks import _report
from benchmarks.papers import zoo_scores
from benchmarks.papers.population import POPULATION_FILE

WEAK_POPULATION_FILE = POPULATION_FILE.with_name("weak_population.json")

NAME = "weak_supervision"
TITLE = "Weak supervision (Ada-GVAE, Ada-ML-VAE) against the unsupervised zoo and population"
FLAGS = flags.FLAGS

WEAK_NAMES = ("adagvae-dsprites", "adamlvae-dsprites")
WEAK_OBJECTIVES = ("ada_gvae", "ada_ml_vae")
# (score key, title); the first three are the target scores.
SCORES = (("mig.mig", "MIG"), ("dci.disentanglement", "DCI dis."),
          ("factor_vae_score.eval_accuracy", "FactorVAE"), ("beta_vae_score.eval_accuracy", "BetaVAE"))
TARGET_SCORES = tuple(key for key, _ in SCORES[:3])
# The target is judged by the mean over this many training seeds; fewer is a verdict "so far".
TARGET_SEEDS = 3
TITLES = dict(SCORES)
BEGIN = "<!-- weak_supervision: written by `python -m benchmarks.papers.weak_supervision --readme=...`; do not edit by hand -->"
END = "<!-- weak_supervision: end -->"
INTRO = """\
Locatello et al. 2020 train on pairs of images that share some factors, without saying which: Ada-GVAE
averages the pair's posteriors on the latents whose KL between the two is under a threshold midway between
the smallest and largest, Ada-ML-VAE takes their product of experts there. The presets here train on
rendered dSprites with the recipe of every other dSprites preset (30,000 steps of 64 pairs, fused Adam at
1e-4), k drawn per pair uniformly in 1..4 (the paper's "k = rnd") and beta 1, three training seeds each
(`tools/train_weak.sh`). The paper trains 300,000 steps on the real dSprites file; its dSprites numbers
are not transcribed here, since no copy of the paper could be read on this machine. Every number below is
read from the manifest (the presets, at the study's sizes) and from `population.json` and
`weak_population.json`, the latter scored by the population's own score step at its settings: each weak
seed at 10,000 steps, the population's step count. A name whose seeds are still training reads "not in the
zoo yet"; every seed scored is listed."""


def _values(row: dict, key: str) -> list[float]:
    """The name's value at each scored training seed (`zoo_scores.rows` gives a single-seed name's one value)."""
    return list(row["seed_scores"][key])


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def compare(manifest: dict, population: dict | None, weak_population: dict | None = None) -> dict:
    """The weak names' scores, the target checks and the population comparison (plain data).

    `weak_population`: the weak runs at the population's step count, in the population file's format
    (scored by `benchmarks.papers.population --step=score`); compared with `population` when both are given.
    """
    table = zoo_scores.rows(manifest)
    weak = [r for r in table if r["name"] in WEAK_NAMES or r["objective"] in WEAK_OBJECTIVES]
    unsupervised = [r for r in table if r not in weak and r.get("dataset") == "dsprites"]
    keys = [key for key, _ in SCORES]
    weak_rows = [{"name": r["name"], "objective": r["objective"], "hparams": r["hparams"],
                  "steps": r["total_steps"] or r["steps"],
                  "seeds": {key: _values(r, key) for key in keys}} for r in weak]
    names = [r["name"] for r in weak_rows]
    weak_rows += [{"name": name, "missing": True} for name in WEAK_NAMES if name not in names]
    checks = []
    for row in weak_rows:
        for key in TARGET_SCORES:
            mean = None if row.get("missing") else _mean(row["seeds"][key])
            rivals = [(r["name"], _mean(_values(r, key))) for r in unsupervised]
            rivals = [(n, v) for n, v in rivals if v is not None]
            best = max(rivals, key=lambda item: item[1]) if rivals else (None, None)
            checks.append({"model": row["name"], "score": key, "mean": mean,
                           "seeds": 0 if row.get("missing") else len(row["seeds"][key]), "best_unsupervised": best[0],
                           "best_unsupervised_mean": best[1],
                           "met": None if mean is None or best[1] is None else bool(mean > best[1])})
    result = {"weak": weak_rows, "targets": checks,
              "unsupervised": [{"name": r["name"], "objective": r["objective"],
                                "steps": r["total_steps"] or r["steps"],
                                "means": {key: _mean(_values(r, key)) for key in keys}} for r in unsupervised]}
    if population:
        result["population"] = _population(population, weak_rows, keys)
        if weak_population and weak_population.get("rows"):
            result["same_steps"] = same_steps(population, weak_population, keys)
    return result


def same_steps(population: dict, weak_population: dict, keys: list[str]) -> list[dict]:
    """Each weak objective's seeds at the population's step count against the population's models.

    Both files must hold the same scoring settings (the population score step refuses to mix them
    within one file; here two files are compared, so the check is repeated). Returns, per weak objective
    and step count: the seeds, each score's value per seed, and per seed how many population models
    (one objective trained twice counted once) it is above.
    """
    from benchmarks.papers._population_stats import distinct_objectives

    if weak_population.get("settings") != population.get("settings"):
        raise ValueError("the weak runs' file and the population file were scored with different settings "
                         f"({weak_population.get('settings')} and {population.get('settings')}); score the weak runs "
                         "with the population's settings (benchmarks.papers.population --step=score).")
    rows, _ = distinct_objectives(population["rows"])
    groups: dict[tuple, list[dict]] = {}
    for row in weak_population["rows"]:
        groups.setdefault((row["objective"], row["steps"]), []).append(row)
    out = []
    for (objective, steps), runs in sorted(groups.items()):
        runs = sorted(runs, key=lambda r: r["seed"])
        values = {key: [r["scores"].get(key) for r in runs] for key in keys}
        above = {key: [None if v is None else sum(p["scores"].get(key) is not None and p["scores"][key] < v
                                                  for p in rows) for v in values[key]] for key in keys}
        out.append({"objective": objective, "steps": steps, "seeds": [r["seed"] for r in runs], "values": values,
                    "above": above, "num_models": len(rows)})
    return out


def _population(population: dict, weak_rows: list[dict], keys: list[str]) -> dict:
    from benchmarks.papers._population_stats import distinct_objectives

    # One objective trained twice (beta-TCVAE at beta 1 is beta-VAE at beta 1) counts once, as on the
    # population page.
    rows, dropped = distinct_objectives(population["rows"])
    steps = sorted({r["steps"] for r in rows})
    summary = {}
    for key in keys:
        values = sorted(v for v in (r["scores"].get(key) for r in rows) if v is not None)
        if not values:
            continue
        summary[key] = {"median": statistics.median(values), "min": values[0], "max": values[-1],
                        "num_models": len(values),
                        "above": {w["name"]: sum(v < _mean(w["seeds"][key]) for v in values)
                                  for w in weak_rows if not w.get("missing") and w["seeds"][key]}}
    return {"steps": steps, "num_models": len(rows), "counted_once": [r["name"] for r in dropped], "scores": summary,
            "points": [{"objective": r["objective"], **{k: r["scores"].get(k) for k in keys}} for r in rows]}


def train_speed(train: dict | None) -> list[dict]:
    """Rows of steps/s and images/s for the beta-VAE and the weak objectives from one train_bench run (a
    weak step is 64 pairs, 128 images; the beta-VAE's is 64 images); [] when that run lacks them."""
    results = (train or {}).get("results", {})
    if "beta_vae" not in results or not any(name in results for name in WEAK_OBJECTIVES):
        return []
    base = results["beta_vae"]["steps_per_s_median"] * 64
    rows = []
    for name in ("beta_vae", *WEAK_OBJECTIVES):
        if name in results:
            steps = results[name]["steps_per_s_median"]
            images = steps * (128 if name in WEAK_OBJECTIVES else 64)
            rows.append({"objective": name, "steps_per_s": steps, "images_per_s": images,
                         "images_vs_beta_vae": images / base, "steps_per_s_min_max": [results[name]["steps_per_s_min"],
                                                                                       results[name]["steps_per_s_max"]]})
    return rows


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _spread(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3f} (1 seed)"
    return f"{statistics.fmean(values):.3f} ± {statistics.stdev(values):.3f} ({', '.join(f'{v:.3f}' for v in values)})"


def _verdict(check: dict) -> str:
    """"yes" / "**no**" by the mean over TARGET_SEEDS seeds; with fewer, the verdict so far and the count."""
    if check["met"] is None:
        return "not in the zoo yet"
    verdict = "yes" if check["met"] else "**no**"
    seeds = check.get("seeds", TARGET_SEEDS)
    return verdict if seeds >= TARGET_SEEDS else f"{verdict} so far ({seeds} of {TARGET_SEEDS} seeds)"


def markdown(result: dict) -> str:
    lines = [_report.markdown_table(
        ["model", "steps"] + [title for _, title in SCORES],
        [[f"`{w['name']}`", "-", *["not in the zoo yet"] * len(SCORES)] if w.get("missing") else
         [f"`{w['name']}`", f"{w['steps']:,}" if w["steps"] else "-"] + [_spread(w["seeds"][key]) for key, _ in SCORES]
         for w in result["weak"]], align="ll" + "l" * len(SCORES)),
        "", "Each score: mean ± sd over the training seeds (every seed's value in brackets).", "",
        _report.markdown_table(
            ["target (mean over seeds)", "model", "mean", "best unsupervised preset (its mean)", "met"],
            [[f"{TITLES[c['score']]} above every unsupervised preset", f"`{c['model']}`", _fmt(c["mean"]),
              "-" if c["best_unsupervised"] is None else f"`{c['best_unsupervised']}` ({_fmt(c['best_unsupervised_mean'])})",
              _verdict(c)] for c in result["targets"]],
            align="llrll")]
    population = result.get("population")
    if population:
        steps = ", ".join(f"{s:,}" for s in population["steps"])
        dropped = population.get("counted_once") or []
        lines += ["", f"Against the unsupervised population ({population['num_models']} models, {steps} steps each"
                      + (f"; {', '.join(dropped)} counted once, as the same objective" if dropped else "")
                      + "; the weak presets' own steps are in the first table):", "",
                  _report.markdown_table(
                      ["score", "population median [min, max]"] + [f"`{w['name']}` above" for w in result["weak"]
                                                                   if not w.get("missing")],
                      [[title, f"{_fmt(s['median'])} [{_fmt(s['min'])}, {_fmt(s['max'])}]"]
                       + [f"{s['above'].get(w['name'], '-')} of {s['num_models']}" for w in result["weak"]
                          if not w.get("missing")]
                       for key, title in SCORES if (s := population["scores"].get(key))])]
    if result.get("same_steps"):
        lines += ["", "At the same steps: each weak seed's checkpoint at the population's step count, scored by the "
                      "population's score step at its settings, and how many of the population's models each seed "
                      "is above:", "",
                  _report.markdown_table(
                      ["objective", "steps", "seeds"] + [title for _, title in SCORES],
                      [[g["objective"], f"{g['steps']:,}", ", ".join(map(str, g["seeds"]))]
                       + [f"{_spread([v for v in g['values'][key] if v is not None])}; above "
                          f"{', '.join('-' if a is None else str(a) for a in g['above'][key])} of {g['num_models']}"
                          for key, _ in SCORES] for g in result["same_steps"]], align="lrl" + "l" * len(SCORES))]
    if result.get("train_speed"):
        where = result.get("train_machine") or {}
        machine = ", ".join(filter(None, [
            where.get("finished") and f"run {where['finished']}", where.get("cpu"),
            where.get("cpus") and f"{where['cpus']} cores",
            where.get("load") and f"load {where['load'][0]:g} at the start, {where['load'][1]:g} at the end"]))
        lines += ["", "What the pairs cost in training (`benchmarks.speed.train_bench`, one run, interleaved rounds; "
                      "a weak step is 64 pairs, 128 images through the networks"
                      + (f"; {machine}" if machine else "") + "):", "",
                  _report.markdown_table(
                      ["objective", "steps/s (median [min, max])", "images/s", "images/s vs beta-VAE"],
                      [[r["objective"], f"{r['steps_per_s']:.2f} [{r['steps_per_s_min_max'][0]:.2f}, "
                                        f"{r['steps_per_s_min_max'][1]:.2f}]",
                        f"{r['images_per_s']:.0f}", f"{r['images_vs_beta_vae']:.2f}x"] for r in result["train_speed"]],
                      align="lrrr")]
    return "\n".join(lines)


def plot(result: dict, path: Path) -> Path | None:
    """Per target score: the population's models by objective (x), the unsupervised presets and each weak seed."""
    from benchmarks.papers import _plots

    population = result.get("population")
    weak = [w for w in result["weak"] if not w.get("missing")]
    if not population or not (weak or result.get("same_steps")):
        return None
    objectives = sorted({p["objective"] for p in population["points"]})
    presets = sorted({u["objective"] for u in result["unsupervised"]})
    columns = objectives + [o for o in presets if o not in objectives]
    x_of = {o: i for i, o in enumerate(columns)}
    weak_x = {w["name"]: len(columns) + i for i, w in enumerate(weak)}
    same = result.get("same_steps") or []
    same_x = {(g["objective"], g["steps"]): len(columns) + len(weak) + i for i, g in enumerate(same)}
    specs = []
    for key, title in SCORES[:3]:
        series = [{"name": "population (10k steps)" if len(population["steps"]) == 1 else "population",
                   "color": 7, "points": [(x_of[p["objective"]], p[key]) for p in population["points"]
                                          if p.get(key) is not None]},
                  {"name": "presets (mean of seeds)", "color": 0,
                   "points": [(x_of[u["objective"]], u["means"][key]) for u in result["unsupervised"]
                              if u["means"][key] is not None]}]
        series += [{"name": f"{w['name'].split('-')[0]} seeds", "color": 3 + i,
                    "points": [(weak_x[w["name"]], v) for v in w["seeds"][key]]} for i, w in enumerate(weak)]
        series += [{"name": f"{g['objective'].replace('_', '')} seeds, {g['steps'] // 1000}k steps",
                    "color": 3 + len(weak) + i,
                    "points": [(same_x[(g["objective"], g["steps"])], v) for v in g["values"][key] if v is not None]}
                   for i, g in enumerate(same)]
        specs.append({"title": title, "ylabel": title, "xlabel": "objective", "xtick_rotation": 35,
                      "xticks": [(i, o) for o, i in x_of.items()] + [(x, n.split("-")[0]) for n, x in weak_x.items()]
                                + [(x, f"{o.replace('_', '')} {s // 1000}k") for (o, s), x in same_x.items()],
                      "series": series})
    return _plots.panels(path, specs, title="Weak supervision against the unsupervised population and zoo",
                         columns=3, size=(560, 380))


def _read(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def section(result: dict, png_name: str | None) -> str:
    """The README section: what was trained and how it is compared, the tables, and the plot when drawn."""
    return "\n".join([INTRO, "", markdown(result)] + (["", f"![{TITLE}]({png_name})"] if png_name else []))


def collect(out: Path, *, manifest_path=None, population_file=None, weak_population_file=None) -> dict:
    """The section's numbers from the files: the manifest, the population file, the weak runs'
    same-steps file and, when `benchmarks.speed.train_bench` wrote `<out>/train.json` with the weak
    objectives, what the pairs cost in training."""
    from zoo.manifest import load_manifest

    result = compare(load_manifest(manifest_path), _read(Path(population_file or POPULATION_FILE)),
                     _read(Path(weak_population_file or WEAK_POPULATION_FILE)))
    train = _read(Path(out) / "train.json")
    result["train_speed"] = train_speed(train)
    if result["train_speed"]:
        machine = train.get("machine") or {}
        result["train_machine"] = {"finished": train.get("finished"), "cpu": machine.get("cpu"),
                                   "cpus": machine.get("cpus"), "load": machine.get("load_average_1min_start_end")}
    return result


def run(quick: bool, out: Path, *, manifest_path=None, population_file=None, weak_population_file=None) -> dict:
    """Reads the files (`collect`); writes `<out>/weak_supervision.png` when there is something to
    plot. `quick` is unused (nothing is computed)."""
    result = collect(out, manifest_path=manifest_path, population_file=population_file,
                     weak_population_file=weak_population_file)
    print(markdown(result))
    png = plot(result, Path(out) / f"{NAME}.png")
    if png:
        print(f"wrote {png}")
    return {"benchmark": TITLE, **result, "plot": png.name if png else None}


def main(argv):
    from benchmarks.papers import _population_markdown

    _report.no_arguments(argv)
    if FLAGS.readme and Path(FLAGS.readme).resolve().parent != Path(FLAGS.out_dir).resolve():
        raise ValueError(f"--readme {FLAGS.readme} must sit in --out_dir {FLAGS.out_dir}, where the plot it links is.")
    result = _report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=FLAGS.out_dir, json_path=FLAGS.out,
                                  manifest_path=FLAGS.manifest, population_file=FLAGS.population_file)
    if FLAGS.readme:
        _population_markdown.publish(FLAGS.readme, section(result, result["plot"]), TITLE, BEGIN, END)
        print(f"wrote the section into {FLAGS.readme}")
    return 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "manifest", "out", "out_dir", "quick", "population_file", "readme")
