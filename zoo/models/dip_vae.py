"""DIP-VAE I and II (Kumar et al. 2018): moments of the aggregate posterior matched to the prior's."""

from __future__ import annotations

import keras

from zoo import losses
from zoo.models.base import HParam, gather_replicas
from zoo.models.vae import VAE


@keras.saving.register_keras_serializable(package="zoo")
class DIPVAE(VAE):
    """DIP-VAE (Kumar et al. 2018, sec. 3): the ELBO plus a penalty driving a covariance to I.

    loss = -log p(x|z) + KL + lambda_od * sum_{i != j} Cov_ij^2 + lambda_d * sum_i (Cov_ii - 1)^2, with
    Cov = Cov_p(x)[mu(x)] for variant "i" and Cov_q(z)[z] = E_p(x)[Sigma(x)] + Cov_p(x)[mu(x)] for
    variant "ii", both estimated on the batch (`zoo.losses.dip_covariance`; under tf.distribute the
    global batch, gathered from every replica).

    Args:
      variant: "i" or "ii".
      lambda_od: weight of the off-diagonal penalty; default 10.
      lambda_d: weight of the diagonal penalty; default (None) 10 * lambda_od for "i" and lambda_od
        for "ii", the study's settings (Locatello et al. 2019, table 2).
      **kwargs: `input_shape`, `latent_dim` and `seed`, as for `VAE`.
    """

    HPARAMS = (
        HParam("variant", str, "i", 'which covariance: "i" Cov[mu(x)], "ii" Cov_q(z)[z]', choices=("i", "ii")),
        HParam("lambda_od", float, 10.0, "weight of the off-diagonal penalty", low=0.0),
        HParam("lambda_d", float, None, "weight of the diagonal penalty (default by variant)", low=0.0),
    )
    METRIC_NAMES = VAE.METRIC_NAMES + ("dip_penalty",)
    # Cov_p(x)[mu(x)] over one sample is 0, and the penalty a constant.
    MIN_BATCH_SIZE = 2

    def __init__(self, variant="i", lambda_od=10.0, lambda_d=None, **kwargs):
        self.variant = variant = self._hparam("variant", str(variant).lower())
        self.lambda_od = self._hparam("lambda_od", lambda_od)
        if lambda_d is None:
            lambda_d = 10.0 * self.lambda_od if variant == "i" else self.lambda_od
        self.lambda_d = self._hparam("lambda_d", lambda_d)
        super().__init__(**kwargs)

    def regularizer(self, kl, z_mean, z_logvar, z):
        # The covariance of the global batch: under tf.distribute every replica computes the same
        # penalty, and its gradient reaches each replica's own codes through the gather.
        cov = losses.dip_covariance(gather_replicas(z_mean), gather_replicas(z_logvar), self.variant)
        penalty = losses.dip_penalty(cov, self.lambda_od, self.lambda_d)
        return kl + penalty, {"dip_penalty": penalty}
