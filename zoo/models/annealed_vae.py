"""AnnealedVAE (Burgess et al. 2018): the KL pulled towards a capacity that grows with the step."""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo import losses
from zoo.models.base import HParam
from zoo.models.vae import VAE


@keras.saving.register_keras_serializable(package="zoo")
class AnnealedVAE(VAE):
    """AnnealedVAE (Burgess et al. 2018, eq. 8): loss = -log p(x|z) + gamma * |KL - C(step)|.

    The capacity C grows linearly from 0 to `c_max` nats over `iteration_threshold` steps and then
    stays there (`zoo.losses.capacity`). It reads `model.step`, the counter saved with the weights,
    so a resumed run continues the schedule where it stopped.

    Args:
      gamma: weight of the capacity penalty; default 1000 (Locatello et al. 2019).
      c_max: final capacity in nats; default 25 (the study swept 5 to 100).
      iteration_threshold: steps for C to reach c_max; default 100000.
      **kwargs: `input_shape`, `latent_dim` and `seed`, as for `VAE`.
    """

    HPARAMS = (
        HParam("gamma", float, 1000.0, "weight of |KL - C|", low=0.0),
        HParam("c_max", float, 25.0, "final capacity C in nats", low=0.0),
        HParam("iteration_threshold", int, 100000, "steps over which C grows from 0 to c_max", low=1),
    )
    METRIC_NAMES = VAE.METRIC_NAMES + ("capacity",)

    def __init__(self, gamma=1000.0, c_max=25.0, iteration_threshold=100000, **kwargs):
        self.gamma = self._hparam("gamma", gamma)
        self.c_max = self._hparam("c_max", c_max)
        self.iteration_threshold = self._hparam("iteration_threshold", iteration_threshold)
        super().__init__(**kwargs)

    def regularizer(self, kl, z_mean, z_logvar, z):
        c = losses.capacity(self.step.value, self.c_max, self.iteration_threshold)
        return self.gamma * tf.abs(kl - c), {"capacity": c}
