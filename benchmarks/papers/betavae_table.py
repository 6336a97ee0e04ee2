"""Higgins et al. 2017, Table 1 beside ours: the BetaVAE score of baselines and models on dSprites.

    .venv/bin/python -m benchmarks.papers.betavae_table [--quick] [--runs_dir runs] [--out_dir out/bench]

Rows (the paper's): ground truth (the factor class indices 0..size-1 as floats, one code dimension
per factor, not one-hot), raw pixels (all 4096 as the code), PCA (10 components) and FastICA (10
components), both sklearn, fit on a sample of rendered images; DC-IGN (supervised: the paper's
number only); InfoGAN, an untrained VAE (`zoo.models.get("vae")` at initialisation seeds 0, 1, 2),
VAE and beta-VAE. Then every other model in the weights manifest, and with `--runs_dir` the latest
checkpoint of each training run found there. A row whose zoo model is absent reads "not in the zoo
yet"; no number is ever filled in for it.

Every row is scored by `zoo.metrics.beta_vae_score` (the reference definition, as in
disentanglement_lib) on the same pairs: with one evaluation seed every representation sees the
very same factor pairs, so rows differ only by the representation. "ours" is the mean ± sample std
over the evaluation seeds (PCA and ICA are refit, and the untrained VAE re-initialised, with each
seed). Then the paper's ordering is checked against ours, pair by pair.

Prints the table and the ordering check; writes `betavae_table.{json,csv,png}` into `--out_dir`.
The rows and their scoring are in `benchmarks/papers/_betavae.py`; this module prints and writes them.
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

from absl import app, flags  # noqa: E402

import zoo.data  # noqa: E402
from benchmarks.papers import _betavae, _plots  # noqa: E402
from benchmarks import _report  # noqa: E402
from benchmarks.papers import _representations as reps  # noqa: E402

NAME = "betavae_table"
TITLE = "Higgins et al. 2017, Table 1 (BetaVAE score on dSprites)"
FLAGS = flags.FLAGS

# The study's sizes are 10,000 training / 5,000 evaluation points (disentanglement_lib's
# beta_vae_sklearn.gin); at L=64 pairs a point costs 128 rendered and encoded images, so they cost
# ~1.9M images per row and seed. The defaults keep the full table to about half an hour on 2 cores.
FULL = {"num_train": 2000, "num_eval": 1000, "batch_size": 64, "fit_images": 5000, "seeds": (0, 1, 2)}
QUICK = {"num_train": 100, "num_eval": 50, "batch_size": 64, "fit_images": 500, "seeds": (0, 1, 2)}

GENERAL_NOTES = [
    "Score: the reference definition (disentanglement_lib, Locatello et al. 2019; zoo.metrics.beta_vae_score): "
    "sklearn LogisticRegression (lbfgs, C=1) on the mean |z1 - z2| over L pairs that share one factor. The paper "
    "trained its own linear classifier on L=64 pairs, with its own numbers of points and optimiser. The logistic "
    "regression is not scale-invariant and often stops at its 100-iteration limit (the reference's setting; "
    "sklearn's ConvergenceWarnings are silenced here).",
    "Data: dSprites rendered by zoo.data (squares and ellipses pixel-exact against real frames, hearts ~0.986 IoU), "
    "not DeepMind's file.",
    "Models: the zoo's (disentanglement_lib's convolutional networks, trained here for the steps in each model card), "
    "not the paper's networks or training lengths.",
    "Every row is scored on the same factor pairs for a given seed (the sampling does not depend on the "
    "representation), so rows differ by their codes only; the seconds column is each row's cost on those pairs.",
    "ours = mean ± sample std over the evaluation seeds (PCA/ICA refit and the untrained VAE re-initialised per "
    "seed); the paper's ± is over its own runs. An ordering 'a > b' needs the means apart by more than the two "
    "stds together, otherwise 'a ~ b'.",
]


# ----------------------------------------------------------------------------- output

def table_rows(results: list[dict]) -> list[list]:
    return [[r["label"], _betavae.pm(r["paper_mean"], r["paper_std"]), _betavae.ours_text(r), len(r["scores"]),
             f"{r['seconds']:.0f}", r["note"]] for r in results]


HEADER = ["row", "paper (%)", "ours (%)", "n", "seconds", "note"]


def ordering_lines(ordering: dict, results: list[dict]) -> list[str]:
    labels = {r["key"]: r["label"] for r in results}
    notes = {r["key"]: r["note"] for r in results}
    lines = [f"paper, all its rows: {ordering['paper_chain_all_rows']}",
             f"paper, rows we scored: {ordering['paper_chain']}",
             f"ours,  same rows:      {ordering['our_chain']}",
             f"pairs: {ordering['agree']} agree, {ordering['disagree']} do not "
             f"(of {len(ordering['pairs'])}; "
             + "; ".join(f"{kind}: {c['agree']} of {c['pairs']} agree" for kind, c in ordering["by_kind"].items())
             + ")"]
    for p in ordering["pairs"]:
        if p["verdict"] != "agree":
            a, b = labels[p["a"]], labels[p["b"]]
            lines.append(f"  {a} vs {b}: paper '{a} {p['paper']} {b}', ours '{a} {p['ours']} {b}' ({p['verdict']}). "
                         f"{a}: {notes[p['a']]}; {b}: {notes[p['b']]}.")
    agreeing = [f"{labels[p['a']]} {p['paper']} {labels[p['b']]}" for p in ordering["pairs"] if p["verdict"] == "agree"]
    if agreeing:
        lines.append("  agreeing: " + "; ".join(agreeing))
    return lines


def markdown(report: dict) -> str:
    """The table and the ordering check as Markdown (for out/bench/README.md)."""
    s = report["sizes"]
    lines = [f"BetaVAE score on {report['dataset']}, {s['num_train']} training / {s['num_eval']} evaluation points, "
             f"L={s['batch_size']} pairs, seeds {', '.join(map(str, s['seeds']))}"
             + (" (quick sizes)" if report["quick"] else "") + ".", "",
             _report.markdown_table(HEADER, table_rows(report["rows"])), "",
             "Ordering:", ""]
    lines += [f"- {line.strip()}" for line in ordering_lines(report["ordering"], report["rows"])]
    lines += ["", "Why the numbers can differ:", ""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(lines)


def draw(results: list[dict], path, title: str) -> Path:
    shown = [r for r in results if r["paper_mean"] is not None or r["mean"] is not None]
    return _plots.bar_chart(
        path, title, [r["label"] for r in shown],
        [("paper (Higgins et al. 2017)", [r["paper_mean"] for r in shown], [r["paper_std"] for r in shown]),
         ("ours", [r["mean"] for r in shown], [r["std"] for r in shown], [r["status"] for r in shown])],
        xlabel="BetaVAE score, accuracy %")


def run(quick: bool, out: Path, *, dataset: str = "dsprites", runs_dirs=(), rows=None, **overrides) -> dict:
    """Scores the table's rows, prints it and the ordering check, writes `betavae_table.{csv,png}` into `out`.

    Args:
      quick: the `QUICK` sizes, else `FULL`.
      out: the folder for the CSV and the plot.
      dataset: the dataset to score on.
      runs_dirs: folders of training runs; each run's latest checkpoint becomes a row.
      rows: keep only these row keys (a smoke run).
      **overrides: sizes (`num_train`, `num_eval`, `batch_size`, `fit_images`, `seeds`); None keeps the default.
    """
    from sklearn.exceptions import ConvergenceWarning

    # The reference's classifier is LogisticRegression() with its default 100 lbfgs iterations; on
    # unscaled features it often stops there, as it did in the study. Not news in every row.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    sizes = dict(QUICK if quick else FULL)
    sizes.update({k: v for k, v in overrides.items() if v is not None})
    sizes["seeds"] = [int(s) for s in sizes["seeds"]]
    paper = _betavae.paper_table()
    machine, versions = _report.machine(), _report.versions()
    print(f"Higgins et al. 2017 Table 1 vs ours ({'quick' if quick else 'full'} sizes)")
    print(_report.describe(machine, versions))
    print(f"sizes: {sizes['num_train']} training / {sizes['num_eval']} evaluation points of L={sizes['batch_size']} "
          f"pairs each ({(sizes['num_train'] + sizes['num_eval']) * sizes['batch_size'] * 2:,} images per score); "
          f"evaluation seeds {sizes['seeds']}; PCA/ICA fit on {sizes['fit_images']} images "
          "(the study: 10,000 / 5,000 points)", flush=True)
    data = zoo.data.load(dataset)
    oracle = reps.FactorOracle(data)
    chosen = _betavae.build_rows(data, oracle, seeds=sizes["seeds"], fit_images=sizes["fit_images"],
                                 runs_dirs=runs_dirs, only=rows)
    start = time.perf_counter()
    results = _betavae.score_rows(oracle, chosen, num_train=sizes["num_train"], num_eval=sizes["num_eval"],
                                  batch_size=sizes["batch_size"], paper=paper, log=lambda s: print(s, flush=True))
    report = {
        "benchmark": "Higgins et al. 2017 Table 1: BetaVAE score on dSprites, paper vs ours",
        "source": paper["source"], "dataset": dataset, "quick": quick, "sizes": sizes,
        "rows": results, "ordering": _betavae.ordering_report(results), "notes": GENERAL_NOTES,
        "machine": machine, "versions": versions, "seconds": round(time.perf_counter() - start, 1),
    }
    print_report(report)
    write_files(report, Path(out))
    return report


def print_report(report: dict) -> None:
    """The table, each row's note, the ordering check and the caveats, on the console."""
    results = report["rows"]
    print()
    print(_report.text_table(HEADER[:-1], [r[:-1] for r in table_rows(results)]))
    print()
    for r in results:
        print(f"  {r['label']}: {r['note']}")
    print()
    print("\n".join(ordering_lines(report["ordering"], results)))
    print("\nWhy the numbers can differ:")
    print("\n".join(f"  - {n}" for n in report["notes"]))


def write_files(report: dict, out: Path) -> None:
    """`betavae_table.csv` (one line per row) and `betavae_table.png` (paper vs ours) in `out`."""
    results = report["rows"]
    _report.write_csv(out / "betavae_table.csv",
                      ["key", "row", "paper_mean", "paper_std", "ours_mean", "ours_std", "n", "scores", "seeds",
                       "seconds", "status", "note"],
                      [[r["key"], r["label"], r["paper_mean"], r["paper_std"], r["mean"], r["std"], len(r["scores"]),
                        ";".join(f"{v:.2f}" for v in r["scores"]), ";".join(map(str, r["seeds"])), r["seconds"],
                        r["status"], r["note"]] for r in results])
    draw(results, out / "betavae_table.png", f"BetaVAE score on {report['dataset']}: Higgins et al. 2017 vs ours"
         + (" (quick sizes)" if report["quick"] else ""))
    print(f"\nwrote {out}/betavae_table.csv, .png ({report['seconds']:.0f} s)")


def main(argv):
    _report.no_arguments(argv)
    if FLAGS.seeds is not None and len(FLAGS.seeds) < 1:
        raise app.UsageError("--seeds needs at least one seed")
    _report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=FLAGS.out_dir, json_path=FLAGS.out,
                         dataset=FLAGS.dataset, runs_dirs=FLAGS.runs_dir, rows=FLAGS.rows, num_train=FLAGS.num_train,
                         num_eval=FLAGS.num_eval, batch_size=FLAGS.batch_size, fit_images=FLAGS.fit_images,
                         seeds=FLAGS.seeds)
    return 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "quick", "out_dir", "out", "dataset", "runs_dir", "rows", "num_train", "num_eval",
                   "batch_size", "fit_images", "seeds")
