r"""A training grid (`zoo.study`) as a list of jobs, one per `--index`.

    python -m recipes.sweep --list                       # print the jobs
    python -m recipes.sweep --index=7 --out=runs/study   # run job 7 (resumable, like recipes.train)
    python -m recipes.sweep --grid=population --parallel=2 --out=runs/population   # all, 2 at a time
    python -m recipes.sweep --grid=population_long --parallel=2 --out=runs/population_long  # issue 34's runs

So any scheduler's job array runs the study in parallel: job i of N is `--index=$TASK_ID`; under
Slurm (`sbatch --array`) and a Kubernetes Indexed Job the index is read from `$SLURM_ARRAY_TASK_ID`
or `$JOB_COMPLETION_INDEX` when `--index` is not given (docs/cluster.md). A run folder is trained by
one job at a time (a lock file, `zoo.runs.lock`): a second task given the same index is refused.
SIGTERM or SIGINT stops a job after a checkpoint; `--parallel` passes it on to its jobs, waits for
them, and exits non-zero. The grid
is disentanglement_lib's `config/unsupervised_study_v1/sweep.py`: six values of each objective's
main hyperparameter, on every dataset in `--datasets`, for `--num_seeds` seeds (the study: 50).
With `--parallel=N` this recipe runs itself once per job (`--index=i`), N at a time, each
single-threaded (`zoo.runs.run_side_by_side`); each job's output goes to `<out>/<name>.log`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from absl import app, flags

import zoo.data
import zoo.runs
from zoo import study

from . import _common

FLAGS = flags.FLAGS
flags.DEFINE_bool("list", False, "Print the jobs and exit.")
flags.DEFINE_integer("index", None, "The job to run (default: $SLURM_ARRAY_TASK_ID under a Slurm job array, "
                     "$JOB_COMPLETION_INDEX under a Kubernetes Indexed Job; without either, list the jobs).")
flags.DEFINE_enum("grid", "study", list(study.GRIDS), "The grid: the study of Locatello et al. 2019, the "
                  "population of docs/bench (30 models on dSprites), or its longer runs (population_long: 20 runs of "
                  "30,000 steps, each with a 10,000-step snapshot).")
flags.DEFINE_string("datasets", "dsprites", "Comma list of datasets.")
flags.DEFINE_integer("num_seeds", 1, "Seeds per setting (the study used 50).")
flags.DEFINE_integer("steps", None, "Steps per job (default: the study's 300,000; the population's 10,000; "
                     "population_long's 30,000).")
flags.DEFINE_string("out", "runs/study", "Folder holding one run folder per job.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.DEFINE_integer("parallel", None, "Run every job (or those of --indices) as N processes side by side, "
                     "each single-threaded; a job already finished is skipped, an unfinished one resumes.")
flags.DEFINE_string("indices", None, "With --parallel: the jobs to run, e.g. 0-17,20 (default: all).")


# Where a cluster's job array puts the task's index: Slurm (`sbatch --array`), Kubernetes (Indexed Job).
ARRAY_INDEX_VARIABLES = ("SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX")
MAX_SEEDS = 10_000


def _indices(text: str | None, count: int) -> list[int]:
    """`--indices` (`0-17,20`) as job numbers, every one checked against the grid before any is listed."""
    if text is None:
        return list(range(count))
    chosen = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, dash, last = part.partition("-")
        try:
            first, last = int(first), int(last if dash else first)
        except ValueError:
            raise _common.UsageError(f"--indices takes job numbers and ranges such as 0-17,20; got {part!r}.") from None
        if last < first:
            raise _common.UsageError(f"--indices range {part!r} runs backwards; write it {last}-{first}.")
        if first < 0 or last >= count:
            raise _common.UsageError(f"--indices {part!r} reaches outside the grid's jobs 0-{count - 1}.")
        chosen += [i for i in range(first, last + 1) if i not in chosen]
    if not chosen:
        raise _common.UsageError("--indices names no job; give job numbers such as 0-17,20, or leave it out for all.")
    return chosen


def _array_index() -> tuple[int, str] | None:
    """The job index a cluster's job array gives this task, and the variable it came from."""
    for variable in ARRAY_INDEX_VARIABLES:
        text = os.environ.get(variable, "").strip()
        if text:
            try:
                return int(text), variable
            except ValueError:
                raise _common.UsageError(f"${variable}={text!r} is not a job index (an integer); give --index "
                                         "explicitly.") from None
    return None


def _check_flags() -> tuple[str, ...]:
    """The datasets, after every flag is checked (before any job is listed or started)."""
    if FLAGS.steps is not None and FLAGS.steps < 1:
        raise _common.UsageError(f"--steps must be at least 1; got {FLAGS.steps} (leave it out for the grid's "
                                 f"default, {study.default_steps(FLAGS.grid):,}).")
    if not 1 <= FLAGS.num_seeds <= MAX_SEEDS:
        raise _common.UsageError(f"--num_seeds must lie in [1, {MAX_SEEDS:,}]; got {FLAGS.num_seeds}.")
    if FLAGS.parallel is not None:
        if FLAGS.parallel < 1:
            raise _common.UsageError(f"--parallel must be at least 1; got {FLAGS.parallel}.")
        if FLAGS.index is not None:
            raise _common.UsageError(f"--parallel runs many jobs and --index one: to run job {FLAGS.index} with "
                                     f"--parallel, give --indices={FLAGS.index}; or drop --parallel.")
    elif FLAGS.indices is not None:
        raise _common.UsageError("--indices chooses the jobs of --parallel: add --parallel=N, or run one job with "
                                 "--index.")
    datasets = tuple(d.strip() for d in FLAGS.datasets.split(",") if d.strip())
    if not datasets:
        raise _common.UsageError("--datasets is empty; name at least one dataset (e.g. dsprites).")
    for name in datasets:
        zoo.data.check_name(name)  # unknown: the close names
    if not FLAGS.list:
        _common.check_output_folder(FLAGS.out, "--out")
    return datasets


def _run_parallel(grid) -> int:
    """Runs the chosen jobs as `--parallel` children of this recipe (`--index=i` each)."""
    passed = [f"--grid={FLAGS.grid}", f"--datasets={FLAGS.datasets}", f"--num_seeds={FLAGS.num_seeds}",
              f"--out={FLAGS.out}", "--noprogress"] + ([f"--steps={FLAGS.steps}"] if FLAGS.steps is not None else [])
    # Children run this module by the name it was started under (recipes.sweep in a checkout,
    # zoo.recipes.sweep where installed).
    jobs = [(i, grid[i]["name"], [sys.executable, "-m", __spec__.name, f"--index={i}", *passed])
            for i in _indices(FLAGS.indices, len(grid))]
    try:
        failed = zoo.runs.run_side_by_side(jobs, FLAGS.out, FLAGS.parallel)
    except zoo.runs.Stopped as e:
        return _common.fail(e, e.exit_code)
    if failed:
        return _common.fail(f"jobs {failed} failed; see their logs in {FLAGS.out}. Rerun to resume them.", 1)
    return 0


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        datasets = _check_flags()
        grid = study.jobs(FLAGS.grid, datasets, FLAGS.num_seeds)
        if FLAGS.parallel is not None and not FLAGS.list:
            return _run_parallel(grid)
        index, source = FLAGS.index, "--index"
        if index is None and not FLAGS.list and _array_index() is not None:
            index, variable = _array_index()
            source = f"${variable}"
        if FLAGS.list or index is None:
            for i, job in enumerate(grid):
                print(f"{i:4d}  {job['name']}")
            print(f"{len(grid)} jobs; run one with --index=i.")
            return 0
        if not 0 <= index < len(grid):
            raise _common.UsageError(f"{source} must lie in [0, {len(grid) - 1}]; got {index}.")
    except ValueError as e:
        return _common.fail(e)
    _common.start(argv)
    job = grid[index]
    settings = zoo.runs.job_settings(job, FLAGS.steps if FLAGS.steps is not None else study.default_steps(FLAGS.grid))
    out = Path(FLAGS.out) / job["name"]
    print(f"job {index} ({source}): {job['name']} -> {out}", flush=True)
    try:
        snapshots = tuple(step for step in job.get("snapshot_steps", ()) if step < settings.steps)
        zoo.runs.train(settings, out, progress=FLAGS.progress, preset_name=job["name"],
                       checkpoint_every=study.checkpoint_every(settings.steps), snapshot_steps=snapshots,
                       kl_trace_every=job.get("kl_trace_every"))
    except zoo.runs.Stopped as e:
        return _common.fail(e, e.exit_code)
    except zoo.runs.NonFiniteLossError as e:
        return _common.fail(e, 3)
    except (zoo.runs.RunSettingsError, zoo.runs.RunFolderError) as e:  # another run there, or one training it now
        return _common.fail(e)
    return 0


def run():
    """`zoo-sweep` where the zoo is installed (a console script); `python -m recipes.sweep` in a checkout."""
    _common.run_app(main, __name__)


if __name__ == "__main__":
    run()
