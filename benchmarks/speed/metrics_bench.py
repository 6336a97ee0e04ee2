"""The metric suite's time, ours vs the reference (disentanglement_lib 1.5), on the same arrays.

    .venv/bin/python -m benchmarks.speed.metrics_bench [--quick] [--no-reference] [--out out/bench/metrics.json]
    .venv/bin/python -m benchmarks.speed.metrics_bench --dci_only [--quick] [--out out/bench/metrics_dci.json]

Arrays: `benchmarks/speed/_synthetic.py`, factors drawn uniformly from dSprites' grid (sizes 3, 6,
40, 32, 32) and a fixed 10-dimensional partly disentangled code; 10,000 train / 5,000 test points
(`--quick`: 1,000 / 500). Every array score runs on these arrays; BetaVAE and FactorVAE run on the
same synthetic dataset and encoder with num_train / num_eval = the train / test sizes (the
study's 10,000 / 5,000), batch 64, FactorVAE's variances from 10,000 points.

Timed, one after another (the machine has 2 cores): each of our functions (DCI with both
backends; the other functions have no backend, so their one time stands in both the "fast" and
the "exact" suite), and the reference's public `compute_*` functions with the study's gin
settings in a child process (benchmarks/references/dlib_reference.py installs it into ~/.cache/zoo; skipped
with the reason if pip cannot). The reference's DCI is left as it is (unseeded trees). Reported: seconds,
the reference/ours ratio, the scores side by side, and the "fast" suite total against the 60 s
target and the "exact" suite total against the reference. Writes `--out` (JSON, with a Markdown
table that `benchmarks.run_all` puts into out/bench/README.md).

`--dci_only`: exact DCI only, its two implementations on the same arrays and seed, one after
another with the default threads (one per core): scikit-learn's `GradientBoostingClassifier`
(backend "sklearn") and its presorted port (backend "exact", `zoo/metrics/_boosting/presorted/`,
compiled before the clock starts). Reported: seconds, the ratio, and whether the importance
matrices, accuracies and scores are equal (`==`, and the largest absolute difference).
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from absl import flags

import zoo.metrics
from benchmarks import _report
from benchmarks.references import dlib_reference
from benchmarks.speed._synthetic import FACTOR_SIZES, SyntheticDSprites, arrays, representation

NAME = "metrics"
TITLE = "Metric suite speed"
FLAGS = flags.FLAGS
SUITE_TARGET_S = 60.0

# name -> (our call, reference task, {our key: reference key})
METRICS = {
    "mig": ("mig", {"mig": "discrete_mig"}),
    "sap": ("sap", {"sap": "SAP_score"}),
    "modularity_explicitness": ("modularity_explicitness", {
        "modularity": "modularity_score", "explicitness_train": "explicitness_score_train",
        "explicitness_test": "explicitness_score_test"}),
    "irs": ("irs", {"irs": "IRS"}),
    "unsupervised": ("unsupervised", {k: k for k in (
        "gaussian_total_correlation", "gaussian_wasserstein_correlation",
        "gaussian_wasserstein_correlation_norm", "mutual_info_score")}),
    "dci": ("dci", {k: k for k in ("disentanglement", "completeness", "informativeness_train", "informativeness_test")}),
    "beta_vae_score": ("beta_vae", {"train_accuracy": "train_accuracy", "eval_accuracy": "eval_accuracy"}),
    # num_active_dims is left out of the comparison: the reference reports the total number of
    # dimensions there (see zoo.metrics.factor_vae_score); both are in the JSON.
    "factor_vae_score": ("factor_vae", {"train_accuracy": "train_accuracy", "eval_accuracy": "eval_accuracy"}),
}


def _import_sklearn():
    """Imports what the metrics use, so that no timing includes scikit-learn's import (seconds)."""
    import sklearn.ensemble  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import sklearn.svm  # noqa: F401


def run_ours(split, num_train, num_test, seed=0) -> dict:
    """`{label: (scores, seconds)}`, labels "dci[fast]" and "dci[exact]" for the two backends.

    The DCI times include starting the worker processes, as a user's first call would.
    """
    _import_sklearn()
    codes_train, factors_train, codes_test, factors_test = split
    data = SyntheticDSprites()
    calls = {
        "mig": lambda: zoo.metrics.mig(codes_train, factors_train),
        "sap": lambda: zoo.metrics.sap(*split),
        "modularity_explicitness": lambda: zoo.metrics.modularity_explicitness(*split),
        "irs": lambda: zoo.metrics.irs(codes_train, factors_train),
        "unsupervised": lambda: zoo.metrics.unsupervised(codes_train),
        "dci[fast]": lambda: zoo.metrics.dci(*split, backend="fast"),
        "dci[exact]": lambda: zoo.metrics.dci(*split, backend="exact"),
        "beta_vae_score": lambda: zoo.metrics.beta_vae_score(data, representation, seed=seed, num_train=num_train,
                                                             num_eval=num_test),
        "factor_vae_score": lambda: zoo.metrics.factor_vae_score(data, representation, seed=seed, num_train=num_train,
                                                                 num_eval=num_test),
    }
    out = {}
    for label, call in calls.items():
        start = time.perf_counter()
        scores = call()
        out[label] = (scores, time.perf_counter() - start)
        print(f"  ours {label:26s} {out[label][1]:8.2f} s", flush=True)
    return out


def run_reference(split, num_train, num_test, seed=0):
    """`({name: (scores, seconds)}, reason)`; empty with the reason when the reference is unavailable."""
    site, reason = dlib_reference.ensure_installed()
    if site is None:
        return {}, reason
    with tempfile.TemporaryDirectory(prefix="zoo_metrics_bench_") as tmp:
        path = Path(tmp) / "arrays.npz"
        np.savez(path, codes_train=split[0], factors_train=split[1], codes_test=split[2], factors_test=split[3])
        tasks, names = [], []
        for name, (task_metric, _) in METRICS.items():
            if name in ("beta_vae_score", "factor_vae_score"):
                task = {"metric": task_metric, "data": "benchmarks.speed._synthetic:SyntheticDSprites",
                        "representation": "benchmarks.speed._synthetic:representation", "seed": seed,
                        "batch_size": 64, "num_train": num_train, "num_eval": num_test,
                        "num_variance_estimate": 10_000}
            else:
                task = {"metric": task_metric, "arrays": str(path)}
            tasks.append(task)
            names.append(name)
        print(f"  reference: {len(tasks)} tasks in a child process ...", flush=True)
        results = dlib_reference.run(tasks, site, timeout=3600)
    out = {}
    for name, result in zip(names, results):
        out[name] = (result["scores"], result["seconds"])
        print(f"  reference {name:26s} {result['seconds']:8.2f} s", flush=True)
    return out, ""


def run_dci_exact(split, seed=0) -> dict:
    """Times exact DCI's two implementations on `split`; returns seconds, scores and their differences."""
    from zoo.metrics import dci_completeness, dci_disentanglement, fit_dci_classifiers

    _import_sklearn()
    rng = np.random.default_rng(0)  # compile (or load the compiled code) before timing
    warm_codes, warm_factors = rng.standard_normal((30, 2)), np.stack([np.arange(30) % 3, np.arange(30) % 2], axis=1)
    fit_dci_classifiers(warm_codes, warm_factors, warm_codes, warm_factors, backend="exact", n_jobs=1, seed=0)
    out = {}
    for backend in ("sklearn", "exact"):
        start = time.perf_counter()
        importance, accuracy_train, accuracy_test = fit_dci_classifiers(*split, backend=backend, n_jobs=None,
                                                                        seed=seed)
        seconds = time.perf_counter() - start
        scores = {"disentanglement": dci_disentanglement(importance), "completeness": dci_completeness(importance),
                  "informativeness_train": float(np.mean(accuracy_train)),
                  "informativeness_test": float(np.mean(accuracy_test))}
        out[backend] = {"seconds": seconds, "scores": scores, "importance": importance.tolist(),
                        "accuracy_train": accuracy_train.tolist(), "accuracy_test": accuracy_test.tolist()}
        print(f"  dci[{backend}] {seconds:8.2f} s  {scores}", flush=True)
    reference, ours = out["sklearn"], out["exact"]
    differences = {key: float(np.max(np.abs(np.subtract(ours[key], reference[key]))))
                   for key in ("importance", "accuracy_train", "accuracy_test")}
    differences.update({key: abs(ours["scores"][key] - reference["scores"][key]) for key in ours["scores"]})
    return {"backends": out, "speedup": reference["seconds"] / ours["seconds"],
            "equal": all(v == 0.0 for v in differences.values()), "max_abs_difference": differences}


def run(quick: bool, out: Path, *, reference: bool = True, dci_only: bool = False) -> dict:
    """Times our metrics and (with `reference`) disentanglement_lib's on the same arrays; prints the table.

    Args:
      quick: 1,000 / 500 points, else the study's 10,000 / 5,000.
      out: unused (the result is all this benchmark writes).
      reference: also time the reference (a child process; skipped with the reason if not installable).
    """
    warnings.filterwarnings("ignore", module="sklearn")
    num_train, num_test = (1_000, 500) if quick else (10_000, 5_000)
    machine, versions = _report.machine(), _report.versions()
    print(_report.describe(machine, versions))
    print(f"arrays: {num_train} train / {num_test} test, D=10, factor sizes {FACTOR_SIZES}")
    split = arrays(num_train, num_test)
    started = time.perf_counter()
    if dci_only:
        result = {"benchmark": "metrics_bench", "dci_only": True, "quick": quick, "num_train": num_train,
                  "num_test": num_test, "machine": machine, "versions": versions, **run_dci_exact(split)}
        print(f"exact DCI: scikit-learn {result['backends']['sklearn']['seconds']:.1f} s, presorted "
              f"{result['backends']['exact']['seconds']:.1f} s ({result['speedup']:.1f}x); equal: {result['equal']} "
              f"(largest |difference| {max(result['max_abs_difference'].values()):.1e})")
        return result
    ours = run_ours(split, num_train, num_test)
    theirs, reason = run_reference(split, num_train, num_test) if reference else ({}, "--no-reference")
    if reason:
        print(f"  reference skipped: {reason}")

    records = []
    for name, (_, keys) in METRICS.items():
        for label in (["dci[fast]", "dci[exact]"] if name == "dci" else [name]):
            scores, seconds = ours[label]
            ref_scores, ref_seconds = theirs.get(name, (None, None))
            records.append({"metric": label, "seconds": seconds, "reference_seconds": ref_seconds,
                            "speedup": ref_seconds / seconds if ref_seconds else None,
                            "scores": scores, "reference_scores": ref_scores,
                            "abs_difference": ({k: abs(scores[k] - ref_scores[v]) for k, v in keys.items()}
                                               if ref_scores else None)})

    def total(backend):
        return sum(s for label, (_, s) in ours.items() if label != f"dci[{'exact' if backend == 'fast' else 'fast'}]")

    fast_total, exact_total = total("fast"), total("exact")
    ref_total = sum(s for _, s in theirs.values()) if theirs else None
    fast_dci, exact_dci = ours["dci[fast]"][0], ours["dci[exact]"][0]
    fast_vs_exact = {k: abs(fast_dci[k] - exact_dci[k]) for k in fast_dci}
    verdicts = [
        f"fast suite {fast_total:.1f} s (target < {SUITE_TARGET_S:.0f} s at 10,000/5,000 points): "
        + ("met" if fast_total < SUITE_TARGET_S else "NOT met") + (" [quick sizes]" if quick else ""),
        "exact suite vs reference: " + ("-" if ref_total is None else
                                        f"{exact_total:.1f} s vs {ref_total:.1f} s, "
                                        + ("no slower" if exact_total <= ref_total else "SLOWER")),
        "dci fast vs exact: " + ", ".join(f"|d {k}| = {v:.4f}" for k, v in fast_vs_exact.items())
        + " (target < 0.03 on disentanglement and completeness at 10,000 train points; with fewer points the"
        " boosted trees fit mostly noise and the 255 bins matter more)"
        + f"; speed {ours['dci[exact]'][1] / ours['dci[fast]'][1]:.1f}x",
    ]
    result = {
        "benchmark": "metrics_bench", "quick": quick, "num_train": num_train, "num_test": num_test,
        "machine": machine, "versions": versions, "reference_skipped": reason or None,
        "results": records, "suite_seconds": {"fast": fast_total, "exact": exact_total, "reference": ref_total},
        "dci_fast_vs_exact_abs_difference": fast_vs_exact, "verdicts": verdicts}
    print()
    print(_report.text_table(*table(result)))
    for line in verdicts:
        print(line)
    print(f"benchmark wall time {time.perf_counter() - started:.0f} s")
    return result


def table(result: dict) -> tuple[list[str], list[list]]:
    """`(header, rows)`: one row per timed function, then the two suites' totals."""
    rows = []
    for record in result["results"]:
        first_key = next(iter(METRICS[record["metric"].split("[")[0]][1]))
        ref_key = METRICS[record["metric"].split("[")[0]][1][first_key]
        seconds, ref_seconds, ref_scores = record["seconds"], record["reference_seconds"], record["reference_scores"]
        rows.append([record["metric"], f"{seconds:.2f}", "-" if ref_seconds is None else f"{ref_seconds:.2f}",
                     "-" if ref_seconds is None else f"{ref_seconds / seconds:.1f}x",
                     f"{first_key} {record['scores'][first_key]:.4f}",
                     "-" if not ref_scores else f"{ref_scores[ref_key]:.4f}",
                     "-" if not ref_scores else f"{max(record['abs_difference'].values()):.1e}"])
    totals = result["suite_seconds"]
    for backend in ("fast", "exact"):
        rows.append([f"suite, dci {backend}", f"{totals[backend]:.1f}",
                     "-" if totals["reference"] is None else f"{totals['reference']:.1f}",
                     "-" if totals["reference"] is None else f"{totals['reference'] / totals[backend]:.1f}x",
                     "", "", ""])
    return ["metric", "ours s", "reference s", "speedup", "score (ours)", "reference", "max |diff|"], rows


def markdown(result: dict) -> str:
    m = result["machine"]
    if result.get("dci_only"):
        b = result["backends"]
        return (f"Exact DCI, {result['num_train']:,} train / {result['num_test']:,} test points on {m['cpu']} "
                f"({m['usable_cores']} cores, load {m['load_average_1min']}): scikit-learn "
                f"{b['sklearn']['seconds']:.1f} s, presorted port {b['exact']['seconds']:.1f} s "
                f"({result['speedup']:.1f}x); importances, accuracies and scores equal: {result['equal']} "
                f"(largest |difference| {max(result['max_abs_difference'].values()):.1e}).")
    return "\n\n".join([
        f"{result['num_train']:,} train / {result['num_test']:,} test points, D=10, dSprites factor sizes; seconds on "
        f"{m['cpu']} ({m['usable_cores']} cores, load {m['load_average_1min']}).",
        _report.markdown_table(*table(result)), "\n".join(f"- {line}" for line in result["verdicts"])])


def main(argv):
    _report.no_arguments(argv)
    _report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=FLAGS.out_dir,
                         json_path=FLAGS.out or (str(Path(FLAGS.out_dir) / "metrics_dci.json") if FLAGS.dci_only else None),
                         reference=not FLAGS["no-reference"].value, dci_only=FLAGS.dci_only)
    return 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "quick", "out_dir", "out", "no-reference", "dci_only")
