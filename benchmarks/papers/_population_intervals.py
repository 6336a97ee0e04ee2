"""The population figures' uncertainty (issue 34): a 95% bootstrap interval and a verdict for every
correlation, variance share and trend the sections state, from `population.json` rows only.

What is resampled, and why:
  - correlations over the models (section 1): the models, drawn with replacement from all of them
    (the unit is a trained model; the paper's matrix is over models too);
  - within-objective correlations (section 1): the models *within each objective*, each objective
    keeping its count: the statistic removes each objective's mean, and the objectives are fixed
    by the design, not sampled;
  - variance shares (section 2) and trends (section 3): the seeds, drawn again within each
    objective (`_population_stats.seed_bootstrap`): every setting keeps its mean and each model
    gets a seed deviation drawn from those of its objective's setting trained with several seeds.
    Not models within objectives: a model drawn twice is a setting "trained twice" with no
    spread, which pulls the seed share down (on this population BetaVAE's seed s.d. of 0.024 got
    the interval [0.008, 0.023], without its own estimate); and a trend's endpoints are single
    seeds, which resampled models cannot move. Not whole seeds either: there are three, and
    seeds 1 and 2 exist at the middle settings only;
  - the trade-off (section 4): the beta-VAE and FactorVAE models within their objective.
Every interval uses `_population_stats.RESAMPLES` resamples from seed `SEED` at `LEVEL`, and the
verdict follows `_population_stats.VERDICT_RULE`.
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks.papers import _agreement
from benchmarks.papers import _population_stats as stats

UNITS = {
    "agreement": "models, drawn with replacement from all models",
    "within": "models, drawn with replacement within each objective (each keeps its count)",
    "variance": "seeds: each model's deviation from its setting's mean, drawn again from those of its objective's "
                "settings with several seeds",
    "trend": "seeds: each model's deviation from its setting's mean, drawn again from those of its objective's "
             "settings with several seeds",
    "tradeoff": "beta-VAE and FactorVAE models, drawn with replacement within their objective",
}


# ----------------------------------------------------------------------------- pure helpers

def spearman(values) -> np.ndarray:
    """Spearman rank correlation `[M, M]` of the columns of `values [N, M]` (average ranks for ties);
    a constant column's row and column are NaN, its diagonal 1. Vectorised, for the bootstrap."""
    from scipy.stats import rankdata

    ranks = rankdata(np.asarray(values, np.float64), axis=0)
    ranks -= ranks.mean(axis=0)
    norm = np.sqrt((ranks ** 2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (ranks.T @ ranks) / np.outer(norm, norm)
    out[:, norm == 0] = out[norm == 0, :] = np.nan
    np.fill_diagonal(out, 1.0)
    return np.clip(out, -1.0, 1.0)


def within_objective(values, objectives) -> np.ndarray:
    """`values [N, M]` with each objective's mean removed from its rows, column by column: what is
    left to correlate once the differences between objectives are taken out."""
    values = np.array(values, np.float64)
    labels = np.asarray(objectives)
    for o in dict.fromkeys(objectives):
        values[labels == o] -= values[labels == o].mean(axis=0)
    return values


def trend_interval(cells, *, resamples: int = stats.RESAMPLES, seed: int = stats.SEED,
                   level: float = stats.LEVEL) -> dict:
    """Interval of a trend, the strongest setting's mean minus the weakest's, by drawing the seeds
    again (`_population_stats.seed_bootstrap`): the endpoints are single seeds, so resampling models could not move
    them. `cells` are one objective's settings from weak to strong, each the list of its seeds'
    values; all share one seed spread. NaN when no setting has two seeds."""
    cells = [[v for v in c if math.isfinite(v)] for c in cells]
    if len(cells) < 2 or not cells[0] or not cells[-1]:
        return {"estimate": math.nan, "low": math.nan, "high": math.nan, "deviations": 0}
    values = [v for c in cells for v in c]
    labels = [h for h, c in enumerate(cells) for _ in c]
    weak, strong = np.array(labels) == 0, np.array(labels) == len(cells) - 1
    b = stats.seed_bootstrap(lambda y: y[strong].mean() - y[weak].mean(), values, labels, resamples=resamples,
                             seed=seed, level=level)
    if not b["deviations"]:
        return {"estimate": b["estimate"], "low": math.nan, "high": math.nan, "deviations": 0}
    return {"estimate": b["estimate"], "low": b["low"], "high": b["high"], "deviations": b["deviations"]}


def adjusted_difference(scores, errors, is_second) -> float:
    """The second group's score minus the first's at equal reconstruction error: the coefficient of
    the group indicator in the least-squares fit score ~ 1 + group + error (NaN when singular)."""
    x = np.column_stack([np.ones(len(scores)), np.asarray(is_second, np.float64), np.asarray(errors, np.float64)])
    if np.linalg.matrix_rank(x) < 3:
        return math.nan
    coef, *_ = np.linalg.lstsq(x, np.asarray(scores, np.float64), rcond=None)
    return float(coef[1])


# ----------------------------------------------------------------------------- the sections

def _interval(b: dict, index=()) -> dict:
    pick = (lambda x: x) if index == () else (lambda x: x[index[0]][index[1]] if len(index) == 2 else x[index[0]])
    return {"estimate": pick(b["estimate"]), "low": pick(b["low"]), "high": pick(b["high"])}


def agreement(rows: list[dict], *, resamples: int, seed: int, level: float) -> dict:
    """Each metric pair's Spearman correlation over the models and within objectives, with intervals
    and verdicts against Locatello et al.'s cell; the two summaries of the whole matrix too."""
    names, paper, _ = _agreement.paper_matrix()
    labels = [m[2] for m in _agreement.METRICS]
    scored = [[stats.value_of(r, key) for _, key, _ in _agreement.METRICS] for r in rows]
    keep = [i for i, s in enumerate(scored) if all(math.isfinite(v) for v in s)]
    x = np.asarray([scored[i] for i in keep], np.float64).reshape(len(keep), len(names))
    objectives = np.asarray([rows[i]["objective"] for i in keep])
    n = len(keep)
    options = {"resamples": resamples, "seed": seed, "level": level}
    upper = np.triu_indices(len(names), k=1)
    if n < 3:  # no ranking to correlate: every interval is undefined
        nan = np.full((len(names), len(names)), np.nan).tolist()
        pooled = within = {"estimate": nan, "low": nan, "high": nan}
        whole = {key: [math.nan, math.nan] for key in ("estimate", "low", "high")}
        return _pairs(pooled, within, whole, paper, labels, upper, n)
    pooled = stats.bootstrap(lambda i: spearman(x[i]), n, **options)
    within = stats.bootstrap(lambda i: spearman(within_objective(x[i], objectives[i])), n,
                             strata=objectives, **options)

    def summary(i):  # the same resamples as `pooled` (same seed, same n)
        ours = spearman(x[i])[upper]
        ok = np.isfinite(ours)
        a, b = ours[ok], paper[upper][ok]
        pattern = spearman(np.column_stack([a, b]))[0, 1] if len(a) > 2 else math.nan
        return [np.mean(np.abs(a - b)) if len(a) else math.nan, pattern]

    whole = stats.bootstrap(summary, n, **options)
    return _pairs(pooled, within, whole, paper, labels, upper, n)


def _pairs(pooled: dict, within: dict, whole: dict, paper, labels: list[str], upper, n: int) -> dict:
    pairs = []
    for i, j in zip(*upper):
        ours, mine = _interval(pooled, (i, j)), _interval(within, (i, j))
        p = float(paper[i, j])
        pairs.append({"pair": [labels[i], labels[j]], "paper": p,
                      "ours": {**ours, "verdict": stats.verdict(ours["low"], ours["high"], p)},
                      "within": {**mine, "verdict": stats.verdict(mine["low"], mine["high"], p)}})
    mad, pattern = _interval(whole, (0,)), _interval(whole, (1,))
    return {"num_models": n, "pairs": pairs, "within_matrix": within["estimate"],
            "mean_abs_difference": mad,
            # The paper's pattern repeated would correlate 1 with it; the claim checked is a positive one.
            "pattern_spearman": {**pattern, "verdict": stats.verdict(pattern["low"], pattern["high"], None,
                                                                     side="above")},
            "verdicts": _count(p["ours"]["verdict"] for p in pairs),
            "within_verdicts": _count(p["within"]["verdict"] for p in pairs)}


def variance(rows: list[dict], keys: list[tuple[str, str]], *, eval_points: int | None, resamples: int, seed: int,
             level: float) -> dict:
    """Each score's shares with intervals; the verdict on the paper's reading that the setting and the
    seed together matter more than the objective (the objective's share below one half). For the
    BetaVAE and FactorVAE scores, the evaluation noise: the binomial variance p (1 - p) / eval_points
    of an accuracy over `eval_points` votes (a lower bound: the classifier's training votes add more),
    as a fraction of the seed variance."""
    out = {}
    for label, key in keys:
        scored = [(stats.value_of(r, key), r) for r in rows]
        scored = [(v, r) for v, r in scored if math.isfinite(v)]
        values = np.asarray([v for v, _ in scored], np.float64)
        objectives = [r["objective"] for _, r in scored]
        cells = [(r["objective"], stats.setting_key(r)) for _, r in scored]

        def statistic(y):
            v = stats.variance_shares(y, objectives, cells)
            s = v["shares"]
            return [s["objective"], s["setting"], s["seed"], v["seed_sd"]]

        b = stats.seed_bootstrap(statistic, values, cells, pools=objectives, resamples=resamples, seed=seed,
                                 level=level)
        entry = {name: _interval(b, (k,)) for k, name in enumerate(("objective", "setting", "seed", "seed_sd"))}
        o = entry["objective"]
        entry["verdict"] = stats.verdict(o["low"], o["high"], None, side="below", boundary=0.5)
        if eval_points and key.endswith(".eval_accuracy") and key.split(".")[0] in ("beta_vae_score",
                                                                                    "factor_vae_score"):
            p = values[np.isfinite(values)]
            noise = float(np.mean(p * (1 - p)) / eval_points)
            sd = entry["seed_sd"]
            entry["evaluation"] = {"points": eval_points, "sd": math.sqrt(noise),
                                   "share_of_seed_variance": {
                                       "estimate": noise / sd["estimate"] ** 2 if sd["estimate"] else math.nan,
                                       "low": noise / sd["high"] ** 2 if sd["high"] else math.nan,
                                       "high": noise / sd["low"] ** 2 if sd["low"] else math.nan}}
        out[label] = entry
    return out


def trends(mean_vs_sampled: dict, *, resamples: int, seed: int, level: float) -> dict:
    """Each objective's change of the sampled and the mean TC, weakest to strongest, with intervals and
    the verdict against Locatello et al.'s direction (none for AnnealedVAE, not in their figure)."""
    out = {}
    for objective, entry in mean_vs_sampled.items():
        out[objective] = {}
        for which in ("sampled", "mean"):
            t = trend_interval([s["values"] for s in entry[which]], resamples=resamples, seed=seed, level=level)
            expected = stats.paper_tc(objective, which)
            t["paper"] = expected
            t["verdict"] = (None if expected is None else
                            stats.verdict(t["low"], t["high"], None, side="below" if expected == "falls" else "above"))
            out[objective][which] = t
    return out


def tradeoff(rows: list[dict], score_key: str, *, resamples: int, seed: int, level: float,
             error_key: str = "reconstruction.nll_sampled") -> dict:
    """FactorVAE's score minus beta-VAE's at equal reconstruction error (`adjusted_difference`), with
    its interval and the verdict on Kim & Mnih's claim that it is positive."""
    mine = [r for r in rows if r["objective"] in ("beta_vae", "factor_vae")]
    points = [(stats.value_of(r, score_key), stats.value_of(r, error_key), r["objective"]) for r in mine]
    points = [p for p in points if math.isfinite(p[0]) and math.isfinite(p[1])]
    if len({p[2] for p in points}) < 2:
        return {"estimate": math.nan, "low": math.nan, "high": math.nan, "verdict": "undetermined",
                "models": len(points)}
    score, error = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    second = np.array([p[2] == "factor_vae" for p in points])
    b = stats.bootstrap(lambda i: adjusted_difference(score[i], error[i], second[i]), len(points),
                        strata=[p[2] for p in points], resamples=resamples, seed=seed, level=level)
    out = _interval(b)
    return {**out, "verdict": stats.verdict(out["low"], out["high"], None, side="above"), "models": len(points)}


def capacity(summary: dict) -> dict:
    """The order of factors can be read only from runs where two factor groups switch on at different
    traced steps; with none, "position first" cannot fail and the verdict is undetermined."""
    ordered, first = summary["ordered_runs"], summary["position_first_of_ordered"]
    if not ordered:
        word = "undetermined"
    else:
        word = "agrees" if first == ordered else ("disagrees" if first == 0 else "undetermined")
    return {"ordered_runs": ordered, "position_first_of_ordered": first, "verdict": word}


def _count(words) -> dict:
    out = {"agrees": 0, "disagrees": 0, "undetermined": 0}
    for w in words:
        out[w] += 1
    return out


def compute(rows: list[dict], result: dict, *, keys: list[tuple[str, str]], settings: dict | None,
            resamples: int = stats.RESAMPLES, seed: int = stats.SEED, level: float = stats.LEVEL) -> dict:
    """Every section's intervals, from the de-duplicated `rows` (see `stats.distinct_objectives`) and the
    figures' own numbers in `result` (the trends' settings, the capacity summary); `keys` are the
    (label, key) of the scores whose variance is decomposed."""
    options = {"resamples": resamples, "seed": seed, "level": level}
    return {
        "resamples": resamples, "seed": seed, "level": level, "rule": stats.VERDICT_RULE, "units": UNITS,
        "agreement": agreement(rows, **options),
        "variance": variance(rows, keys, eval_points=(settings or {}).get("intervention_eval"), **options),
        "mean_vs_sampled": trends(result["mean_vs_sampled"], **options),
        "tradeoff": {"factor_vae_score": tradeoff(rows, "factor_vae_score.eval_accuracy", **options),
                     "mig": tradeoff(rows, "mig.mig", **options)},
        "capacity": capacity(stats.capacity_summary(result["capacity"])),
    }
