"""beta-VAE (Higgins et al. 2017): the KL term weighted by beta."""

from __future__ import annotations

import keras

from zoo.models.base import HParam
from zoo.models.vae import VAE


@keras.saving.register_keras_serializable(package="zoo")
class BetaVAE(VAE):
    """beta-VAE (Higgins et al. 2017, eq. 4): loss = -log p(x|z) + beta * KL(q(z|x) || p(z)).

    beta > 1 presses the posterior towards the factorised prior; beta = 1 is the plain `VAE`.

    Args:
      beta: weight of the KL term; default 4 (Locatello et al. 2019 sweep beta over 1, 2, 4, 6, 8, 16).
      **kwargs: `input_shape`, `latent_dim` and `seed`, as for `VAE`.

    Example:
      >>> import zoo.models
      >>> zoo.models.BetaVAE(beta=4.0, input_shape=(16, 16, 1)).hparams
      {'beta': 4.0}
    """

    HPARAMS = (HParam("beta", float, 4.0, "weight of the KL term", low=0.0),)

    def __init__(self, beta=4.0, **kwargs):
        self.beta = self._hparam("beta", beta)
        super().__init__(**kwargs)

    def regularizer(self, kl, z_mean, z_logvar, z):
        return self.beta * kl
