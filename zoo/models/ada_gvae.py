"""Ada-GVAE (Locatello et al. 2020): shared latents take the average of the pair's posteriors."""

from __future__ import annotations

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo.models.weak_vae import WeakVAE

tfd = tfp.distributions


@keras.saving.register_keras_serializable(package="zoo")
class AdaGVAE(WeakVAE):
    """Ada-GVAE (Locatello et al. 2020, sec. 4): the Group-VAE average with the adaptive threshold.

    On a shared latent both posteriors become N((mu_1 + mu_2) / 2, (sigma_1^2 + sigma_2^2) / 2): the
    mean of the means and the mean of the variances (the averaging of Hosoya 2019's GVAE, as
    disentanglement_lib's `GroupVAEBase.model_fn` computes it: `new_mean = 0.5 * z_mean + 0.5 *
    z_mean_2`, `new_log_var = log(0.5 * var_1 + 0.5 * var_2)`).

    Args:
      beta: weight of the KL terms, as for `WeakVAE`.
      k: factors redrawn per training pair, as for `WeakVAE`.
      known_k: the top-k rule instead of the adaptive threshold, as for `WeakVAE`.
      **kwargs: `input_shape`, `latent_dim` and `seed`, as for `VAE`.

    Example:
      >>> import numpy as np, zoo.models
      >>> model = zoo.models.get("ada_gvae", input_shape=(16, 16, 1), latent_dim=4)
      >>> model.hparams, model.representation(np.zeros((3, 16, 16, 1), np.float32)).shape
      ({'beta': 1.0, 'k': 0, 'known_k': False}, (3, 4))
    """

    def aggregate(self, q1, q2):
        variance = 0.5 * (q1.variance() + q2.variance())
        return tfd.Normal(loc=0.5 * (q1.loc + q2.loc), scale=tf.sqrt(variance))
