"""Data-layer benchmark: images/s through the training pipeline, peak memory, fidelity to real frames.

    .venv/bin/python -m benchmarks.speed.data_bench [--quick] [--reference FRAMES.npz]

Prints, and writes to `out/bench/data.json`:
- images/s of `as_tf_dataset` (batch 64, float32 64x64 frames) for dSprites and its variants,
  the median of several timed repeats with min and max, after a warm-up;
- pairs/s of `zoo.data.pairs.as_pair_dataset` (the weakly supervised models' data, k = rnd),
  and its images per CPU-second over single images' in alternating repeats (dSprites only with
  --quick);
- images/s of the bare numpy renderer (no tf.data);
- for both, images per CPU-second as well (process CPU time, all threads): on a shared machine
  the wall-clock rate depends on the neighbours' load, the CPU cost per image does not;
- peak memory: the process's peak resident set (getrusage; includes TensorFlow itself) and the
  peak numpy/Python allocation of rendering one pipeline call (tracemalloc);
- per-shape agreement of the rendered frames with the 320 real frames in `--reference` (by
  default `../shared/reference/dsprites_gif_frames.npz` beside the checkout; skipped, with a
  note, if the file is absent).
The target on the 2-core CI machines is >= 20,000 dSprites images/s through the pipeline.

With `--large_file` it measures instead the lazy reading of a real-size file (`large_file`): it
writes an MPI3D-layout npz of 1,036,800 x 64 x 64 x 3 uint8 (12.7 GB; `--large_file_dir`, which
needs that much free disk) once, then streams `mpi3d_toy` from it through `as_tf_dataset` in a
fresh process, reporting images/s and the process's peak resident memory:

    .venv/bin/python -m benchmarks.speed.data_bench --large_file --large_file_dir=/path/with/13GB/free
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

import zoo.data  # noqa: E402
from benchmarks import _report  # noqa: E402
from zoo.files import atomic_file  # noqa: E402

NAME = "data"
TITLE = "Data pipeline"
FLAGS = flags.FLAGS
TARGET_IMAGES_PER_S = 20_000


def _spread(values, cpu_values=None):
    spread = {"median": statistics.median(values), "min": min(values), "max": max(values), "repeats": len(values)}
    if cpu_values:
        spread["per_cpu_second_median"] = statistics.median(cpu_values)
    return spread


def _timed(step, count):
    """(wall, process CPU) seconds of `count` calls of `step`; CPU time sums all threads."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        step()
    return time.perf_counter() - wall, time.process_time() - cpu


def _stream_rates(iterator, *, batch_size: int, batches: int, repeats: int) -> dict:
    """Images/s (wall and per CPU-second) over `repeats` runs of `batches` batches of `iterator`."""
    rates, cpu_rates = [], []
    for _ in range(repeats):
        wall, cpu = _timed(lambda: next(iterator), batches)
        rates.append(batches * batch_size / wall)
        cpu_rates.append(batches * batch_size / cpu)
    return _spread(rates, cpu_rates)


def pipeline_throughput(name: str, *, batch_size: int = 64, batches: int = 200, repeats: int = 5) -> dict:
    """Images/s pulled through `as_tf_dataset`, per repeat of `batches` batches."""
    data = zoo.data.load(name)
    iterator = iter(data.as_tf_dataset(batch_size, seed=0))
    for _ in range(20):  # warm-up: graph tracing, buffers filled
        next(iterator)
    return _stream_rates(iterator, batch_size=batch_size, batches=batches, repeats=repeats)


def pair_pipeline_throughput(name: str, *, batch_size: int = 64, batches: int = 200, repeats: int = 5) -> dict:
    """Pairs/s through `zoo.data.pairs.as_pair_dataset` (k = rnd), beside single images in the same process.

    The weakly supervised models (Ada-GVAE, Ada-ML-VAE) train on pairs; a pair is two images. The two
    pipelines are timed in alternating repeats (singles, pairs, singles, ...), each after a pause in
    which the other's producers fill their bounded buffers and go idle, so that a window's CPU time is
    its own pipeline's. `cost_ratio` is the median images per CPU-second of the pairs' pipeline (two
    per pair) over that of single images: 1 when a pair costs what two single images cost. The
    wall-clock ratio is given too; on a loaded machine it follows the neighbours more than the code.
    """
    from zoo.data import pairs

    data = zoo.data.load(name)
    singles = iter(data.as_tf_dataset(batch_size, seed=0))
    doubles = iter(pairs.as_pair_dataset(data, batch_size, seed=0, k=pairs.RANDOM_K))
    for _ in range(20):  # warm-up: graph tracing, buffers filled
        next(singles), next(doubles)
    single, double = {"wall": [], "cpu": []}, {"wall": [], "cpu": []}
    for _ in range(repeats):
        for iterator, rates, images_per_element in ((singles, single, 1), (doubles, double, 2)):
            time.sleep(0.5)
            wall, cpu = _timed(lambda: next(iterator), batches)
            rates["wall"].append(batches * batch_size * images_per_element / wall)
            rates["cpu"].append(batches * batch_size * images_per_element / cpu)
    return {"pairs_per_s": _spread([r / 2 for r in double["wall"]], [r / 2 for r in double["cpu"]]),
            "pair_images_per_s": _spread(double["wall"], double["cpu"]),
            "single_images_per_s": _spread(single["wall"], single["cpu"]),
            "cost_ratio": statistics.median(double["cpu"]) / statistics.median(single["cpu"]),
            "wall_ratio": statistics.median(double["wall"]) / statistics.median(single["wall"])}


def render_throughput(name: str, *, chunk: int = 256, calls: int = 40, repeats: int = 5) -> dict:
    """Images/s of `sample` alone (numpy, one thread), in pipeline-sized calls."""
    data = zoo.data.load(name)
    data.sample(chunk, 0)
    rates, cpu_rates = [], []
    for r in range(repeats):
        seeds = iter(range(calls))
        wall, cpu = _timed(lambda: data.sample(chunk, np.random.default_rng([r, next(seeds)])), calls)
        rates.append(calls * chunk / wall)
        cpu_rates.append(calls * chunk / cpu)
    return _spread(rates, cpu_rates)


def render_peak_bytes(name: str, chunk: int = 256) -> int:
    """Peak bytes allocated (tracemalloc) while rendering one pipeline call of `chunk` images."""
    data = zoo.data.load(name)
    data.sample(chunk, 0)
    tracemalloc.start()
    data.sample(chunk, 1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def fidelity(path: Path | None) -> dict:
    """Per-shape agreement of the renderer with real dSprites frames (an npz of `images`, `factor_classes`)."""
    if path is None or not Path(path).exists():
        return {"skipped": f"reference frames not found at {path}"}
    reference = np.load(path)
    real, factors = reference["images"].astype(bool), reference["factor_classes"]
    ours = zoo.data.load("dsprites").sprites(factors).astype(bool)
    mismatched = (ours != real).sum(axis=(1, 2))
    iou = (ours & real).sum(axis=(1, 2)) / np.maximum((ours | real).sum(axis=(1, 2)), 1)
    result = {}
    for shape, shape_name in enumerate(("square", "ellipse", "heart")):
        k = factors[:, 0] == shape
        result[shape_name] = {"frames": int(k.sum()), "pixel_exact": int((mismatched[k] == 0).sum()),
                              "mismatched_px_per_frame": float(mismatched[k].mean()),
                              "mean_iou": float(iou[k].mean()), "min_iou": float(iou[k].min())}
    return result


def run(quick: bool, out: Path, *, reference: Path | None = None) -> dict:
    """Times the pipeline and the renderer, measures memory and fidelity; prints the report.

    Args:
      quick: fewer, shorter repeats, the pipeline of two of the four variants and the pairs of one.
      out: unused (the result is all this benchmark writes).
      reference: the real frames for the fidelity check (skipped when absent).
    """
    names = ["dsprites", "color_dsprites", "noisy_dsprites", "scream_dsprites"]
    repeats, batches = (3, 60) if quick else (5, 200)
    results = {
        "machine": {"cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
                    "load_average_1min": os.getloadavg()[0], "python": platform.python_version(),
                    "numpy": np.__version__},
        "quick": quick,
        "target_images_per_s": TARGET_IMAGES_PER_S,
        "fidelity": fidelity(reference),
        "render_images_per_s": {n: render_throughput(n, repeats=repeats, calls=10 if quick else 40) for n in names},
        "render_call_peak_mib": {n: render_peak_bytes(n) / 2**20 for n in names},
        "pipeline_images_per_s": {},
        "pair_pipeline": {},
    }
    for name in names if not quick else names[:1] + names[3:]:
        results["pipeline_images_per_s"][name] = pipeline_throughput(name, batches=batches, repeats=repeats)
    for name in names if not quick else names[:1]:
        results["pair_pipeline"][name] = pair_pipeline_throughput(name, batches=batches, repeats=repeats)
    import tensorflow as tf

    results["machine"]["tensorflow"] = tf.__version__
    results["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["meets_target"] = results["pipeline_images_per_s"]["dsprites"]["median"] >= TARGET_IMAGES_PER_S
    print(report(results))
    return results


def report(results: dict) -> str:
    lines = [f"data layer benchmark ({'quick' if results['quick'] else 'full'}; {results['machine']['cpus']} CPUs, "
             f"load {results['machine']['load_average_1min']:.1f})"]
    fid = results["fidelity"]
    if "skipped" in fid:
        lines.append(f"fidelity: skipped ({fid['skipped']})")
    else:
        lines.append("fidelity to real dSprites frames:")
        for shape, r in fid.items():
            lines.append(f"  {shape:8s} {r['pixel_exact']:3d}/{r['frames']} pixel-exact, "
                         f"{r['mismatched_px_per_frame']:.2f} mismatched px/frame, IoU mean {r['mean_iou']:.4f} "
                         f"min {r['min_iou']:.4f}")
    for title, key in (("pipeline (as_tf_dataset, batch 64)", "pipeline_images_per_s"),
                       ("numpy renderer alone (one thread)", "render_images_per_s")):
        lines.append(f"{title}, images/s median [min, max]; images per CPU-second:")
        for name, r in results[key].items():
            lines.append(f"  {name:16s} {r['median']:9,.0f} [{r['min']:,.0f}, {r['max']:,.0f}]; "
                         f"{r['per_cpu_second_median']:,.0f} per CPU-s")
    if results.get("pair_pipeline"):
        lines.append("pairs (zoo.data.pairs.as_pair_dataset, k = rnd, batch 64 pairs), pairs/s median [min, max]; "
                     "images per CPU-second of pairs against single images, alternating repeats:")
        for name, r in results["pair_pipeline"].items():
            p, pair, single = r["pairs_per_s"], r["pair_images_per_s"], r["single_images_per_s"]
            lines.append(f"  {name:16s} {p['median']:9,.0f} [{p['min']:,.0f}, {p['max']:,.0f}] pairs/s; "
                         f"{pair['per_cpu_second_median']:,.0f} against {single['per_cpu_second_median']:,.0f} "
                         f"images per CPU-s: x{r['cost_ratio']:.2f} (wall clock x{r['wall_ratio']:.2f})")
    lines.append("peak memory: process RSS {:.0f} MiB (TensorFlow included); one 256-image render call "
                 "allocates at most ".format(results["peak_rss_mib"])
                 + ", ".join(f"{n} {v:.1f} MiB" for n, v in results["render_call_peak_mib"].items()))
    lines.append(f"target >= {TARGET_IMAGES_PER_S:,} dSprites images/s through the pipeline: "
                 + ("met" if results["meets_target"] else "NOT met"))
    return "\n".join(lines)


def markdown(results: dict) -> str:
    return "```\n" + report(results) + "\n```"


# --- Lazy reading of a real-size file ---------------------------------------------------------------

MPI3D_IMAGES = 1_036_800  # rows of each public MPI3D npz
_ROW_BYTES = 64 * 64 * 3


def large_file(quick: bool, out: Path, *, folder: Path | None = None, num_images: int = MPI3D_IMAGES,
               batch_size: int = 64, batches: int | None = None, repeats: int | None = None) -> dict:
    """Images/s and peak memory while training streams from an MPI3D-layout npz of `num_images` rows.

    The file (`images` uint8 `(num_images, 64, 64, 3)`, stored uncompressed as `np.savez` does,
    random pixels) is written once into `folder` (default `out`) and reused while its layout fits.
    The measurement runs in a fresh process, so its peak RSS is the pipeline's alone: TensorFlow,
    the dataset (`mpi3d_toy` for a real row count, else the same lazy reader under one factor) and
    `as_tf_dataset(batch_size)`. The file's pages are dropped from the page cache first
    (`posix_fadvise`), so the first batches read from disk; `repeats` windows of `batches` batches
    are timed after 5 warm-up batches.

    Returns: dict with the file, the images/s of each window (median, min, max), the peak RSS and
    the RSS before streaming began (MiB).
    """
    batches = batches or (100 if quick else 400)
    repeats = repeats or (3 if quick else 5)
    folder = Path(folder or out)
    folder.mkdir(parents=True, exist_ok=True)
    name = "mpi3d_toy.npz" if num_images in (MPI3D_IMAGES, 460_800) else f"mpi3d_layout_{num_images}.npz"
    path = folder / name
    start = time.perf_counter()
    generated = write_large_npz(path, num_images)
    write_s = time.perf_counter() - start
    import concurrent.futures
    import multiprocessing

    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        stream = pool.submit(_stream_measure, str(path), num_images, batch_size, batches, repeats).result()
    return {"quick": quick, "file": str(path), "file_bytes": path.stat().st_size, "num_images": num_images,
            "generated": generated, "write_seconds": write_s if generated else None, "batch_size": batch_size,
            "batches_per_window": batches, **stream,
            "machine": {"cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
                        "load_average_1min": os.getloadavg()[0], "python": platform.python_version()}}


def write_large_npz(path: Path, num_images: int, chunk_rows: int = 8192) -> bool:
    """Writes the MPI3D-layout npz at `path` unless one of that layout is there; returns whether it wrote.

    Atomic (`zoo.files.atomic_file`: temp file, then rename); refuses at once when the folder lacks the space.
    """
    import shutil
    import zipfile

    from zoo.data import files

    if path.exists():
        try:
            if files.npz_rows(path, "images", row_shape=(64, 64, 3), num_rows=num_images).num_rows == num_images:
                return False
        except files.DatasetFileError:
            pass
    needed = num_images * _ROW_BYTES + (1 << 20)
    free = shutil.disk_usage(path.parent).free
    if free < needed + (1 << 30):
        raise RuntimeError(f"{path.parent} has {free / 1e9:.1f} GB free; the {num_images:,}-image file needs "
                           f"{needed / 1e9:.1f} GB plus 1 GB to spare. Pass --large_file_dir=<a folder with room>.")
    rng = np.random.default_rng(0)
    with atomic_file(path) as target, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        with archive.open("images.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False,
                                                     "shape": (num_images, 64, 64, 3)})
            for begin in range(0, num_images, chunk_rows):
                f.write(rng.bytes(min(chunk_rows, num_images - begin) * _ROW_BYTES))
    return True


def _rss_mib() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stream_measure(path: str, num_images: int, batch_size: int, batches: int, repeats: int) -> dict:
    """In a fresh process: open the file lazily, drop it from the page cache, time the stream."""
    import tensorflow as tf

    from zoo.data import files
    from zoo.data.lookup import ImageLookup, LookupData

    if num_images in (MPI3D_IMAGES, 460_800):
        data = zoo.data.load("mpi3d_toy", path=path)
        reader = "zoo.data.load('mpi3d_toy')"
    else:
        class _Layout(LookupData):
            name = "mpi3d_layout"
            factor_names = ("row",)
            factor_sizes = (num_images,)
            factor_values = (np.arange(num_images),)
            observation_shape = (64, 64, 3)

        data = _Layout()
        data._lookup = ImageLookup(files.npz_rows(path, "images", row_shape=(64, 64, 3), num_rows=num_images),
                                   num_images, origin=path)
        reader = "LookupData over files.npz_rows (one factor: the row)"
    if hasattr(os, "posix_fadvise"):
        fd = os.open(path, os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
    iterator = iter(data.as_tf_dataset(batch_size, seed=0))
    rss_before = _rss_mib()
    for _ in range(5):
        next(iterator)
    rates = _stream_rates(iterator, batch_size=batch_size, batches=batches, repeats=repeats)
    return {"reader": reader, "images_per_s": rates, "rss_before_streaming_mib": rss_before,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "images_streamed": (5 + repeats * batches) * batch_size, "tensorflow": tf.__version__}


def large_file_markdown(result: dict) -> str:
    """The large-file figures as a Markdown table."""
    r = result["images_per_s"]
    return "\n".join([
        f"Streaming from a generated file ({result['num_images']:,} x 64 x 64 x 3 uint8, "
        f"{result['file_bytes'] / 1e9:.2f} GB, page cache dropped first; {result['reader']}; "
        f"{result['machine']['cpus']} CPUs, load {result['machine']['load_average_1min']:.1f}):",
        "",
        "| images/s, median [min, max] | per CPU-second | peak RSS | RSS before streaming | images streamed |",
        "| --- | --- | --- | --- | --- |",
        f"| {r['median']:,.0f} [{r['min']:,.0f}, {r['max']:,.0f}] | {r['per_cpu_second_median']:,.0f} | "
        f"{result['peak_rss_mib']:,.0f} MiB | {result['rss_before_streaming_mib']:,.0f} MiB | "
        f"{result['images_streamed']:,} |",
    ])


def main(argv):
    _report.no_arguments(argv)
    if FLAGS.large_file:
        out = Path(FLAGS.out or Path(FLAGS.out_dir) / f"{NAME}.json")
        out = out.with_name(out.stem + "_large_file.json")
        results = large_file(FLAGS.quick, out.parent, folder=FLAGS.large_file_dir and Path(FLAGS.large_file_dir),
                             num_images=FLAGS.large_file_images)
        print(large_file_markdown(results))
        _report.write_json(out, results)
        print(f"wrote {out}")
        return 0
    _report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=FLAGS.out_dir, json_path=FLAGS.out,
                         reference=Path(FLAGS.reference))
    return 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "quick", "out_dir", "out", "reference", "large_file", "large_file_dir", "large_file_images")
