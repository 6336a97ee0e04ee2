"""The weakly supervised VAEs of Locatello et al. 2020: a beta-VAE trained on pairs that share factors.

"Weakly-Supervised Disentanglement Without Compromises" (Locatello, Poole, Raetsch, Schoelkopf,
Bachem, Tschannen; ICML 2020, sec. 4): each training example is a pair (x1, x2) whose factors
differ in a few unknown coordinates (`zoo.data.pairs`). Both images are encoded; per latent i the
divergence delta_i = KL(q(z_i|x1) || q(z_i|x2)) says how much the pair disagrees on z_i; the
latents with delta_i below the threshold tau = (min_i delta_i + max_i delta_i) / 2 are taken as
shared, and there both posteriors are replaced by one aggregate a(q(z_i|x1), q(z_i|x2)); each image
is decoded from a sample of its new posterior, and the loss is the beta-weighted ELBO of both:

    loss = 1/2 sum_{j=1,2} ( -E_q~(z|xj)[log p(xj|z)] + beta KL(q~(z|xj) || p(z)) )

`WeakVAE` owns this game; a variant overrides one hook, `aggregate` (Ada-GVAE: `AdaGVAE`, the
average of the two Gaussians; Ada-ML-VAE: `AdaMLVAE`, their product of experts). The choice of
shared latents is not differentiated (a step function of delta), as in the reference code.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from zoo import losses
from zoo import noise as random_noise
from zoo.data import pairs as data_pairs
from zoo.data.base import image_problem
from zoo.models.base import HParam, scale_for_replicas
from zoo.models.vae import VAE

tfd = tfp.distributions


class WeakVAE(VAE):
    """Base of the weakly supervised VAEs: trains on pairs, encodes single images.

    `fit` takes batches of pairs `[batch, 2, H, W, C]` (with the number of factors each pair
    redrew, `[batch]`, as the target: `zoo.data.pairs.as_pair_dataset` makes both), and the
    training loop of `zoo.runs` feeds them (`training_dataset`). Everything else takes single
    images as every other model of the zoo does: `representation`, `encode`, `decode`, `call`,
    so the metrics, cards, traversals and fine-tuning apply unchanged.

    The reconstruction and KL terms are means over the 2 x batch images, as disentanglement_lib's
    `GroupVAEBase.model_fn` takes them (`0.5 * loss_1 + 0.5 * loss_2`): per image the same scale
    as a single-image VAE's loss.

    Args:
      beta: weight of the KL terms; default 1 (the ELBO: the pairs, not beta, identify the
        factors, sec. 3; the paper sweeps beta over 1, 2, 4, 6, 8, 16 as the 2019 study did).
      k: factors redrawn per training pair (`zoo.data.pairs`), 1..K-1, or 0 for k uniform in
        1..K-1 per pair (the paper's k = rnd; default).
      known_k: take the k latents with the largest delta as the changed ones instead of the
        adaptive threshold (the paper's variant for known k; the k of each pair comes with the
        data). Default False.
      **kwargs: `input_shape`, `latent_dim` and `seed`, as for `VAE`.
    """

    HPARAMS = (
        HParam("beta", float, 1.0, "weight of the KL terms of both observations", low=0.0),
        HParam("k", int, 0, "factors redrawn per training pair, 1..K-1, or 0 for k uniform in 1..K-1 per pair "
               "(the paper's k = rnd)", low=0),
        HParam("known_k", bool, False, "treat the k latents with the largest KL between the pair's posteriors as "
               "changed, instead of the adaptive threshold"),
    )
    METRIC_NAMES = VAE.METRIC_NAMES + ("shared_latents",)

    def __init__(self, beta=1.0, k=0, known_k=False, **kwargs):
        self.beta = self._hparam("beta", beta)
        self.k = self._hparam("k", k)
        self.known_k = self._hparam("known_k", known_k)
        super().__init__(**kwargs)
        if self.k >= self.latent_dim and self.known_k:
            raise ValueError(f"{type(self).__name__}: known_k takes the k = {self.k} latents that differ most as "
                             f"changed, which needs k < latent_dim = {self.latent_dim}.")

    # ----------------------------------------------------------------- the hook

    def aggregate(self, q1: tfd.Normal, q2: tfd.Normal) -> tfd.Normal:
        """The one posterior that replaces both of a shared latent's (Locatello et al. 2020, sec. 4).

        Args:
          q1: the first observation's posterior, `tfd.Normal` of shape `[batch, latents]`.
          q2: the second observation's posterior, the same shape.

        Returns:
          a `tfd.Normal` of the same shape.
        """
        raise NotImplementedError

    # ----------------------------------------------------------------- the data

    def training_dataset(self, data, batch_size: int, seed: int = 0, start_batch: int = 0):
        """The stream `zoo.runs.train` fits: pairs of `data` that redraw `self.k` factors."""
        return data_pairs.as_pair_dataset(data, batch_size, seed=seed, k=self.k, start_batch=start_batch)

    def _pairs(self, data):
        """`(x1, x2, k)` of a `fit` element: pairs `[batch, 2, H, W, C]` and k `[batch]` (or none)."""
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = tf.convert_to_tensor(x)
        if x.shape.rank != 5 or x.shape[1] != 2:
            raise ValueError(f"{self.name} trains on pairs [batch, 2, {', '.join(map(str, self.observation_shape))}] "
                             f"(zoo.data.pairs.as_pair_dataset makes them from a ground-truth dataset, "
                             f"zoo.data.pairs.stack_pairs from your own x1, x2); got a batch of shape {tuple(x.shape)}.")
        if self.known_k and self.k == data_pairs.RANDOM_K and y is None:
            raise ValueError(f"{self.name} has known_k=True and k=0 (k drawn per pair): fit needs each pair's k as "
                             "the target, (pairs, k), as zoo.data.pairs.as_pair_dataset yields them.")
        both = self._as_images(tf.concat([x[:, 0], x[:, 1]], axis=0))
        x1, x2 = tf.split(both, 2, axis=0)
        k = None if y is None else tf.reshape(tf.cast(y, tf.int32), [-1])
        return x1, x2, k

    def _check_for_xla(self, x):
        # Numpy pairs are checked here under XLA, as the base checks numpy images (it skips 5-D arrays).
        if self.jit_compile and isinstance(x, (np.ndarray, tf.Tensor)) and len(x.shape) == 5:
            problem = image_problem(x.numpy() if isinstance(x, tf.Tensor) else np.asarray(x))
            if problem:
                raise ValueError(f"{self.name}: {problem}")
            return x
        return super()._check_for_xla(x)

    def _checked_element(self, *element):
        # Under XLA the inputs are checked in the pipeline (RepresentationModel._check_for_xla); here
        # the first entry is a batch of pairs, checked as its 2 x batch images.
        x = element[0]
        flat = tf.reshape(x, tf.concat([[-1], tf.shape(x)[2:]], axis=0))
        with tf.control_dependencies([self._as_images(tf.ensure_shape(flat, [None, *self.observation_shape]))]):
            first = tf.identity(x)
        return (first, *element[1:]) if len(element) > 1 else first

    # ----------------------------------------------------------------- the loss

    def shared_latents(self, delta, k=None):
        """Which latents a pair shares: `[batch, latents]` bool from delta `[batch, latents]`.

        The adaptive threshold (`zoo.losses.shared_by_threshold`), or with `known_k` all but the k
        with the largest delta (`zoo.losses.shared_by_count`), k `[batch]` the pairs' own.
        """
        if self.known_k:
            return losses.shared_by_count(delta, self.k if k is None else k)
        return losses.shared_by_threshold(delta)

    def pair_posteriors(self, q1: tfd.Normal, q2: tfd.Normal, k=None):
        """The posteriors both images are decoded from: the aggregate on the shared latents, each
        image's own elsewhere. Returns `(q~1, q~2, shared)`, `tfd.Normal`s `[batch, latents]` and bool."""
        delta = tf.stop_gradient(q1.kl_divergence(q2))
        shared = self.shared_latents(delta, k)
        aggregate = self.aggregate(q1, q2)

        def replaced(q):
            return tfd.Normal(loc=tf.where(shared, aggregate.loc, q.loc),
                              scale=tf.where(shared, aggregate.scale, q.scale))

        return replaced(q1), replaced(q2), shared

    def pair_loss_terms(self, x1, x2, z_mean, z_logvar, noise, decode, k=None) -> dict:
        """The named loss terms of a batch of pairs from the encoder's outputs.

        Args:
          x1: `[batch, H, W, C]` the pairs' first images, in [0, 1].
          x2: `[batch, H, W, C]` their second images.
          z_mean: `[2 * batch, latents]` posterior means, x1's rows first.
          z_logvar: `[2 * batch, latents]` posterior log-variances, in the same order.
          noise: `[2 * batch, latents]` standard normal draws for the reparameterisation.
          decode: `fn(z [2 * batch, latents]) -> logits [2 * batch, H, W, C]`.
          k: `[batch]` the pairs' k (read only with `known_k`).
        """
        mean1, mean2 = tf.split(z_mean, 2, axis=0)
        logvar1, logvar2 = tf.split(z_logvar, 2, axis=0)
        q1 = tfd.Normal(loc=mean1, scale=tf.exp(0.5 * logvar1))
        q2 = tfd.Normal(loc=mean2, scale=tf.exp(0.5 * logvar2))
        new1, new2, shared = self.pair_posteriors(q1, q2, k)
        loc = tf.concat([new1.loc, new2.loc], axis=0)
        scale = tf.concat([new1.scale, new2.scale], axis=0)
        logits = decode(loc + scale * noise)
        reconstruction = tf.reduce_mean(losses.bernoulli_nll(tf.concat([x1, x2], axis=0), logits))
        prior = tfd.Normal(loc=tf.zeros_like(loc), scale=tf.ones_like(scale))
        kl = tf.reduce_mean(tf.reduce_sum(tfd.Normal(loc=loc, scale=scale).kl_divergence(prior), axis=1))
        return {"loss": reconstruction + self.beta * kl, "reconstruction_loss": reconstruction, "kl_loss": kl,
                "shared_latents": tf.reduce_mean(tf.reduce_sum(tf.cast(shared, tf.float32), axis=1))}

    def _terms(self, data, training: bool) -> dict:
        x1, x2, k = self._pairs(data)
        # Float32 posteriors and logits whatever the policy (`VAE._posterior`): the KL between the
        # pair's posteriors, the threshold, the aggregate and the ELBO run in float32.
        z_mean, z_logvar = self._posterior(tf.concat([x1, x2], axis=0), training=training)
        noise = self._draw(random_noise.normal, tf.shape(x1)[0], [2, self.latent_dim], stream=0)
        noise = tf.concat([noise[:, 0], noise[:, 1]], axis=0)
        return self.pair_loss_terms(x1, x2, z_mean, z_logvar, noise,
                                    lambda z: tf.cast(self.decoder(z, training=training), tf.float32), k)

    def train_step(self, data):
        with tf.GradientTape() as tape:
            terms = self._terms(data, training=True)
            # The identity but under mixed_float16 (Keras' LossScaleOptimizer, as `VAE.train_step`).
            loss = self.optimizer.scale_loss(scale_for_replicas(terms["loss"]))
        variables = self.main_trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        self.step.assign_add(1)
        return self._update_trackers(terms)

    def test_step(self, data):
        return self._update_trackers(self._terms(data, training=False))
