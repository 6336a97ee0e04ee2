r"""A training grid (`zoo.study`) as a list of jobs, one per `--index`.

    python -m recipes.sweep --list                       # print the jobs
    python -m recipes.sweep --index=7 --out=runs/study   # run job 7 (resumable, like recipes.train)
    python -m recipes.sweep --grid=population --parallel=2 --out=runs/population   # all, 2 at a time

So any scheduler's job array runs the study in parallel: job i of N is `--index=$TASK_ID`. The grid
is disentanglement_lib's `config/unsupervised_study_v1/sweep.py`: six values of each objective's
main hyperparameter, on every dataset in `--datasets`, for `--num_seeds` seeds (the study: 50).
With `--parallel=N` this recipe runs itself once per job (`--index=i`), N at a time, each
single-threaded (`zoo.runs.run_side_by_side`); each job's output goes to `<out>/<name>.log`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from absl import app, flags

import zoo.runs
from zoo import study

from . import _common

FLAGS = flags.FLAGS
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
    """Runs the chosen jobs as `--parallel` children of this recipe (`--index=i` each)."""
    if FLAGS.parallel < 1:
        raise app.UsageError(f"--parallel must be at least 1; got {FLAGS.parallel}.")
    passed = [f"--grid={FLAGS.grid}", f"--datasets={FLAGS.datasets}", f"--num_seeds={FLAGS.num_seeds}",
              f"--out={FLAGS.out}", "--noprogress"] + ([f"--steps={FLAGS.steps}"] if FLAGS.steps else [])
    # Children run this module by the name it was started under (recipes.sweep in a checkout,
    # zoo.recipes.sweep where installed).
    jobs = [(i, grid[i]["name"], [sys.executable, "-m", __spec__.name, f"--index={i}", *passed])
            for i in _indices(FLAGS.indices, len(grid))]
    failed = zoo.runs.run_side_by_side(jobs, FLAGS.out, FLAGS.parallel)
    if failed:
        return _common.fail(f"jobs {failed} failed; see their logs in {FLAGS.out}. Rerun to resume them.", 1)
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
        return _common.fail(f"--index must lie in [0, {len(grid) - 1}]; got {FLAGS.index}.")
    _common.start(argv)
    job = grid[FLAGS.index]
    settings = zoo.runs.job_settings(job, FLAGS.steps or study.default_steps(FLAGS.grid))
    out = Path(FLAGS.out) / job["name"]
    print(f"job {FLAGS.index}: {job['name']} -> {out}", flush=True)
    zoo.runs.train(settings, out, progress=FLAGS.progress, preset_name=job["name"],
                   checkpoint_every=study.checkpoint_every(settings.steps))
    return 0


def run():
    """`zoo-sweep` where the zoo is installed (a console script); `python -m recipes.sweep` in a checkout."""
    _common.run_app(main, __name__)


if __name__ == "__main__":
    run()
