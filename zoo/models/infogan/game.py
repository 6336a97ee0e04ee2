"""InfoGAN's game (Chen et al. 2016, eq. 6): G, D with Q on its body, the information term, the update order.

`InfoGAN` here is the family's base and its first variant, the paper's: the non-saturating GAN loss
(`gan_terms`). The WGAN-GP critic (`wgan_gp.py`) and InfoGAN-CR's contrastive term
(`contrastive.py`) are subclasses that override one hook each; `InfoGAN(**options)` and a saved
config build the variant their `gan_loss` and `lambda_contrastive` select.

Every option, and where each departs from the paper's setting: `options.py`.
"""

from __future__ import annotations

import inspect
import math
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from zoo import augment, losses
from zoo import noise as random_noise
from zoo.models.base import RepresentationModel, scale_for_replicas
from zoo.models.infogan import networks_cr, networks_dcgan, networks_mnist, options
from zoo.models.infogan.norms import SpectralNorm
from zoo.models.optimizers import FusedAdam

tfd = tfp.distributions

# Noise streams per forward pass (codes 0-2, instance noise 3-4, the penalty's eps 5); pass k of a
# step draws from streams 8k .. 8k + 7, so pass 0 draws what a step always drew.
_STREAMS_PER_DRAW = 8


class Regularizer(NamedTuple):
    """What a regulariser of G adds to a pass (the `regularizer` hook): its tracked `terms`, the loss
    of the network it trains beside D (on D's optimizer), and its weighted loss in G's."""

    terms: dict
    trainer_loss: tf.Tensor | None = None
    generator_loss: tf.Tensor | None = None


@keras.saving.register_keras_serializable(package="zoo")
class InfoGAN(RepresentationModel):
    """InfoGAN (Chen et al. 2016, eq. 6): min_{G,Q} max_D V(D, G) - lambda_info * L_I(G, Q).

    G gets noise z `[noise_dim]` (`noise_prior`, U(-1, 1) by default) and codes c: one categorical code
    with `num_categorical` classes (uniform, one-hot) and `num_continuous` codes ~ U(-1, 1). Q shares
    D's body and models Q(c | x): a softmax over the classes and a Gaussian per continuous code
    (learned scale, optionally floored at `min_scale`, or 1 with `learn_scale=False`).
    L_I = H(c) + E[log Q(c | G(z, c))] bounds I(c; G(z, c)) from below (sec. 5); both players' losses
    add lambda_info * (lambda_categorical * -E[log Q(c_cat | x)] + lambda_continuous * -E[log Q(c_cont | x)])
    (H(c) is a constant). The GAN loss is the hook `gan_terms`: here the non-saturating one
    (Goodfellow et al. 2014), the paper's.

    The paper's MNIST setting (app. C.1): `zoo.models.get("infogan", input_shape=(28, 28, 1),
    num_categorical=10, num_continuous=2)` (noise_dim 62, the table 1 networks, Adam 2e-4 for D
    and 1e-3 for G, beta_1 0.5). Every option, its default and where it departs from the
    paper: `options.py`.

    Two players, each with its own tape, weights and optimizer: G (`optimizer`) and D with Q
    (`discriminator_optimizer`, which also trains a regulariser's network). Each `train_step`
    makes `n_critic - 1` updates of D and Q alone, then one of D and Q from a forward pass, then
    `generator_updates` of G, each from a pass of its own against the updated D and Q
    (`alternating=False`: G's first update from D's pass, both gradients taken before either
    moves). Under tf.distribute the batch-norm statistics are those of the global batch.

    `encode(x)` is Q's estimate of the codes, a `tfd.Blockwise` of a one-hot categorical and
    Gaussians; its mean (class probabilities, then continuous means) is the representation, so the
    metrics score InfoGAN like the VAEs (`latent_dim` = num_categorical + num_continuous).
    `categorical_code(x)` and `continuous_code(x)` read the two parts of real images.

    Args: the options of `options.HPARAMS` (`zoo.models.hparams("infogan")` lists them with their
    defaults), and `input_shape` (default `(64, 64, 1)`), `latent_dim` (default 10; must equal
    num_categorical + num_continuous when both are given), `seed` (the generator's inputs, with the
    step counter).
    """

    HPARAMS = options.HPARAMS
    LEGACY_HPARAMS = options.LEGACY_HPARAMS
    NETWORKS = options.NETWORKS
    VARIANT = ("standard", False)  # (gan_loss, lambda_contrastive > 0): the options that select this class
    BODY_NORMALIZATION = "batch"  # of D's body: the papers' batch norm
    # Adam for G and for D with Q: the paper's learning rates.
    GENERATOR_ADAM = {"learning_rate": 1e-3, "beta_1": 0.5}
    DISCRIMINATOR_ADAM = {"learning_rate": 2e-4, "beta_1": 0.5}
    TRAINING_ONLY = ("contrastive",)
    METRIC_NAMES = ("discriminator_loss", "generator_loss", "info_loss", "mi_categorical", "continuous_nll")
    _VARIANTS: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "VARIANT" in cls.__dict__:
            InfoGAN._VARIANTS[cls.VARIANT] = cls

    def __new__(cls, *args, **kwargs):
        # InfoGAN(**options), and so a saved config, builds the variant its options select.
        return super().__new__(cls.variant(*args, **kwargs) if cls is InfoGAN else cls, *args, **kwargs)

    @classmethod
    def variant(cls, *args, **kwargs) -> type:
        """The class that `InfoGAN(*args, **kwargs)` builds: by `gan_loss` and `lambda_contrastive > 0`."""
        given = inspect.signature(InfoGAN.__init__).bind_partial(None, *args, **kwargs).arguments
        key = (options.check("gan_loss", given.get("gan_loss", "standard")),
               options.check("lambda_contrastive", given.get("lambda_contrastive", 0.0)) > 0)
        return InfoGAN._VARIANTS[key]

    def __init__(self, num_categorical=3, num_continuous=None, noise_dim=62, lambda_info=1.0, lambda_categorical=1.0,
                 lambda_continuous=0.1, learn_scale=True, min_scale=0.0, network="auto", filters=None,
                 separate_batches=True, instance_noise=0.0, translation=0.0, gan_loss="standard", gradient_penalty=10.0,
                 n_critic=None, lambda_contrastive=0.0, contrastive_start=0, spectral_norm=None, generator_updates=1,
                 discriminator_learning_rate=None, noise_prior="uniform", alternating=True, leak=0.1,
                 input_shape=(64, 64, 1), latent_dim=None, seed=0, **kwargs):
        given = dict(locals())
        resolved = options.resolve(**{name: given[name] for name in inspect.signature(options.resolve).parameters})
        if (resolved["gan_loss"], resolved["lambda_contrastive"] > 0) != self.VARIANT:
            raise ValueError(f"{type(self).__name__} is InfoGAN with gan_loss={self.VARIANT[0]!r} and "
                             f"lambda_contrastive {'> 0' if self.VARIANT[1] else '0'}; got gan_loss={resolved['gan_loss']!r}, "
                             f"lambda_contrastive={resolved['lambda_contrastive']}. InfoGAN(...) builds the variant "
                             "the options select.")
        super().__init__(input_shape=input_shape, latent_dim=resolved.pop("latent_dim"), seed=seed, **kwargs)
        for name, value in resolved.items():
            setattr(self, name, value)
        self.contrastive = None
        self._build_players()
        self._finish_init()

    def _build_players(self):
        """G and D (with Q) of the chosen network family (`networks_*.py`)."""
        normalization = self.BODY_NORMALIZATION
        if self.network == "mnist":
            self.generator = networks_mnist.infogan_mnist_generator(
                self.noise_dim + self.latent_dim, self.observation_shape, filters=self.filters)
            self.discriminator = networks_mnist.infogan_mnist_discriminator(
                self.observation_shape, self.num_categorical, self.num_continuous, filters=self.filters,
                learn_scale=self.learn_scale, normalization=normalization, spectral_norm=self.spectral_norm,
                leak=self.leak)
        elif self.network == "cr":
            self.generator = networks_cr.infogan_cr_generator(self.noise_dim + self.latent_dim, self.observation_shape)
            self.discriminator = networks_cr.infogan_cr_discriminator(
                self.observation_shape, self.num_categorical, self.num_continuous, learn_scale=self.learn_scale,
                spectral_norm=self.spectral_norm)
        else:
            self.generator = networks_dcgan.dcgan_generator(self.noise_dim + self.latent_dim, self.observation_shape,
                                                            filters=self.filters)
            self.discriminator = networks_dcgan.dcgan_discriminator(
                self.observation_shape, self.num_categorical, self.num_continuous, filters=self.filters,
                learn_scale=self.learn_scale, normalization=normalization, spectral_norm=self.spectral_norm)

    # ----------------------------------------------------------------- the hooks a variant overrides

    def gan_terms(self, logits_real, logits_fake, seen, batch, first, discriminator=True) -> dict:
        """The GAN loss of a pass: `generator_loss` and (with `discriminator`) `discriminator_loss`, from
        D's logits of the real and generated images (`seen`: both halves, as D saw them; `first`: the
        pass's first noise stream). Here the non-saturating losses (Goodfellow et al. 2014)."""
        terms = {"generator_loss": losses.sigmoid_generator_loss(logits_fake)}
        if discriminator:
            terms["discriminator_loss"] = losses.sigmoid_gan_losses(logits_real, logits_fake)[0]
        return terms

    def regularizer(self, batch, training=True) -> Regularizer:
        """A regulariser of G beyond the information term, on draws of its own (InfoGAN-CR's
        contrastive term); none here."""
        return Regularizer({})

    # ----------------------------------------------------------------- codes and their posterior

    def _noise_sampler(self, shape, seed):
        """The noise prior's stateless sampler (`zoo.noise`)."""
        if self.noise_prior == "normal":
            return random_noise.normal(shape, seed)
        return random_noise.uniform(shape, seed, -1.0, 1.0)

    def draw_noise(self, rng: np.random.Generator, shape) -> np.ndarray:
        """Noise z from its prior `noise_prior` as float32 `shape` (last axis `noise_dim`), drawn by
        `rng`: for pictures and benchmarks that hold z fixed while they sweep a code."""
        if self.noise_prior == "normal":
            return rng.standard_normal(shape).astype(np.float32)
        return rng.uniform(-1.0, 1.0, shape).astype(np.float32)

    def _prior(self, batch, stream):
        """(noise [batch, noise_dim], one-hot [batch, k], continuous [batch, m]) for this step."""
        noise = self._draw(self._noise_sampler, batch, [self.noise_dim], stream=stream)
        classes = self._draw(lambda shape, seed: random_noise.integers(shape, seed, max(self.num_categorical, 1)),
                             batch, [], stream=stream + 1)
        onehot = tf.one_hot(classes, self.num_categorical)
        continuous = self._draw(lambda shape, seed: random_noise.uniform(shape, seed, -1.0, 1.0),
                                batch, [self.num_continuous], stream=stream + 2)
        return noise, onehot, continuous

    def _q_heads(self, outputs):
        logits = outputs["q_logits"][:, :self.num_categorical]
        mean = outputs["q_mean"][:, :self.num_continuous]
        if not self.learn_scale:
            log_scale = tf.zeros_like(mean)
        elif self.min_scale > 0:
            # log(min_scale + exp(raw)) = logaddexp(raw, log min_scale): the scale stays above
            # min_scale, smoothly (and exp(raw) never overflows).
            raw = outputs["q_log_scale"][:, :self.num_continuous]
            floor = math.log(self.min_scale)
            log_scale = tf.maximum(raw, floor) + tf.math.log1p(tf.exp(-tf.abs(raw - floor)))
        else:
            log_scale = outputs["q_log_scale"][:, :self.num_continuous]
        return logits, mean, log_scale

    def info_terms(self, outputs, onehot, continuous):
        """The weighted information loss lambda_categorical * -E[log Q(c_cat | x)] +
        lambda_continuous * -E[log Q(c_cont | x)], the categorical MI lower bound
        H(c) + E[log Q(c_cat | x)] = log k - cross-entropy (nats), and -E[log Q(c_cont | x)]."""
        logits, mean, log_scale = self._q_heads(outputs)
        info = tf.constant(0.0)
        mi = tf.constant(0.0)
        continuous_nll = tf.constant(0.0)
        if self.num_categorical:
            nll = tf.reduce_mean(losses.categorical_nll(logits, onehot))
            info += self.lambda_categorical * nll
            mi = math.log(self.num_categorical) - nll
        if self.num_continuous:
            continuous_nll = tf.reduce_mean(losses.gaussian_nll(continuous, mean, log_scale))
            info += self.lambda_continuous * continuous_nll
        return info, mi, continuous_nll

    def generate_logits(self, noise, codes, training=False):
        return tf.cast(self.generator(tf.concat([noise, codes], axis=1), training=training), tf.float32)

    def _discriminate(self, images, training=False) -> dict:
        """D's (and Q's) outputs as float32. Under a mixed precision policy (`mixed_bfloat16`,
        `mixed_float16`, set before the model is built) the networks compute in the policy's dtype
        with float32 weights; the GAN losses, Q's likelihoods and the penalties run in float32."""
        return {k: tf.cast(v, tf.float32) for k, v in self.discriminator(images, training=training).items()}

    # ----------------------------------------------------------------- two players

    def compile(self, optimizer=None, discriminator_optimizer=None, **kwargs):
        """Compiles both players: `optimizer` for G (default Adam `GENERATOR_ADAM`, the paper's 1e-3,
        beta_1 0.5) and `discriminator_optimizer` for D and Q (default Adam `DISCRIMINATOR_ADAM`, the
        paper's 2e-4, at `discriminator_learning_rate` when set)."""
        if optimizer is None:
            optimizer = FusedAdam(**self.GENERATOR_ADAM)
        super().compile(optimizer=optimizer, **kwargs)
        if discriminator_optimizer is None:
            discriminator_optimizer = FusedAdam(**self.DISCRIMINATOR_ADAM)
            if self.discriminator_learning_rate is not None:
                discriminator_optimizer.learning_rate = self.discriminator_learning_rate
        if self.dtype_policy.name == "mixed_float16" and not isinstance(discriminator_optimizer,
                                                                        keras.optimizers.LossScaleOptimizer):
            # As keras.Model.compile does for G's optimizer: float16 gradients underflow unscaled.
            discriminator_optimizer = keras.optimizers.LossScaleOptimizer(discriminator_optimizer)
        self._compile_discriminator(discriminator_optimizer)

    @property
    def main_trainable_variables(self):
        return self.generator.trainable_variables

    @property
    def _second_player_variables(self):
        """What D's optimizer trains: D with Q, and a regulariser's network (H) when there is one."""
        h = self.contrastive.trainable_variables if self.contrastive is not None else []
        return self.discriminator.trainable_variables + h

    def _compile_discriminator(self, optimizer):
        self.discriminator_optimizer = optimizer
        optimizer.build(self._second_player_variables)

    def _terms(self, images, training, draw=0, discriminator=True):
        """The loss terms of one forward pass, from draw `draw` of the step's random numbers (0 for
        the step's main pass and G's passes; 1 .. n_critic - 1 for the critic's extra updates).
        `discriminator=False`: G's terms only (its GAN loss and the information terms), for G's
        update; with separate batches D then sees only the generated images."""
        batch = tf.shape(images)[0]
        first = _STREAMS_PER_DRAW * draw
        noise, onehot, continuous = self._prior(batch, stream=first)
        fake = tf.sigmoid(self.generate_logits(noise, tf.concat([onehot, continuous], 1), training=training))
        if training and self.translation > 0:
            # DiffAugment: one draw of shifts per half, D(T(x)) and D(T(G(z, c))).
            images, fake = (self._translated(half, stream) for half, stream in ((images, first + 6), (fake, first + 7)))
        seen = tf.concat([images, fake], axis=0)
        if training and self.instance_noise > 0:
            # One draw per half (real, generated), each of the global batch's shape, so every image
            # gets the same noise whatever the number of replicas.
            noise = [self._draw(random_noise.normal, batch, list(self.observation_shape), stream=stream)
                     for stream in (first + 3, first + 4)]
            seen += self.instance_noise * tf.concat(noise, axis=0)
        if self.separate_batches:
            # Two calls: in training, D's batch norm normalises real and generated images each by
            # their own batch's statistics (as the authors' code does), not by pooled ones. The
            # moving statistics, which inference uses (reading the codes of real images), follow
            # the real batches only, so a real image is normalised as in training (updated by
            # both kinds, as in the authors' code, they would match neither).
            real_outputs = self._discriminate(seen[:batch], training=training) if discriminator else None
            moving = self._discriminator_moving_statistics() if training else []
            kept = [tf.identity(v.value) for v in moving]
            fake_outputs = self._discriminate(seen[batch:], training=training)
            for variable, value in zip(moving, kept):
                variable.assign(value)
            logits_fake = fake_outputs["d_logits"]
            logits_real = real_outputs["d_logits"] if discriminator else None
        else:
            outputs = self._discriminate(seen, training=training)
            logits_real, logits_fake = tf.split(outputs["d_logits"], 2, axis=0)
            fake_outputs = {k: v[batch:] for k, v in outputs.items()}
        info, mi, continuous_nll = self.info_terms(fake_outputs, onehot, continuous)
        terms = {"info_loss": info, "mi_categorical": mi, "continuous_nll": continuous_nll}
        terms.update(self.gan_terms(logits_real, logits_fake, seen, batch, first, discriminator=discriminator))
        return terms

    def _generator_loss(self, terms, regularizer: Regularizer | None = None):
        """G's loss from a pass's terms: its GAN loss, the weighted information term and the
        regulariser's weighted loss, if the pass has one (InfoGAN-CR: Lin et al. 2020, eq. 5)."""
        g_loss = terms["generator_loss"] + self.lambda_info * terms["info_loss"]
        if regularizer is not None and regularizer.generator_loss is not None:
            g_loss += regularizer.generator_loss
        return g_loss

    def _translated(self, images, stream):
        """`images` shifted by DiffAugment's random translation: integers uniform in
        [-m, m] for each axis, m = `augment.max_shift(side, translation)`."""
        most = tf.constant([augment.max_shift(side, self.translation) for side in self.observation_shape[:2]],
                           tf.float32)
        u = self._draw(random_noise.uniform, tf.shape(images)[0], [2], stream=stream)
        shifts = tf.cast(tf.floor(u * (2.0 * most + 1.0)), tf.int32) - tf.cast(most, tf.int32)
        return augment.translate(images, shifts[:, 0], shifts[:, 1])

    def _discriminator_moving_statistics(self):
        """D's state that training calls move: batch norm's moving statistics and spectral norm's
        power-iteration vectors (both then follow the real batches, as in Lin et al.'s code, whose
        vectors move with the real images' pass only)."""
        return [v for layer in self.discriminator.layers
                for v in ((layer.moving_mean, layer.moving_variance)
                          if isinstance(layer, keras.layers.BatchNormalization)
                          else (layer.vector_u,) if isinstance(layer, SpectralNorm) else ())]

    def train_step(self, data):
        images = self._images(data)
        d_variables = self.discriminator.trainable_variables
        for draw in range(1, self.n_critic):  # the critic's extra updates, each on its own draw
            with tf.GradientTape() as d_tape:
                terms = self._terms(images, training=True, draw=draw)
                d_loss = self.discriminator_optimizer.scale_loss(
                    scale_for_replicas(terms["discriminator_loss"] + self.lambda_info * terms["info_loss"]))
            self.discriminator_optimizer.apply(d_tape.gradient(d_loss, d_variables), d_variables)
        g_variables, d_variables = self.main_trainable_variables, self._second_player_variables
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            terms = self._terms(images, training=True)
            d_loss = terms["discriminator_loss"] + self.lambda_info * terms["info_loss"]
            regularizer = self.regularizer(tf.shape(images)[0])
            terms.update(regularizer.terms)
            if regularizer.trainer_loss is not None:
                d_loss += regularizer.trainer_loss  # reaches H only: D and Q do not see its pairs
            # scale_loss: the identity, except under mixed_float16 (LossScaleOptimizer).
            d_loss = self.discriminator_optimizer.scale_loss(scale_for_replicas(d_loss))
            if not self.alternating:
                g_loss = self.optimizer.scale_loss(scale_for_replicas(self._generator_loss(terms, regularizer)))
        # Alternating, D and Q (and H) move first and every G update is a pass of its own against
        # them; simultaneous, G's first update comes from the pass that moves D, both gradients
        # taken before either player moves.
        d_gradients = d_tape.gradient(d_loss, d_variables)
        if not self.alternating:
            self.optimizer.apply(g_tape.gradient(g_loss, g_variables), g_variables)
        self.discriminator_optimizer.apply(d_gradients, d_variables)
        for _ in range(self.generator_updates - (0 if self.alternating else 1)):
            # G on the step's draw against the updated D and Q (Lin et al. feed one draw to every op
            # of a step; the trackers keep the pass that updated D).
            with tf.GradientTape() as g_tape:
                again = self._terms(images, training=True, discriminator=False)
                g_loss = self.optimizer.scale_loss(
                    scale_for_replicas(self._generator_loss(again, self.regularizer(tf.shape(images)[0]))))
            self.optimizer.apply(g_tape.gradient(g_loss, g_variables), g_variables)
        self.step.assign_add(1)
        return self._update_trackers(terms)

    def test_step(self, data):
        images = self._images(data)
        terms = self._terms(images, training=False)
        terms.update(self.regularizer(tf.shape(images)[0], training=False).terms)
        return self._update_trackers(terms)

    # ----------------------------------------------------------------- the interface

    def encode(self, images):
        """Q(c | x): `tfd.Blockwise([OneHotCategorical, Independent(Normal)])` over `[latent_dim]`."""
        outputs = self._discriminate(self._checked(images), training=False)
        logits, mean, log_scale = self._q_heads(outputs)
        parts = []
        if self.num_categorical:
            parts.append(tfd.OneHotCategorical(logits=logits, dtype=tf.float32))
        if self.num_continuous:
            parts.append(tfd.Independent(tfd.Normal(mean, tf.exp(log_scale)), 1))
        return tfd.Blockwise(parts)

    def encode_mean(self, images, training=False):
        logits, mean, _ = self._q_heads(self._discriminate(images, training=training))
        return tf.concat([tf.nn.softmax(logits), mean], axis=1)

    def categorical_code(self, images, batch_size: int = 256) -> np.ndarray:
        """Q's most likely class for each image: `[N]` int64, argmax of the categorical head.

        Args:
          images: `[N, H, W, C]` float in [0, 1] or uint8.
          batch_size: images per forward pass.
        """
        if not self.num_categorical:
            raise ValueError(f"{self.name} has no categorical code (num_categorical=0).")
        return self.representation(images, batch_size)[:, :self.num_categorical].argmax(axis=1).astype(np.int64)

    def continuous_code(self, images, batch_size: int = 256) -> np.ndarray:
        """Q's mean of the continuous codes for each image: `[N, num_continuous]` float32."""
        return self.representation(images, batch_size)[:, self.num_categorical:]

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
        if self.noise_prior == "normal":
            noise = tf.random.stateless_normal([n, self.noise_dim], seed=[int(seed), 0])
        else:
            noise = tf.random.stateless_uniform([n, self.noise_dim], [int(seed), 0], -1.0, 1.0)
        classes = tf.random.stateless_uniform([n], [int(seed), 1], maxval=max(self.num_categorical, 1), dtype=tf.int32)
        continuous = tf.random.stateless_uniform([n, self.num_continuous], [int(seed), 2], -1.0, 1.0)
        codes = tf.concat([tf.one_hot(classes, self.num_categorical), continuous], axis=1)
        images = self.decode(codes, noise=noise)
        return (images, codes) if return_codes else images


InfoGAN._VARIANTS[InfoGAN.VARIANT] = InfoGAN
