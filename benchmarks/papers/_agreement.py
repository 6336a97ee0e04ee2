"""The metric-agreement benchmark's scoring (Locatello et al. 2019): representations, their six scores,
and the rank correlations between the scores.

Pure computation; `benchmarks.papers.metric_agreement` prints and writes what this returns.
"""

from __future__ import annotations

import gc
import json
import time
from pathlib import Path

import numpy as np

import zoo.metrics
from benchmarks.papers import _representations as reps
from benchmarks.papers import _trained

PAPER_TABLES = Path(__file__).with_name("paper_tables.json")
PAPER_KEY = "locatello2019_metric_rank_correlation_noisy_dsprites"

# (the paper's name, the key in zoo.metrics.evaluate's result, a short label)
METRICS = [
    ("beta_vae_score", "beta_vae_score.eval_accuracy", "BetaVAE"),
    ("factor_vae_score", "factor_vae_score.eval_accuracy", "FactorVAE"),
    ("mig", "mig.mig", "MIG"),
    ("dci_disentanglement", "dci.disentanglement", "DCI"),
    ("modularity", "modularity_explicitness.modularity", "Modularity"),
    ("sap", "sap.sap", "SAP"),
]
EVALUATED = ["beta_vae_score", "factor_vae_score", "mig", "dci", "modularity_explicitness", "sap"]


def paper_matrix() -> tuple[list[str], np.ndarray, str]:
    """(metric names, the paper's rank correlations as fractions, source)."""
    entry = json.loads(PAPER_TABLES.read_text())[PAPER_KEY]
    if entry["metrics"] != [m[0] for m in METRICS]:
        raise ValueError(f"{PAPER_TABLES}: metric order {entry['metrics']} differs from {[m[0] for m in METRICS]}")
    return entry["metrics"], np.asarray(entry["matrix"], np.float64) / 100.0, entry["source"]


def baselines(data, oracle, *, quick: bool = False) -> list[reps.Representation]:
    """The hand-made representations: ground-truth variants, pixels, PCA/ICA, projections, untrained networks."""
    fit = 1000 if quick else 5000
    out = [reps.ground_truth(oracle), reps.duplicated_ground_truth(oracle), reps.constant()]
    if quick:
        out += [reps.noisy_ground_truth(oracle, s, 0) for s in (0.1, 0.4)]
        out += [reps.rotated_ground_truth(oracle, d) for d in (20, 45)]
        out += [reps.mixed_ground_truth(oracle, 0), reps.partial_ground_truth(oracle, 3, 0),
                reps.pooled_pixels(4), reps.pca(data, 10, 0, fit), reps.ica(data, 10, 0, fit),
                reps.random_projection(data, 10, 0), _trained.untrained("vae", data, 0)]
        return out
    out += [reps.permuted_ground_truth(oracle, 0)]
    out += [reps.noisy_ground_truth(oracle, s, 0) for s in (0.05, 0.1, 0.2, 0.4, 0.8)]
    out += [reps.rotated_ground_truth(oracle, d) for d in (10, 20, 30, 45)]
    out += [reps.mixed_ground_truth(oracle, s) for s in (0, 1)]
    out += [reps.partial_ground_truth(oracle, k, 0) for k in (2, 3, 4)]
    out += [reps.pooled_pixels(4), reps.pooled_pixels(8)]
    out += [reps.pca(data, k, 0, fit) for k in (5, 10, 20)] + [reps.pca(data, 10, 1, fit)]
    out += [reps.ica(data, k, 0, fit) for k in (5, 10)] + [reps.ica(data, 10, 1, fit)]
    out += [reps.random_projection(data, 10, s) for s in (0, 1, 2)]
    out += [_trained.untrained("vae", data, s) for s in (0, 1, 2)] + [_trained.untrained("infogan", data, 0)]
    return out


def score_representations(oracle, representations, *, num_train: int, num_test: int, intervention_train: int,
                          intervention_eval: int, num_variance_estimate: int, batch_size: int = 64,
                          dci_backend: str = "fast", seed: int = 0, log=print) -> tuple[list[dict], list[dict]]:
    """Scores each representation with the six metrics.

    Returns:
      `(scored, skipped)`: `scored` has one dict per representation (`name, group, note, seconds`
      and one entry per metric of `METRICS`, by the paper's name); `skipped` has `name, reason`.
    """
    options = {
        "beta_vae_score": {"num_train": intervention_train, "num_eval": intervention_eval, "batch_size": batch_size},
        "factor_vae_score": {"num_train": intervention_train, "num_eval": intervention_eval, "batch_size": batch_size,
                             "num_variance_estimate": num_variance_estimate},
        "dci": {"backend": dci_backend},
    }
    scored, skipped = [], []
    for rep in representations:
        start = time.perf_counter()
        try:
            fn = rep.make()
            result = zoo.metrics.evaluate(fn, oracle, metrics=EVALUATED, seed=seed, num_train=num_train,
                                          num_test=num_test, batch_size=512, metric_options=options, progress=False)
        except reps.Skip as e:
            skipped.append({"name": rep.name, "reason": str(e)})
            log(f"  {rep.name:40s} skipped: {e}")
            continue
        except Exception as e:  # one broken representation must not sink the other scores
            skipped.append({"name": rep.name, "reason": f"failed: {type(e).__name__}: {e}"})
            log(f"  {rep.name:40s} FAILED: {type(e).__name__}: {e}")
            continue
        finally:
            fn = None
            gc.collect()
        row = {"name": rep.name, "group": rep.group, "note": rep.note,
               "seconds": round(time.perf_counter() - start, 1)}
        row.update({paper_name: result[key] for paper_name, key, _ in METRICS})
        scored.append(row)
        log(f"  {rep.name:40s} " + " ".join(f"{label} {row[name] + 0.0:.3f}" for name, _, label in METRICS)
            + f"  ({row['seconds']:.0f} s)")
    return scored, skipped


def rank_correlation(scored: list[dict], metrics: list[str]) -> np.ndarray:
    """Spearman rank correlation `[M, M]` of the metrics across the representations (NaN where undefined).

    A metric that is the same for every representation has no ranking: its row and column are NaN
    (the diagonal stays 1).
    """
    from scipy.stats import spearmanr

    m = len(metrics)
    if len(scored) < 3:
        return np.full((m, m), np.nan)
    values = np.array([[row[name] for name in metrics] for row in scored], np.float64)
    out = np.full((m, m), np.nan)
    for i in range(m):
        out[i, i] = 1.0
        for j in range(i + 1, m):
            if np.ptp(values[:, i]) > 0 and np.ptp(values[:, j]) > 0:
                out[i, j] = out[j, i] = spearmanr(values[:, i], values[:, j]).statistic
    return out


def compare(ours: np.ndarray, paper: np.ndarray) -> dict:
    """How our matrix relates to the paper's, over the off-diagonal pairs both define."""
    from scipy.stats import spearmanr

    i, j = np.triu_indices(len(paper), k=1)
    keep = ~np.isnan(ours[i, j])
    a, b = ours[i, j][keep], paper[i, j][keep]
    return {
        "pairs": int(keep.sum()),
        "mean_abs_difference": float(np.mean(np.abs(a - b))) if len(a) else None,
        "same_sign": int(np.sum(np.sign(a) == np.sign(b))),
        "pattern_spearman": float(spearmanr(a, b).statistic) if len(a) > 2 and np.ptp(a) > 0 else None,
    }
