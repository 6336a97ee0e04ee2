"""Locatello et al. 2019's metric agreement beside ours: rank correlations between six disentanglement scores.

    .venv/bin/python -m benchmarks.papers.metric_agreement [--quick] [--dataset dsprites] [--runs_dir DIR]
        [--checkpoints_per_run N]

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
and `metric_agreement_scores.csv` into `--out_dir`. The representations and their scoring are in
`benchmarks/papers/_agreement.py`; this module prints and writes them.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

import zoo  # noqa: E402
import zoo.data  # noqa: E402
from benchmarks.papers import _agreement, _plots, _trained  # noqa: E402
from benchmarks import _report  # noqa: E402
from benchmarks.papers import _representations as reps  # noqa: E402

NAME = "metric_agreement"
TITLE = "Locatello et al. 2019, metric agreement"
FLAGS = flags.FLAGS

# Array metrics (MIG, DCI, SAP, Modularity) at the study's 10,000 / 5,000 points; the BetaVAE and
# FactorVAE scores render 64 images per point, so they get fewer points than the study's.
FULL = {"num_train": 10_000, "num_test": 5_000, "intervention_train": 1_000, "intervention_eval": 500,
        "num_variance_estimate": 5_000, "batch_size": 64, "dci_backend": "fast", "seed": 0}
FULL_PER_RUN, QUICK_PER_RUN = 6, 2  # checkpoints per training run, evenly spaced
QUICK = {"num_train": 1_000, "num_test": 500, "intervention_train": 100, "intervention_eval": 50,
         "num_variance_estimate": 1_000, "batch_size": 64, "dci_backend": "fast", "seed": 0}


# ----------------------------------------------------------------------------- output

def _pct(value) -> str:
    return "n/a" if value is None or np.isnan(value) else f"{100 * value:.0f}"


def matrix_rows(ours: np.ndarray, paper: np.ndarray) -> list[list]:
    labels = [m[2] for m in _agreement.METRICS]
    return [[labels[i]] + [_pct(v) for v in ours[i]] + [""] + [_pct(v) for v in paper[i]] for i in range(len(labels))]


def matrix_header() -> list[str]:
    labels = [m[2] for m in _agreement.METRICS]
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
    labels = [m[2] for m in _agreement.METRICS]
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


def run(quick: bool, out: Path, *, dataset: str = "dsprites", runs_dirs=(), include_baselines: bool = True,
        checkpoints_per_run: int | None = None, **overrides) -> dict:
    """Scores every representation, prints the scores and both matrices, writes the CSVs and the heatmaps.

    Args:
      quick: the `QUICK` sizes and a shorter list of baselines, else `FULL`.
      out: the folder for `metric_agreement.csv`, `metric_agreement_scores.csv` and the heatmaps.
      dataset: the dataset to score on (the paper's matrix is Noisy-dSprites').
      runs_dirs: folders of training runs; up to `checkpoints_per_run` checkpoints of each are scored.
      include_baselines: also the hand-made representations (else only zoo models and checkpoints).
      **overrides: sizes (see `FULL`); None keeps the default.
    """
    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # the reference's 100-iteration classifiers
    sizes = dict(QUICK if quick else FULL)
    sizes.update({k: v for k, v in overrides.items() if v is not None})
    names, paper, source = _agreement.paper_matrix()
    machine, versions = _report.machine(), _report.versions()
    print(f"Locatello et al. 2019 metric agreement vs ours on {dataset} ({'quick' if quick else 'full'} sizes)")
    print(_report.describe(machine, versions))
    print(f"sizes: MIG/DCI/SAP/Modularity on {sizes['num_train']} / {sizes['num_test']} points; BetaVAE and FactorVAE "
          f"on {sizes['intervention_train']} / {sizes['intervention_eval']} points of {sizes['batch_size']} images, "
          f"FactorVAE variances from {sizes['num_variance_estimate']}; DCI backend {sizes['dci_backend']}; "
          f"seed {sizes['seed']}", flush=True)
    data = zoo.data.load(dataset)
    oracle = reps.FactorOracle(data)
    representations = _agreement.baselines(data, oracle, quick=quick) if include_baselines else []
    representations += _trained.zoo_models(data) + _trained.run_checkpoints(
        runs_dirs, data, published=zoo.list_models(),
        per_run=checkpoints_per_run if checkpoints_per_run is not None else (QUICK_PER_RUN if quick else FULL_PER_RUN))
    print(f"{len(representations)} representations to score", flush=True)
    start = time.perf_counter()
    scored, skipped = _agreement.score_representations(oracle, representations, log=lambda s: print(s, flush=True),
                                                       **sizes)
    ours = _agreement.rank_correlation(scored, names)
    report = {
        "benchmark": "Locatello et al. 2019: rank correlation between disentanglement metrics, paper vs ours",
        "source": source, "dataset": dataset, "quick": quick, "sizes": sizes, "metrics": names,
        "num_representations": len(scored), "representations": scored, "skipped": skipped,
        "ours": ours.tolist(), "paper": paper.tolist(), "comparison": _agreement.compare(ours, paper),
        "notes": [
            "The paper's matrix: about 1,800 trained models on Noisy-dSprites (6 objectives x 6 settings x 50 seeds).",
            "Ours: every representation that could be scored on this dataset, baselines included; their spread "
            "from perfect to useless raises the correlations compared with trained models alone.",
            "Spearman correlation across representations (scipy.stats.spearmanr); one evaluation seed each.",
        ],
        "machine": machine, "versions": versions, "seconds": round(time.perf_counter() - start, 1),
    }
    print_report(report)
    write_files(report, Path(out))
    return report


def print_report(report: dict) -> None:
    """Every representation's scores, both matrices and how they compare, on the console."""
    scored, skipped, metrics = report["representations"], report["skipped"], _agreement.METRICS
    ours, paper = np.asarray(report["ours"], np.float64), np.asarray(report["paper"], np.float64)
    print(f"\n{len(scored)} representations went into our matrix ({len(skipped)} left out):")
    print(_report.text_table(["representation", "group"] + [m[2] for m in metrics] + ["seconds"],
                             [[r["name"], r["group"]] + [f"{r[m[0]] + 0.0:.3f}" for m in metrics]
                              + [f"{r['seconds']:.0f}"] for r in scored], align="ll" + "r" * (len(metrics) + 1)))
    for s in skipped:
        print(f"  left out: {s['name']}: {s['reason']}")
    print(f"\nSpearman rank correlation (%), ours ({len(scored)} representations, {report['dataset']}) | paper "
          "(Noisy-dSprites):")
    print(_report.text_table(matrix_header(), matrix_rows(ours, paper)))
    print(summary_line(report))
    for note in report["notes"]:
        print(f"  - {note}")


def write_files(report: dict, out: Path) -> None:
    """`metric_agreement.csv` (both matrices), `metric_agreement_scores.csv` and `metric_agreement.png` in `out`."""
    names, scored = report["metrics"], report["representations"]
    ours, paper = report["ours"], report["paper"]
    _report.write_csv(out / "metric_agreement.csv", ["source", "metric"] + names,
                      [["ours", n] + list(ours[i]) for i, n in enumerate(names)]
                      + [["paper", n] + list(paper[i]) for i, n in enumerate(names)])
    _report.write_csv(out / "metric_agreement_scores.csv",
                      ["representation", "group"] + names + ["seconds", "note"],
                      [[r["name"], r["group"]] + [r[n] for n in names] + [r["seconds"], r["note"]] for r in scored])
    _plots.heatmaps(out / "metric_agreement.png",
                   [(f"ours: {len(scored)} representations, {report['dataset']}", ours),
                    ("Locatello et al. 2019: trained models, Noisy-dSprites", paper)],
                   [m[2] for m in _agreement.METRICS], title="Rank correlation between disentanglement metrics (%)")
    print(f"\nwrote {out}/metric_agreement.csv, _scores.csv, .png ({report['seconds']:.0f} s)")


def main(argv):
    _report.no_arguments(argv)
    _report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=FLAGS.out_dir, json_path=FLAGS.out,
                         dataset=FLAGS.dataset, runs_dirs=FLAGS.runs_dir, include_baselines=not FLAGS.no_baselines,
                         checkpoints_per_run=FLAGS.checkpoints_per_run,
                         **{key: FLAGS[key].value for key in FULL})
    return 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "quick", "out_dir", "out", "dataset", "runs_dir", "checkpoints_per_run", "no_baselines",
                   *FULL)
