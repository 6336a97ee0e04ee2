"""FactorVAE (Kim & Mnih 2018): total correlation estimated by a discriminator and penalised."""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo import losses
from zoo.models import networks
from zoo.models.base import HParam, gather_replicas, replica_context, scale_for_replicas
from zoo.models.optimizers import FusedAdam
from zoo.models.vae import VAE


@keras.saving.register_keras_serializable(package="zoo")
class FactorVAE(VAE):
    """FactorVAE (Kim & Mnih 2018, eq. 2): loss = -log p(x|z) + KL + gamma * TC.

    TC = KL(q(z) || prod_j q(z_j)) is estimated with the density-ratio trick,
    E_q(z)[log D(z) / (1 - D(z))] (eq. 3), by a discriminator D (`networks.fc_discriminator`) that is
    trained to tell codes z ~ q(z) from codes whose dimensions are permuted across the batch
    (alg. 1, `zoo.losses.permute_dims`). Two players: the VAE (encoder and decoder, `optimizer`)
    and the discriminator (`discriminator_optimizer`, by default Adam(1e-4, beta_1=0.5,
    beta_2=0.9) as in the paper and the study). Each `train_step` runs one forward pass, gives each
    player its own tape and weights, updates both once and advances the step counter once: here a
    step is one iteration. disentanglement_lib counts differently: its FactorVAE `model_fn`
    passes `global_step` to both `minimize` calls (`methods/unsupervised/vae.py`), so its counter
    advances twice per iteration and the study's 300,000 FactorVAE "steps" are 150,000 iterations
    (150,000 steps here). Under tf.distribute the permutation is drawn over the global batch.

    Args:
      gamma: weight of the TC term; default 10 (the study swept 10 to 100).
      **kwargs: `input_shape`, `latent_dim` and `seed`, as for `VAE`.
    """

    HPARAMS = (HParam("gamma", float, 10.0, "weight of the total correlation", low=0.0),)
    METRIC_NAMES = VAE.METRIC_NAMES + ("tc_loss", "discriminator_loss")
    # Presets ship what inference needs: the discriminator (5M weights, 20 MB) only trains.
    TRAINING_ONLY = ("discriminator",)
    # The discriminator tells q(z) from its batch-permuted marginals: one sample permutes to itself.
    MIN_BATCH_SIZE = 2

    def __init__(self, gamma=10.0, **kwargs):
        self.gamma = self._hparam("gamma", gamma)
        super().__init__(**kwargs)

    def _build_extra(self):
        self.discriminator = networks.fc_discriminator(self.latent_dim)

    def regularizer(self, kl, z_mean, z_logvar, z, discriminator_logits=None):
        if discriminator_logits is None:
            discriminator_logits = tf.cast(self.discriminator(z, training=False), tf.float32)
        tc = losses.density_ratio_tc(discriminator_logits)
        return kl + self.gamma * tc, {"tc_loss": tc}

    # ----------------------------------------------------------------- two players

    def compile(self, optimizer=None, discriminator_optimizer=None, **kwargs):
        """Compiles both players: `optimizer` for the VAE (default Adam(1e-4)) and
        `discriminator_optimizer` for D (default Adam(1e-4, beta_1=0.5, beta_2=0.9))."""
        super().compile(optimizer=optimizer, **kwargs)
        if discriminator_optimizer is None:
            discriminator_optimizer = FusedAdam(learning_rate=1e-4, beta_1=0.5, beta_2=0.9)
        if self.dtype_policy.name == "mixed_float16" and not isinstance(discriminator_optimizer,
                                                                        keras.optimizers.LossScaleOptimizer):
            # As keras.Model.compile does for the VAE's optimizer: float16 gradients underflow unscaled.
            discriminator_optimizer = keras.optimizers.LossScaleOptimizer(discriminator_optimizer)
        self._compile_discriminator(discriminator_optimizer)

    @property
    def main_trainable_variables(self):
        return self.encoder.trainable_variables + self.decoder.trainable_variables

    def _permuted_codes(self, z):
        """Dimension-wise permutation of this replica's share of the *global* batch of codes."""
        num_replicas, replica_id = replica_context()
        seed = self._seed(stream=1)
        if num_replicas == 1:
            return losses.permute_dims(z, seed)
        batch = tf.shape(z)[0]
        return losses.permute_dims(gather_replicas(z), seed)[replica_id * batch:(replica_id + 1) * batch]

    def _discriminate(self, z, training):
        z_permuted = self._permuted_codes(tf.stop_gradient(z))
        logits = self.discriminator(tf.concat([z, z_permuted], axis=0), training=training)
        return tf.split(tf.cast(logits, tf.float32), 2, axis=0)  # the density ratio in float32

    def train_step(self, data):
        images = self._images(data)
        with tf.GradientTape() as vae_tape, tf.GradientTape() as d_tape:
            outputs = self.forward(images, training=True)
            logits_q, logits_permuted = self._discriminate(outputs.z, training=True)
            terms = self.loss_terms(images, outputs, discriminator_logits=logits_q)
            terms["discriminator_loss"] = losses.discriminator_loss(logits_q, logits_permuted)
            # Loss scaling under mixed_float16 (each optimizer's scale_loss; the identity otherwise).
            vae_loss = self.optimizer.scale_loss(scale_for_replicas(terms["loss"]))
            d_loss = self.discriminator_optimizer.scale_loss(scale_for_replicas(terms["discriminator_loss"]))
        vae_variables = self.main_trainable_variables
        d_variables = self.discriminator.trainable_variables
        self.optimizer.apply(vae_tape.gradient(vae_loss, vae_variables), vae_variables)
        self.discriminator_optimizer.apply(d_tape.gradient(d_loss, d_variables), d_variables)
        self.step.assign_add(1)
        return self._update_trackers(terms)

    def test_step(self, data):
        images = self._images(data)
        outputs = self.forward(images, training=False)
        logits_q, logits_permuted = self._discriminate(outputs.z, training=False)
        terms = self.loss_terms(images, outputs, discriminator_logits=logits_q)
        terms["discriminator_loss"] = losses.discriminator_loss(logits_q, logits_permuted)
        return self._update_trackers(terms)
