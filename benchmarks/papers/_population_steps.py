"""Longer training and evaluation noise on the population (issue 34), from rows only.

*Longer training.* The population's own explanation of its disagreement with Locatello et al. (the
objective decides more of the score here) is its short training, 10,000 steps. The runs of
`recipes.sweep --grid=population_long` test it: each is a 30,000-step run whose 10,000-step model
was scored too (rows `<run>@10000` and `<run>`), so the same models are compared at both step
counts. Per score: each objective's mean at both; the mean change from 10,000 to 30,000 steps over
the runs with a 95% bootstrap interval (resampling runs within objective); and the objective's
share of the variance at both step counts with the interval of its change. The slow-ramp
AnnealedVAE runs are a setting of their own and are left out here (they are for the capacity figure).

*Evaluation noise.* Rows scored with `eval_seeds` hold BetaVAE and FactorVAE at three evaluation
seeds. The evaluation sd of a score is the root mean of each model's variance over its evaluation
seeds; the training-seed sd is that of the file's own evaluation seed between the seeds of one
setting (`seed_sd` of `_population_stats.variance_shares`). When the two are alike, much of the
"seed" share of those scores is evaluation noise.
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks.papers import _agreement
from benchmarks.papers import _population_stats as stats

KEYS = [(label, key) for _, key, label in _agreement.METRICS] + [("Recon. NLL", "reconstruction.nll_sampled")]
SAMPLED = [("BetaVAE", "beta_vae_score.eval_accuracy"), ("FactorVAE", "factor_vae_score.eval_accuracy")]
SNAPSHOT = "@"


def is_slow_ramp(row: dict) -> bool:
    """An AnnealedVAE run whose capacity is still ramping at the population's step count (its own setting,
    trained for the capacity figure: `zoo.study.SLOW_RAMP`)."""
    from zoo import study

    return row["objective"] == "annealed_vae" and float(row["hparams"].get("iteration_threshold", 0)) > \
        study.POPULATION_STEPS


def population_rows(rows: list[dict]) -> list[dict]:
    """The rows of the population's own sections: its grid's settings at its step count (10,000), the
    new seeds' snapshots included, the 30,000-step models and the slow ramps left out."""
    from zoo import study

    return [r for r in rows if r["steps"] == study.POPULATION_STEPS and not is_slow_ramp(r)]


def pairs(rows: list[dict]) -> list[tuple[dict, dict]]:
    """(earlier, later) rows of the same run: `<run>@<N>` and `<run>`, the later at more steps."""
    by_name = {r["name"]: r for r in rows}
    out = []
    for row in rows:
        run, at, _ = row["name"].partition(SNAPSHOT)
        later = by_name.get(run)
        if at and later is not None and later["steps"] > row["steps"]:
            out.append((row, later))
    return sorted(out, key=lambda p: p[1]["name"])


def _objective_share(rows: list[dict], key: str) -> float:
    return stats.shares_of(rows, key)["shares"]["objective"] if rows else float("nan")


def longer(rows: list[dict], *, resamples: int = stats.RESAMPLES, seed: int = stats.SEED) -> dict:
    """The paired comparison of each score at the two step counts (see the module's docstring)."""
    found = [(a, b) for a, b in pairs(rows) if not is_slow_ramp(a)
             and stats.setting_key(a) == stats.setting_key(b) and a["objective"] == b["objective"]]
    if not found:
        return {"num_runs": 0}
    steps = sorted({a["steps"] for a, _ in found}), sorted({b["steps"] for _, b in found})
    objectives = [a["objective"] for a, _ in found]
    out = {"num_runs": len(found), "steps": [steps[0], steps[1]], "objectives": sorted(set(objectives)),
           "scores": {}}
    for label, key in KEYS:
        before = np.array([stats.value_of(a, key) for a, _ in found])
        after = np.array([stats.value_of(b, key) for _, b in found])
        ok = np.isfinite(before) & np.isfinite(after)
        if ok.sum() < 2:
            continue
        index = np.flatnonzero(ok)
        early, late = [found[i][0] for i in index], [found[i][1] for i in index]
        strata = [objectives[i] for i in index]
        change = stats.bootstrap(lambda j: np.mean(after[index][j] - before[index][j]), len(index), strata=strata,
                                 resamples=resamples, seed=seed)
        shares = stats.bootstrap(lambda j: np.array([_objective_share([early[i] for i in j], key),
                                                     _objective_share([late[i] for i in j], key)]),
                                 len(index), strata=strata, resamples=resamples, seed=seed)
        share_change = stats.bootstrap(lambda j: _objective_share([late[i] for i in j], key)
                                       - _objective_share([early[i] for i in j], key),
                                       len(index), strata=strata, resamples=resamples, seed=seed)
        per_objective = {}
        for o in sorted(set(strata)):
            mine = [i for i, s in zip(index, strata) if s == o]
            per_objective[o] = {"before": float(np.mean(before[mine])), "after": float(np.mean(after[mine])),
                                "runs": len(mine)}
        out["scores"][label] = {
            "key": key, "per_objective": per_objective,
            "change": {k: change[k] for k in ("estimate", "low", "high")},
            "objective_share": {"before": shares["estimate"][0], "after": shares["estimate"][1]},
            "share_change": {k: share_change[k] for k in ("estimate", "low", "high")}}
    return out


def evaluation_noise(rows: list[dict]) -> dict:
    """Per sampled score: the evaluation sd (over each model's evaluation seeds) beside the training-seed sd."""
    out = {}
    for label, key in SAMPLED:
        variances = [float(np.var(r["eval_seeds"][key], ddof=1)) for r in rows
                     if len((r.get("eval_seeds") or {}).get(key) or []) > 1
                     and all(v is not None for v in r["eval_seeds"][key])]
        if not variances:
            out[label] = {"models": 0}
            continue
        scored = [r for r in rows if r.get("eval_seeds")]
        out[label] = {"models": len(variances), "evaluation_sd": math.sqrt(float(np.mean(variances))),
                      "seeds_per_model": len(scored[0]["eval_seeds"]["seeds"]),
                      "training_seed_sd": stats.shares_of(scored, key)["seed_sd"]}
    return out


def compute(rows: list[dict], *, resamples: int = stats.RESAMPLES, seed: int = stats.SEED) -> dict:
    """Both parts, each over its own rows; beta-TCVAE at beta 1 counted once."""
    rows, _ = stats.distinct_objectives(rows)
    return {"longer": longer(rows, resamples=resamples, seed=seed), "evaluation_noise": evaluation_noise(rows)}


def _ci(entry: dict, digits: int = 3) -> str:
    return f"{entry['estimate']:+.{digits}f} [{entry['low']:+.{digits}f}, {entry['high']:+.{digits}f}]"


def markdown(result: dict) -> str:
    from benchmarks import _report

    parts = []
    longer_ = result["longer"]
    if not longer_["num_runs"]:
        parts.append("*Longer training.* No run holds both step counts yet: `recipes.sweep --grid=population_long` "
                     "trains them (each 30,000-step run is scored at its 10,000-step snapshot too).")
    else:
        (before,), (after,) = longer_["steps"] if all(len(s) == 1 for s in longer_["steps"]) else ([None], [None])
        parts += [f"*Longer training.* The same {longer_['num_runs']} runs at {before:,} and {after:,} steps "
                  f"(objectives: {', '.join(longer_['objectives'])}). Change: mean over runs of the later score minus "
                  "the earlier, 95% bootstrap interval resampling runs within objective; the objective's share of "
                  "the variance at both step counts, and the interval of its change.", "",
                  _report.markdown_table(
                      ["score", "change", "objective share before", "after", "its change"],
                      [[label, _ci(s["change"]), f"{100 * s['objective_share']['before']:.0f}%",
                        f"{100 * s['objective_share']['after']:.0f}%", _ci(s["share_change"], 2)]
                       for label, s in longer_["scores"].items()], align="lrrrr")]
    noise = result["evaluation_noise"]
    if not any(n["models"] for n in noise.values()):
        parts += ["", "*Evaluation noise.* No row holds several evaluation seeds yet (the score step records them "
                      "for every model it scores from now on: `eval_seeds`)."]
    else:
        parts += ["", "*Evaluation noise.* The sampled scores at several evaluation seeds of the same model, beside "
                      "the spread between training seeds of one setting:", "",
                  _report.markdown_table(
                      ["score", "models", "evaluation sd", "training-seed sd"],
                      [[label, str(n["models"]), f"{n['evaluation_sd']:.3f}", f"{n['training_seed_sd']:.3f}"]
                       for label, n in noise.items() if n["models"]], align="lrrr")]
    return "\n".join(parts)
