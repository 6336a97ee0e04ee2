"""InfoGAN-CR (Lin et al. 2020): InfoGAN with a contrastive regulariser, a classifier H that tells which
code a pair of generated images shares."""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo import noise as random_noise
from zoo.models.infogan import networks_cr
from zoo.models.infogan.game import InfoGAN, Regularizer
from zoo.models.infogan.wgan_gp import InfoWGANGP

# The contrastive regulariser's pairs draw from streams 1000 .. 1005, clear of any pass's.
_CONTRASTIVE_STREAM = 1000


@keras.saving.register_keras_serializable(package="zoo")
class InfoGANCR(InfoGAN):
    """InfoGAN with `lambda_contrastive > 0` (Lin et al. 2020, eq. 5 with their alpha): overrides `regularizer`.

    Each step also draws pairs of codes that agree in one code I, drawn uniformly (the categorical
    code counts as one), and are drawn independently in every other, with one noise z for both images
    of a pair (as the authors' code draws them). A classifier H (`networks_cr.contrastive_classifier`)
    reads the pair (G(z, c), G(z, c')) stacked on the channel axis and is trained to name I, and G
    lowers the same cross-entropy weighted by `lambda_contrastive`: G is pushed to let each code make
    a change of its own, one H can tell from the others' (their eq. 5: min over G, Q, H of
    L_GAN - lambda I(c; G) + alpha L_c).

    `contrastive_start` is the generator step from which G's term counts (their progressive schedule
    on dSprites: InfoGAN alone for 288,000 of 322,000 steps, then alpha = 2); H trains from the
    start, so it can already tell codes apart when G's term counts. H shares D's optimizer (theirs
    are the same Adam, 2e-3, beta_1 0.5), is trained only in the step's main pass (with D and Q),
    and, needed in training only, is left out of presets (`TRAINING_ONLY`). On `network="cr"` H is
    theirs (32-32-64-64 convolutions); their spectral norm and two generator updates are options
    of the game; their "gap" option (off on dSprites) is not taken. The trackers add H's
    cross-entropy and how often it names the shared code.
    """

    VARIANT = ("standard", True)
    CONTRASTIVE_METRIC_NAMES = ("contrastive_loss", "contrastive_accuracy")

    def _build_players(self):
        self.METRIC_NAMES = self.METRIC_NAMES + self.CONTRASTIVE_METRIC_NAMES
        h, w, c = self.observation_shape
        # Lin et al.'s H on their networks (32-32-64-64 convolutions); the narrower default elsewhere.
        channels = (32, 32, 64, 64) if self.network == "cr" else None
        self.contrastive = networks_cr.contrastive_classifier((h, w, 2 * c), self._num_codes, filters=16,
                                                              channels=channels, spectral_norm=self.spectral_norm)
        super()._build_players()

    @property
    def _num_codes(self):
        """Codes the contrastive regulariser tells apart: the categorical one (if any) and each continuous one."""
        return int(self.num_categorical > 0) + self.num_continuous

    def regularizer(self, batch, training=True) -> Regularizer:
        """H's cross-entropy and accuracy on this step's pairs; H trains on the cross-entropy, and G on
        it weighted by `lambda_contrastive` from generator step `contrastive_start` on."""
        loss, accuracy = self.contrastive_terms(batch, training=training)
        counts = tf.cast(self.step >= self.contrastive_start, tf.float32)
        return Regularizer({"contrastive_loss": loss, "contrastive_accuracy": accuracy}, trainer_loss=loss,
                           generator_loss=counts * self.lambda_contrastive * loss)

    def contrastive_pairs(self, batch):
        """This step's pairs for InfoGAN-CR's regulariser: `(shared [batch], noise [batch,
        noise_dim], codes_a, codes_b [batch, latent_dim])`. Code `shared` (0 the categorical one if
        any, then each continuous one) has one value in both codes of a pair, every other code is
        drawn independently for each, and the noise is one draw for both images."""
        stream = _CONTRASTIVE_STREAM
        shared = self._draw(lambda shape, seed: random_noise.integers(shape, seed, self._num_codes), batch, [],
                            stream=stream)
        same = tf.cast(tf.one_hot(shared, self._num_codes), tf.bool)  # [batch, codes]: the code kept
        noise = self._draw(self._noise_sampler, batch, [self.noise_dim], stream=stream + 1)
        pair = []
        for k in range(2):
            classes = self._draw(lambda shape, seed: random_noise.integers(shape, seed, max(self.num_categorical, 1)),
                                 batch, [], stream=stream + 2 + k)
            continuous = self._draw(lambda shape, seed: random_noise.uniform(shape, seed, -1.0, 1.0),
                                    batch, [self.num_continuous], stream=stream + 4 + k)
            pair.append((classes, continuous))
        (classes_a, continuous_a), (classes_b, continuous_b) = pair
        if self.num_categorical:
            classes_b = tf.where(same[:, 0], classes_a, classes_b)
        continuous_b = tf.where(same[:, self._num_codes - self.num_continuous:], continuous_a, continuous_b)

        def codes(classes, continuous):
            return tf.concat([tf.one_hot(classes, self.num_categorical), continuous], axis=1)

        return shared, noise, codes(classes_a, continuous_a), codes(classes_b, continuous_b)

    def contrastive_terms(self, batch, training=True):
        """InfoGAN-CR's regulariser on this step's pairs: H's cross-entropy in naming the code the two
        images share (Lin et al. 2020, eq. 4), and its accuracy."""
        shared, noise, codes_a, codes_b = self.contrastive_pairs(batch)
        images = tf.sigmoid(self.generate_logits(tf.concat([noise, noise], 0), tf.concat([codes_a, codes_b], 0),
                                                 training=training))
        logits = tf.cast(self.contrastive(tf.concat(tf.split(images, 2, axis=0), axis=-1), training=training),
                         tf.float32)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=shared, logits=logits))
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), shared), tf.float32))
        return loss, accuracy


@keras.saving.register_keras_serializable(package="zoo")
class InfoWGANGPCR(InfoGANCR, InfoWGANGP):
    """InfoGAN-CR's contrastive term on the WGAN-GP critic (`gan_loss="wgan_gp"`, `lambda_contrastive > 0`):
    each parent overrides its own hook, so the two combine without code of their own."""

    VARIANT = ("wgan_gp", True)
