"""UDR of each setting's models (Duan et al. 2020), written into the population file's rows (issue 34).

UDR scores a set of models of one setting against each other, so it is not a score of one row: this
step groups the scored rows by setting (objective, hyperparameters and steps), loads every model of a
group with at least two (runs and snapshots alike, found as the score step finds them), encodes the
same `points` images with each (drawn once from `seed`), and gives each row
`udr = {"lasso", "spearman", "models", "points", "seed"}`: its UDR_L and UDR_S
(`zoo.metrics.udr` with the reference's defaults: KL filter 0.01, Lasso alpha 0.1) among the
group's `models`. disentanglement_lib's UDR study encodes 1,000 points; so does this step by default.

A group is scored again when its set of models changed (a seed finished since), so rerunning the
step after more runs finish keeps every row's UDR among all the models there are. The file is
rewritten atomically after each group.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import zoo
import zoo.data
import zoo.metrics
from benchmarks import _report
from benchmarks.papers import _population_score

POINTS = 1000
SEED = 11


def setting_key(row: dict) -> tuple:
    """The setting a row's model belongs to: objective, hyperparameters and steps (not the seed)."""
    return row["objective"], json.dumps(row["hparams"], sort_keys=True), row["steps"]


def encode(model, images: np.ndarray, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """The posterior means and log-variances `[N, D]` of `images`."""
    means, log_variances = [], []
    for start in range(0, len(images), batch):
        z_mean, z_logvar = model.encoder(images[start:start + batch], training=False)
        means.append(np.asarray(z_mean, np.float64))
        log_variances.append(np.asarray(z_logvar, np.float64))
    return np.concatenate(means), np.concatenate(log_variances)


def udr_of_group(models: list, images: np.ndarray) -> dict[str, np.ndarray]:
    """Each model's UDR_L and UDR_S among `models` (each with an `encoder`) on the same `images`."""
    codes, log_variances = zip(*(encode(model, images) for model in models))
    return {correlation: zoo.metrics.udr(list(codes), log_variances=np.stack(log_variances),
                                         correlation=correlation)["model_scores"]
            for correlation in ("lasso", "spearman")}


def udr_step(runs_dir, population_file, *, points: int = POINTS, seed: int = SEED, log=print) -> dict:
    """Gives every scored row whose setting has two or more models in `runs_dir` its UDR among them."""
    population_file = Path(population_file)
    content = _population_score.read_population(population_file)
    folders = {name: folder for name, folder, _ in _population_score.scorable(runs_dir)}
    groups: dict[tuple, list[dict]] = {}
    for row in content["rows"]:
        if row["name"] in folders:
            groups.setdefault(setting_key(row), []).append(row)
    images = {}
    for key, rows in sorted(groups.items()):
        rows = sorted(rows, key=lambda r: r["name"])
        names = [r["name"] for r in rows]
        if len(rows) < 2:
            log(f"  {key[0]} {key[1]} at {key[2]:,} steps: one model ({names[0]}), no UDR")
            continue
        if all(r.get("udr", {}).get("models") == names and r["udr"].get("points") == points
               and r["udr"].get("seed") == seed for r in rows):
            continue
        models = [zoo.load(str(folders[name] / "preset")) for name in names]
        dataset = rows[0].get("dataset", "dsprites")
        if dataset not in images:
            _, images[dataset] = zoo.data.load(dataset).sample(points, rng=seed)
        scores = udr_of_group(models, np.asarray(images[dataset], np.float32))
        for i, row in enumerate(rows):
            row["udr"] = {"lasso": float(scores["lasso"][i]), "spearman": float(scores["spearman"][i]),
                          "models": names, "points": points, "seed": seed}
        _report.write_json(population_file, content)
        log(f"  {key[0]} {key[1]} at {key[2]:,} steps: UDR_L " + ", ".join(
            f"{r['name']} {r['udr']['lasso']:.3f}" for r in rows))
    return content
