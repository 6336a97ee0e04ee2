"""Scores every finished run of a population into one table (`population.json`), resumably.

A run is finished when its folder holds `preset/metadata.json` (`zoo.runs.is_finished`: training
writes the preset last). A run's snapshots (`<run>/snapshots/step<N>/`, the model at step N of a
longer run: `zoo.runs.train(..., snapshot_steps=)`) are scored as runs of their own, named
`<run>@<N>`, with the run's KL trace up to step N. For each, one row: the objective, hyperparameters, seed and steps from the preset's
metadata; every score of `zoo.metrics.evaluate` at one fixed setting; and a *probe* of the model
on a fixed sample of images (`probe`): reconstruction error, KL per latent, the Gaussian total
correlation of the mean and of the sampled representation (Locatello et al. 2019, Sec. 5.1), the
Gaussian fit of each latent's marginal against the prior, and the mutual information between each
latent and each factor (MIG's estimate, to name the factor a latent encodes). The run's
`kl_trace.json` is copied in (Burgess et al. 2018's Fig. 3 needs it, and it is small).

The file is rewritten atomically after every model, so an interrupted scoring loses at most the
model it was on, and a rerun scores only the runs the file does not hold yet. All rows share the
file's `settings`; scoring with other settings into the same file is refused.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

import zoo
import zoo.data
import zoo.metrics
import zoo.runs
from benchmarks import _report
from zoo import presets, registry
from zoo.files import folder_lock
from zoo.runs.folder import KL_TRACE, PRESET

FORMAT = "zoo population v1"

# The study's sizes for the array metrics (10,000 / 5,000 points) with the reference's exact DCI.
# The BetaVAE and FactorVAE scores render 2 x 64 images per point, so at the study's 10,000 points
# they would render about 2 million images per model; they get a tenth (flags raise it).
FULL = {"num_train": 10_000, "num_test": 5_000, "intervention_train": 1_000, "intervention_eval": 500,
        "num_variance_estimate": 5_000, "batch_size": 64, "dci_backend": "exact", "seed": 0,
        "probe_points": 10_000, "probe_seed": 1}
QUICK = {"num_train": 1_000, "num_test": 500, "intervention_train": 100, "intervention_eval": 50,
         "num_variance_estimate": 1_000, "batch_size": 64, "dci_backend": "fast", "seed": 0,
         "probe_points": 1_000, "probe_seed": 1}
PROBE_BATCH = 500
# The two scores that sample their own points (BetaVAE, FactorVAE) are also scored at these further
# evaluation seeds (issue 34), so that their evaluation noise can be told from the seed spread. The
# row's `scores` keep the file's own evaluation seed; these sit beside them (`eval_seeds`).
# The same two and the same seeds as a seed added to the zoo (zoo.registry).
SAMPLED_SCORES = registry.SAMPLED_METRICS
EXTRA_EVAL_SEEDS = registry.EXTRA_EVAL_SEEDS


def finished_runs(runs_dir) -> list[Path]:
    """Run folders under `runs_dir` whose preset is written, sorted by name."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise FileNotFoundError(f"--runs_dir {runs_dir} is not a folder; pass the sweep's --out folder "
                                "(e.g. runs/population).")
    return sorted(p for p in runs_dir.iterdir() if zoo.runs.is_finished(p))


def scorable(runs_dir) -> list[tuple[str, Path, int | None]]:
    """`(row name, folder with the preset, snapshot step or None)` of every finished run under `runs_dir`
    and of every complete snapshot of any run there (finished or still training), sorted by name."""
    from zoo.runs.folder import snapshots_of

    runs_dir = Path(runs_dir)
    found = [(p.name, p, None) for p in finished_runs(runs_dir)]
    for run in sorted(p for p in runs_dir.iterdir() if p.is_dir()):
        found += [(f"{run.name}@{step}", folder, step) for step, folder in snapshots_of(run)]
    return sorted(found)


def read_population(path) -> dict:
    """The population file, or an empty one if it does not exist yet."""
    path = Path(path)
    if not path.exists():
        return {"format": FORMAT, "settings": None, "rows": []}
    content = json.loads(path.read_text())
    if content.get("format") != FORMAT or not isinstance(content.get("rows"), list):
        raise ValueError(f"{path} is not a population file (format {FORMAT!r} with a list of rows); "
                         "pass another --population_file.")
    return content


def _append_row(population_file: Path, settings: dict, row: dict, log) -> dict:
    """Adds `row` to the population file as it is now: read again under `zoo.files.folder_lock`, so
    that rows another score step wrote while this one scored (two lanes into one file) stay."""
    with folder_lock(population_file):
        content = read_population(population_file)
        if content["settings"] is None:
            content["settings"] = settings
        elif content["settings"] != settings:
            raise ValueError(f"{population_file} was rewritten with other settings while {row['name']} was scored; "
                             "its row is not added.")
        if any(r["name"] == row["name"] for r in content["rows"]):
            log(f"  {row['name']}: scored meanwhile by another process; its row there is kept")
            return content
        content["rows"].append(row)
        content["rows"].sort(key=lambda r: r["name"])
        _report.write_json(population_file, content)
    return content


def _stored(value):
    return None if isinstance(value, float) and not math.isfinite(value) else value


def probe(model, data, *, points: int, seed: int, batch: int = PROBE_BATCH) -> dict:
    """Reconstruction, KL and dependence of a VAE on `points` images drawn with `seed`.

    For each image x: the posterior N(mu(x), diag(sigma^2(x))), a sample z = mu + sigma * eps
    (eps from `seed`), and the decoder's logits at z and at mu.

    Returns:
      `reconstruction`: `nll_sampled` (Bernoulli NLL per image at z ~ q(z|x), the ELBO's term and
      Kim & Mnih 2018's reconstruction error), `nll_mean` (at z = mu) and `mse_mean` (summed
      squared error per image of sigmoid(logits(mu))), all averaged over images;
      `kl_per_latent`: `[D]` KL(q(z_j|x) || N(0, 1)) averaged over images (the training term);
      `gaussian_total_correlation`: `mean` and `sampled`, the unsupervised score's Gaussian TC
      of the codes mu (what the metrics score) and of z (what the prior is matched to);
      `marginal`: per representation, each latent's mean and variance over images and the KL
      of that Gaussian fit to N(0, 1), 1/2 (m^2 + v - log v - 1);
      `mutual_information`: `matrix` `[D, K]` I(z_j; v_k) in nats of the 20-bin discretised mu
      and the factors (as in MIG), `factor_entropy` `[K]`, `factor_names`.
    """
    import tensorflow as tf

    import zoo.losses
    from zoo.metrics import entropy, histogram_discretize, mutual_information

    @tf.function(reduce_retracing=True)
    def forward(images, eps):
        z_mean, z_logvar = model.encoder(images, training=False)
        z = zoo.losses.reparameterize(z_mean, z_logvar, eps)
        logits_z, logits_mu = model.decoder(z, training=False), model.decoder(z_mean, training=False)
        mse = tf.reduce_sum(tf.reshape(tf.square(tf.sigmoid(logits_mu) - images), [tf.shape(images)[0], -1]), 1)
        return (z_mean, z, zoo.losses.gaussian_kl_per_latent(z_mean, z_logvar),
                zoo.losses.bernoulli_nll(images, logits_z), zoo.losses.bernoulli_nll(images, logits_mu), mse)

    rng = np.random.default_rng(seed)
    factors = data.sample_factors(points, rng)
    parts = []
    for start in range(0, points, batch):
        chunk = factors[start:start + batch]
        images = np.asarray(data.sample_observations_from_factors(chunk, rng), np.float32)
        eps = rng.standard_normal((len(chunk), model.latent_dim)).astype(np.float32)
        parts.append([t.numpy().astype(np.float64) for t in forward(tf.constant(images), tf.constant(eps))])
    mu, z, kl, nll_z, nll_mu, mse = (np.concatenate(col) for col in zip(*parts))

    def marginal(codes):
        m, v = codes.mean(0), codes.var(0)
        return {"mean": m.tolist(), "variance": v.tolist(),
                "kl_to_prior": (0.5 * (m ** 2 + v - np.log(np.maximum(v, 1e-300)) - 1.0)).tolist()}

    mi = mutual_information(histogram_discretize(mu, 20), factors)
    return {
        "reconstruction": {"nll_sampled": float(nll_z.mean()), "nll_mean": float(nll_mu.mean()),
                           "mse_mean": float(mse.mean())},
        "kl_per_latent": kl.mean(0).tolist(),
        "gaussian_total_correlation": {
            "mean": _stored(zoo.metrics.unsupervised(mu)["gaussian_total_correlation"]),
            "sampled": _stored(zoo.metrics.unsupervised(z)["gaussian_total_correlation"])},
        "marginal": {"mean": marginal(mu), "sampled": marginal(z)},
        "mutual_information": {"matrix": mi.tolist(), "factor_entropy": entropy(factors).tolist(),
                               "factor_names": list(data.factor_names)},
    }


def evaluate_settings(settings: dict, dci_jobs: int | None = None) -> tuple[dict, dict]:
    """(keyword arguments of `zoo.metrics.evaluate`, its `metric_options`) for one setting.

    `dci_jobs` (processes for DCI's per-factor classifiers) changes the speed, not the numbers,
    so it is not part of the setting a population file records.
    """
    options = {
        "beta_vae_score": {"num_train": settings["intervention_train"], "num_eval": settings["intervention_eval"],
                           "batch_size": settings["batch_size"]},
        "factor_vae_score": {"num_train": settings["intervention_train"], "num_eval": settings["intervention_eval"],
                             "batch_size": settings["batch_size"],
                             "num_variance_estimate": settings["num_variance_estimate"]},
        "dci": {"backend": settings["dci_backend"]},
    }
    if dci_jobs:
        options["dci"]["n_jobs"] = dci_jobs
    kwargs = {"seed": settings["seed"], "num_train": settings["num_train"], "num_test": settings["num_test"],
              "batch_size": 512}
    return kwargs, options


def score_run(run_dir, settings: dict, data=None, *, progress: bool = False, dci_jobs: int | None = None,
              name: str | None = None, trace_until: int | None = None, extra_eval_seeds=EXTRA_EVAL_SEEDS) -> dict:
    """One population row for the finished run in `run_dir` (or a run's snapshot: give its row `name`
    and `trace_until`, its step; the KL trace is then read from the run, two folders up, to that step)."""
    run_dir = Path(run_dir)
    meta = presets.read_metadata(run_dir / PRESET)
    training = meta.get("training", {})
    data = data or zoo.data.load(meta["dataset"]["name"])
    start = time.perf_counter()
    model = zoo.load(str(run_dir / PRESET))
    kwargs, options = evaluate_settings(settings, dci_jobs)
    result = zoo.metrics.evaluate(model.representation, data, metric_options=options, progress=progress, **kwargs)
    scored = time.perf_counter()
    row = {
        "name": name or run_dir.name, "objective": meta["objective"], "hparams": training.get("hparams", {}),
        "seed": training.get("seed"), "steps": training.get("steps"), "dataset": meta["dataset"]["name"],
        "scores": {k: _stored(v) for k, v in result.items() if not k.startswith("timing.")},
        "timing": {k.split(".", 1)[1]: round(v, 2) for k, v in result.items() if k.startswith("timing.")},
    }
    if extra_eval_seeds:
        row["eval_seeds"] = sampled_at_seeds(model, data, settings, row["scores"], extra_eval_seeds, progress=progress)
        row["timing"]["eval_seeds"] = round(time.perf_counter() - scored, 2)
    probed = time.perf_counter()
    if hasattr(model, "decoder") and hasattr(model, "encoder"):
        row.update(probe(model, data, points=settings["probe_points"], seed=settings["probe_seed"]))
        row["timing"]["probe"] = round(time.perf_counter() - probed, 2)
    trace = (run_dir.parents[1] if trace_until is not None else run_dir) / KL_TRACE
    row["kl_trace"] = json.loads(trace.read_text()) if trace.is_file() else None
    if row["kl_trace"] and trace_until is not None:
        kept = [i for i, step in enumerate(row["kl_trace"]["steps"]) if step <= trace_until]
        row["kl_trace"] = {**row["kl_trace"], "steps": [row["kl_trace"]["steps"][i] for i in kept],
                           "kl_per_latent": [row["kl_trace"]["kl_per_latent"][i] for i in kept]}
    row["seconds"] = round(time.perf_counter() - start, 1)
    return row


def sampled_at_seeds(model, data, settings: dict, scores: dict, seeds, *, progress: bool = False) -> dict:
    """The sampled scores (`SAMPLED_SCORES`) at the file's evaluation seed (read from `scores`) and at
    each of `seeds`, with the file's sizes: `{"seeds": [...], "<function>.<key>": [value per seed]}`."""
    kwargs, options = evaluate_settings(settings)
    out = {"seeds": [settings["seed"], *seeds]}
    runs = [{k: v for k, v in scores.items() if k.split(".", 1)[0] in SAMPLED_SCORES}]
    for seed in seeds:
        result = zoo.metrics.evaluate(model.representation, data, metrics=list(SAMPLED_SCORES),
                                      metric_options={k: options[k] for k in SAMPLED_SCORES}, progress=progress,
                                      **{**kwargs, "seed": seed})
        runs.append({k: _stored(v) for k, v in result.items() if not k.startswith("timing.")})
    for key in sorted(runs[0]):
        out[key] = [r.get(key) for r in runs]
    return out


def score_population(runs_dir, population_file, settings: dict, *, limit: int | None = None,
                     progress: bool = False, dci_jobs: int | None = None, log=print,
                     extra_eval_seeds=EXTRA_EVAL_SEEDS) -> dict:
    """Scores every finished run of `runs_dir` not yet in `population_file`, writing after each.

    Args:
      runs_dir: the sweep's output folder (one run folder per job).
      population_file: the JSON table; created if absent, else extended.
      settings: `FULL`, `QUICK` or another dict of their keys; must equal the file's own.
      limit: score at most this many new runs (None: all).
      dci_jobs: processes for DCI's classifiers (default one per factor, up to the cores).
      extra_eval_seeds: further evaluation seeds of the sampled scores (`sampled_at_seeds`); () for none.

    Returns:
      The population file's content.
    """
    population_file = Path(population_file)
    content = read_population(population_file)
    settings = dict(settings)
    if content["settings"] is None:
        content["settings"] = settings
    elif content["settings"] != settings:
        changed = sorted(k for k in set(settings) | set(content["settings"])
                         if settings.get(k) != content["settings"].get(k))
        before = {k: content["settings"].get(k) for k in changed}
        now = {k: settings.get(k) for k in changed}
        raise ValueError(f"{population_file} was scored with other settings ({', '.join(changed)} differ: file "
                         f"{before}, now {now}). "
                         "One table holds one setting: pass the same flags, or another --population_file.")
    done = {row["name"] for row in content["rows"]}
    todo = [item for item in scorable(runs_dir) if item[0] not in done]
    if limit is not None:
        todo = todo[:limit]
    log(f"{len(done)} models already in {population_file}; {len(todo)} finished runs (or snapshots) to score in "
        f"{runs_dir}")
    datasets = {}
    for row_name, run_dir, step in todo:
        dataset = presets.read_metadata(run_dir / PRESET)["dataset"]["name"]
        data = datasets.setdefault(dataset, zoo.data.load(dataset))
        row = score_run(run_dir, settings, data, progress=progress, dci_jobs=dci_jobs, name=row_name, trace_until=step,
                        extra_eval_seeds=extra_eval_seeds)
        content = _append_row(population_file, settings, row, log)
        s = {k: (float("nan") if v is None else v) for k, v in row["scores"].items()}
        log(f"  {row['name']:32s} BetaVAE {s.get('beta_vae_score.eval_accuracy', float('nan')):.3f} "
            f"FactorVAE {s.get('factor_vae_score.eval_accuracy', float('nan')):.3f} "
            f"MIG {s.get('mig.mig', float('nan')):.3f} "
            f"DCI {s.get('dci.disentanglement', float('nan')):.3f}  ({row['seconds']:.0f} s: "
            + ", ".join(f"{k} {v:.0f}" for k, v in row["timing"].items()) + ")")
    return content
