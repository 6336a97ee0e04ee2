"""InfoWGAN-GP (Kim & Mnih 2018, sec. 4): InfoGAN whose D is a Wasserstein critic with a gradient penalty."""

from __future__ import annotations

import keras

from zoo import losses
from zoo import noise as random_noise
from zoo.models.infogan.game import InfoGAN


@keras.saving.register_keras_serializable(package="zoo")
class InfoWGANGP(InfoGAN):
    """InfoGAN with `gan_loss="wgan_gp"`: D is a Wasserstein critic (Arjovsky et al. 2017) with the
    gradient penalty of Gulrajani et al. 2017 (eq. 3). It overrides `gan_terms`.

    The critic minimises E[D(G(z, c))] - E[D(x)] + gradient_penalty * E[(||grad D(x_hat)||_2 - 1)^2]
    at x_hat = eps * x + (1 - eps) * G(z, c), eps ~ U(0, 1) per image (drawn like the other training
    noise, so XLA and replicas agree); G minimises -E[D(G(z, c))]; the information term is added to
    both as in InfoGAN. D's output is then an unbounded score, not a logit.

    What else the critic changes, each from Gulrajani et al.: the body D and Q share has layer
    normalisation instead of batch norm (sec. 4 and their code: batch norm makes each score depend on
    the whole batch, so the per-image gradient the penalty constrains is not D's); Q's head keeps its
    batch norm, as it is not on the path from an image to D's score. `separate_batches` then only
    decides how Q's batch norm pools generated images; `instance_noise` blurs what the critic sees,
    interpolates included. Both players default to Adam(1e-4, beta_1=0, beta_2=0.9) (their
    Algorithm 1 and 64x64 code), and `n_critic` to their 5. The trackers add the unweighted penalty
    and E[D(x)] - E[D(G(z, c))], the critic's estimate of the Wasserstein-1 distance.
    """

    VARIANT = ("wgan_gp", False)
    BODY_NORMALIZATION = "layer"
    GENERATOR_ADAM = DISCRIMINATOR_ADAM = {"learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9}
    METRIC_NAMES = InfoGAN.METRIC_NAMES + ("gradient_penalty", "wasserstein_estimate")

    def gan_terms(self, logits_real, logits_fake, seen, batch, first, discriminator=True) -> dict:
        terms = {"generator_loss": losses.wasserstein_generator_loss(logits_fake)}
        if discriminator:
            d_loss, _ = losses.wasserstein_gan_losses(logits_real, logits_fake)
            eps = self._draw(random_noise.uniform, batch, [1] * len(self.observation_shape), stream=first + 5)
            penalty = losses.gradient_penalty(self._critic, seen[:batch], seen[batch:], eps)
            terms.update(gradient_penalty=penalty, wasserstein_estimate=-d_loss)
            terms["discriminator_loss"] = d_loss + self.gradient_penalty * penalty
        return terms

    def _critic(self, images):
        """D's score `[batch, 1]` for the gradient penalty. Inference mode: the path from an image to
        its score holds no batch norm (nor anything else that trains differently), so this is what
        training mode computes, and Q's batch norm, which training mode would run on the
        interpolates too, keeps its moving statistics."""
        return self._discriminate(images, training=False)["d_logits"]
