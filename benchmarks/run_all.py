"""Runs every benchmark in sequence and collects the results: what `make bench` and `make bench-quick` call.

    .venv/bin/python -m benchmarks.run_all [--quick] [--runs_dir runs] [--only betavae_table,...]

Runs, one after another (never in parallel: the target machines have 2 cores), each benchmark
that exists, as its own process (`python -m benchmarks.<kind>.<name> --out_dir=... [--quick]`; every
benchmark has the same interface, `run(quick, out)` and `markdown(result)`, see `_report.py`, and
`--runs_dir` goes to those whose `run` takes `runs_dirs`):

    zoo_scores        the zoo's scores as the manifest records them, and the zoo issue's targets
    card_scores       every preset's card scores recomputed at the card's settings: largest difference per score
    data_bench        images/s of the dSprites pipeline, peak memory, fidelity to real frames
    train_bench       training steps/s of every objective vs a hand-written loop (and PyTorch if present)
    metrics_bench     the metric suite's time vs the reference implementation
    evaluate_bench    every metric on factorvae-dsprites: encode once vs the original path
    inference_bench   the encoder's images/s per batch size vs a training step's
    precision         every zoo model's scores and encoding time with bfloat16 encoding against float32
    betavae_table     Higgins et al. 2017 Table 1 vs ours, with the ordering checked
    metric_agreement  Locatello et al. 2019's metric rank correlations vs ours
    population        the lecture's claims on the trained population (figures from docs/bench/population.json)
    weak_supervision  Ada-GVAE and Ada-ML-VAE against the unsupervised presets and population (from the manifest)

It prints the machine (CPU model, cores, memory) and library versions, streams each benchmark's
output (also kept in `out/bench/logs/<name>.log`), then writes `out/bench/summary.json` (every
JSON the run wrote, with the machine, versions, and each step's exit status and seconds) and
`out/bench/README.md` (the tables as Markdown, the plots linked; `--publish docs/bench` copies it
and the plots where git tracks them, since out/ is ignored). A failed step does not stop the
others; the exit status is non-zero if any failed. `--quick` aims at 10 minutes on 2 idle cores and
says how long it took, against that budget. It does not meet it on a 2-core AVX2 EPYC: all 11 steps
ran there in 2,396 s (2026-12-07, beside another benchmark; train_bench 453 s, evaluate_bench 443 s,
precision 421 s, metric_agreement 364 s, betavae_table 311 s).
"""

from __future__ import annotations

import datetime as _dt
import importlib
import importlib.util
import inspect
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from absl import app, flags

from benchmarks import _report
from zoo import files

ROOT = Path(__file__).resolve().parents[1]
# Each step by its name (what --only, the logs and the tables use) and its module under benchmarks/.
MODULES = {"zoo_scores": "papers.zoo_scores", "card_scores": "papers.card_scores", "data_bench": "speed.data_bench",
           "train_bench": "speed.train_bench", "metrics_bench": "speed.metrics_bench", "evaluate_bench": "speed.evaluate_bench",
           "inference_bench": "speed.inference_bench", "precision": "speed.precision_bench", "betavae_table": "papers.betavae_table",
           "metric_agreement": "papers.metric_agreement", "population": "papers.population",
           "weak_supervision": "papers.weak_supervision"}
STEPS = list(MODULES)
QUICK_BUDGET_S = 600
FLAGS = flags.FLAGS


def present(name: str) -> bool:
    return importlib.util.find_spec(module_name(name)) is not None


def module_name(name: str) -> str:
    """The dotted module of step `name`: `benchmarks.<kind>.<name>`."""
    return f"benchmarks.{MODULES[name]}"


def benchmark(name: str):
    """The module of step `name` (a library import: it defines no flags)."""
    return importlib.import_module(module_name(name))


def command(name: str, *, quick: bool, out_dir: Path, runs_dirs=(), agreement_dataset: str | None = None) -> list[str]:
    """The command line of one step: every benchmark takes `--out_dir` and `--quick`."""
    cmd = [sys.executable, "-m", module_name(name), "--out_dir", str(out_dir)] + (["--quick"] if quick else [])
    if "runs_dirs" in inspect.signature(benchmark(name).run).parameters:
        for folder in runs_dirs:
            cmd += ["--runs_dir", str(folder)]
    if name == "metric_agreement" and agreement_dataset:
        cmd += ["--dataset", agreement_dataset]
    return cmd


def run_step(name: str, cmd: list[str], log_path: Path) -> dict:
    """Runs one benchmark, echoing its output and keeping it in `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
    start = time.perf_counter()
    with open(log_path, "w") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   bufsize=1)
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            log.write(line)
        returncode = process.wait()
    seconds = round(time.perf_counter() - start, 1)
    print(f"=== {name}: {'done' if returncode == 0 else f'FAILED (exit {returncode})'} in {seconds:.0f} s", flush=True)
    return {"name": name, "command": cmd[1:], "returncode": returncode, "seconds": seconds, "log": str(log_path)}


def collect(out_dir: Path, since: float) -> dict:
    """Every `*.json` under `out_dir` (summary.json aside), each marked fresh if written after `since`."""
    results = {}
    for path in sorted(out_dir.glob("*.json")):
        if path.name == "summary.json":
            continue
        try:
            content = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            content = {"unreadable": f"{type(e).__name__}: {e}"}
        results[path.stem] = {"file": path.name, "fresh": path.stat().st_mtime >= since, "content": content}
    return results


def _console_tail(log: str, lines: int = 60) -> str:
    """The end of a step's output, without progress-bar redraws or TensorFlow's start-up chatter."""
    try:
        text = Path(log).read_text(errors="replace")
    except OSError:
        return ""
    kept = [line.split("\r")[-1] for line in text.splitlines()]
    noise = ("cuda", "absl::", "oneDNN", "cpu_feature_guard", "TF-TRT", "computation placer", "WARNING: All log")
    kept = [line for line in kept if line.strip() and not any(n in line for n in noise)]
    return "\n".join(kept[-lines:])


def result_of(name: str, results: dict) -> dict | None:
    """The collected result of step `name` (its JSON is `<benchmark.NAME>.json`), or None."""
    return results.get(benchmark(name).NAME) if present(name) else None


def title(name: str) -> str:
    return benchmark(name).TITLE if present(name) else name


def readme(summary: dict) -> str:
    """out/bench/README.md: when and where it ran, each step's status, and each benchmark's tables."""
    m, v = summary["machine"], summary["versions"]
    lines = [
        "# Benchmarks: latest run", "",
        f"{summary['finished']}, {'quick' if summary['quick'] else 'full'} mode, {summary['seconds']:.0f} s in total"
        + (f" (quick budget {QUICK_BUDGET_S} s: {'met' if summary['seconds'] <= QUICK_BUDGET_S else 'EXCEEDED'})"
           if summary["quick"] else "") + ".", "",
        f"Machine: {m['cpu']}, {m['usable_cores']} of {m['logical_cores']} cores usable, {m['memory_gib']} GiB, "
        f"load {m['load_average_1min']} at the start.  ",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val) + ".", "",
        _report.markdown_table(["step", "status", "seconds", "output"],
                               [[s["name"], "ok" if s["returncode"] == 0 else
                                 ("not present" if s["returncode"] is None else f"failed (exit {s['returncode']})"),
                                 "-" if s["seconds"] is None else f"{s['seconds']:.0f}", s.get("json") or "-"]
                                for s in summary["steps"]]),
    ]
    shown = set()
    ran = {s["name"]: s for s in summary["steps"]}
    out_dir = Path(summary["out_dir"])
    for name in STEPS:
        step, result = ran.get(name), result_of(name, summary["results"])
        if result is None and (step is None or step["returncode"] is None):
            continue
        lines += ["", f"## {title(name)}", ""]
        if result:
            shown.add(result["file"])
        if result and not result["fresh"]:
            lines += [f"*{result['file']} was not rewritten by this run: the numbers below are from an earlier run.*",
                      ""]
        content = (result or {}).get("content", {})
        if isinstance(content, dict) and content.get("markdown"):
            lines.append(content["markdown"])
        else:
            log = step["log"] if step and step["log"] else out_dir / "logs" / f"{name}.log"
            lines += ["```", _console_tail(log) or "(no output)", "```"]
        png = Path(result["file"]).with_suffix(".png").name if result else f"{name}.png"
        if (out_dir / png).is_file():
            lines += ["", f"![{title(name)}]({png})"]
    others = [k for k, r in summary["results"].items() if r["file"] not in shown]
    if others:
        lines += ["", "## Other results in this folder", ""]
        lines += [f"- `{summary['results'][k]['file']}`" + ("" if summary["results"][k]["fresh"] else " (earlier run)")
                  for k in others]
    return "\n".join(lines) + "\n"


def publish(out_dir: Path, target: Path) -> None:
    """Copies README.md and the plots to a tracked folder (out/ is not in git), so the project README can link them."""
    target = target if target.is_absolute() else ROOT / target
    target.mkdir(parents=True, exist_ok=True)
    for path in [out_dir / "README.md", *sorted(out_dir.glob("*.png"))]:
        files.write_bytes(target / path.name, path.read_bytes())
    print(f"published README.md and the plots to {target}")


def main(argv) -> int:
    _report.no_arguments(argv)
    chosen = FLAGS.only or STEPS
    unknown = sorted(set(chosen) - set(STEPS))
    if unknown:
        raise app.UsageError(f"unknown step(s) {', '.join(unknown)}; choose from {', '.join(STEPS)}")
    out_dir = Path(FLAGS.out_dir)
    out_dir = out_dir if out_dir.is_absolute() else ROOT / out_dir
    out_dir.mkdir(parents=True, exist_ok=True)

    machine, versions = _report.machine(), _report.versions()
    print(f"benchmarks, {'quick' if FLAGS.quick else 'full'} mode -> {out_dir}")
    print(_report.describe(machine, versions))
    sizes = [f"{name} {benchmark(name).QUICK}" for name in chosen if present(name) and hasattr(benchmark(name), "QUICK")]
    if FLAGS.quick and sizes:
        print("quick sizes: " + "; ".join(sizes) + "; the others: their own quick mode")
    started_wall, start = time.time(), time.perf_counter()
    steps = []
    for name in chosen:
        if not present(name):
            print(f"\n=== {name}: not present (benchmarks/{MODULES[name].replace('.', '/')}.py), skipped", flush=True)
            steps.append({"name": name, "command": None, "returncode": None, "seconds": None, "log": None})
            continue
        cmd = command(name, quick=FLAGS.quick, out_dir=out_dir, runs_dirs=FLAGS.runs_dir,
                      agreement_dataset=FLAGS.agreement_dataset)
        steps.append(run_step(name, cmd, out_dir / "logs" / f"{name}.log"))
    seconds = round(time.perf_counter() - start, 1)

    results = collect(out_dir, since=started_wall)
    for step in steps:
        result = result_of(step["name"], results)
        step["json"] = result["file"] if result else None
    summary = {
        "finished": _dt.datetime.now().astimezone().isoformat(timespec="seconds"), "quick": FLAGS.quick,
        "seconds": seconds, "machine": machine, "versions": versions, "out_dir": str(out_dir), "steps": steps,
        "results": results,
    }
    _report.write_json(out_dir / "summary.json", summary)
    files.write_text(out_dir / "README.md", readme(summary))
    if FLAGS.publish:
        publish(out_dir, Path(FLAGS.publish))

    print(f"\n=== all done in {seconds:.0f} s" + (f" (quick budget {QUICK_BUDGET_S} s: "
                                                   f"{'met' if seconds <= QUICK_BUDGET_S else 'EXCEEDED'})"
                                                   if FLAGS.quick else ""))
    print(_report.text_table(["step", "status", "seconds"],
                             [[s["name"], "not present" if s["returncode"] is None else
                               ("ok" if s["returncode"] == 0 else f"FAILED ({s['returncode']})"),
                               "-" if s["seconds"] is None else f"{s['seconds']:.0f}"] for s in steps]))
    print(_report.describe(machine, versions))
    print(f"wrote {out_dir / 'summary.json'} and {out_dir / 'README.md'}")
    return 1 if any(s["returncode"] not in (0, None) for s in steps) else 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "quick", "out_dir", "only", "runs_dir", "publish", "agreement_dataset")
