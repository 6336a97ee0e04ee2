"""The BetaVAE table's scoring (Higgins et al. 2017, Table 1): its rows, their scores, the ordering check.

Pure computation; `benchmarks.papers.betavae_table` prints and writes what this returns.
"""

from __future__ import annotations

import gc
import json
import math
import statistics
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

import zoo
import zoo.metrics
from benchmarks.papers import _representations as reps
from benchmarks.papers import _trained
from zoo.runs import zoo_name

PAPER_TABLES = Path(__file__).with_name("paper_tables.json")
PAPER_KEY = "higgins2017_betavae_metric_dsprites"

# Codes whose every dimension has a std below this are flagged: the score's logistic regression is not
# scale-invariant (C=1 on raw features), so a network at initialisation scores near chance.
SMALL_SPREAD = 0.05

# (paper row, label, zoo objective whose "<objective>-<dataset>" model fills the row)
PAPER_ROWS = [
    ("ground_truth", "ground truth", None),
    ("raw_pixels", "raw pixels", None),
    ("pca", "PCA (10)", None),
    ("ica", "ICA (10)", None),
    ("dc_ign", "DC-IGN", None),
    ("infogan", "InfoGAN", "infogan"),
    ("vae_untrained", "VAE untrained", None),
    ("vae", "VAE", "vae"),
    ("beta_vae", "beta-VAE", "beta_vae"),
]


class Row(NamedTuple):
    """One table row: what to score (`instances`: (representation, evaluation seeds) pairs) and how to label it."""

    key: str
    label: str
    instances: list
    note: str
    status: str = "ok"


def paper_table() -> dict:
    return json.loads(PAPER_TABLES.read_text())[PAPER_KEY]


def trained_on(name: str, manifest_path=None) -> str:
    """The dataset a manifest model was trained on (its entry's `dataset.name`; dsprites if unset)."""
    from zoo import manifest

    return manifest.dataset_name(manifest.load_manifest(manifest_path)["models"].get(name, {}))


def build_rows(data, oracle, *, seeds, fit_images: int, runs_dirs=(), zoo_names=None, only=None) -> list[Row]:
    """The table's rows in the paper's order, then the other zoo models, then run checkpoints.

    Args:
      data: the dataset (PCA/ICA are fit on its images).
      oracle: `FactorOracle(data)`, the dataset the score samples from.
      seeds: evaluation seeds.
      fit_images: images PCA and ICA are fit on.
      runs_dirs: folders holding training runs (their latest checkpoints become rows).
      zoo_names: the models in the manifest (default: `zoo.list_models()`).
      only: keep only these row keys (a smoke run).
    """
    if zoo_names is None:
        zoo_names = zoo.list_models()
    seeds = list(seeds)
    rows, claimed = [], set()
    for key, label, objective in PAPER_ROWS:
        if key == "ground_truth":
            row = Row(key, label, [(reps.ground_truth(oracle), seeds)], reps.ground_truth(oracle).note)
        elif key == "raw_pixels":
            size = int(np.prod(data.observation_shape))
            row = Row(key, label, [(reps.raw_pixels(), seeds)],
                      f"all {size} pixels as the code, so the score's classifier sees {size} features (its cost: "
                      "the seconds column)")
        elif key == "pca":
            row = Row(key, label, [(reps.pca(data, 10, s, fit_images), [s]) for s in seeds],
                      f"sklearn PCA(10) fit on {fit_images} rendered images, refit per seed")
        elif key == "ica":
            row = Row(key, label, [(reps.ica(data, 10, s, fit_images), [s]) for s in seeds],
                      f"sklearn FastICA(10) on PCA(10) (FastICA's own whitening), fit on {fit_images} rendered "
                      "images, refit per seed")
        elif key == "dc_ign":
            row = Row(key, label, [], "supervised (Kulkarni et al. 2015), not part of this zoo", "paper only")
        elif key == "vae_untrained":
            row = Row(key, label, [(_trained.untrained("vae", data, s), [s]) for s in seeds],
                      "zoo.models.get('vae') freshly initialised, one initialisation seed per evaluation seed")
        else:
            name = zoo_name(objective, data.name)
            claimed.add(name)
            if name in zoo_names:
                trained = zoo.seeds(name)
                if len(trained) > 1:  # each training seed scored at every evaluation seed; ± over training seeds
                    row = Row(key, label, [(_trained.zoo_model(name, data, seed=t), seeds) for t in trained],
                              f"zoo model {name}, training seeds {', '.join(map(str, trained))}; ± over training "
                              "seeds (each its mean over the evaluation seeds)")
                else:
                    row = Row(key, label, [(_trained.zoo_model(name, data), seeds)],
                              f"zoo model {name} (one training seed; ± over evaluation seeds)")
            else:
                row = Row(key, label, [], f"{name} is not in the weights manifest", "not in the zoo yet")
        rows.append(row)
    for name in zoo_names:
        if name not in claimed and trained_on(name) == data.name:  # a model of other images cannot read these
            rows.append(Row(name, name, [(_trained.zoo_model(name, data), seeds)], f"zoo model {name} (no paper row)"))
    for rep in _trained.run_checkpoints(runs_dirs, data, latest_only=True, published=zoo_names):
        rows.append(Row(f"run:{rep.name}", f"run {rep.name}", [(rep, seeds)],
                        f"training-run checkpoint, not a zoo model: {rep.note}"))
    if only:
        rows = [r for r in rows if r.key in set(only)]
    return rows


def score_rows(oracle, rows: list[Row], *, num_train: int, num_eval: int, batch_size: int, paper: dict | None = None,
               log=print) -> list[dict]:
    """Scores every row with `zoo.metrics.beta_vae_score`; returns one result dict per row.

    Each result has `key, label, status, note, paper_mean, paper_std` (percent; None without a paper
    number), `scores` and `train_scores` (percent, one per evaluation), `mean, std` (percent; None
    when nothing was scored), `seeds`, `seconds`.
    """
    paper_rows = (paper or {}).get("rows", {})
    results = []
    for row in rows:
        start = time.perf_counter()
        scores, train_scores, seeds, status, note = [], [], [], row.status, row.note
        per_instance = []  # each instance's scores (a training seed's, or one refit of a baseline)
        code_spread = None
        for rep, rep_seeds in row.instances:
            try:
                fn = rep.make()
            except reps.Skip as e:
                status, note = "skipped", f"{rep.name}: {e}"
                break
            per_instance.append([])
            for seed in rep_seeds:
                s = zoo.metrics.beta_vae_score(oracle, fn, seed=seed, batch_size=batch_size, num_train=num_train,
                                               num_eval=num_eval)
                scores.append(100.0 * s["eval_accuracy"])
                per_instance[-1].append(scores[-1])
                train_scores.append(100.0 * s["train_accuracy"])
                seeds.append(seed)
            if code_spread is None:
                code_spread = _code_spread(oracle, fn)
            del fn
            gc.collect()
        paper_mean, paper_std = paper_rows.get(row.key, (None, None))
        if code_spread is not None and code_spread < SMALL_SPREAD:
            note += (f"; its codes barely vary (no dimension's std exceeds {code_spread:.3g}), and the reference's "
                     "logistic regression (C=1, features not standardised) separates such small differences poorly")
        result = {
            "key": row.key, "label": row.label, "status": status, "note": note,
            "paper_mean": paper_mean, "paper_std": paper_std, "scores": scores, "train_scores": train_scores,
            "seeds": seeds, **spread(per_instance),
            "code_std_max": code_spread, "seconds": round(time.perf_counter() - start, 1),
        }
        results.append(result)
        log(f"  {row.label:28s} {ours_text(result):>16s}  ({result['seconds']:.0f} s)")
    return results


def spread(per_instance: list[list[float]]) -> dict:
    """A row's `mean`, `std` and what the std is over (`over`), from each instance's scores.

    Several instances scored at several evaluation seeds each (a zoo name's training seeds): mean and
    sample std over the instances' means, and `eval_std`, the root mean of each instance's variance over
    its evaluation seeds. Otherwise (one trained model, or a baseline refit once per evaluation seed):
    mean and sample std over all the scores, the evaluation seeds' spread, as before.
    """
    scores = [v for values in per_instance for v in values]
    if not scores:
        return {"mean": None, "std": None, "over": None}
    if len(per_instance) > 1 and all(len(values) > 1 for values in per_instance):
        means = [statistics.fmean(values) for values in per_instance]
        return {"mean": statistics.fmean(means), "std": statistics.stdev(means), "over": "training seeds",
                "instance_means": means,
                "eval_std": math.sqrt(statistics.fmean([statistics.variance(v) for v in per_instance]))}
    return {"mean": statistics.fmean(scores), "std": statistics.stdev(scores) if len(scores) > 1 else 0.0,
            "over": "evaluation seeds"}


def _code_spread(oracle, fn, num_images: int = 512) -> float:
    """The largest standard deviation of any code dimension on `num_images` random images."""
    rng = np.random.default_rng(12345)
    images = oracle.sample_observations_from_factors(oracle.sample_factors(num_images, rng), rng)
    return float(np.max(np.std(np.asarray(fn(images), np.float64), axis=0)))


# ----------------------------------------------------------------------------- the ordering check

def relation(a: tuple[float, float], b: tuple[float, float]) -> str:
    """'>' or '<' when the means of `(mean, std)` a and b differ by more than std_a + std_b, else '~'."""
    gap = a[0] - b[0]
    if abs(gap) <= (a[1] or 0.0) + (b[1] or 0.0):
        return "~"
    return ">" if gap > 0 else "<"


def chain(values: dict[str, tuple[float, float]], labels: dict[str, str] | None = None) -> str:
    """Rows by mean, best first, joined by the relation of each neighbouring pair: "a > b ~ c"."""
    labels = labels or {}
    order = sorted(values, key=lambda k: -values[k][0])
    if not order:
        return "(nothing to order)"
    out = labels.get(order[0], order[0])
    for prev, key in zip(order, order[1:]):
        out += f" {relation(values[prev], values[key])} {labels.get(key, key)}"
    return out


def compare_orderings(paper: dict[str, tuple[float, float]], ours: dict[str, tuple[float, float]]) -> list[dict]:
    """Every pair of rows present in both, with the paper's relation, ours, and a verdict.

    Verdicts: "agree" (same relation), "reversed" (one says a > b, the other a < b), "tie vs order"
    (one finds them tied, the other ordered).
    """
    keys = [k for k in paper if k in ours]
    pairs = []
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            p, o = relation(paper[a], paper[b]), relation(ours[a], ours[b])
            if p == o:
                verdict = "agree"
            elif "~" in (p, o):
                verdict = "tie vs order"
            else:
                verdict = "reversed"
            # Written with the paper's better row first.
            if p == "<" or (p == "~" and paper[a][0] < paper[b][0]):
                a_, b_, p, o = b, a, _flip(p), _flip(o)
            else:
                a_, b_ = a, b
            pairs.append({"a": a_, "b": b_, "paper": p, "ours": o, "verdict": verdict})
    return pairs


def _flip(rel: str) -> str:
    return {">": "<", "<": ">"}.get(rel, rel)


def ordering_report(results: list[dict]) -> dict:
    """The paper's chain, ours over the same rows, and the pair-by-pair comparison."""
    paper = {r["key"]: (r["paper_mean"], r["paper_std"]) for r in results
             if r["paper_mean"] is not None and r["mean"] is not None}
    ours = {r["key"]: (r["mean"], r["std"]) for r in results if r["key"] in paper}
    paper_all = {r["key"]: (r["paper_mean"], r["paper_std"]) for r in results if r["paper_mean"] is not None}
    labels = {r["key"]: r["label"] for r in results}
    pairs = compare_orderings(paper, ours)
    trained = {key for key, _, objective in PAPER_ROWS if objective is not None}
    kinds = {"baselines": [p for p in pairs if p["a"] not in trained and p["b"] not in trained],
             "with a trained model": [p for p in pairs if p["a"] in trained or p["b"] in trained]}
    return {
        "paper_chain_all_rows": chain(paper_all, labels),
        "paper_chain": chain(paper, labels),
        "our_chain": chain(ours, labels),
        "rows_compared": list(paper),
        "pairs": pairs,
        "agree": sum(p["verdict"] == "agree" for p in pairs),
        "disagree": sum(p["verdict"] != "agree" for p in pairs),
        # The baselines (ground truth, pixels, PCA, ICA, an untrained VAE) are the same here as in the paper
        # up to refits; the trained models are this zoo's own: their pairs are counted apart.
        "by_kind": {kind: {"agree": sum(p["verdict"] == "agree" for p in ps), "pairs": len(ps)}
                    for kind, ps in kinds.items()},
    }


def pm(mean, std) -> str:
    return "-" if mean is None else f"{mean:.2f} ± {std:.2f}"


def ours_text(result: dict) -> str:
    """A row's score as "mean ± std", or its status when nothing was scored."""
    if result["mean"] is not None:
        return pm(result["mean"], result["std"])
    return result["status"]
