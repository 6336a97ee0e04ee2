"""Locatello et al. 2019's metric agreement beside ours: rank correlations between six disentanglement scores.

    .venv/bin/python -m benchmarks.metric_agreement [--quick] [--dataset dsprites] [--runs_dir DIR] [--checkpoints_per_run N]

Scores every representation available on one dataset (dSprites by default, where the zoo is
trained; the paper's matrix is for Noisy-dSprites, which `--dataset noisy_dsprites` scores, though
without the 1-channel zoo models) with the BetaVAE score, the FactorVAE score, MIG, DCI disentanglement, Modularity and SAP
(`zoo.metrics.evaluate`, one evaluation seed), then takes the Spearman rank correlation of every
pair of scores across the representations (scipy.stats.spearmanr) and prints it beside the paper's.

The representations:
- baselines: the ground-truth factors and variants of them (scaled, permuted, with Gaussian noise
  of several sizes, rotated by several angles, randomly mixed, with factors replaced by noise,
  duplicated), a constant code, pooled pixels, PCA and FastICA with several component counts,
  random projections of the pixels, untrained networks of several initialisation seeds;
- every model in the weights manifest that takes this dataset's images;
- with `--runs_dir` (repeatable), the checkpoints of every training run found there (a sweep's
  `runs/study` folder included), as long as it takes this dataset's images: up to
  `--checkpoints_per_run` of them per run, evenly spaced over its training.
The paper's matrix is over about 1,800 trained models per dataset (6 objectives x 6 settings x 50
seeds); ours mixes baselines built to span the range from perfect to useless, so its correlations
are expected to be higher. How many representations went in is printed with the matrix.

Prints the scores, both matrices and their differences; writes `metric_agreement.{json,csv,png}`
and `metric_agreement_scores.csv` into `--out_dir`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from benchmarks import _draw, _report  # noqa: E402
from benchmarks import _representations as reps  # noqa: E402

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

# Array metrics (MIG, DCI, SAP, Modularity) at the study's 10,000 / 5,000 points; the BetaVAE and
# FactorVAE scores render 64 images per point, so they get fewer points than the study's.
FULL = {"num_train": 10_000, "num_test": 5_000, "intervention_train": 1_000, "intervention_eval": 500,
        "num_variance_estimate": 5_000, "batch_size": 64, "dci_backend": "fast", "seed": 0}
FULL_PER_RUN, QUICK_PER_RUN = 6, 2  # checkpoints per training run, evenly spaced
QUICK = {"num_train": 1_000, "num_test": 500, "intervention_train": 100, "intervention_eval": 50,
         "num_variance_estimate": 1_000, "batch_size": 64, "dci_backend": "fast", "seed": 0}


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
                reps.random_projection(data, 10, 0), reps.untrained("vae", data, 0)]
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
    out += [reps.untrained("vae", data, s) for s in (0, 1, 2)] + [reps.untrained("infogan", data, 0)]
    return out


def score_representations(oracle, representations, *, num_train: int, num_test: int, intervention_train: int,
                          intervention_eval: int, num_variance_estimate: int, batch_size: int = 64,
                          dci_backend: str = "fast", seed: int = 0, log=print) -> tuple[list[dict], list[dict]]:
    """Scores each representation with the six metrics.

    Returns:
      `(scored, skipped)`: `scored` has one dict per representation (`name, group, note, seconds`
      and one entry per metric of `METRICS`, by the paper's name); `skipped` has `name, reason`.
    """
    import zoo.metrics

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


# ----------------------------------------------------------------------------- output

def _pct(value) -> str:
    return "n/a" if value is None or np.isnan(value) else f"{100 * value:.0f}"


def matrix_rows(ours: np.ndarray, paper: np.ndarray) -> list[list]:
    labels = [m[2] for m in METRICS]
    return [[labels[i]] + [_pct(v) for v in ours[i]] + [""] + [_pct(v) for v in paper[i]] for i in range(len(labels))]


def matrix_header() -> list[str]:
    labels = [m[2] for m in METRICS]
    return ["ours | paper"] + labels + ["|"] + labels


def summary_line(report: dict) -> str:
    c = report["comparison"]
    if c["mean_abs_difference"] is None:
        return "no off-diagonal pair is defined in our matrix"
    pattern = "n/a" if c["pattern_spearman"] is None else f"{c['pattern_spearman']:.2f}"
    return (f"over the {c['pairs']} metric pairs: mean |ours - paper| = {100 * c['mean_abs_difference']:.0f} points, "
            f"same sign in {c['same_sign']}/{c['pairs']}, rank correlation of the two patterns {pattern}")


def markdown(report: dict) -> str:
    s = report["sizes"]
    ours, paper = np.asarray(report["ours"], np.float64), np.asarray(report["paper"], np.float64)
    labels = [m[2] for m in METRICS]
    cells = [[labels[i]] + [f"{_pct(ours[i, j])} ({_pct(paper[i, j])})" for j in range(len(labels))]
             for i in range(len(labels))]
    groups = {}
    for row in report["representations"]:
        groups[row["group"]] = groups.get(row["group"], 0) + 1
    lines = [f"Spearman rank correlation (%) across {report['num_representations']} representations on "
             f"{report['dataset']}, ours (and in brackets the paper's, across its trained models on Noisy-dSprites). "
             f"MIG/DCI/SAP/Modularity on {s['num_train']} / {s['num_test']} points, BetaVAE/FactorVAE on "
             f"{s['intervention_train']} / {s['intervention_eval']} points of {s['batch_size']} images, DCI backend "
             f"{s['dci_backend']}" + (" (quick sizes)" if report["quick"] else "") + ".", "",
             _report.markdown_table(["ours (paper)"] + labels, cells), "",
             summary_line(report) + ".", "",
             "Representations: " + ", ".join(f"{g} {n}" for g, n in groups.items()) + "."]
    if report["skipped"]:
        lines += ["", f"Left out ({len(report['skipped'])}): "
                  + "; ".join(f"{s['name']} ({s['reason']})" for s in report["skipped"])]
    return "\n".join(lines)


def run(*, quick: bool = False, dataset: str = "dsprites", runs_dirs=(), out_dir="out/bench",
        include_baselines: bool = True, checkpoints_per_run: int | None = None, **overrides) -> dict:
    import zoo.data
    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # the reference's 100-iteration classifiers
    sizes = dict(QUICK if quick else FULL)
    sizes.update({k: v for k, v in overrides.items() if v is not None})
    names, paper, source = paper_matrix()
    machine, versions = _report.machine(), _report.versions()
    print(f"Locatello et al. 2019 metric agreement vs ours on {dataset} ({'quick' if quick else 'full'} sizes)")
    print(_report.describe(machine, versions))
    print(f"sizes: MIG/DCI/SAP/Modularity on {sizes['num_train']} / {sizes['num_test']} points; BetaVAE and FactorVAE "
          f"on {sizes['intervention_train']} / {sizes['intervention_eval']} points of {sizes['batch_size']} images, "
          f"FactorVAE variances from {sizes['num_variance_estimate']}; DCI backend {sizes['dci_backend']}; "
          f"seed {sizes['seed']}", flush=True)
    data = zoo.data.load(dataset)
    oracle = reps.FactorOracle(data)
    representations = baselines(data, oracle, quick=quick) if include_baselines else []
    import zoo

    representations += reps.zoo_models(data) + reps.run_checkpoints(
        runs_dirs, data, published=zoo.list_models(),
        per_run=checkpoints_per_run if checkpoints_per_run is not None else (QUICK_PER_RUN if quick else FULL_PER_RUN))
    print(f"{len(representations)} representations to score", flush=True)
    start = time.perf_counter()
    scored, skipped = score_representations(oracle, representations, log=lambda s: print(s, flush=True), **sizes)
    ours = rank_correlation(scored, names)
    report = {
        "benchmark": "Locatello et al. 2019: rank correlation between disentanglement metrics, paper vs ours",
        "source": source, "dataset": dataset, "quick": quick, "sizes": sizes, "metrics": names,
        "num_representations": len(scored), "representations": scored, "skipped": skipped,
        "ours": ours.tolist(), "paper": paper.tolist(), "comparison": compare(ours, paper),
        "notes": [
            "The paper's matrix: about 1,800 trained models on Noisy-dSprites (6 objectives x 6 settings x 50 seeds).",
            "Ours: every representation that could be scored on this dataset, baselines included; their spread "
            "from perfect to useless raises the correlations compared with trained models alone.",
            "Spearman correlation across representations (scipy.stats.spearmanr); one evaluation seed each.",
        ],
        "machine": machine, "versions": versions, "seconds": round(time.perf_counter() - start, 1),
    }
    report["markdown"] = markdown(report)
    print(f"\n{len(scored)} representations went into our matrix ({len(skipped)} left out):")
    print(_report.text_table(["representation", "group"] + [m[2] for m in METRICS] + ["seconds"],
                             [[r["name"], r["group"]] + [f"{r[m[0]] + 0.0:.3f}" for m in METRICS]
                              + [f"{r['seconds']:.0f}"] for r in scored], align="ll" + "r" * (len(METRICS) + 1)))
    for s in skipped:
        print(f"  left out: {s['name']}: {s['reason']}")
    print(f"\nSpearman rank correlation (%), ours ({len(scored)} representations, {dataset}) | paper "
          "(Noisy-dSprites):")
    print(_report.text_table(matrix_header(), matrix_rows(ours, paper)))
    print(summary_line(report))
    for note in report["notes"]:
        print(f"  - {note}")
    out_dir = Path(out_dir)
    _report.write_json(out_dir / "metric_agreement.json", report)
    _report.write_csv(out_dir / "metric_agreement.csv", ["source", "metric"] + names,
                      [["ours", n] + list(ours[i]) for i, n in enumerate(names)]
                      + [["paper", n] + list(paper[i]) for i, n in enumerate(names)])
    _report.write_csv(out_dir / "metric_agreement_scores.csv",
                      ["representation", "group"] + names + ["seconds", "note"],
                      [[r["name"], r["group"]] + [r[n] for n in names] + [r["seconds"], r["note"]] for r in scored])
    _draw.heatmaps(out_dir / "metric_agreement.png",
                   [(f"ours: {len(scored)} representations, {dataset}", ours.tolist()),
                    ("Locatello et al. 2019: trained models, Noisy-dSprites", paper.tolist())],
                   [m[2] for m in METRICS], title="Rank correlation between disentanglement metrics (%)")
    print(f"\nwrote {out_dir}/metric_agreement.json, .csv, _scores.csv, .png ({report['seconds']:.0f} s)")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"small sizes and fewer baselines: {QUICK}")
    parser.add_argument("--dataset", default="dsprites",
                        help="dataset to score on (the zoo is trained on dsprites; the paper's matrix is Noisy-dSprites)")
    parser.add_argument("--checkpoints_per_run", type=int,
                        help=f"checkpoints taken from each run, evenly spaced (default {FULL_PER_RUN}, quick {QUICK_PER_RUN})")
    parser.add_argument("--runs_dir", action="append", default=[],
                        help="folder of training runs (e.g. runs/study); their checkpoints become representations")
    parser.add_argument("--out_dir", default="out/bench")
    parser.add_argument("--no_baselines", action="store_true", help="score only zoo models and run checkpoints")
    for key, value in FULL.items():
        if key != "dci_backend":
            parser.add_argument(f"--{key}", type=int, help=f"default {value} (quick {QUICK[key]})")
    parser.add_argument("--dci_backend", choices=["fast", "exact"])
    args = parser.parse_args(argv)
    overrides = {k: getattr(args, k) for k in FULL}
    run(quick=args.quick, dataset=args.dataset, runs_dirs=args.runs_dir, out_dir=args.out_dir,
        include_baselines=not args.no_baselines, checkpoints_per_run=args.checkpoints_per_run, **overrides)
    return 0


if __name__ == "__main__":
    sys.exit(main())
