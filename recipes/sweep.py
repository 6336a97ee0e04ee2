r"""A training grid (`zoo.study`) as a list of jobs, one per `--index`.

    python -m recipes.sweep --list                       # print the jobs
    python -m recipes.sweep --index=7 --out=runs/study   # run job 7 (resumable, like recipes.train)
    python -m recipes.sweep --grid=population --parallel=2 --out=runs/population   # all, 2 at a time

So any scheduler's job array runs the study in parallel: job i of N is `--index=$TASK_ID`. The grid
is disentanglement_lib's `config/unsupervised_study_v1/sweep.py`: six values of each objective's
main hyperparameter, on every dataset in `--datasets`, for `--num_seeds` seeds (the study: 50).
"""

from __future__ import annotations

import sys
from pathlib import Path

from absl import app, flags

from recipes import _common
from zoo import study

FLAGS = flags.FLAGS


def define_flags():
    """Defines this recipe's flags (once; absl flags are global, so only the recipe being run defines them)."""
    if "list" in FLAGS:
        return
    flags.DEFINE_bool("list", False, "Print the jobs and exit.")
    flags.DEFINE_integer("index", None, "The job to run.")
    flags.DEFINE_enum("grid", "study", list(study.GRIDS), "The grid: the study of Locatello et al. 2019, or the "
                      "population of docs/bench (30 models on dSprites).")
    flags.DEFINE_string("datasets", "dsprites", "Comma list of datasets.")
    flags.DEFINE_integer("num_seeds", 1, "Seeds per setting (the study used 50).")
    flags.DEFINE_integer("steps", None, "Steps per job (default: the study's 300,000; the population's 10,000).")
    flags.DEFINE_string("out", "runs/study", "Folder holding one run folder per job.")
    flags.DEFINE_bool("progress", True, "Show a progress bar.")
    flags.DEFINE_integer("parallel", None, "Run every job (or those of --indices) as N processes side by side, "
                         "each single-threaded; a job already finished is skipped, an unfinished one resumes.")
    flags.DEFINE_string("indices", None, "With --parallel: the jobs to run, e.g. 0-17,20 (default: all).")


def _indices(text: str | None, count: int) -> list[int]:
    if not text:
        return list(range(count))
    chosen = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, _, last = part.partition("-")
        try:
            chosen += range(int(first), int(last or first) + 1)
        except ValueError:
            raise app.UsageError(f"--indices takes numbers and ranges such as 0-17,20; got {part!r}.") from None
    bad = [i for i in chosen if not 0 <= i < count]
    if bad:
        raise app.UsageError(f"--indices {bad} lie outside [0, {count - 1}].")
    return chosen


def _run_parallel(grid) -> int:
    """Runs jobs as `--parallel` child processes (`--index=i` each, one thread each when N > 1).

    Measured on 2 cores (AMD EPYC, beta-VAE, batch 64): two single-threaded processes take 3,000
    steps in 88.5 s where one two-threaded process takes 1,500 in 86.5 s (1.95x the throughput).
    Each job's output goes to `<out>/<name>.log`.
    """
    import os
    import subprocess
    import time

    if FLAGS.parallel < 1:
        raise app.UsageError(f"--parallel must be at least 1; got {FLAGS.parallel}.")
    todo = _indices(FLAGS.indices, len(grid))
    env = dict(os.environ)
    if FLAGS.parallel > 1:
        env.update(TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1", OMP_NUM_THREADS="1")
    passed = [f"--grid={FLAGS.grid}", f"--datasets={FLAGS.datasets}", f"--num_seeds={FLAGS.num_seeds}",
              f"--out={FLAGS.out}", "--noprogress"] + ([f"--steps={FLAGS.steps}"] if FLAGS.steps else [])
    Path(FLAGS.out).mkdir(parents=True, exist_ok=True)
    running, failed = {}, []
    while todo or running:
        while todo and len(running) < FLAGS.parallel:
            i = todo.pop(0)
            if (Path(FLAGS.out) / grid[i]["name"] / "preset" / "metadata.json").exists():
                print(f"job {i}: {grid[i]['name']} is finished; skipped.", flush=True)
                continue
            log = open(Path(FLAGS.out) / f"{grid[i]['name']}.log", "a")
            running[i] = (subprocess.Popen([sys.executable, "-m", "recipes.sweep", f"--index={i}", *passed],
                                           stdout=log, stderr=subprocess.STDOUT, env=env), log)
            print(f"job {i}: {grid[i]['name']} started.", flush=True)
        time.sleep(2)
        for i, (proc, log) in list(running.items()):
            if proc.poll() is not None:
                log.close()
                del running[i]
                print(f"job {i}: {grid[i]['name']} ended with exit code {proc.returncode}.", flush=True)
                if proc.returncode:
                    failed.append(i)
    if failed:
        print(f"error: jobs {failed} failed; see their logs in {FLAGS.out}. Rerun to resume them.", file=sys.stderr)
        return 1
    return 0


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    grid = study.jobs(FLAGS.grid, tuple(d.strip() for d in FLAGS.datasets.split(",") if d.strip()), FLAGS.num_seeds)
    if FLAGS.parallel is not None:
        return _run_parallel(grid)
    if FLAGS.list or FLAGS.index is None:
        for i, job in enumerate(grid):
            print(f"{i:4d}  {job['name']}")
        print(f"{len(grid)} jobs; run one with --index=i.")
        return 0
    if not 0 <= FLAGS.index < len(grid):
        print(f"error: --index must lie in [0, {len(grid) - 1}]; got {FLAGS.index}.", file=sys.stderr)
        return 2
    _common.quiet_tensorflow()
    from recipes import train

    job = grid[FLAGS.index]
    hp = ",".join(f"{k}={v}" for k, v in job["hparams"].items())
    settings = {"model": job["model"], "dataset": job["dataset"], "dataset_options": {}, "batch_size": 64,
                "seed": job["seed"], "learning_rate": None, "latent_dim": 10,
                "hparams": _common.resolve_hparams(job["model"], hp, {}),
                "steps": FLAGS.steps or (study.POPULATION_STEPS if FLAGS.grid == "population" else 300000),
                "strategy": "default", "deterministic": False, "init_from": None}
    out = Path(FLAGS.out) / job["name"]
    print(f"job {FLAGS.index}: {job['name']} -> {out}", flush=True)
    # At least 20 checkpoints (and KL-trace points, see recipes.train.KLTrace) per run.
    train.train(settings, out, progress=FLAGS.progress, preset_name=job["name"],
                checkpoint_every=max(1, min(1000, settings["steps"] // 20)))
    return 0


if __name__ == "__main__":
    define_flags()
    app.run(main)
