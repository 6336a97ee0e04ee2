"""Loss terms of the disentanglement objectives, as pure TensorFlow ops.

Every function takes tensors and returns tensors, holds no state and knows nothing of Keras, so
each term can be checked against numbers derived by hand (tests/test_losses.py) and reused by any
model. Shapes: images `[batch, H, W, C]`, codes `[batch, latents]`. Log-variances, not variances,
parametrise the Gaussians (as in the encoders' heads).

The formulas follow disentanglement_lib (Locatello et al. 2019, `methods/unsupervised/vae.py`),
the reference implementation of the study whose numbers this zoo reproduces.
"""

from __future__ import annotations

import math

import tensorflow as tf

from zoo import noise

_LOG_2PI = math.log(2.0 * math.pi)


def bernoulli_nll(images, logits):
    """Negative Bernoulli log-likelihood of `images` under `logits`, summed over pixels.

    -log p(x|z) = sum_i [softplus(l_i) - x_i l_i], the sigmoid cross-entropy, evaluated from logits
    so that it never takes log(sigmoid(l)) of a saturated sigmoid. For non-binary x in [0, 1] this is
    the cross-entropy (it is not zero at the optimum; disentanglement_lib does not subtract the
    entropy of x either).

    Args:
      images: `[batch, ...]` targets in [0, 1].
      logits: `[batch, ...]` decoder outputs, same shape.

    Returns:
      `[batch]` per-example negative log-likelihood in nats.
    """
    images = tf.cast(images, logits.dtype)
    nll = tf.nn.sigmoid_cross_entropy_with_logits(labels=images, logits=logits)
    return tf.reduce_sum(tf.reshape(nll, [tf.shape(nll)[0], -1]), axis=1)


def gaussian_kl(mean, logvar):
    """KL(N(mean, diag(exp(logvar))) || N(0, I)) in closed form (Kingma & Welling 2014, app. B).

    KL = 1/2 sum_j (mu_j^2 + sigma_j^2 - log sigma_j^2 - 1).

    Args:
      mean, logvar: `[batch, latents]`.

    Returns:
      `[batch]` per-example KL in nats.
    """
    return 0.5 * tf.reduce_sum(tf.square(mean) + tf.exp(logvar) - logvar - 1.0, axis=1)


def gaussian_kl_per_latent(mean, logvar):
    """Like `gaussian_kl`, not summed: `[batch, latents]` (shown per latent in traversals)."""
    return 0.5 * (tf.square(mean) + tf.exp(logvar) - logvar - 1.0)


def gaussian_log_density(samples, mean, logvar):
    """Elementwise log N(samples; mean, exp(logvar)); broadcasts its arguments."""
    return -0.5 * (tf.square(samples - mean) * tf.exp(-logvar) + logvar + _LOG_2PI)


def reparameterize(mean, logvar, noise):
    """z = mean + exp(logvar / 2) * noise, with noise ~ N(0, I) drawn by the caller."""
    return mean + tf.exp(0.5 * logvar) * noise


def capacity(step, c_max, iteration_threshold):
    """The capacity C of AnnealedVAE (Burgess et al. 2018, eq. 8): linear from 0 to c_max.

    C(step) = c_max * min(step / iteration_threshold, 1), in nats.
    """
    step = tf.cast(step, tf.float32)
    return tf.minimum(float(c_max), float(c_max) * step / float(iteration_threshold))


def covariance(x):
    """Biased covariance of the rows of `x` `[batch, d]`: E[x x^T] - E[x] E[x]^T, `[d, d]`."""
    x = tf.convert_to_tensor(x)
    mean = tf.reduce_mean(x, axis=0, keepdims=True)
    centred = x - mean
    return tf.matmul(centred, centred, transpose_a=True) / tf.cast(tf.shape(x)[0], x.dtype)


def dip_covariance(mean, logvar, variant):
    """The covariance that DIP-VAE pushes towards the identity (Kumar et al. 2018, sec. 3).

    Variant "i": Cov_p(x)[mu(x)].
    Variant "ii": Cov_q(z)[z] = E_p(x)[Sigma(x)] + Cov_p(x)[mu(x)], where
    Sigma(x) = diag(exp(logvar(x))) is a diagonal *matrix* per example, so its expectation adds
    mean(exp(logvar)) to the diagonal only. (disent built `Sigma` with `torch.diag` on a 2-D batch,
    which extracts a diagonal instead of building matrices; the test checks this against numpy.)

    Args:
      mean, logvar: `[batch, latents]`.
      variant: "i" or "ii".

    Returns:
      `[latents, latents]`.
    """
    cov = covariance(mean)
    if variant == "i":
        return cov
    if variant == "ii":
        return cov + tf.linalg.diag(tf.reduce_mean(tf.exp(logvar), axis=0))
    raise ValueError(f"DIP-VAE variant must be 'i' or 'ii'; got {variant!r}.")


def dip_penalty(cov, lambda_od, lambda_d):
    """lambda_od * sum_{i != j} Cov_ij^2 + lambda_d * sum_i (Cov_ii - 1)^2 (Kumar et al. 2018, sec. 3)."""
    diag = tf.linalg.diag_part(cov)
    off_diag = cov - tf.linalg.diag(diag)
    return lambda_od * tf.reduce_sum(tf.square(off_diag)) + lambda_d * tf.reduce_sum(tf.square(diag - 1.0))


def total_correlation(z, mean, logvar):
    """Minibatch estimate of the total correlation KL(q(z) || prod_j q(z_j)) (Chen et al. 2018).

    The aggregate posterior is estimated on the batch itself, q(z) ~ 1/M sum_m q(z | x_m), and
    likewise each marginal q(z_j), as in disentanglement_lib's `total_correlation` (the minibatch
    weighted sampling of Chen et al. 2018, sec. 3.1, with the batch as the population). Unlike
    disentanglement_lib this keeps the log M normalisers, (latents - 1) * log M in all: they do not
    change the gradients, but with them the estimate converges to the true total correlation of the
    codes as the batch grows (about 0 for independent codes), which makes it testable and readable.

    Args:
      z: `[batch, latents]` samples, z_m ~ q(z | x_m).
      mean, logvar: `[M, latents]` the posteriors q(z | x_m) of the population: the batch itself
        (M = batch), or a larger batch that holds z's own rows (the global batch under
        tf.distribute, where each replica scores its own samples).

    Returns:
      scalar, the estimate averaged over the samples z.
    """
    # log q(z_i,j | x_m) for every pair (i, m) and latent j: [batch_i, M, latents].
    log_qz_pairs = gaussian_log_density(z[:, None, :], mean[None, :, :], logvar[None, :, :])
    log_m = tf.math.log(tf.cast(tf.shape(mean)[0], z.dtype))
    log_qz = tf.reduce_logsumexp(tf.reduce_sum(log_qz_pairs, axis=2), axis=1) - log_m
    log_qz_marginals = tf.reduce_sum(tf.reduce_logsumexp(log_qz_pairs, axis=1) - log_m, axis=1)
    return tf.reduce_mean(log_qz - log_qz_marginals)


def permute_dims(z, seed):
    """Permutes each column of `z` `[batch, latents]` independently (Kim & Mnih 2018, alg. 1).

    The rows of the result are draws from prod_j q(z_j), the factorial distribution FactorVAE's
    discriminator learns to tell from q(z). `seed` is a stateless-RNG seed `[2]`, so the
    permutation is reproducible, XLA-compilable and the same with and without XLA (`zoo.noise`).
    """
    order = tf.argsort(noise.sort_keys(tf.shape(z), seed), axis=0, stable=True)
    return tf.transpose(tf.gather(tf.transpose(z), tf.transpose(order), batch_dims=1))


def density_ratio_tc(logits):
    """FactorVAE's TC estimate E_q(z)[log D(z) / (1 - D(z))] (Kim & Mnih 2018, eq. 3).

    With two logits per code, class 0 "drawn from q(z)" and class 1 "from prod_j q(z_j)", the
    softmax gives log D / (1 - D) = logits_0 - logits_1.

    Args:
      logits: `[batch, 2]` discriminator outputs on codes z ~ q(z).

    Returns:
      scalar.
    """
    return tf.reduce_mean(logits[:, 0] - logits[:, 1])


def discriminator_loss(logits_q, logits_permuted):
    """Cross-entropy of FactorVAE's discriminator: class 0 for q(z), class 1 for permuted codes.

    -(1/2 E_q[log D(z)] + 1/2 E_perm[log (1 - D(z'))]), as disentanglement_lib writes it.
    """
    return -0.5 * (tf.reduce_mean(tf.nn.log_softmax(logits_q)[:, 0])
                   + tf.reduce_mean(tf.nn.log_softmax(logits_permuted)[:, 1]))


def categorical_nll(logits, onehot):
    """-log Q(c | x) for a categorical code `onehot` `[batch, k]`: `[batch]` cross-entropy."""
    return tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=logits)


def gaussian_nll(x, mean, log_scale):
    """-log N(x; mean, exp(log_scale)^2) summed over the last axis: `[batch]`."""
    return -tf.reduce_sum(gaussian_log_density(x, mean, 2.0 * log_scale), axis=-1)


def sigmoid_gan_losses(logits_real, logits_fake):
    """The non-saturating GAN losses (Goodfellow et al. 2014, sec. 3) from discriminator logits.

    Returns:
      `(discriminator_loss, generator_loss)`, scalars: the discriminator's cross-entropy for
      real -> 1, fake -> 0, and the generator's -log D(G(z)).
    """
    d_loss = tf.reduce_mean(tf.nn.softplus(-logits_real)) + tf.reduce_mean(tf.nn.softplus(logits_fake))
    return d_loss, sigmoid_generator_loss(logits_fake)


def sigmoid_generator_loss(logits_fake):
    """The non-saturating generator loss -E[log D(G(z))] = E[softplus(-logit)] (Goodfellow et al.
    2014, sec. 3): what the generator's update needs, without the real images."""
    return tf.reduce_mean(tf.nn.softplus(-logits_fake))


def wasserstein_gan_losses(critic_real, critic_fake):
    """The Wasserstein GAN losses (Arjovsky et al. 2017, Algorithm 1) from critic outputs.

    The critic maximises E[D(x)] - E[D(G(z))], an estimate of the Wasserstein-1 distance when D is
    1-Lipschitz; the generator minimises -E[D(G(z))].

    Args:
      critic_real: D(x) on real images, `[batch]` or `[batch, 1]` (unbounded scores, not logits).
      critic_fake: D(G(z)) on generated images, same shape.

    Returns:
      `(critic_loss, generator_loss)`, scalars: E[D(G(z))] - E[D(x)] and -E[D(G(z))].
    """
    return tf.reduce_mean(critic_fake) - tf.reduce_mean(critic_real), wasserstein_generator_loss(critic_fake)


def wasserstein_generator_loss(critic_fake):
    """The Wasserstein generator loss -E[D(G(z))] (Arjovsky et al. 2017, Algorithm 1)."""
    return -tf.reduce_mean(critic_fake)


def gradient_penalty(critic, real, fake, eps):
    """WGAN-GP's gradient penalty (Gulrajani et al. 2017, eq. 3 and Algorithm 1):
    E[(||grad_x D(x_hat)||_2 - 1)^2] at x_hat = eps * real + (1 - eps) * fake.

    Each interpolate's gradient is that of the critic's sum over the batch, which is the gradient of
    its own output only if D treats every image alone: a critic with batch norm gets the wrong
    gradient (the paper's sec. 4). Differentiable with respect to the critic's weights (an
    outer tape sees this one).

    Args:
      critic: a function x `[batch, ...]` -> D(x) `[batch]` or `[batch, 1]`.
      real: real images `[batch, H, W, C]` (any shape with the batch first).
      fake: generated images, same shape.
      eps: interpolation weights `[batch, 1, ..., 1]` in [0, 1], one per image (U(0, 1) in the paper).

    Returns:
      the penalty, a scalar (unweighted: eq. 3's lambda multiplies it outside).
    """
    x_hat = eps * real + (1.0 - eps) * fake
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        scores = critic(x_hat)
    grads = tape.gradient(scores, x_hat)
    axes = list(range(1, len(grads.shape)))
    # The 1e-12 keeps the norm's gradient finite where a gradient is exactly zero (d||g|| / dg =
    # g / ||g||); it moves a norm of 1 by 5e-13.
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=axes) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


# Divergences of a pair closer than this are taken as equal (float32 rounding; see shared_by_threshold).
TIED_NATS = 1e-9


def shared_by_threshold(delta):
    """The latents a pair shares, by the adaptive threshold of Ada-GVAE (Locatello et al. 2020, sec. 4).

    Latent i is shared when delta_i < tau = (min_j delta_j + max_j delta_j) / 2, per pair: the
    divergences are split into two bins of equal width between their smallest and largest, and the
    lower bin is shared (disentanglement_lib's `aggregate_argmax`, whose
    `histogram_fixed_width_bins(delta, [min, max], nbins=2)` puts delta_i >= tau in the upper bin).
    When every delta_i of a pair is equal (two identical posteriors, say), every latent is shared,
    as in disentanglement_lib: its bins divide by max - min = 0 there, and the NaN becomes bin
    -2^31, never the upper bin (tests/fixtures/weak_vae_reference.json, pair 2). "Equal" here is
    within `TIED_NATS`: under XLA two copies of one image in a batch are encoded up to an ulp apart,
    and their divergences (up to ~1e-13 nats) would otherwise split the latents at random. Either
    way the decoded posteriors are the same, since the aggregate of two equal posteriors is that
    posterior; only which latents count as shared differs.

    Args:
      delta: `[batch, latents]` KL(q(z_i|x1) || q(z_i|x2)) (any per-latent divergence).

    Returns:
      `[batch, latents]` bool, True where shared.
    """
    low, high = tf.reduce_min(delta, axis=1, keepdims=True), tf.reduce_max(delta, axis=1, keepdims=True)
    return (delta < 0.5 * (low + high)) | (high - low <= TIED_NATS)


def shared_by_count(delta, k):
    """The latents a pair shares when it is known to differ in k factors: all but the k largest delta.

    The known-k variant of Locatello et al. 2020 (sec. 4): the k latents whose posteriors differ most
    are the changed ones. Ties are broken towards the lower index (a stable sort).

    Args:
      delta: `[batch, latents]` per-latent divergences.
      k: an int or `[batch]` ints, 0 <= k <= latents.

    Returns:
      `[batch, latents]` bool, True where shared.
    """
    order = tf.argsort(delta, axis=1, direction="DESCENDING", stable=True)
    rank = tf.argsort(order, axis=1, stable=True)  # rank of each latent, 0 = the largest delta
    k = tf.reshape(tf.cast(k, rank.dtype), [-1, 1])
    return rank >= k
