"""Locatello et al. 2019, Theorem 1, made concrete: a rotation the prior cannot see, which every metric does.

The theorem: for a factorised prior p(z) there are infinitely many bijections f with z and f(z)
identically distributed yet f(z) entangled (every f(z)_i depends on every z_j), so a model's
likelihood, which only sees the distribution of its codes, cannot tell a disentangled code from an
entangled one. For the isotropic Gaussian prior of the VAEs the proof's f can be a rotation: if
z ~ N(0, I) then Rz ~ N(0, R R^T) = N(0, I) for any orthogonal R, and pointwise
log N(Rz; 0, I) = -|Rz|^2 / 2 - d/2 log 2 pi = log N(z; 0, I), since |Rz| = |z|.

The demonstration:
1. A perfectly disentangled code with exactly standard-normal marginals: dSprites' factor grid
   (shape 3, scale 6, orientation 40, posX 32, posY 32 classes), each factor class c of n drawn
   uniformly as in the dataset, plus an offset u ~ U[0, 1) that places the point inside its class;
   z_k = Phi^-1((c_k + u_k) / n_k). (c + u) / n is exactly U[0, 1), so z_k is exactly N(0, 1), and
   the factors are independent, so z ~ N(0, I_5). `ContinuousFactors` is the dataset whose
   "observations" are c + u (no images: nothing here is learnt or rendered).
2. Rotations R(t) = expm(t A), A a fixed random skew-symmetric matrix scaled so that R(1) turns
   its principal plane by 45 degrees; R(0) = I.
3. For each t: the prior log-likelihood of the codes R(t) z (equal to that of z up to rounding),
   the Gaussian total correlation (unsupervised, blind to the rotation too) and every supervised
   disentanglement score of `zoo.metrics` on the code R(t) z.
"""

from __future__ import annotations

import math

import numpy as np

from zoo.data.base import GroundTruthData, as_generator

DSPRITES_FACTORS = (("shape", 3), ("scale", 6), ("orientation", 40), ("posX", 32), ("posY", 32))
# (label, evaluate key): the disentanglement scores; informativeness and explicitness measure how
# much a code predicts, which a rotation keeps, so they are shown apart.
SUPERVISED = [("BetaVAE", "beta_vae_score.eval_accuracy"), ("FactorVAE", "factor_vae_score.eval_accuracy"),
              ("MIG", "mig.mig"), ("DCI", "dci.disentanglement"), ("Modularity", "modularity_explicitness.modularity"),
              ("SAP", "sap.sap"), ("IRS", "irs.irs")]
INFORMATION = [("DCI informativeness", "dci.informativeness_test"),
               ("Explicitness", "modularity_explicitness.explicitness_test")]
TS = (0.0, 0.25, 0.5, 0.75, 1.0)
FULL = {"num_train": 10_000, "num_test": 5_000, "batch_size": 64, "dci_backend": "fast", "seed": 0}
QUICK = {"num_train": 2_000, "num_test": 1_000, "batch_size": 16, "dci_backend": "fast", "seed": 0}


class ContinuousFactors(GroundTruthData):
    """A factor grid whose observation of factor classes c is c + u, u ~ U[0, 1) per factor."""

    def __init__(self, factors=DSPRITES_FACTORS):
        self.name = "continuous_factors"
        self.factor_names = tuple(n for n, _ in factors)
        self.factor_sizes = tuple(s for _, s in factors)
        self.factor_values = tuple(np.arange(s) for s in self.factor_sizes)
        self.observation_shape = (len(factors),)

    def sample_observations_from_factors(self, factors, rng=None) -> np.ndarray:
        factors = self.check_factors(factors)
        return factors + as_generator(rng).uniform(size=factors.shape)


def normal_code(observations, sizes) -> np.ndarray:
    """z = Phi^-1((c + u) / n): exactly N(0, 1) per factor when c is uniform on n classes."""
    from scipy.special import ndtri

    return ndtri(np.asarray(observations, np.float64) / np.asarray(sizes, np.float64))


def rotation(t: float, dim: int, seed: int = 0) -> np.ndarray:
    """R(t) = expm(t A) with A skew-symmetric, scaled so R(1) turns its principal plane by pi/4."""
    from scipy.linalg import expm

    b = np.random.default_rng(seed).standard_normal((dim, dim))
    a = b - b.T
    # The eigenvalues of a real skew-symmetric matrix are +-i omega; R(t) turns plane j by t omega_j.
    a *= (math.pi / 4) / np.max(np.abs(np.linalg.eigvals(a).imag))
    return expm(t * a)


def log_prior(z: np.ndarray) -> np.ndarray:
    """log N(z; 0, I) per row."""
    return -0.5 * np.sum(z ** 2, axis=1) - 0.5 * z.shape[1] * math.log(2 * math.pi)


def demonstrate(*, ts=TS, num_train: int, num_test: int, batch_size: int, dci_backend: str, seed: int,
                rotation_seed: int = 0) -> dict:
    """The rows of the demonstration, one per t (see the module docstring)."""
    from scipy.stats import kstest

    import zoo.metrics

    data = ContinuousFactors()
    sizes = data.factor_sizes
    _, observations = data.sample(num_train, seed)
    z = normal_code(observations, sizes)
    rows = []
    for t in ts:
        r = rotation(t, len(sizes), rotation_seed)
        rz = z @ r.T
        fn = lambda obs, r=r: normal_code(obs, sizes) @ r.T  # noqa: E731
        scores = zoo.metrics.evaluate(
            fn, data, seed=seed, num_train=num_train, num_test=num_test, batch_size=4096, progress=False,
            metrics=["mig", "dci", "sap", "modularity_explicitness", "irs", "unsupervised", "beta_vae_score",
                     "factor_vae_score"],
            metric_options={"dci": {"backend": dci_backend}, "beta_vae_score": {"batch_size": batch_size},
                            "factor_vae_score": {"batch_size": batch_size, "num_variance_estimate": num_train}})
        rows.append({
            "t": t, "angle_degrees": 45.0 * t,
            "orthogonality_error": float(np.max(np.abs(r.T @ r - np.eye(len(sizes))))),
            "mean_log_prior": float(log_prior(rz).mean()),
            "max_abs_log_prior_change": float(np.max(np.abs(log_prior(rz) - log_prior(z)))),
            "max_ks_statistic": float(max(kstest(rz[:, k], "norm").statistic for k in range(len(sizes)))),
            "gaussian_total_correlation": scores["unsupervised.gaussian_total_correlation"],
            "scores": {label: scores[key] for label, key in SUPERVISED + INFORMATION},
        })
    return {"factors": list(data.factor_names), "sizes": list(sizes), "num_train": num_train, "num_test": num_test,
            "batch_size": batch_size, "dci_backend": dci_backend, "seed": seed, "rotation_seed": rotation_seed,
            "rows": rows, "mean_log_prior_unrotated": float(log_prior(z).mean())}
