"""Unsupervised Disentanglement Ranking (Duan et al. 2020, "Unsupervised Model Selection for Variational
Disentangled Representation Learning", ICLR; arXiv:1905.12614).

UDR ranks the models of one setting (one objective and hyperparameter, several seeds) without
labels: a disentangled model's informative latents should each match one latent of the other seeds'
models (up to permutation, sign and scale), as "happy families are all alike". It is defined here
as google-research/disentanglement_lib defines it in `evaluation/udr/metrics/udr.py` (the
repository's source; the PyPI wheel leaves the `udr` module out), commit 86a644d4 (Aug 2020).
"""

from __future__ import annotations

import numpy as np

from zoo.metrics._utils import check_codes
from zoo.names import did_you_mean

CORRELATIONS = ("lasso", "spearman")

# The reference zeroes a standardised latent whose mean KL is not above 0.01, a constant it writes
# into `compute_udr_sklearn` itself, apart from (and regardless of) `kl_filter_threshold`, whose
# default (and value in its `udr*.gin` configs) is the same 0.01. Kept as it is: the two differ
# only when the threshold is changed.
_ZEROED_AT_OR_BELOW_KL = 0.01


def udr(codes, *, kl=None, log_variances=None, correlation: str = "lasso", filter_low_kl: bool = True,
        kl_filter_threshold: float = 0.01, lasso_alpha: float = 0.1) -> dict[str, np.ndarray]:
    """UDR scores of M models of one setting, from their codes of the same N observations.

    Duan et al. 2020, sec. 3. For each ordered pair of models (i, j), a similarity matrix R[a, b]
    between latent a of model i and latent b of model j (`correlation`):
      * `"lasso"` (UDR_L, the reference's default): |W| of a Lasso regression (scikit-learn,
        alpha `lasso_alpha` = 0.1, the reference's constant) of model j's latents on model i's;
      * `"spearman"` (UDR_S): the absolute Spearman rank correlation |rho(z_a, z_b)|.
    Both are computed on codes standardised per latent (mean 0, variance 1 over the N points, as
    scikit-learn's `StandardScaler`; a constant latent stays constant), with every latent whose
    mean KL is not above 0.01 set to 0. The pair's score is the reference's
    `relative_strength_disentanglement`:

        UDR_ij = 1/2 [ mean_b  r_b^2 / sum_a R(a, b)  +  mean_a  r_a^2 / sum_b R(a, b) ],
        r_b = max_a R(a, b),  r_a = max_b R(a, b),

    each mean over the informative latents (the paper's indicator I_KL; `filter_low_kl`: KL >
    `kl_filter_threshold`, the reference's 0.01) of model j (b) and model i (a), a 0/0 term (a
    latent that no latent of the other model predicts) counting as 0. A latent that matches
    exactly one latent of the other model contributes its similarity, one spread over several
    contributes less. The paper's equation weights the two sums by 1/(d_a + d_b), d the numbers
    of informative latents; the reference, followed here, averages the two means, which is the
    same when d_a = d_b. Each model's score is the median of its pair scores with the others,
    UDR_i = median_{j != i} UDR_ji (sec. 3; the reference's `model_scores` takes column i of the
    pair matrix: model j the regressor).

    Where the reference is odd, and what is kept:
      * with `filter_low_kl=False`, the zeroed latents stay in the means: under Lasso they
        contribute 0 terms; under Spearman a zeroed (constant) latent's rank correlation is NaN
        and the reference's `max` propagates it: a zeroed latent of model i makes every column
        term 0, one of model j every row term, so two models that each have one score 0. Kept,
        as the reference computes it; the same happens with a `kl_filter_threshold` below 0.01
        to latents whose KL lies between the two;
      * Lasso is not symmetric, so UDR_ij != UDR_ji in general; Spearman's is;
      * the Lasso's `random_state` is unused by scikit-learn's default cyclic coordinate descent,
        so the scores are deterministic and no seed is taken;
      * a model with no informative latent leaves an empty matrix, on which the reference fails
        (numpy's zero-size `max`); here such a pair scores 0 (no latent agrees with anything).

    UDR scores a set of models, not one representation, so it is not in `zoo.metrics.ALL`, which
    `evaluate` runs on a single model.

    Checked against disentanglement_lib's own functions (`compute_udr_sklearn`,
    `relative_strength_disentanglement`, `spearman_correlation_conv`, `lasso_correlation_matrix`)
    run on fixed arrays by tests/fixtures/make_udr_fixture.py; tests/test_metrics_udr.py asserts
    the fixture's numbers within 1e-9.

    Args:
      codes: M >= 2 arrays `[N, D]` (a list, or one `[M, N, D]` array): the posterior means of
        each model on the same N observations in the same order, equal D.
      kl: `[M, D]` mean KL divergence of each latent's posterior from the prior over the N
        observations (nats). Give this or `log_variances`.
      log_variances: M arrays `[N, D]` of posterior log-variances; the KL is then computed as the
        reference's UDR evaluation does, mean_n 1/2 (mu^2 + exp(log var) - log var - 1), with mu
        the `codes` (which must then be the posterior means).
      correlation: `"lasso"` or `"spearman"`.
      filter_low_kl: leave out latents with KL <= `kl_filter_threshold`. With it off, `kl` and
        `log_variances` may both be omitted (every latent counts as informative).
      kl_filter_threshold: nats.
      lasso_alpha: the Lasso's L1 weight (scikit-learn's `alpha`; 1/(2N) ||y - Xw||^2 + alpha |w|_1).
        On standardised codes, a latent that equals one of the regressors gets the coefficient
        1 - alpha, so a permuted copy scores 1 - alpha = 0.9 under the Lasso, not 1.

    Returns:
      A dict of arrays:
      `model_scores` `[M]` (UDR_i, higher is more disentangled; in [0, 1] under Spearman; under the
      Lasso a term r^2 / sum R can pass 1 when a model's own latents are strongly correlated, as
      its coefficients then can),
      `pairwise_disentanglement_scores` `[M, M]` (UDR_ij, model i the regressor; diagonal 0; the
      reference's has a trailing axis of size 1),
      `raw_correlations` `[M, M, D, D]` (R for each ordered pair before the KL filter, rows
      model i's latents; zeros on the model diagonal, NaN where Spearman meets a constant latent),
      `informative` `[M, D]` bool (KL > `kl_filter_threshold`; all True without a KL).

    Example:
      >>> import numpy as np, zoo.metrics
      >>> rng = np.random.default_rng(0)
      >>> z = rng.standard_normal((2000, 4))
      >>> models = [z, -3.0 * z[:, [2, 0, 3, 1]], z + 0.01 * rng.standard_normal(z.shape),
      ...           rng.standard_normal(z.shape)]
      >>> zoo.metrics.udr(models, kl=np.ones((4, 4)))["model_scores"].round(2)  # copies: 1 - alpha
      array([0.9, 0.9, 0.9, 0. ])
      >>> zoo.metrics.udr(models, kl=np.ones((4, 4)), correlation="spearman")["model_scores"].round(2)
      array([0.93, 0.93, 0.93, 0.01])

      Under Spearman the copies score below 1: z's own latents correlate by ~1/sqrt(N) = 0.02 in
      the sample, and each term is divided by the sum of a column (under the Lasso, correlations
      below alpha get no weight).
    """
    codes = _check_codes(codes)
    num_models, _, num_latents = codes.shape
    if correlation not in CORRELATIONS:
        raise ValueError(f"Unknown udr correlation {correlation!r}.{did_you_mean(correlation, CORRELATIONS)} "
                         f"Choose one of {', '.join(map(repr, CORRELATIONS))}.")
    if not np.isfinite(kl_filter_threshold) or kl_filter_threshold < 0:
        raise ValueError(f"kl_filter_threshold must be a finite number >= 0 (nats); got {kl_filter_threshold!r}.")
    if not np.isfinite(lasso_alpha) or lasso_alpha <= 0:
        raise ValueError(f"lasso_alpha must be a finite number > 0; got {lasso_alpha!r}.")
    kl = _kl(codes, kl, log_variances, filter_low_kl)
    if kl is None:
        informative = kept = np.ones((num_models, num_latents), dtype=bool)
    else:
        informative = kl > kl_filter_threshold
        kept = kl > _ZEROED_AT_OR_BELOW_KL
    z = standardize(codes) * kept[:, None, :]

    raw = np.zeros((num_models, num_models, num_latents, num_latents))
    pairs = np.zeros((num_models, num_models))
    ranks = [_ranks(z[i]) for i in range(num_models)] if correlation == "spearman" else None
    for i in range(num_models):
        for j in range(num_models):
            if i == j:
                continue
            if correlation == "spearman":
                raw[i, j] = raw[j, i].T if j < i else spearman_similarity(ranks[i], ranks[j], ranked=True)
            else:
                raw[i, j] = lasso_similarity(z[i], z[j], alpha=lasso_alpha)
            r = raw[i, j][np.ix_(informative[i], informative[j])] if filter_low_kl else raw[i, j]
            pairs[i, j] = relative_strength(r)
    model_scores = np.array([np.median(np.delete(pairs[:, i], i)) for i in range(num_models)])
    return {"model_scores": model_scores, "pairwise_disentanglement_scores": pairs, "raw_correlations": raw,
            "informative": informative}


def relative_strength(r: np.ndarray) -> float:
    """Duan et al.'s pair score of a similarity matrix `r [Da, Db]` (non-negative; NaN allowed).

    1/2 (mean_b max_a r^2 / sum_a r + mean_a max_b r^2 / sum_b r), each 0/0 or NaN term 0 (the
    reference's `nan_to_num` after a NaN-propagating `max`); 0 for an empty matrix (where the
    reference fails). 1 for a permutation matrix, 0 for zeros.
    """
    if r.size == 0:
        return 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        per_column = np.nan_to_num(r.max(axis=0) ** 2 / r.sum(axis=0))
        per_row = np.nan_to_num(r.max(axis=1) ** 2 / r.sum(axis=1))
    return float((per_column.mean() + per_row.mean()) / 2)


def standardize(codes: np.ndarray) -> np.ndarray:
    """Each latent of `codes [..., N, D]` to mean 0, variance 1 over N (ddof 0); a constant one stays constant."""
    mean = codes.mean(axis=-2, keepdims=True)
    std = codes.std(axis=-2, keepdims=True)
    return (codes - mean) / np.where(std > 0, std, 1.0)


def lasso_similarity(x: np.ndarray, y: np.ndarray, *, alpha: float = 0.1) -> np.ndarray:
    """|W| `[Dx, Dy]` of a Lasso (scikit-learn, intercept fitted) of every column of `y` on all of `x`."""
    from sklearn.linear_model import Lasso

    coef = Lasso(alpha=alpha).fit(x, y).coef_  # [Dy, Dx]; each target fitted on its own
    return np.abs(np.reshape(coef, (y.shape[1], x.shape[1]))).T


def _ranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x, axis=0)  # ties share their mean rank, as scipy.stats.spearmanr ranks


def spearman_similarity(x: np.ndarray, y: np.ndarray, *, ranked: bool = False) -> np.ndarray:
    """|Spearman rho| `[Dx, Dy]` between every column of `x` and of `y`; NaN where a column is constant.

    Pearson's correlation of the mid-ranks, as `scipy.stats.spearmanr` computes it, clipped to [-1, 1].
    """
    if not ranked:
        x, y = _ranks(x), _ranks(y)
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    norms = np.outer(np.sqrt((x * x).sum(axis=0)), np.sqrt((y * y).sum(axis=0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(norms > 0, (x.T @ y) / norms, np.nan)
    return np.abs(np.clip(rho, -1.0, 1.0))


def _check_codes(codes) -> np.ndarray:
    """The models' codes as one float64 array `[M, N, D]`, with errors that name the model at fault."""
    if isinstance(codes, np.ndarray) and codes.ndim != 3:
        raise ValueError(f"udr takes the codes of several models: a list of [N, D] arrays or one [M, N, D] "
                         f"array; got one array of shape {codes.shape}. Pass [codes_model_0, codes_model_1, ...].")
    try:
        models = list(codes)
    except TypeError:
        raise ValueError("udr takes a list of [N, D] code arrays, one per model; "
                         f"got {type(codes).__name__}.") from None
    if len(models) < 2:
        raise ValueError(f"udr compares models with each other and needs the codes of at least 2 (each score is "
                         f"the median over the other models); got {len(models)}. Pass every seed of the setting.")
    models = [check_codes(m, f"codes[{k}]").astype(np.float64) for k, m in enumerate(models)]
    n, d = models[0].shape
    for k, m in enumerate(models[1:], start=1):
        if m.shape[0] != n:
            raise ValueError(f"codes[{k}] has {m.shape[0]} rows but codes[0] has {n}: every model must encode the "
                             "same observations, in the same order.")
        if m.shape[1] != d:
            raise ValueError(f"codes[{k}] has {m.shape[1]} latents but codes[0] has {d}: UDR (as the reference) "
                             "compares models of one setting, with equal code sizes.")
    return np.stack(models)


def _kl(codes: np.ndarray, kl, log_variances, filter_low_kl: bool):
    """The `[M, D]` mean KL per latent, from `kl` or from the log-variances; None when neither is given."""
    num_models, _, num_latents = codes.shape
    if kl is not None and log_variances is not None:
        raise ValueError("Give kl or log_variances, not both: the KL is computed from the log-variances.")
    if log_variances is not None:
        try:
            log_var = np.asarray(log_variances, dtype=np.float64)
        except ValueError:
            raise ValueError("log_variances must be one [N, D] array per model, shaped as codes "
                             f"{codes.shape}.") from None
        if log_var.shape != codes.shape:
            raise ValueError(f"log_variances has shape {log_var.shape} but the codes have {codes.shape} [M, N, D]; "
                             "give each model's posterior log-variances on the same observations.")
        if not np.all(np.isfinite(log_var)):
            raise ValueError("log_variances contains NaN/inf.")
        # KL(N(mu, s^2) || N(0, 1)) per point, averaged over the points (the reference's
        # `compute_gaussian_kl` in evaluation/udr/evaluate.py, averaged over equal batches).
        return np.mean(0.5 * (np.square(codes) + np.exp(log_var) - log_var - 1.0), axis=1)
    if kl is None:
        if filter_low_kl:
            raise ValueError("udr's filter of inactive latents needs each latent's KL: pass kl=[M, D] (mean KL per "
                             "latent) or log_variances=[M, N, D], or filter_low_kl=False to count every latent.")
        return None
    kl = np.asarray(kl, dtype=np.float64)
    if kl.shape != (num_models, num_latents):
        hint = " (one row per model)" if kl.shape == (num_latents,) else ""
        raise ValueError(f"kl must have shape [M, D] = ({num_models}, {num_latents}); got {kl.shape}{hint}.")
    if not np.all(np.isfinite(kl)):
        raise ValueError("kl contains NaN/inf.")
    return kl
