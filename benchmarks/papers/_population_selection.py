"""Unsupervised model selection on the population (Locatello et al. 2019, Sec. 5.4; Duan et al. 2020).

Without labels, can a user pick the disentangled model? For each unsupervised score, at each step
count the population holds:

* its Spearman rank correlation with each supervised score over the models that have both, with a
  95% percentile bootstrap interval (resampling models; `_population_stats.bootstrap`);
* selection within a setting: in every setting (objective, hyperparameters, steps) with two or more
  such models, the model the unsupervised score ranks best is picked, and it is a *hit* when its
  supervised score lies above the setting's median. A random pick hits with probability
  floor(M / 2) / M in a setting of M models with distinct scores (1/3 for three seeds, 1/2 for an even
  number), so chance is the mean of those over the settings, not one half. The hit rate gets a 95%
  Wilson interval (`scipy.stats.binomtest`); the verdict is *above chance* when the interval lies
  above chance, *below chance* when below, *undetermined* otherwise.

Which way is "best" is fixed here, before any UDR was computed: lower for the reconstruction error,
the total KL and both Gaussian total correlations (what the objectives minimise), higher for UDR
(Duan et al.: a more disentangled model agrees more with its seed siblings). beta-TCVAE at beta 1 is
counted once (`_population_stats.distinct_objectives`).
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks import _report
from benchmarks.papers import _agreement
from benchmarks.papers import _population_intervals as intervals
from benchmarks.papers import _population_stats as stats

# (label, how to read it from a row, +1 when higher is better / -1 when lower is)
UNSUPERVISED = [
    ("Recon. NLL", "reconstruction.nll_sampled", -1),
    ("KL (sum)", "kl_total", -1),
    ("TC sampled", "gaussian_total_correlation.sampled", -1),
    ("TC mean", "gaussian_total_correlation.mean", -1),
    ("UDR_L", "udr.lasso", 1),
    ("UDR_S", "udr.spearman", 1),
]
SUPERVISED = [(label, key) for _, key, label in _agreement.METRICS]


def unsupervised_value(row: dict, key: str) -> float:
    """An unsupervised score of a row (NaN where the row lacks it: UDR needs the setting's other models)."""
    if key == "kl_total":
        kl = row.get("kl_per_latent")
        return float(sum(kl)) if kl else float("nan")
    try:
        return stats.value_of(row, key)
    except (KeyError, TypeError):
        return float("nan")


def chance(size: int) -> float:
    """Probability that a uniformly random model of `size` (distinct scores) lies above their median."""
    return (size // 2) / size


def select(rows: list[dict], unsupervised: tuple[str, str, int], supervised_key: str) -> dict:
    """Selection within each setting by one unsupervised score, judged by one supervised score."""
    _, key, sign = unsupervised
    groups: dict[tuple, list[tuple[float, float, int]]] = {}
    for row in rows:
        u, s = unsupervised_value(row, key), stats.value_of(row, supervised_key)
        if math.isfinite(u) and math.isfinite(s):
            groups.setdefault((row["objective"], stats.setting_key(row), row["steps"]), []).append((u, s, row["seed"]))
    hits, chances = 0, []
    for members in groups.values():
        if len(members) < 2:
            continue
        picked = max(members, key=lambda m: (sign * m[0], -m[2]))  # ties: the lowest seed
        hits += picked[1] > float(np.median([m[1] for m in members]))
        chances.append(chance(len(members)))
    out = {"hits": int(hits), "settings": len(chances), "chance": float(np.mean(chances)) if chances else None}
    if chances:
        from scipy.stats import binomtest

        ci = binomtest(hits, len(chances)).proportion_ci(0.95, method="wilson")
        out.update(low=float(ci.low), high=float(ci.high),
                   verdict="above chance" if ci.low > out["chance"] else
                   "below chance" if ci.high < out["chance"] else "undetermined")
    return out


def correlation(rows: list[dict], key: str, *, resamples: int, seed: int) -> dict:
    """Spearman rho of one unsupervised score with each supervised score, over the models that have all of them."""
    table = [[unsupervised_value(r, key)] + [stats.value_of(r, k) for _, k in SUPERVISED] for r in rows]
    table = np.array([t for t in table if all(math.isfinite(v) for v in t)], np.float64).reshape(-1, 1 + len(SUPERVISED))
    if len(table) < 4:
        return {"num_models": len(table)}
    b = stats.bootstrap(lambda index: intervals.spearman(table[index])[0, 1:], len(table),
                        resamples=resamples, seed=seed)
    return {"num_models": len(table), "estimate": b["estimate"], "low": b["low"], "high": b["high"],
            "undefined": b["undefined"]}


def compute(rows: list[dict], *, resamples: int = stats.RESAMPLES, seed: int = stats.SEED) -> dict:
    """Per step count: every unsupervised score's correlations and selection against every supervised score."""
    rows, _ = stats.distinct_objectives(rows)
    out = {}
    for steps in sorted({r["steps"] for r in rows}):
        mine = [r for r in rows if r["steps"] == steps]
        out[str(steps)] = {
            "num_models": len(mine),
            "scores": {label: {"correlation": correlation(mine, key, resamples=resamples, seed=seed),
                               "selection": {s_label: select(mine, (label, key, sign), s_key)
                                             for s_label, s_key in SUPERVISED}}
                       for label, key, sign in UNSUPERVISED}}
    return {"supervised": [label for label, _ in SUPERVISED], "by_steps": out}


MARKS = {"above chance": "\u2191", "below chance": "\u2193", "undetermined": "~"}


def _rho(correlation: dict, j: int) -> str:
    if "estimate" not in correlation:
        return "-"
    value, low, high = correlation["estimate"][j], correlation["low"][j], correlation["high"][j]
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.2f} [{low:.2f}, {high:.2f}]"


def _pick(selection: dict) -> str:
    if not selection["settings"]:
        return "-"
    return f"{selection['hits']}/{selection['settings']} {MARKS[selection['verdict']]}"


def markdown(result: dict) -> str:
    """The section's text: the rule, then per step count a correlation table and a selection table."""
    supervised = result["supervised"]
    parts = ["Can the unsupervised scores pick the disentangled model? Rank correlation (Spearman, 95% "
             "bootstrap interval over models) of each unsupervised score with each supervised one, and selection "
             "within a setting: the model the unsupervised score ranks best (lower reconstruction error, KL and "
             "total correlation; higher UDR, fixed before any UDR was computed) is a hit when its supervised score "
             "is above its setting's median. Chance is floor(M/2)/M for M seeds (1/3 for three), averaged over the "
             "settings; the mark after each count is its 95% Wilson interval against chance: \u2191 above, "
             "\u2193 below, ~ undetermined. UDR needs every model of a setting at hand, so it exists only for "
             "settings whose run folders were kept; '-' marks a score with no models or settings to compare. Each "
             "selection table has 36 cells: at a 95% level about two cross chance by luck alone, so a lone mark "
             "is no finding."]
    for steps, entry in result["by_steps"].items():
        rows_rho, rows_pick, chances = [], [], set()
        for label, score in entry["scores"].items():
            c = score["correlation"]
            rows_rho.append([label, str(c["num_models"])] + [_rho(c, j) for j in range(len(supervised))])
            rows_pick.append([label] + [_pick(score["selection"][s]) for s in supervised])
            chances |= {round(s["chance"], 3) for s in score["selection"].values() if s["chance"] is not None}
        chance_text = ", ".join(f"{c:.2f}" for c in sorted(chances)) or "-"
        parts += ["", f"At {int(steps):,} steps ({entry['num_models']} models):", "",
                  _report_table(["unsupervised score", "models"] + supervised, rows_rho), "",
                  f"Selection within a setting (hits / settings; chance {chance_text}):", "",
                  _report_table(["picked by"] + supervised, rows_pick)]
    return "\n".join(parts)


def _report_table(header, rows) -> str:
    return _report.markdown_table(header, rows, align="l" * len(header))
