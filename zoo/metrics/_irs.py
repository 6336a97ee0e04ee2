"""Interventional Robustness Score (Suter et al. 2019, "Robustly Disentangled Causal Mechanisms")."""

from __future__ import annotations

import numpy as np

from zoo.metrics._utils import check_codes, check_factors, histogram_discretize


def irs(codes, factors, *, diff_quantile: float = 0.99, num_bins: int = 20) -> dict[str, float]:
    """IRS: how little each code dimension moves when all factors but its "parent" change.

    Suter et al. 2019, Sec. 4 (the scalable estimator of their Appendix): for code dimension i
    and factor k,

        EMPIDA_ik = E_{v_k} [ q-quantile over points with that v_k of |z_i - E[z_i | v_k]| ]
        IRS_ik    = 1 - EMPIDA_ik / max_n |z_i(n) - E[z_i]|

    each dimension's score is max_k IRS_ik, and the IRS is their average weighted by the
    normaliser max_n |z_i(n) - E[z_i]|. `diff_quantile=1.0` is the paper's maximum; 0.99 is
    disentanglement_lib's default (`irs.py`, `config/sample/irs/irs.gin`).

    Quirks of the reference that we keep, since they define the number:
      * the *factors* are histogram-discretised into `num_bins` equal-width bins (the study's
        discretizer, 20 bins) before grouping, so a factor with more than `num_bins` classes
        (dSprites' 32 positions, 40 orientations) has neighbouring classes merged;
      * constant code dimensions are dropped first; if none is left the IRS is 0.0. (We test
        max == min; the reference tests `var > 0`, which a float constant such as 0.3 can pass
        by rounding, after which it divides by a zero deviation);
      * quantiles use numpy's default linear interpolation.
    The reference also returns `num_active_dims`, computed as the *sum of the active codes'
    values* rather than their count; we do not report it.

    Duplicating a latent does not change the IRS (each copy is as robust as the original): the
    score does not claim to penalise redundancy.

    A constant factor is one group, the whole sample: its EMPIDA_ik is the q-quantile of
    |z_i - E[z_i]|, so IRS_ik = 1 - quantile / max, exactly 0 with `diff_quantile=1.0` and small
    otherwise, and the other factors decide (no error, as in the reference). If every factor is
    constant nothing is left to decide and ValueError is raised (the reference returns the
    small leftover 1 - quantile / max, a number about the codes' tails, not about robustness).

    Checked against disentanglement_lib 1.5 `compute_irs` (`IRS`): difference 0.0 on float64
    codes, 4e-8 on float32 codes (the reference averages in float32, we in float64); asserted
    within 1e-6 (tests/test_metrics_reference.py).

    Args:
      codes: `[N, D]` float codes, N > D.
      factors: `[N, K]` int factor classes, at least one varying.
      diff_quantile: quantile of the within-group deviations, in (0, 1].
      num_bins: bins for discretising the factors.

    Returns:
      `{"irs": float}` in [0, 1].

    Example:
      >>> import numpy as np, zoo.metrics
      >>> f = np.random.default_rng(0).integers(0, 5, size=(500, 2))
      >>> zoo.metrics.irs(f + 0.0, f)["irs"]
      1.0
    """
    codes = check_codes(codes, fit=True)
    factors = check_factors(factors, len(codes), require_varying=False)
    if not 0.0 < diff_quantile <= 1.0:
        raise ValueError(f"diff_quantile must lie in (0, 1]; got {diff_quantile}.")
    if factors.size and np.all(factors == factors[:1]):
        raise ValueError("irs needs at least one factor that varies: it scores how little a code moves when "
                         "the other factors change; every column of factors is constant.")
    groups = histogram_discretize(factors, num_bins)
    latents = codes[:, codes.max(axis=0) > codes.min(axis=0)]
    if latents.shape[1] == 0:
        return {"irs": 0.0}
    latents = latents.astype(np.float64)
    max_deviation = np.max(np.abs(latents - latents.mean(axis=0)), axis=0)  # [D']
    empida = np.zeros((latents.shape[1], groups.shape[1]))
    for k in range(groups.shape[1]):
        values = np.unique(groups[:, k])
        for value in values:
            members = latents[groups[:, k] == value]
            deviation = np.abs(members - members.mean(axis=0))
            empida[:, k] += np.percentile(deviation, diff_quantile * 100, axis=0)
        empida[:, k] /= len(values)
    per_dim = (1.0 - empida / max_deviation[:, None]).max(axis=1)
    return {"irs": float(np.average(per_dim, weights=max_deviation))}
