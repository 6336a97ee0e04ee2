"""The six population figures: their numbers (`compute`) and their plots (`draw`), from rows only.

`compute(rows, impossibility)` returns one JSON-able dict, every number of every figure; `draw`
turns it into PNGs. Nothing here reads a model: rows come from `population.json`.
"""

from __future__ import annotations

import math
from pathlib import Path

from benchmarks.papers import _plots
from benchmarks.papers import _population_stats as stats
from benchmarks.papers import _agreement, _population_intervals, _population_selection, _population_steps
from benchmarks.papers._population_steps import SNAPSHOT

# (label, key) of the metrics whose variance is decomposed and whose distributions are plotted.
DECOMPOSED = [(label, key) for _, key, label in _agreement.METRICS] + [
    ("IRS", "irs.irs"), ("Recon. NLL", "reconstruction.nll_sampled")]
PNG = {"agreement": "population_agreement.png", "variance": "population_variance.png",
       "mean_vs_sampled": "population_mean_vs_sampled.png", "tradeoff": "population_tradeoff.png",
       "capacity": "population_capacity.png", "impossibility": "population_impossibility.png"}

# What to see in each figure: the caption the docs print under it (`_population_markdown`).
CAPTIONS = {
    "agreement": "Each cell is the Spearman rank correlation (%) of two metrics over the models: red, they "
                 "rank the models alike; blue, in opposite orders. Left, ours over all models; middle, ours with "
                 "each objective's mean removed from every score; right, the paper's (Noisy-dSprites). Where the "
                 "left matrix is redder than the paper's, the metrics agree more here than in the study; where the "
                 "middle one is paler than the left, that agreement came from differences between objectives. "
                 "Modularity's row shows whether it runs against the other scores; the table above gives each "
                 "cell's interval and verdict.",
    "variance": "One panel per score, one point per model: x is its objective, the colour its setting (weakest, "
                "middle, strongest), and the middle setting's points are its seeds. Gaps between objectives "
                "that are wide next to the spread within one mean the objective decides the score; the title "
                "gives each source's share of the variance (%).",
    "mean_vs_sampled": "Per objective, the Gaussian total correlation (nats) of the sampled (blue) and the "
                       "mean (orange) representation as the regulariser strengthens from left to right; points "
                       "are models, lines join the means over seeds. The paper expects the sampled line to fall "
                       "for every objective, and the mean line to rise for DIP-VAE-II and beta-TCVAE.",
    "tradeoff": "Each point is a beta-VAE (blue) or FactorVAE (orange) model, labelled with its beta or gamma; "
                "lines join the means over seeds. Lower right is better (less reconstruction error, higher "
                "score): FactorVAE's points lying below and right of beta-VAE's is Kim & Mnih's claim.",
    "capacity": "One panel per AnnealedVAE run: each latent's KL (nats) through training, named by the factor "
                "it ends up encoding, beside the capacity C (dashed) and the sum over latents (grey). Which "
                "latents rise first, and what they encode, is Burgess et al.'s order of factors.",
    "impossibility": "Left: the supervised scores of a perfectly disentangled code as two of its coordinates "
                     "are rotated by 0 to 45 degrees. Right: what a model trained without labels can see, the "
                     "change in the prior's log-likelihood and the total correlation, flat at 0. The scores "
                     "fall while the likelihood does not move: Theorem 1.",
}


def agreement(rows: list[dict]) -> dict:
    """Figure 1: Spearman matrix of the six metrics over the models, beside Locatello et al.'s."""
    names, paper, source = _agreement.paper_matrix()
    scored = [{name: stats.value_of(r, key) for name, key, _ in _agreement.METRICS} for r in rows]
    complete = [s for s in scored if all(math.isfinite(v) for v in s.values())]
    ours = _agreement.rank_correlation(complete, names)
    return {"metrics": [m[2] for m in _agreement.METRICS], "ours": ours.tolist(), "paper": paper.tolist(),
            "paper_source": source, "num_models": len(complete), "left_out": len(scored) - len(complete),
            "comparison": _agreement.compare(ours, paper)}


def variance(rows: list[dict]) -> dict:
    """Figure 2: each metric's variance shares (objective / setting / seed) and its values per objective."""
    out = {}
    for label, key in DECOMPOSED:
        points = [{"objective": r["objective"], "value": stats.strength(r)[1], "seed": r["seed"],
                   "score": stats.value_of(r, key)} for r in rows]
        out[label] = {"key": key, **stats.shares_of(rows, key), "points": points}
    return out


def compute(rows: list[dict], impossibility: dict | None, *, settings: dict | None = None,
            resamples: int = stats.RESAMPLES) -> dict:
    """Every figure's numbers and their intervals (`_population_intervals`). The pooled sections (agreement,
    variance) count each objective once (`stats.distinct_objectives`); the per-objective sections keep each
    objective's own sweep, where beta-TCVAE at beta 1 is that sweep's weakest setting."""
    every = sorted(rows, key=lambda r: r["name"])
    # Sections 1 to 5 are the population's own: its settings at its step count (the longer runs' 10,000-step
    # snapshots included). The 30,000-step models are compared in section 8, the slow ramps join section 5.
    rows = _population_steps.population_rows(every)
    ramps = [r for r in every if _population_steps.is_slow_ramp(r) and SNAPSHOT not in r["name"] and r.get("kl_trace")]
    distinct, dropped = stats.distinct_objectives(rows)
    present = {r["objective"] for r in rows}
    order = [o for o in stats.OBJECTIVES if o in present] + sorted(present - set(stats.OBJECTIVES))
    counts = {o: sum(r["objective"] == o for r in rows) for o in order}
    annealed = [r for r in rows if r["objective"] == "annealed_vae" and r.get("kl_trace")]
    annealed.sort(key=lambda r: (r["seed"], stats.strength(r)[1]))
    annealed += sorted(ramps, key=lambda r: r["seed"])
    result = {
        "num_models": len(rows), "counts": counts, "steps": sorted({r["steps"] for r in rows}),
        "distinct": {"num_models": len(distinct), "dropped": [r["name"] for r in dropped],
                     "rule": [{"dropped": d, "kept": k, "hparam": h, "value": v}
                              for d, k, h, v in stats.SAME_OBJECTIVE]},
        "agreement": agreement(distinct),
        "variance": variance(distinct),
        "mean_vs_sampled": stats.mean_vs_sampled(rows),
        "tradeoff": {"factor_vae_score": stats.tradeoff(rows, "factor_vae_score.eval_accuracy"),
                     "mig": stats.tradeoff(rows, "mig.mig")},
        "capacity": [stats.capacity_trace(r) for r in annealed],
        "impossibility": impossibility,
    }
    result["intervals"] = _population_intervals.compute(distinct, result, keys=DECOMPOSED, settings=settings,
                                                        resamples=resamples)
    result["selection"] = _population_selection.compute(every, resamples=resamples)
    result["steps_comparison"] = _population_steps.compute(every, resamples=resamples)
    return result


# ----------------------------------------------------------------------------- plots

def _objectives(result: dict) -> list[str]:
    present = list(result["counts"])
    return [o for o in stats.OBJECTIVES if o in present] + sorted(set(present) - set(stats.OBJECTIVES))


def draw_variance(result: dict, path: Path) -> Path:
    objectives = _objectives(result)
    specs = []
    for label, entry in result["variance"].items():
        ranked = {}  # rank of the setting within its objective (0 = weakest) -> [(x, score)]
        for i, o in enumerate(objectives):
            mine = [p for p in entry["points"] if p["objective"] == o]
            values = sorted({p["value"] for p in mine}, key=lambda v: stats.STRENGTH.get(o, ("", 1))[1] * v)
            for p in mine:
                rank = values.index(p["value"])
                ranked.setdefault(rank, []).append((i + 0.22 * (rank - 1), p["score"]))
        names = ["weakest", "middle", "strongest"] if len(ranked) == 3 else [f"setting {k + 1}" for k in ranked]
        series = [{"name": names[k], "points": ranked[k], "color": k} for k in sorted(ranked)]
        s = entry["shares"]
        specs.append({"title": f"{label}: obj {_pc(s['objective'])}, hp {_pc(s['setting'])}, seed {_pc(s['seed'])}",
                      "series": series, "xticks": [(i, _short(o)) for i, o in enumerate(objectives)],
                      "xlabel": "objective", "ylabel": _unit(label)})
    return _plots.panels(path, specs, columns=4, size=(430, 250),
                           title="Scores per objective (colour: setting, weak to strong; points: seeds) "
                                 "and variance shares (%)")


def draw_mean_vs_sampled(result: dict, path: Path) -> Path:
    specs = []
    for objective, entry in result["mean_vs_sampled"].items():
        ticks = [(i, f"{s['value']:g}") for i, s in enumerate(entry["mean"])]
        series = []
        for c, which in enumerate(("sampled", "mean")):
            settings = entry[which]
            series.append({"name": f"TC of {which}", "color": c, "line": True, "markers": False,
                           "points": [(i, s["mean"]) for i, s in enumerate(settings)]})
            series.append({"name": None, "color": c, "points": [(i, v) for i, s in enumerate(settings)
                                                                 for v in s["values"]]})
        hparam = entry["mean"][0]["hparam"]
        specs.append({"title": f"{stats.LABELS.get(objective, objective)}", "series": series, "xticks": ticks,
                      "xlabel": f"{hparam} (weak -> strong)", "ylabel": "Gaussian TC (nats)"})
    return _plots.panels(path, specs, columns=3,
                           title="Gaussian total correlation of the sampled and the mean representation")


def draw_tradeoff(result: dict, path: Path) -> Path:
    specs = []
    for key, label in (("factor_vae_score", "FactorVAE score"), ("mig", "MIG")):
        entry = result["tradeoff"][key]
        series = []
        for c, objective in enumerate(("beta_vae", "factor_vae")):
            models = [m for m in entry["models"] if m["objective"] == objective]
            series.append({"name": stats.LABELS[objective], "color": c,
                           "points": [(m["score"], m["error"]) for m in models],
                           "labels": [f"{m['value']:g}" for m in models]})
            values = sorted({m["value"] for m in models})  # both objectives regularise more as the value grows
            means = [[m for m in models if m["value"] == v] for v in values]
            series.append({"name": None, "color": c, "line": True, "markers": False,
                           "points": [(sum(m["score"] for m in g) / len(g), sum(m["error"] for m in g) / len(g))
                                      for g in means]})
        specs.append({"title": f"reconstruction error vs {label}", "series": series, "xlabel": label,
                      "ylabel": "Bernoulli NLL per image (nats)"})
    return _plots.panels(path, specs, columns=2, size=(470, 320),
                           title="Reconstruction against disentanglement "
                                 "(labels: beta or gamma; lines: mean over seeds)")


def draw_capacity(result: dict, path: Path) -> Path:
    specs = []
    for trace in result["capacity"]:
        series = []
        for j in trace["order"]:
            latent = trace["latents"][j]
            name = f"z{j}: {latent['factor']}" if latent["factor"] else f"z{j}: inactive"
            series.append({"name": name, "color": j, "line": True, "markers": False,
                           "points": list(zip(trace["steps"], [row[j] for row in trace["kl"]]))})
        series.append({"name": "sum over latents", "color": (150, 150, 150), "line": True, "markers": False,
                       "points": list(zip(trace["steps"], trace["total_kl"]))})
        if trace["capacity"] is not None:
            series.append({"name": "capacity C", "color": (20, 20, 20), "line": True, "markers": False, "dashed": True,
                           "points": list(zip(trace["steps"], trace["capacity"]))})
        specs.append({"title": trace["name"], "series": series, "xlabel": "training step", "ylabel": "KL (nats)"})
    return _plots.panels(path, specs, columns=3, size=(430, 300),
                           title="KL per latent through training (AnnealedVAE), named by the factor it encodes")


def draw_impossibility(demo: dict, path: Path) -> Path:
    rows = demo["rows"]
    labels = list(rows[0]["scores"])
    series = [{"name": label, "color": i, "line": True,
               "points": [(r["angle_degrees"], r["scores"][label]) for r in rows]}
              for i, label in enumerate(labels)]
    prior = [{"name": "mean log N(Rz; 0, I) - mean log N(z; 0, I)", "color": 0, "line": True,
              "points": [(r["angle_degrees"], r["mean_log_prior"] - demo["mean_log_prior_unrotated"]) for r in rows]},
             {"name": "Gaussian TC of Rz (nats)", "color": 1, "line": True,
              "points": [(r["angle_degrees"], r["gaussian_total_correlation"]) for r in rows]}]
    return _plots.panels(path, [
        {"title": "supervised scores of Rz", "series": series, "xlabel": "rotation of the principal plane (degrees)",
         "ylabel": "score (0 to 1)", "ylim": (0.0, 1.03)},
        {"title": "what the prior sees", "series": prior, "xlabel": "rotation of the principal plane (degrees)",
         "ylabel": "nats", "ylim": (-0.05, 0.05)}], columns=2, size=(470, 300),
        title="Theorem 1: a rotation of a disentangled N(0, I) code")


def draw(result: dict, out: Path) -> dict:
    """Writes every figure that has data; returns {figure: file name}."""
    out = Path(out)
    written = {}
    a = result["agreement"]
    within = result["intervals"]["agreement"]["within_matrix"]
    _plots.heatmaps(out / PNG["agreement"], [(f"ours: {a['num_models']} trained models, dSprites", a["ours"]),
                                            ("ours, each objective's mean removed", within),
                                            ("Locatello et al. 2019: Noisy-dSprites", a["paper"])],
                   a["metrics"], title="Rank correlation between disentanglement metrics (%)")
    written["agreement"] = PNG["agreement"]
    for key, fn, arg in (("variance", draw_variance, result), ("mean_vs_sampled", draw_mean_vs_sampled, result),
                         ("tradeoff", draw_tradeoff, result), ("capacity", draw_capacity, result),
                         ("impossibility", draw_impossibility, result["impossibility"])):
        empty = not arg or (key == "capacity" and not result["capacity"]) or (
            key == "mean_vs_sampled" and not result["mean_vs_sampled"])
        if not empty:
            fn(arg, out / PNG[key])
            written[key] = PNG[key]
    return written


def _pc(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.0f}"


def _unit(label: str) -> str:
    """The y axis of a score's strip plot: the reconstruction error in nats, the scores in [0, 1]."""
    return "nats per image" if "NLL" in label else f"{label} (0 to 1)"


def _short(objective: str) -> str:
    return {"beta_vae": "bVAE", "annealed_vae": "Ann", "factor_vae": "FVAE", "dip_vae_i": "DIP-I",
            "dip_vae_ii": "DIP-II", "beta_tcvae": "bTC"}.get(objective, objective[:6])

