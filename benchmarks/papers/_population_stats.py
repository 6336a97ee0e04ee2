"""The numbers behind the population figures, computed from `population.json` rows only (pure numpy).

A row is one trained model as `benchmarks/papers/_population_score.py` writes it: `objective`,
`hparams` (the swept hyperparameter first, as in `zoo.study`), `seed`, `steps`, `scores` (the
flat dict of `zoo.metrics.evaluate`), `reconstruction`, `kl_per_latent`,
`gaussian_total_correlation` (`mean`, `sampled`), `mutual_information` and, for VAEs,
`kl_trace`. Every function here takes rows (or plain arrays) and returns plain Python
numbers, so tests can rebuild each figure from a hand-made population.
"""

from __future__ import annotations

import math

import numpy as np

# The swept hyperparameter of each objective and the direction in which it regularises more:
# AnnealedVAE's capacity c_max is a budget of KL, so a *smaller* c_max constrains more.
STRENGTH = {"beta_vae": ("beta", 1), "annealed_vae": ("c_max", -1), "factor_vae": ("gamma", 1),
            "dip_vae_i": ("lambda_od", 1), "dip_vae_ii": ("lambda_od", 1), "beta_tcvae": ("beta", 1)}
OBJECTIVES = list(STRENGTH)
LABELS = {"beta_vae": "beta-VAE", "annealed_vae": "AnnealedVAE", "factor_vae": "FactorVAE",
          "dip_vae_i": "DIP-VAE-I", "dip_vae_ii": "DIP-VAE-II", "beta_tcvae": "beta-TCVAE"}

# Latents whose KL (nats, averaged over images) exceeds this are "on": Burgess et al. 2018's
# Fig. 3 shows inactive latents staying near 0 and active ones rising well past 1 nat.
ACTIVE_NATS = 0.5


def strength(row: dict) -> tuple[str, float, int]:
    """(swept hyperparameter, its value, +1 if larger means stronger regularisation else -1)."""
    objective = row["objective"]
    if objective in STRENGTH:
        name, direction = STRENGTH[objective]
    else:
        name, direction = next(iter(row["hparams"])), 1
    return name, float(row["hparams"][name]), direction


def setting_key(row: dict) -> tuple:
    """What identifies a model's hyperparameter setting within its objective (all hparams; a
    DIP-VAE row also names its `variant`, a string)."""
    return tuple(sorted((k, v if isinstance(v, str) else float(v)) for k, v in row["hparams"].items()))


def value_of(row: dict, key: str) -> float:
    """A score (`"mig.mig"`) or a dotted path into the row (`"reconstruction.nll_sampled"`)."""
    if key in row.get("scores", {}):
        value = row["scores"][key]
    else:
        value = row
        for part in key.split("."):
            value = value[part]
    return float("nan") if value is None else float(value)


# ----------------------------------------------------------------------------- 2. variance shares

def variance_shares(values, objectives, settings, seeds=None) -> dict:
    """Nested decomposition of the variance of one score over objective > setting > seed.

    With y the scores of all N models, ybar their mean, ybar_o the mean of objective o (n_o
    models) and ybar_oh the mean of setting h of objective o (n_oh models, its seeds), the total
    sum of squares splits exactly into three (a one-way ANOVA nested twice, sequential sums of
    squares as in any unbalanced nested design):

        SS_total     = sum (y - ybar)^2
        SS_objective = sum_o n_o (ybar_o - ybar)^2                       df = O - 1
        SS_setting   = sum_o sum_h n_oh (ybar_oh - ybar_o)^2             df = S - O
        SS_seed      = sum (y - ybar_oh)^2                               df = N - S

    and the shares are SS / SS_total (they add up to 1). "Setting" is the hyperparameter value
    within an objective, "seed" whatever differs between models of one setting: the random seed.
    The seed share only sees settings trained with more than one seed.

    A share is also a count of degrees of freedom: if the objective and the setting did not matter
    at all, each SS would still be sigma^2 times its df on average, so the shares expected from
    seeds alone are df / (N - 1); `null_shares` gives them, to read the measured shares against.
    `seed_sd` is sqrt(SS_seed / df_seed), the spread between seeds of one setting.

    Args:
      values: `[N]` scores; NaN rows are left out.
      objectives, settings: `[N]` labels; a setting is nested in its objective (the same label under
        two objectives counts as two settings).
      seeds: unused except to check there are N of them (kept for the reader).

    Returns:
      `{"n", "ss": {...}, "shares": {objective, setting, seed}, "df": {...}, "null_shares": {...},
      "seed_sd"}`; shares are NaN when all values are equal.
    """
    values = np.asarray(values, np.float64)
    if not (len(values) == len(objectives) == len(settings)) or (seeds is not None and len(seeds) != len(values)):
        raise ValueError("variance_shares needs one objective, setting (and seed) per value.")
    keep = np.isfinite(values)
    y = values[keep]
    obj = [o for o, k in zip(objectives, keep) if k]
    cell = [(o, s) for o, s, k in zip(objectives, settings, keep) if k]
    n = len(y)
    mean = y.mean() if n else float("nan")
    ss_total = float(np.sum((y - mean) ** 2))
    by_obj = {o: y[[i for i, x in enumerate(obj) if x == o]] for o in dict.fromkeys(obj)}
    by_cell = {c: y[[i for i, x in enumerate(cell) if x == c]] for c in dict.fromkeys(cell)}
    ss_obj = float(sum(len(v) * (v.mean() - mean) ** 2 for v in by_obj.values()))
    ss_set = float(sum(len(v) * (v.mean() - by_obj[c[0]].mean()) ** 2 for c, v in by_cell.items()))
    ss_seed = float(sum(np.sum((v - v.mean()) ** 2) for v in by_cell.values()))
    df = {"objective": len(by_obj) - 1, "setting": len(by_cell) - len(by_obj), "seed": n - len(by_cell)}
    ss = {"objective": ss_obj, "setting": ss_set, "seed": ss_seed, "total": ss_total}
    # The split is exact; a tiny scale-relative tolerance covers rounding only.
    if not math.isclose(ss_obj + ss_set + ss_seed, ss_total, rel_tol=1e-9, abs_tol=1e-12):
        raise AssertionError(f"sums of squares do not add up: {ss}")
    shares = {k: (ss[k] / ss_total if ss_total > 0 else float("nan")) for k in ("objective", "setting", "seed")}
    null = {k: (df[k] / (n - 1) if n > 1 else float("nan")) for k in df}
    seed_sd = math.sqrt(ss_seed / df["seed"]) if df["seed"] > 0 else float("nan")
    return {"n": n, "ss": ss, "shares": shares, "df": df, "null_shares": null, "seed_sd": seed_sd}


def shares_of(rows: list[dict], key: str) -> dict:
    return variance_shares([value_of(r, key) for r in rows], [r["objective"] for r in rows],
                           [setting_key(r) for r in rows], [r["seed"] for r in rows])


# ----------------------------------------------------------------------------- 3. mean vs sampled

def by_setting(rows: list[dict], objective: str, key: str) -> list[dict]:
    """An objective's settings from weak to strong: `{"value", "values": [per seed], "mean"}`."""
    mine = [r for r in rows if r["objective"] == objective]
    if not mine:
        return []
    name, _, direction = strength(mine[0])
    groups = {}
    for r in mine:
        groups.setdefault(strength(r)[1], []).append(value_of(r, key))
    out = [{"hparam": name, "value": v, "values": groups[v], "mean": float(np.nanmean(groups[v]))
            if np.isfinite(groups[v]).any() else float("nan")} for v in sorted(groups, key=lambda v: direction * v)]
    return out


def trend(series: list[dict]) -> dict:
    """Weakest vs strongest setting's mean, and the direction from the one to the other."""
    if len(series) < 2:
        return {"weak": None, "strong": None, "direction": "n/a"}
    weak, strong = series[0]["mean"], series[-1]["mean"]
    if not (math.isfinite(weak) and math.isfinite(strong)):
        direction = "n/a"
    else:
        direction = "rises" if strong > weak else ("falls" if strong < weak else "flat")
    return {"weak": weak, "strong": strong, "direction": direction}


def paper_tc(objective: str, which: str) -> str | None:
    """What Locatello et al. 2019 (Sec. 5.1, Fig. 1) report as regularisation grows: the sampled
    representation's TC falls, the mean's rises except under DIP-VAE-I; AnnealedVAE is not in the figure."""
    if objective == "annealed_vae":
        return None
    if which == "sampled":
        return "falls"
    return "falls" if objective == "dip_vae_i" else "rises"


def mean_vs_sampled(rows: list[dict]) -> dict:
    """Per objective: Gaussian TC of the mean and the sampled representation per setting, and trends."""
    out = {}
    for objective in OBJECTIVES + sorted({r["objective"] for r in rows} - set(OBJECTIVES)):
        mean = by_setting(rows, objective, "gaussian_total_correlation.mean")
        if not mean:
            continue
        sampled = by_setting(rows, objective, "gaussian_total_correlation.sampled")
        out[objective] = {"mean": mean, "sampled": sampled, "trend_mean": trend(mean), "trend_sampled": trend(sampled)}
    return out


# ----------------------------------------------------------------------------- 4. trade-off

def pareto_front(points: list[tuple[float, float]]) -> list[bool]:
    """Which points no other point beats: lower error (first) and higher score (second), one strictly."""
    front = []
    for i, (e, s) in enumerate(points):
        beaten = any(e2 <= e and s2 >= s and (e2 < e or s2 > s) for j, (e2, s2) in enumerate(points) if j != i)
        front.append(not beaten)
    return front


def tradeoff(rows: list[dict], score_key: str, error_key: str = "reconstruction.nll_sampled",
             objectives=("beta_vae", "factor_vae")) -> dict:
    """Reconstruction error against one score for the models of `objectives`, and the joint Pareto front."""
    models = [r for r in rows if r["objective"] in objectives]
    points = [(value_of(r, error_key), value_of(r, score_key)) for r in models]
    ok = [math.isfinite(e) and math.isfinite(s) for e, s in points]
    kept = [(m, p) for m, p, k in zip(models, points, ok) if k]
    front = pareto_front([p for _, p in kept])
    out = {"score": score_key, "error": error_key, "models": [], "on_front": {o: 0 for o in objectives},
           "count": {o: 0 for o in objectives}}
    for (m, (e, s)), on in zip(kept, front):
        name, value, _ = strength(m)
        out["models"].append({"name": m["name"], "objective": m["objective"], "hparam": name, "value": value,
                              "seed": m["seed"], "error": e, "score": s, "on_front": on})
        out["count"][m["objective"]] += 1
        out["on_front"][m["objective"]] += int(on)
    return out


# ----------------------------------------------------------------------------- 5. capacity

def latent_factors(row: dict) -> list[dict]:
    """For each latent, the factor it shares the most information with, I(z_j; v_k) / H(v_k)."""
    mi = row["mutual_information"]
    matrix = np.asarray(mi["matrix"], np.float64)  # [D, K]
    normalised = matrix / np.maximum(np.asarray(mi["factor_entropy"], np.float64), 1e-12)
    best = normalised.argmax(axis=1)
    return [{"factor": mi["factor_names"][k], "normalised_mi": float(normalised[j, k])} for j, k in enumerate(best)]


def capacity_trace(row: dict, threshold: float = ACTIVE_NATS) -> dict:
    """KL per latent through training, each latent's switch-on step and the factor it ends up encoding.

    A latent switches on at the first traced step where its KL exceeds `threshold` nats; one that
    never does is inactive and named no factor. Latents are listed in switch-on order (inactive
    last), which is the order Burgess et al. 2018 say the capacity admits factors in.
    """
    trace = row["kl_trace"]
    steps = [int(s) for s in trace["steps"]]
    kl = np.asarray(trace["kl_per_latent"], np.float64)  # [T, D]
    factors = latent_factors(row) if row.get("mutual_information") else [None] * kl.shape[1]
    latents = []
    for j in range(kl.shape[1]):
        above = np.flatnonzero(kl[:, j] > threshold)
        on = steps[above[0]] if len(above) else None
        latents.append({"latent": j, "final_kl": float(kl[-1, j]), "on_step": on,
                        "factor": factors[j]["factor"] if (on is not None and factors[j]) else None,
                        "normalised_mi": factors[j]["normalised_mi"] if factors[j] else None})
    order = sorted(latents, key=lambda l: (l["on_step"] is None, l["on_step"] or 0, -l["final_kl"]))
    capacity = None
    if row["objective"] == "annealed_vae":
        c_max, threshold_steps = float(row["hparams"]["c_max"]), float(row["hparams"]["iteration_threshold"])
        capacity = [c_max * min(s / threshold_steps, 1.0) for s in steps]
    return {"name": row["name"], "steps": steps, "kl": kl.tolist(), "total_kl": kl.sum(axis=1).tolist(),
            "capacity": capacity, "latents": latents, "order": [l["latent"] for l in order],
            "threshold": threshold, "first_on": first_on(latents)}


# Burgess et al. 2018's order of admission (Fig. 3): position, then scale, then shape and orientation.
FACTOR_GROUPS = {"posX": "position", "posY": "position", "scale": "scale", "shape": "shape",
                 "orientation": "orientation"}
PAPER_ORDER = ("position", "scale", "shape", "orientation")


def first_on(latents: list[dict]) -> dict:
    """For each factor group of PAPER_ORDER, the first step at which a latent named by it switched
    on (None: no active latent encodes it best)."""
    out = {group: None for group in PAPER_ORDER}
    for l in latents:
        group = FACTOR_GROUPS.get(l["factor"])
        if group and l["on_step"] is not None and (out[group] is None or l["on_step"] < out[group]):
            out[group] = l["on_step"]
    return out


def capacity_summary(traces: list[dict]) -> dict:
    """How the runs compare with the paper's order: runs where position is (jointly) first among the
    groups that switch on; runs where scale switches on, and after position; runs where shape or
    orientation own any active latent; and the trace's resolution (steps between traced points).

    Only an *ordered* run can test the order: one where at least two groups switch on, at different
    traced steps. In any other run "position first" cannot fail (`ordered_runs`, and
    `position_first_of_ordered`: those where position switched on strictly before the others)."""
    position_first = scale_on = scale_after = shape_or_orientation = ordered = first_of_ordered = 0
    for t in traces:
        f = t["first_on"]
        on = [v for v in f.values() if v is not None]
        position_first += bool(on) and f["position"] is not None and f["position"] == min(on)
        if len(set(on)) > 1:
            ordered += 1
            first_of_ordered += f["position"] is not None and on.count(f["position"]) == 1 and f["position"] == min(on)
        if f["scale"] is not None:
            scale_on += 1
            scale_after += f["position"] is not None and f["scale"] >= f["position"]
        shape_or_orientation += f["shape"] is not None or f["orientation"] is not None
    gaps = [b - a for t in traces for a, b in zip(t["steps"], t["steps"][1:])]
    return {"runs": len(traces), "position_first": int(position_first), "scale_on": scale_on,
            "scale_after_position": int(scale_after), "shape_or_orientation": shape_or_orientation,
            "ordered_runs": ordered, "position_first_of_ordered": int(first_of_ordered),
            "resolution": min(gaps) if gaps else None}


# ----------------------------------------------------------------------------- uncertainty (issue 34)

# Every interval on the population page: a 95% percentile bootstrap with 2,000 resamples from
# numpy's default generator at seed 0, so rerunning the figures step gives the same numbers.
RESAMPLES, SEED, LEVEL = 2000, 0, 0.95

VERDICT_RULE = (
    "A stated number's 95% interval [lo, hi] is set against the paper's value p. For a value (a correlation): "
    "*disagrees* when p lies outside the interval; *undetermined* when p lies inside but so does 0, so the data "
    "cannot tell p from no relation or the opposite sign; *agrees* otherwise. For a direction (falls, rises, "
    "less than half): *agrees* when the whole interval lies on the paper's side of the boundary, *disagrees* "
    "when it lies wholly on the other side, *undetermined* when it contains the boundary.")


def bootstrap(statistic, n: int, *, strata=None, resamples: int = RESAMPLES, seed: int = SEED,
              level: float = LEVEL) -> dict:
    """Percentile bootstrap interval of `statistic` (Efron & Tibshirani 1993, Sec. 13.3).

    `statistic(index)` takes an int array of row indices, a resample of `range(n)`, and returns a
    number or an array (a whole matrix at once); the estimate is `statistic(arange(n))`. Each
    resample draws n rows with replacement, or, given `strata` (one label per row), draws within
    each stratum as many rows as it holds, so every stratum keeps its size. The interval is the
    (1 - level) / 2 and (1 + level) / 2 quantiles of the resampled statistics (numpy's linear
    interpolation); resamples where the statistic is NaN (a column that came out constant) are left
    out and counted per element in `undefined`.

    Returns:
      `{"estimate", "low", "high", "undefined", "resamples", "seed", "level"}`; arrays as nested lists.
    """
    if n < 1 or resamples < 1 or not 0 < level < 1:
        raise ValueError(f"bootstrap needs n >= 1 rows, resamples >= 1 and 0 < level < 1; got n={n}, "
                         f"resamples={resamples}, level={level}.")
    base = np.arange(n)
    if strata is None:
        groups = [base]
    else:
        labels = list(strata)
        if len(labels) != n:
            raise ValueError(f"bootstrap: {len(labels)} strata labels for {n} rows; give one label per row.")
        groups = [np.array([i for i, x in enumerate(labels) if x == g]) for g in dict.fromkeys(labels)]
    rng = np.random.default_rng(seed)
    estimate = np.asarray(statistic(base), np.float64)
    draws = np.empty((resamples, *estimate.shape))
    for b in range(resamples):
        draws[b] = statistic(np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups]))
    flat = draws.reshape(resamples, -1)
    undefined = np.isnan(flat).sum(axis=0)
    bounds = np.full((2, flat.shape[1]), np.nan)
    ok = undefined < resamples
    if ok.any():
        bounds[:, ok] = np.nanquantile(flat[:, ok], [(1 - level) / 2, (1 + level) / 2], axis=0)
    low, high = (b.reshape(estimate.shape) for b in bounds)
    return {"estimate": estimate.tolist(), "low": low.tolist(), "high": high.tolist(),
            "undefined": undefined.reshape(estimate.shape).tolist(), "resamples": resamples, "seed": seed,
            "level": level}


def verdict(low: float, high: float, paper, *, side: str | None = None, boundary: float = 0.0) -> str:
    """"agrees", "disagrees" or "undetermined" by VERDICT_RULE.

    Args:
      low, high: the interval (NaN: undetermined).
      paper: the paper's value, for a value claim (`side` None).
      side: for a direction claim, where the paper puts the quantity: "below" or "above" `boundary`.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return "undetermined"
    if side is not None:
        if side not in ("below", "above"):
            raise ValueError(f"verdict side must be 'below' or 'above', not {side!r}.")
        below, above = high < boundary, low > boundary
        if not (below or above):
            return "undetermined"
        return "agrees" if (below if side == "below" else above) else "disagrees"
    if not low <= paper <= high:
        return "disagrees"
    return "undetermined" if paper != 0 and low <= 0 <= high else "agrees"


# beta-TCVAE at beta 1 is the ELBO (Chen et al. 2018, Eq. 4 with alpha = beta = gamma = 1), as is
# beta-VAE at beta 1 (Higgins et al. 2017, Eq. 4): one objective. Where both were trained at the same
# seed, the pooled statistics keep the beta-VAE copy, the family where beta 1 is the plain VAE, and
# drop the beta-TCVAE one: (dropped objective, kept objective, hyperparameter, value).
SAME_OBJECTIVE = [("beta_tcvae", "beta_vae", "beta", 1.0)]


def distinct_objectives(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(rows kept, rows dropped): a row is dropped when SAME_OBJECTIVE names it as the copy of a kept
    row of the same seed and step count."""
    dropped = []
    for drop, keep, name, value in SAME_OBJECTIVE:
        kept = {(r["seed"], r["steps"]) for r in rows
                if r["objective"] == keep and float(r["hparams"].get(name, math.nan)) == value}
        dropped += [r for r in rows if r["objective"] == drop and float(r["hparams"].get(name, math.nan)) == value
                    and (r["seed"], r["steps"]) in kept]
    names = {r["name"] for r in dropped}
    return [r for r in rows if r["name"] not in names], dropped


def seed_bootstrap(statistic, values, cells, *, pools=None, resamples: int = RESAMPLES, seed: int = SEED,
                   level: float = LEVEL) -> dict:
    """Percentile interval of `statistic(values)` when the seeds are drawn again (a residual bootstrap,
    Davison & Hinkley 1997, Sec. 6.2.3, here for a one-way layout of settings).

    Each value is its setting's (`cells`) mean plus a seed deviation. A resample keeps every
    setting's mean and gives each model a deviation drawn with replacement from its pool's
    deviations y - ybar_h, taken from the settings with n_h > 1 seeds and scaled by
    sqrt(n_h / (n_h - 1)) so that their variance is unbiased. Resampling models instead would put
    one model twice into a setting with no spread between the copies, pulling every seed spread
    down; and a setting trained with one seed could not move at all. `pools` (one label per value,
    default one pool) say which models share a seed spread; a pool without a setting of several
    seeds leaves its models unmoved (counted in `unmoved`). Non-finite values must be left out by
    the caller.

    Returns:
      `{"estimate", "low", "high", "deviations", "unmoved", "resamples", "seed", "level"}`.
    """
    values = np.asarray(values, np.float64)
    n = len(values)
    if len(cells) != n or (pools is not None and len(pools) != n):
        raise ValueError(f"seed_bootstrap needs one setting (and pool) per value; got {len(cells)} for {n} values.")
    pools = [0] * n if pools is None else list(pools)
    members = {c: [i for i in range(n) if cells[i] == c] for c in dict.fromkeys(cells)}
    fitted = np.empty(n)
    deviations = {p: [] for p in dict.fromkeys(pools)}
    for c, index in members.items():
        fitted[index] = values[index].mean()
        if len(index) > 1:
            scale = math.sqrt(len(index) / (len(index) - 1))
            for i in index:
                deviations[pools[i]].append((values[i] - fitted[i]) * scale)
    pool_of = {p: np.array([i for i in range(n) if pools[i] == p]) for p in deviations}
    estimate = np.asarray(statistic(values), np.float64)
    rng = np.random.default_rng(seed)
    draws = np.empty((resamples, *estimate.shape))
    for b in range(resamples):
        y = fitted.copy()
        for p, index in pool_of.items():
            d = deviations[p]
            y[index] += np.asarray(d)[rng.integers(0, len(d), len(index))] if d else values[index] - fitted[index]
        draws[b] = statistic(y)
    low, high = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return {"estimate": estimate.tolist(), "low": low.tolist(), "high": high.tolist(),
            "deviations": sum(len(d) for d in deviations.values()),
            "unmoved": int(sum(len(pool_of[p]) for p, d in deviations.items() if not d)),
            "resamples": resamples, "seed": seed, "level": level}
