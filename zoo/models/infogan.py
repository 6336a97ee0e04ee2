"""InfoGAN (Chen et al. 2016): a GAN whose generator codes are made recoverable by a Q network."""

from __future__ import annotations

import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo import losses
from zoo import noise as random_noise
from zoo.models import networks
from zoo.models.base import HParam, RepresentationModel, scale_for_replicas
from zoo.models.optimizers import FusedAdam

tfd = tfp.distributions


@keras.saving.register_keras_serializable(package="zoo")
class InfoGAN(RepresentationModel):
    """InfoGAN (Chen et al. 2016, eq. 6): min_{G,Q} max_D V(D, G) - lambda_info * L_I(G, Q).

    The generator G gets noise z ~ N(0, I) `[noise_dim]` and codes c: one categorical code with
    `num_categorical` classes (uniform, one-hot) and `num_continuous` codes ~ U(-1, 1). Q shares
    the discriminator's body and models Q(c | x): a softmax over the classes and a Gaussian per
    continuous code (learned scale, or scale 1 with `learn_scale=False`).
    L_I = H(c) + E[log Q(c | G(z, c))] is the variational lower bound on I(c; G(z, c)) (sec. 5);
    the loss adds lambda_info * (-E[log Q(c | G(z, c))]) to both players (H(c) is a constant).
    The GAN losses are the non-saturating ones; networks are DCGAN-style
    (`networks.dcgan_generator`, `networks.dcgan_discriminator`).

    Two players: the generator (`optimizer`, default Adam(1e-3, beta_1=0.5)) and the
    discriminator with the Q head (`discriminator_optimizer`, default Adam(2e-4, beta_1=0.5)), the
    paper's learning rates. Each `train_step` runs one forward pass (D sees real and generated
    images in one batch), gives each player its own tape and weights and updates both once.
    Under tf.distribute the batch-norm statistics are synchronised across replicas (those of the
    global batch), so an update does not depend on the number of replicas.

    `encode(x)` is Q's estimate of the codes, a `tfd.Blockwise` of a one-hot categorical and
    Gaussians; its mean (class probabilities, then continuous means) is the representation, so
    the metrics score InfoGAN like the VAEs. `latent_dim` = num_categorical + num_continuous.

    Args:
      num_categorical: classes of the categorical code (0 for none); default 3 (dSprites' shapes).
      num_continuous: number of continuous codes; default `latent_dim - num_categorical`.
      noise_dim: size of the incompressible noise z; default 62 (the paper's MNIST setting).
      lambda_info: weight of the mutual-information term; default 1.
      learn_scale: whether Q learns the continuous codes' scale (else fixed at 1).
      filters: width of the DCGAN networks (channels of D's first convolution, doubling per layer);
        default 16, so that a step costs about what a VAE step does (64x64: 16-32-64-128 channels).
      instance_noise: standard deviation of Gaussian noise added to the real and the generated
        images D sees in training (instance noise: Arjovsky & Bottou 2017, sec. 3; Sonderby et al.
        2017). Binary dSprites frames and sigmoid outputs have nearly disjoint supports, so without
        it D separates them perfectly and G collapses; default 0 (off, the paper's setting).
      input_shape: `(H, W, C)` with sides 4 * 2^n; default `(64, 64, 1)`.
      latent_dim: default 10; must equal num_categorical + num_continuous when both are given.
      seed: seeds the generator's inputs (with the step counter).
    """

    HPARAMS = (
        HParam("num_categorical", int, 3, "classes of the categorical code (0 for none)", low=0),
        HParam("num_continuous", int, None, "number of uniform continuous codes (default latent_dim - num_categorical)",
               low=0),
        HParam("noise_dim", int, 62, "size of the incompressible noise", low=0),
        HParam("lambda_info", float, 1.0, "weight of the mutual-information term", low=0.0),
        HParam("learn_scale", bool, True, "Q learns the continuous codes' scale (else 1)"),
        HParam("filters", int, 16, "channels of the first convolution of D and last of G", low=1),
        HParam("instance_noise", float, 0.0, "std of Gaussian noise on D's inputs in training", low=0.0),
    )
    METRIC_NAMES = ("discriminator_loss", "generator_loss", "info_loss", "mi_categorical")

    def __init__(self, num_categorical=3, num_continuous=None, noise_dim=62, lambda_info=1.0, learn_scale=True,
                 filters=16, instance_noise=0.0, input_shape=(64, 64, 1), latent_dim=None, seed=0, **kwargs):
        num_categorical = self._hparam("num_categorical", num_categorical)
        if num_continuous is None:
            num_continuous = (10 if latent_dim is None else int(latent_dim)) - num_categorical
        num_continuous = self._hparam("num_continuous", num_continuous)
        if latent_dim is None:
            latent_dim = num_categorical + num_continuous
        if num_categorical < 0 or num_continuous < 0 or num_categorical == 1:
            raise ValueError("InfoGAN needs num_categorical = 0 or >= 2 and num_continuous >= 0; got "
                             f"{num_categorical} and {num_continuous}.")
        if int(latent_dim) != num_categorical + num_continuous:
            raise ValueError(f"InfoGAN's latent_dim ({latent_dim}) must equal num_categorical + num_continuous "
                             f"({num_categorical} + {num_continuous}).")
        super().__init__(input_shape=input_shape, latent_dim=latent_dim, seed=seed, **kwargs)
        self.num_categorical = num_categorical
        self.num_continuous = num_continuous
        self.noise_dim = self._hparam("noise_dim", noise_dim)
        self.lambda_info = self._hparam("lambda_info", lambda_info)
        self.learn_scale = self._hparam("learn_scale", learn_scale)  # bool("False") would be True
        self.filters = self._hparam("filters", filters)
        self.instance_noise = self._hparam("instance_noise", instance_noise)
        self.generator = networks.dcgan_generator(self.noise_dim + self.latent_dim, self.observation_shape,
                                                  filters=self.filters)
        self.discriminator = networks.dcgan_discriminator(self.observation_shape, self.num_categorical,
                                                          self.num_continuous, filters=self.filters,
                                                          learn_scale=self.learn_scale)
        self._finish_init()

    # ----------------------------------------------------------------- codes and their posterior

    def _prior(self, batch, stream):
        """(noise [batch, noise_dim], one-hot [batch, k], continuous [batch, m]) for this step."""
        noise = self._draw(random_noise.normal, batch, [self.noise_dim], stream=stream)
        classes = self._draw(lambda shape, seed: random_noise.integers(shape, seed, max(self.num_categorical, 1)),
                             batch, [], stream=stream + 1)
        onehot = tf.one_hot(classes, self.num_categorical)
        continuous = self._draw(lambda shape, seed: random_noise.uniform(shape, seed, -1.0, 1.0),
                                batch, [self.num_continuous], stream=stream + 2)
        return noise, onehot, continuous

    def _q_heads(self, outputs):
        logits = outputs["q_logits"][:, :self.num_categorical]
        mean = outputs["q_mean"][:, :self.num_continuous]
        if self.learn_scale:
            log_scale = outputs["q_log_scale"][:, :self.num_continuous]
        else:
            log_scale = tf.zeros_like(mean)
        return logits, mean, log_scale

    def info_terms(self, outputs, onehot, continuous):
        """-E[log Q(c | x)] over the categorical and the continuous codes, and the categorical MI
        lower bound H(c) + E[log Q(c_cat | x)] = log k - cross-entropy (nats)."""
        logits, mean, log_scale = self._q_heads(outputs)
        info = tf.constant(0.0)
        mi = tf.constant(0.0)
        if self.num_categorical:
            nll = tf.reduce_mean(losses.categorical_nll(logits, onehot))
            info += nll
            mi = math.log(self.num_categorical) - nll
        if self.num_continuous:
            info += tf.reduce_mean(losses.gaussian_nll(continuous, mean, log_scale))
        return info, mi

    def generate_logits(self, noise, codes, training=False):
        return self.generator(tf.concat([noise, codes], axis=1), training=training)

    # ----------------------------------------------------------------- two players

    def compile(self, optimizer=None, discriminator_optimizer=None, **kwargs):
        """Compiles both players: `optimizer` for G (default Adam(1e-3, beta_1=0.5)) and
        `discriminator_optimizer` for D and Q (default Adam(2e-4, beta_1=0.5))."""
        if optimizer is None:
            optimizer = FusedAdam(learning_rate=1e-3, beta_1=0.5)
        super().compile(optimizer=optimizer, **kwargs)
        if discriminator_optimizer is None:
            discriminator_optimizer = FusedAdam(learning_rate=2e-4, beta_1=0.5)
        self._compile_discriminator(discriminator_optimizer)

    @property
    def main_trainable_variables(self):
        return self.generator.trainable_variables

    def _terms(self, images, training):
        batch = tf.shape(images)[0]
        noise, onehot, continuous = self._prior(batch, stream=0)
        fake = tf.sigmoid(self.generate_logits(noise, tf.concat([onehot, continuous], 1), training=training))
        seen = tf.concat([images, fake], axis=0)
        if training and self.instance_noise > 0:
            # One draw per half (real, generated), each of the global batch's shape, so every image
            # gets the same noise whatever the number of replicas.
            noise = [self._draw(random_noise.normal, batch, list(self.observation_shape), stream=stream)
                     for stream in (3, 4)]
            seen += self.instance_noise * tf.concat(noise, axis=0)
        outputs = self.discriminator(seen, training=training)
        logits_real, logits_fake = tf.split(outputs["d_logits"], 2, axis=0)
        fake_outputs = {k: v[batch:] for k, v in outputs.items()}
        d_loss, g_loss = losses.sigmoid_gan_losses(logits_real, logits_fake)
        info, mi = self.info_terms(fake_outputs, onehot, continuous)
        return {"discriminator_loss": d_loss, "generator_loss": g_loss, "info_loss": info, "mi_categorical": mi}

    def train_step(self, data):
        images = self._images(data)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            terms = self._terms(images, training=True)
            g_loss = scale_for_replicas(terms["generator_loss"] + self.lambda_info * terms["info_loss"])
            d_loss = scale_for_replicas(terms["discriminator_loss"] + self.lambda_info * terms["info_loss"])
        g_variables = self.main_trainable_variables
        d_variables = self.discriminator.trainable_variables
        self.optimizer.apply(g_tape.gradient(g_loss, g_variables), g_variables)
        self.discriminator_optimizer.apply(d_tape.gradient(d_loss, d_variables), d_variables)
        self.step.assign_add(1)
        return self._update_trackers(terms)

    def test_step(self, data):
        return self._update_trackers(self._terms(self._images(data), training=False))

    # ----------------------------------------------------------------- the interface

    def encode(self, images):
        """Q(c | x): `tfd.Blockwise([OneHotCategorical, Independent(Normal)])` over `[latent_dim]`."""
        outputs = self.discriminator(self._checked(images), training=False)
        logits, mean, log_scale = self._q_heads(outputs)
        parts = []
        if self.num_categorical:
            parts.append(tfd.OneHotCategorical(logits=logits, dtype=tf.float32))
        if self.num_continuous:
            parts.append(tfd.Independent(tfd.Normal(mean, tf.exp(log_scale)), 1))
        return tfd.Blockwise(parts)

    def encode_mean(self, images, training=False):
        logits, mean, _ = self._q_heads(self.discriminator(images, training=training))
        return tf.concat([tf.nn.softmax(logits), mean], axis=1)

    def decode(self, codes, noise=None):
        """G(noise, codes) in [0, 1]; `codes` `[batch, latent_dim]` (one-hot or probabilities, then
        continuous values), noise zero unless given `[batch, noise_dim]`."""
        codes = tf.convert_to_tensor(codes, tf.float32)
        if noise is None:
            noise = tf.zeros([tf.shape(codes)[0], self.noise_dim])
        return tf.sigmoid(self.generate_logits(noise, codes, training=False))

    def reconstruct(self, images):
        """G(0, c) with c Q's most likely class (one-hot) and continuous means."""
        codes = self.encode_mean(self._checked(images))
        onehot = tf.one_hot(tf.argmax(codes[:, :self.num_categorical], axis=1), self.num_categorical)
        return self.decode(tf.concat([onehot, codes[:, self.num_categorical:]], axis=1))

    def sample(self, n: int, seed: int = 0, return_codes: bool = False):
        """`n` images G(z, c) with z and c drawn from their priors; optionally also c `[n, latent_dim]`."""
        n = int(n)
        noise = tf.random.stateless_normal([n, self.noise_dim], seed=[int(seed), 0])
        classes = tf.random.stateless_uniform([n], [int(seed), 1], maxval=max(self.num_categorical, 1), dtype=tf.int32)
        continuous = tf.random.stateless_uniform([n, self.num_continuous], [int(seed), 2], -1.0, 1.0)
        codes = tf.concat([tf.one_hot(classes, self.num_categorical), continuous], axis=1)
        images = self.decode(codes, noise=noise)
        return (images, codes) if return_codes else images
