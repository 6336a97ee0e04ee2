"""The Gaussian VAE with a Bernoulli decoder, and the one hook its variants override.

Kingma & Welling 2014: maximise the ELBO E_q(z|x)[log p(x|z)] - KL(q(z|x) || p(z)), with
q(z|x) = N(mu(x), diag(sigma^2(x))), p(z) = N(0, I) and p(x|z) Bernoulli with logits from the
decoder. Every variant of this zoo changes only the regulariser that replaces the KL term
(disentanglement_lib's design): loss = reconstruction + regularizer(kl, z_mean, z_logvar, z).
"""

from __future__ import annotations

from typing import NamedTuple

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo import losses
from zoo import noise as random_noise
from zoo.models import networks
from zoo.models.base import RepresentationModel, scale_for_replicas

tfd = tfp.distributions


class VAEOutputs(NamedTuple):
    """One forward pass: the posterior parameters, a reparameterised sample and the decoder logits."""
    z_mean: tf.Tensor     # [batch, latents]
    z_logvar: tf.Tensor   # [batch, latents]
    z: tf.Tensor          # [batch, latents]
    logits: tf.Tensor     # [batch, H, W, C]


@keras.saving.register_keras_serializable(package="zoo")
class VAE(RepresentationModel):
    """Variational autoencoder (Kingma & Welling 2014, eq. 10): loss = -log p(x|z) + KL(q(z|x) || p(z)).

    The reconstruction term is the Bernoulli negative log-likelihood from logits summed over pixels,
    the KL is in closed form; both are averaged over the batch. Networks: `networks.conv_encoder`
    and `networks.deconv_decoder` (disentanglement_lib's, the study's).

    Args:
      input_shape: `(H, W, C)`, sides divisible by 16; default `(64, 64, 1)`.
      latent_dim: number of latents; default 10.
      seed: seeds the reparameterisation noise (with the step counter).

    Example:
      >>> import numpy as np, zoo.models
      >>> model = zoo.models.VAE(input_shape=(16, 16, 1), latent_dim=4)
      >>> model.compile()
      >>> model.representation(np.zeros((3, 16, 16, 1), np.float32)).shape
      (3, 4)
    """

    METRIC_NAMES = ("loss", "reconstruction_loss", "kl_loss")

    def __init__(self, input_shape=(64, 64, 1), latent_dim=10, seed=0, **kwargs):
        super().__init__(input_shape=input_shape, latent_dim=latent_dim, seed=seed, **kwargs)
        self.encoder = networks.conv_encoder(self.observation_shape, self.latent_dim)
        self.decoder = networks.deconv_decoder(self.latent_dim, self.observation_shape)
        self._build_extra()
        self._finish_init()

    def _build_extra(self):
        """Hook for variants that own more networks (FactorVAE's discriminator)."""

    def regularizer(self, kl, z_mean, z_logvar, z):
        """The term that replaces the KL in the loss; variants override this one method.

        Args:
          kl: scalar, KL(q(z|x) || N(0, I)) averaged over the batch.
          z_mean: `[batch, latents]` posterior means.
          z_logvar: `[batch, latents]` posterior log-variances.
          z: `[batch, latents]` a sample of the posterior.

        Returns:
          a scalar, or `(scalar, {name: scalar})` with extra terms to track (names must be in
          `METRIC_NAMES`).
        """
        return kl

    # ----------------------------------------------------------------- the forward pass and loss

    def forward(self, images, training=False) -> VAEOutputs:
        """Encode, draw z ~ q(z|x) with this step's seeded noise, decode (every output float32)."""
        z_mean, z_logvar = self._posterior(images, training=training)
        noise = self._draw(random_noise.normal, tf.shape(images)[0], [self.latent_dim], stream=0)
        z = losses.reparameterize(z_mean, z_logvar, noise)
        return VAEOutputs(z_mean, z_logvar, z, tf.cast(self.decoder(z, training=training), tf.float32))

    def _posterior(self, images, training=False):
        """The encoder's `(z_mean, z_logvar)` as float32. Under a mixed precision policy
        (`keras.mixed_precision.set_global_policy("mixed_bfloat16")` or `"mixed_float16"`, set before
        the model is built) the networks compute in bfloat16/float16 with float32 weights; their
        outputs are cast here, so the sampling, the losses, the KL and the TC estimators all run in
        float32 (Micikevicius et al., Mixed Precision Training, ICLR 2018)."""
        z_mean, z_logvar = self.encoder(images, training=training)
        return tf.cast(z_mean, tf.float32), tf.cast(z_logvar, tf.float32)

    def loss_terms(self, images, outputs: VAEOutputs, **regularizer_kwargs) -> dict:
        """The named loss terms of one batch; `"loss"` is what the optimizer minimises."""
        reconstruction = tf.reduce_mean(losses.bernoulli_nll(images, outputs.logits))
        kl = tf.reduce_mean(losses.gaussian_kl(outputs.z_mean, outputs.z_logvar))
        penalty = self.regularizer(kl, outputs.z_mean, outputs.z_logvar, outputs.z, **regularizer_kwargs)
        penalty, extra = penalty if isinstance(penalty, tuple) else (penalty, {})
        return {"loss": reconstruction + penalty, "reconstruction_loss": reconstruction, "kl_loss": kl, **extra}

    def train_step(self, data):
        images = self._images(data)
        with tf.GradientTape() as tape:
            terms = self.loss_terms(images, self.forward(images, training=True))
            # scale_loss: the identity, except under mixed_float16, where compile wraps the optimizer
            # in Keras' LossScaleOptimizer (its apply unscales, and skips a step whose gradients overflow).
            loss = self.optimizer.scale_loss(scale_for_replicas(terms["loss"]))
        variables = self.main_trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        self.step.assign_add(1)
        return self._update_trackers(terms)

    def test_step(self, data):
        images = self._images(data)
        return self._update_trackers(self.loss_terms(images, self.forward(images, training=False)))

    # ----------------------------------------------------------------- the interface

    def encode(self, images):
        """The posterior q(z|x) = N(mu(x), diag(exp(logvar(x)))) as `tfd.MultivariateNormalDiag`."""
        z_mean, z_logvar = self._posterior(self._checked(images), training=False)
        return tfd.MultivariateNormalDiag(loc=z_mean, scale_diag=tf.exp(0.5 * z_logvar))

    def encode_mean(self, images, training=False):
        return self._posterior(images, training=training)[0]

    def decode_logits(self, codes):
        """Decoder logits `[batch, H, W, C]` for codes `[batch, latent_dim]`."""
        return tf.cast(self.decoder(tf.convert_to_tensor(codes, tf.float32), training=False), tf.float32)

    def decode(self, codes):
        return tf.sigmoid(self.decode_logits(codes))

    def likelihood(self, codes):
        """p(x|z) as a `tfd.Independent(tfd.Bernoulli)` over `[H, W, C]`."""
        return tfd.Independent(tfd.Bernoulli(logits=self.decode_logits(codes), dtype=tf.float32), 3)

    def sample(self, n: int, seed: int = 0):
        """`n` images decoded from z ~ N(0, I): `[n, H, W, C]` in [0, 1]."""
        z = tf.random.stateless_normal([int(n), self.latent_dim], seed=[int(seed), 0])
        return self.decode(z)
