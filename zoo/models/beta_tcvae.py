"""beta-TCVAE (Chen et al. 2018): the total-correlation part of the KL weighted by beta."""

from __future__ import annotations

import keras

from zoo import losses
from zoo.models.base import HParam, gather_replicas
from zoo.models.vae import VAE


@keras.saving.register_keras_serializable(package="zoo")
class BetaTCVAE(VAE):
    """beta-TCVAE (Chen et al. 2018, eq. 4 with alpha = gamma = 1): loss = -log p(x|z) + KL + (beta - 1) * TC.

    The KL splits into index-code mutual information, total correlation TC = KL(q(z) || prod_j q(z_j))
    and dimension-wise KL; only TC gets the extra weight. TC is the minibatch estimate of
    `zoo.losses.total_correlation` (as in disentanglement_lib), with the batch as the population
    (under tf.distribute the global batch, gathered from every replica).

    Args:
      beta: weight of the total correlation; default 6 (the study swept 1 to 10).
      **kwargs: `input_shape`, `latent_dim` and `seed`, as for `VAE`.
    """

    HPARAMS = (HParam("beta", float, 6.0, "weight of the total correlation", low=0.0),)
    METRIC_NAMES = VAE.METRIC_NAMES + ("tc_loss",)
    # The minibatch estimate of q(z) over one sample is q(z|x) itself, and TC is 0.
    MIN_BATCH_SIZE = 2

    def __init__(self, beta=6.0, **kwargs):
        self.beta = self._hparam("beta", beta)
        super().__init__(**kwargs)

    def regularizer(self, kl, z_mean, z_logvar, z):
        # This replica's codes scored against the posteriors of the global batch: the mean of the
        # replicas' estimates is then the one-device estimate on the global batch.
        tc = losses.total_correlation(z, gather_replicas(z_mean), gather_replicas(z_logvar))
        return kl + (self.beta - 1.0) * tc, {"tc_loss": tc}
