"""A hand-made population, rows with known structure, for the population study's tests
(tests/test_population.py, tests/test_population_intervals.py)."""

from benchmarks.papers import _agreement
from benchmarks.papers import _population_stats as stats

SIX = [key for _, key, _ in _agreement.METRICS]  # BetaVAE, FactorVAE, MIG, DCI, Modularity, SAP


def make_row(objective, value, seed, *, quality=0.5, recon=100.0, tc=(1.0, 1.0), trace=None, mi=None):
    hparams = {stats.STRENGTH[objective][0]: value}
    if objective == "annealed_vae":
        hparams.update(gamma=1000.0, iteration_threshold=2000)
    if objective.startswith("dip_vae"):  # as recipes.sweep writes them: the variant is a string
        hparams = {"variant": objective[-2:].strip("_"), **hparams, "lambda_d": 10.0 * value}
    scores = {key: quality for key in SIX}
    scores["modularity_explicitness.modularity"] = -quality  # ranks opposite to the other five
    scores["irs.irs"] = quality
    return {"name": f"{objective}-{value:g}-seed{seed}", "objective": objective, "hparams": hparams, "seed": seed,
            "steps": 10000, "scores": scores,
            "reconstruction": {"nll_sampled": recon, "nll_mean": recon, "mse_mean": 1.0},
            "gaussian_total_correlation": {"mean": tc[0], "sampled": tc[1]}, "kl_trace": trace,
            "mutual_information": mi}


# Three objectives x (weak, middle x 2 seeds... ) : a dozen rows.
VALUES = {"beta_vae": (1.0, 4.0, 16.0), "factor_vae": (10.0, 30.0, 100.0), "annealed_vae": (100.0, 25.0, 5.0)}
OBJ_LEVEL = {"beta_vae": 0.2, "factor_vae": 0.5, "annealed_vae": 0.8}


def dozen(score_of):
    """weak seed 0, middle seeds 0-1, strong seed 0 per objective: 12 rows, scores from score_of(o, rank, seed)."""
    rows = []
    for o, values in VALUES.items():
        for rank, seed in ((0, 0), (1, 0), (1, 1), (2, 0)):
            rows.append(make_row(o, values[rank], seed, quality=score_of(o, rank, seed)))
    return rows
