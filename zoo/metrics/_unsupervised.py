"""Unsupervised scores of a code: Gaussian total correlation, Wasserstein correlation, mutual information.

These are the unsupervised scores of Locatello et al. 2019 (disentanglement_lib
`unsupervised_metrics.py`): they need no ground-truth factors and measure how *dependent* the
code dimensions are, so lower is better and 0 means independent.
"""

from __future__ import annotations

import numpy as np

from zoo.metrics._utils import check_codes, histogram_discretize, mutual_information


def unsupervised(codes, *, num_bins: int = 20) -> dict[str, float]:
    """Dependence between code dimensions (lower is more factorised).

    With Sigma the sample covariance of the codes (ddof=1) and Sigma_d its diagonal:
      * `gaussian_total_correlation`: KL( N(0, Sigma) || N(0, Sigma_d) )
        = 1/2 ( sum_i log Sigma_ii - log det Sigma ), the total correlation of a Gaussian fit;
      * `gaussian_wasserstein_correlation`: the squared 2-Wasserstein distance between the same
        two Gaussians, W^2 = tr Sigma + tr Sigma_d - 2 tr (Sigma_d^1/2 Sigma Sigma_d^1/2)^1/2
        = 2 tr Sigma - 2 sum_j sqrt(lambda_j), lambda_j the eigenvalues of
        Sigma_d^1/2 Sigma Sigma_d^1/2 (the reference takes `tr sqrtm(Sigma * diag[:, None])` of the
        similar matrix Sigma_d Sigma; same eigenvalues, we use the symmetric form, which is
        numerically stable);
      * `gaussian_wasserstein_correlation_norm`: W^2 / tr Sigma;
      * `mutual_info_score`: the mean discrete mutual information (nats) between distinct pairs of
        `num_bins`-bin histogram-discretised code dimensions, sum_{i != j} I(z_i; z_j) / (D^2 - D).

    Documented values where the reference returns NaN:
      * constant code dimensions (max == min) are left out of the three Gaussian scores: a constant is
        independent of everything, so it adds nothing to either divergence (the limit the
        formulas take); a constant code scores 0 on all of them (and the normalised
        Wasserstein score is 0 when tr Sigma = 0). The mutual-information score keeps them (their
        mutual information is 0), as the reference does;
      * an exactly singular covariance among the varying dimensions (e.g. a duplicated latent)
        has infinite Gaussian total correlation: `inf` is returned.

    Checked against disentanglement_lib 1.5 `unsupervised_metrics`: all four within 3e-15;
    asserted within 1e-6 (tests/test_metrics_reference.py).

    Args:
      codes: `[N, D]` float codes, D >= 2, N > D (fewer points make the covariance singular).
      num_bins: histogram bins per dimension for the mutual information.

    Returns:
      `{"gaussian_total_correlation", "gaussian_wasserstein_correlation",
      "gaussian_wasserstein_correlation_norm", "mutual_info_score"}`.

    Example:
      >>> import numpy as np, zoo.metrics
      >>> z = np.random.default_rng(0).standard_normal((5000, 3))
      >>> s = zoo.metrics.unsupervised(z)
      >>> bool(s["gaussian_total_correlation"] < 1e-3)
      True
    """
    codes = check_codes(codes, fit=True)
    d = codes.shape[1]
    if d < 2:
        raise ValueError(f"unsupervised scores compare code dimensions and need at least 2; got shape {codes.shape}.")
    cov = np.atleast_2d(np.cov(codes.astype(np.float64), rowvar=False, ddof=1))
    variance = np.diag(cov)
    active = codes.max(axis=0) > codes.min(axis=0)
    cov_active = cov[np.ix_(active, active)]
    var_active = variance[active]
    if active.any():
        sign, logdet = np.linalg.slogdet(cov_active)
        total_correlation = (0.5 * (np.sum(np.log(var_active)) - logdet)) if sign > 0 else np.inf
        scale = np.sqrt(var_active)
        eig = np.linalg.eigvalsh(cov_active * scale[:, None] * scale[None, :])
        wasserstein = float(2.0 * np.trace(cov_active) - 2.0 * np.sum(np.sqrt(np.clip(eig, 0.0, None))))
    else:
        total_correlation, wasserstein = 0.0, 0.0
    trace = float(np.trace(cov_active)) if active.any() else 0.0
    mi = mutual_information(*(histogram_discretize(codes, num_bins),) * 2)
    np.fill_diagonal(mi, 0.0)
    return {
        "gaussian_total_correlation": float(total_correlation),
        "gaussian_wasserstein_correlation": wasserstein,
        "gaussian_wasserstein_correlation_norm": wasserstein / trace if trace > 0 else 0.0,
        "mutual_info_score": float(mi.sum() / (d * d - d)),
    }
