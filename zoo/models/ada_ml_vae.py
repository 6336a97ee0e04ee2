"""Ada-ML-VAE (Locatello et al. 2020): shared latents take the product of the pair's posteriors."""

from __future__ import annotations

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo.models.weak_vae import WeakVAE

tfd = tfp.distributions


@keras.saving.register_keras_serializable(package="zoo")
class AdaMLVAE(WeakVAE):
    """Ada-ML-VAE (Locatello et al. 2020, sec. 4): ML-VAE's product of experts with the adaptive threshold.

    On a shared latent both posteriors become the normalised product of the two Gaussian experts,
    each taken to the power 1/2 (a geometric mean, so that two equal posteriors are left as they
    are): precision (1/sigma_1^2 + 1/sigma_2^2) / 2 and mean (mu_1/sigma_1^2 + mu_2/sigma_2^2) /
    (1/sigma_1^2 + 1/sigma_2^2). This is what disentanglement_lib's `MLVae.model_fn` computes
    (`new_var = 2 var_1 var_2 / (var_1 + var_2)`, `new_mean = (z_mean / var_1 + z_mean_2 / var_2) *
    new_var * 0.5`), the code behind the paper's numbers. Its mean is the mean of the plain product
    of experts of Bouchacourt et al. 2018's ML-VAE, its variance twice that product's (whose
    precision is the sum, 1/sigma_1^2 + 1/sigma_2^2).

    Args:
      beta: weight of the KL terms, as for `WeakVAE`.
      k: factors redrawn per training pair, as for `WeakVAE`.
      known_k: the top-k rule instead of the adaptive threshold, as for `WeakVAE`.
      **kwargs: `input_shape`, `latent_dim` and `seed`, as for `VAE`.

    Example:
      >>> import zoo.models
      >>> zoo.models.get("ada_ml_vae", input_shape=(16, 16, 1), k=1).hparams
      {'beta': 1.0, 'k': 1, 'known_k': False}
    """

    def aggregate(self, q1, q2):
        precision1, precision2 = 1.0 / q1.variance(), 1.0 / q2.variance()
        precision = 0.5 * (precision1 + precision2)
        loc = (q1.loc * precision1 + q2.loc * precision2) / (precision1 + precision2)
        return tfd.Normal(loc=loc, scale=tf.math.rsqrt(precision))
