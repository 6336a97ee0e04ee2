r"""The study grid of Locatello et al. 2019 as a list of training jobs, one per `--index`.

    python -m recipes.sweep --list                       # print the jobs
    python -m recipes.sweep --index=7 --out=runs/study   # run job 7 (resumable, like recipes.train)

So any scheduler's job array runs the study in parallel: job i of N is `--index=$TASK_ID`. The grid
is disentanglement_lib's `config/unsupervised_study_v1/sweep.py`: six values of each objective's
main hyperparameter, on every dataset in `--datasets`, for `--num_seeds` seeds (the study: 50).
"""

from __future__ import annotations

import sys
from pathlib import Path

from absl import app, flags

from recipes import _common

FLAGS = flags.FLAGS


def define_flags():
    """Defines this recipe's flags (once; absl flags are global, so only the recipe being run defines them)."""
    if "list" in FLAGS:
        return
    flags.DEFINE_bool("list", False, "Print the jobs and exit.")
    flags.DEFINE_integer("index", None, "The job to run.")
    flags.DEFINE_string("datasets", "dsprites", "Comma list of datasets.")
    flags.DEFINE_integer("num_seeds", 1, "Seeds per setting (the study used 50).")
    flags.DEFINE_integer("steps", 300000, "Steps per job (the study's 300,000).")
    flags.DEFINE_string("out", "runs/study", "Folder holding one run folder per job.")
    flags.DEFINE_bool("progress", True, "Show a progress bar.")

# disentanglement_lib config/unsupervised_study_v1/sweep.py
GRID = {
    "beta_vae": [{"beta": b} for b in (1.0, 2.0, 4.0, 6.0, 8.0, 16.0)],
    "annealed_vae": [{"c_max": c, "gamma": 1000.0, "iteration_threshold": 100000}
                     for c in (5.0, 10.0, 25.0, 50.0, 75.0, 100.0)],
    "factor_vae": [{"gamma": g} for g in (10.0, 20.0, 30.0, 40.0, 50.0, 100.0)],
    "dip_vae_i": [{"lambda_od": l, "lambda_d": 10.0 * l} for l in (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)],
    "dip_vae_ii": [{"lambda_od": l, "lambda_d": l} for l in (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)],
    "beta_tcvae": [{"beta": b} for b in (1.0, 2.0, 4.0, 6.0, 8.0, 10.0)],
}


def jobs(datasets=("dsprites",), num_seeds=1) -> list[dict]:
    """Every job of the grid: `{"model", "dataset", "hparams", "seed", "name"}`, in a fixed order."""
    out = []
    for dataset in datasets:
        for model, settings in GRID.items():
            for hparams in settings:
                for seed in range(num_seeds):
                    key, value = next(iter(hparams.items()))  # the swept hyperparameter comes first
                    tag = f"{key}{value:g}"
                    out.append({"model": model, "dataset": dataset, "hparams": dict(hparams), "seed": seed,
                                "name": f"{model}-{dataset}-{tag}-seed{seed}"})
    return out


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    grid = jobs(tuple(d.strip() for d in FLAGS.datasets.split(",") if d.strip()), FLAGS.num_seeds)
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
                "hparams": _common.resolve_hparams(job["model"], hp, {}), "steps": FLAGS.steps,
                "strategy": "default", "deterministic": False, "init_from": None}
    out = Path(FLAGS.out) / job["name"]
    print(f"job {FLAGS.index}: {job['name']} -> {out}", flush=True)
    train.train(settings, out, progress=FLAGS.progress, preset_name=job["name"])
    return 0


if __name__ == "__main__":
    define_flags()
    app.run(main)
