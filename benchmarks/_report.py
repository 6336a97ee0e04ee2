"""What every benchmark prints and writes: the machine, library versions, JSON, CSV and Markdown.

Every benchmark module offers the same two functions, so that a runner is a loop:

    run(quick: bool, out: Path, **options) -> dict   # runs; writes its other files (CSV, PNG) under out
    markdown(result: dict) -> str                    # the result as Markdown (tables, verdicts)

plus `NAME` (its result is `<out>/<NAME>.json`) and `TITLE`. `run_and_save` runs one and writes
its result with its Markdown, which `benchmarks.run_all` puts into out/bench/README.md.
"""

from __future__ import annotations

import csv
import io
import math
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from absl import app

from zoo import files

LIBRARIES = ("numpy", "scipy", "scikit-learn", "tensorflow", "keras", "tensorflow-probability", "pillow", "tqdm")


def bfloat16_units() -> list[str]:
    """The CPU's bfloat16 matrix units (/proc/cpuinfo flags `amx_bf16`, `avx512_bf16`); empty where
    it has none, and bfloat16 compute is emulated in float32 (slower than float32 itself)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return [f for f in ("amx_bf16", "amx_tile", "avx512_bf16") if f in flags]


def machine() -> dict:
    """CPU model (from /proc/cpuinfo), logical cores, memory (from /proc/meminfo), OS, load."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 2**20, 1)
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "logical_cores": os.cpu_count(), "usable_cores": usable, "memory_gib": memory_gib,
            "bfloat16_units": bfloat16_units(), "platform": platform.platform(),
            "load_average_1min": round(os.getloadavg()[0], 2)}


def versions() -> dict:
    """Python, the installed libraries that set the numbers, and the repository's commit."""
    out = {"python": sys.version.split()[0]}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                timeout=10, cwd=Path(__file__).resolve().parent).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10, cwd=Path(__file__).resolve().parent).stdout.strip()
        out["zoo_commit"] = (commit + ("+dirty" if dirty else "")) or None
    except (OSError, subprocess.SubprocessError):
        out["zoo_commit"] = None
    return out


def describe(machine_info: dict, version_info: dict) -> str:
    """One line each for the machine and the versions."""
    m = machine_info
    libs = ", ".join(f"{k} {v}" for k, v in version_info.items() if v)
    return (f"machine: {m['cpu']}, {m['usable_cores']} of {m['logical_cores']} cores usable, "
            f"{m['memory_gib']} GiB, load {m['load_average_1min']}\nversions: {libs}")


def _clean(value):
    """JSON has no NaN: write null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def write_json(path, obj) -> Path:
    """JSON with NaN written as null, atomically."""
    return files.write_json(path, _clean(obj))


def no_arguments(argv) -> None:
    """A benchmark takes flags only."""
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")


def run_and_save(module, *, quick: bool, out, json_path=None, **options) -> dict:
    """`module.run(quick, out, **options)`, its result written with its Markdown to `json_path`
    (default `<out>/<module.NAME>.json`); returns the result."""
    out = Path(out)
    result = module.run(quick, out, **options)
    result = {**result, "markdown": module.markdown(result)}
    path = Path(json_path) if json_path else out / f"{module.NAME}.json"
    write_json(path, result)
    print(f"wrote {path}")
    return result


def write_csv(path, header: list[str], rows: list[list]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in row])
    return files.write_text(path, buffer.getvalue())


def markdown_table(header: list[str], rows: list[list], align: str | None = None) -> str:
    """A GitHub Markdown table; `align` is one of 'l'/'r' per column (default: first left, rest right)."""
    align = align or "l" + "r" * (len(header) - 1)
    cells = [[str(c).replace("|", "\\|") for c in row] for row in rows]
    lines = ["| " + " | ".join(str(h).replace("|", "\\|") for h in header) + " |",
             "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def text_table(header: list[str], rows: list[list], align: str | None = None) -> str:
    """A fixed-width text table for the console."""
    align = align or "l" + "r" * (len(header) - 1)
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h)) for i, h in enumerate(header)]

    def line(row):
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align)).rstrip()
    return "\n".join([line([str(h) for h in header]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells])
