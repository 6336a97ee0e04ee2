"""Training grids as lists of jobs: the study of Locatello et al. 2019, and this project's population.

A job is `{"model", "dataset", "hparams", "seed", "name"}` (`zoo.runs.job_settings` turns it into
a run's settings), and optionally `snapshot_steps` and `kl_trace_every` (`zoo.runs.train`'s options);
`recipes.sweep` runs job `i` of a grid, so any scheduler's job array runs a grid in parallel
(`--index=$TASK_ID`).

    >>> len(jobs("study")), len(jobs("population")), len(jobs("population_long"))
    (36, 30, 20)
    >>> jobs("population")[0]["name"]
    'beta_vae-beta1-seed0'
"""

from __future__ import annotations

# disentanglement_lib config/unsupervised_study_v1/sweep.py: six values of each objective's main
# hyperparameter (the swept one comes first in each dict).
STUDY_GRID = {
    "beta_vae": [{"beta": b} for b in (1.0, 2.0, 4.0, 6.0, 8.0, 16.0)],
    "annealed_vae": [{"c_max": c, "gamma": 1000.0, "iteration_threshold": 100000}
                     for c in (5.0, 10.0, 25.0, 50.0, 75.0, 100.0)],
    "factor_vae": [{"gamma": g} for g in (10.0, 20.0, 30.0, 40.0, 50.0, 100.0)],
    "dip_vae_i": [{"lambda_od": l, "lambda_d": 10.0 * l} for l in (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)],
    "dip_vae_ii": [{"lambda_od": l, "lambda_d": l} for l in (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)],
    "beta_tcvae": [{"beta": b} for b in (1.0, 2.0, 4.0, 6.0, 8.0, 10.0)],
}

# The population of the lecture's claims (docs/bench "Population"): three values of each
# objective's study grid (its first, a middle one and its last, spanning weak to strong
# regularisation), all at seed 0, then seeds 1 and 2 of the middle value: 6 x (3 + 2) = 30 models.
POPULATION_VALUES = {
    "beta_vae": (1.0, 4.0, 16.0),
    "annealed_vae": (5.0, 25.0, 100.0),
    "factor_vae": (10.0, 30.0, 100.0),
    "dip_vae_i": (1.0, 5.0, 50.0),
    "dip_vae_ii": (1.0, 5.0, 50.0),
    "beta_tcvae": (1.0, 4.0, 10.0),
}
STUDY_STEPS = 300000
POPULATION_STEPS = 10000
# AnnealedVAE's capacity grows over a third of training in the study (100,000 of 300,000 steps);
# the population keeps that share of its shorter runs, so C reaches c_max as it does there.
POPULATION_ITERATION_THRESHOLD = POPULATION_STEPS // 3

# The population's longer runs (issue 34): seeds 3, 4 and 5 of every middle setting, with the
# population's hyperparameters (AnnealedVAE's ramp included), trained to 30,000 steps, the zoo
# presets' length, with the model at 10,000 steps (the population's) kept as a snapshot: each run
# gives a model at both step counts. Plus two AnnealedVAE runs whose capacity ramps slowly, over the
# whole 30,000 steps (the study's ramp is a third of its 300,000; the population's 3,333 steps put
# C at 3.8-15 nats by the first trace, too fast to see factors switch on one after another): c_max
# 25, the middle value. The KL trace is recorded every 100 steps in all of them.
LONG_STEPS = 30000
LONG_SEEDS = (3, 4, 5)
LONG_SNAPSHOTS = (POPULATION_STEPS,)
LONG_TRACE_EVERY = 100
SLOW_RAMP = {"c_max": 25.0, "gamma": 1000.0, "iteration_threshold": LONG_STEPS}
SLOW_RAMP_SEEDS = (0, 1)


def _tag(hparams: dict) -> str:
    key, value = next(iter(hparams.items()))
    return f"{key}{value:g}"


def _study_jobs(datasets, num_seeds) -> list[dict]:
    out = []
    for dataset in datasets:
        for model, settings in STUDY_GRID.items():
            for hparams in settings:
                for seed in range(num_seeds):
                    out.append({"model": model, "dataset": dataset, "hparams": dict(hparams), "seed": seed,
                                "name": f"{model}-{dataset}-{_tag(hparams)}-seed{seed}"})
    return out


def _population_jobs() -> list[dict]:
    def settings(model, value):
        for hparams in STUDY_GRID[model]:
            if next(iter(hparams.values())) == value:
                hparams = dict(hparams)
                if model == "annealed_vae":
                    hparams["iteration_threshold"] = POPULATION_ITERATION_THRESHOLD
                return hparams
        raise KeyError(f"{value} is not in the study grid of {model}")

    pairs = [(m, v, 0) for m, values in POPULATION_VALUES.items() for v in values]
    pairs += [(m, values[1], seed) for seed in (1, 2) for m, values in POPULATION_VALUES.items()]
    out = []
    for model, value, seed in pairs:
        hparams = settings(model, value)
        out.append({"model": model, "dataset": "dsprites", "hparams": hparams, "seed": seed,
                    "name": f"{model}-{_tag(hparams)}-seed{seed}"})
    return out


def _population_long_jobs() -> list[dict]:
    middle = [job for job in _population_jobs() if job["seed"] == 1]  # seeds 1 and 2 are the middle settings'
    out = []
    for job in middle:
        for seed in LONG_SEEDS:
            out.append({**job, "hparams": dict(job["hparams"]), "seed": seed,
                        "name": job["name"].rsplit("-seed", 1)[0] + f"-seed{seed}"})
    for seed in SLOW_RAMP_SEEDS:
        out.append({"model": "annealed_vae", "dataset": "dsprites", "hparams": dict(SLOW_RAMP), "seed": seed,
                    "name": f"annealed_vae-c_max25-ramp{LONG_STEPS}-seed{seed}"})
    return [{**job, "snapshot_steps": LONG_SNAPSHOTS, "kl_trace_every": LONG_TRACE_EVERY} for job in out]


GRIDS = ("study", "population", "population_long")


def default_steps(grid: str) -> int:
    """Training steps of one job of `grid`: the study's 300,000, the population's 10,000, its longer runs' 30,000."""
    return {"population": POPULATION_STEPS, "population_long": LONG_STEPS}.get(grid, STUDY_STEPS)


def checkpoint_every(steps: int) -> int:
    """Steps between checkpoints of a grid job: at least 20 checkpoints (and KL-trace points) a run,
    at most 1,000 steps apart."""
    return max(1, min(1000, steps // 20))


def jobs(grid: str = "study", datasets=("dsprites",), num_seeds: int = 1) -> list[dict]:
    """Every job of `grid` in a fixed order.

    Args:
      grid: "study" (Locatello et al. 2019: 6 objectives x 6 values x `num_seeds` per dataset),
        "population" (30 models on dSprites) or "population_long" (its middle settings at seeds 3-5
        and two slow AnnealedVAE ramps, 30,000 steps with a 10,000-step snapshot); `datasets` and
        `num_seeds` apply to the study only.
    """
    if grid == "study":
        if isinstance(datasets, str):  # a str is a sequence of one-letter "datasets"
            raise TypeError(f"datasets must be a sequence of dataset names; got the str {datasets!r} (write "
                            f"({datasets!r},)).")
        if isinstance(num_seeds, bool) or not isinstance(num_seeds, int) or num_seeds < 1:
            raise ValueError(f"num_seeds must be a positive integer; got {num_seeds!r}.")
        return _study_jobs(tuple(datasets), num_seeds)
    if grid == "population":
        return _population_jobs()
    if grid == "population_long":
        return _population_long_jobs()
    raise ValueError(f"unknown grid {grid!r}; choose one of {', '.join(GRIDS)}.")
