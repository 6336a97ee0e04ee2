"""Each loss term of zoo/losses.py against numbers derived by hand or with numpy/scipy."""

import math

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from scipy import special, stats

from zoo import losses

tfd = tfp.distributions


def test_gaussian_kl_of_known_gaussians():
    # KL(N(mu, s^2) || N(0, 1)) = 1/2 (mu^2 + s^2 - log s^2 - 1) per latent:
    # latent 1: mu=1, s^2=1 -> 1/2;  latent 2: mu=0, s^2=4 -> 1/2 (4 - log 4 - 1) = 0.8068528.
    mean = tf.constant([[1.0, 0.0], [0.0, 0.0]])
    logvar = tf.constant([[0.0, math.log(4.0)], [0.0, 0.0]])
    kl = losses.gaussian_kl(mean, logvar).numpy()
    np.testing.assert_allclose(kl, [0.5 + 0.5 * (3.0 - math.log(4.0)), 0.0], rtol=1e-6, atol=1e-7)
    # ... and the same as TFP's KL between the distributions the models return from encode().
    posterior = tfd.MultivariateNormalDiag(mean, tf.exp(0.5 * logvar))
    prior = tfd.MultivariateNormalDiag(tf.zeros(2), tf.ones(2))
    np.testing.assert_allclose(kl, tfd.kl_divergence(posterior, prior).numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(losses.gaussian_kl_per_latent(mean, logvar).numpy().sum(1), kl, rtol=1e-6)


def test_bernoulli_nll_from_logits():
    # x=1, logit 0: -log sigmoid(0) = log 2;  x=0, logit log 3 (p = 3/4): -log(1/4) = log 4.
    images = tf.constant([[[[1.0], [0.0]]]])            # [1, 1, 2, 1]
    logits = tf.constant([[[[0.0], [math.log(3.0)]]]])
    np.testing.assert_allclose(losses.bernoulli_nll(images, logits).numpy(), [math.log(2.0) + math.log(4.0)],
                               rtol=1e-6)
    # Saturated logits stay finite: -log(1 - sigmoid(100)) = 100 (to float precision).
    np.testing.assert_allclose(losses.bernoulli_nll(tf.zeros([1, 1, 1, 1]), tf.fill([1, 1, 1, 1], 100.0)).numpy(),
                               [100.0], rtol=1e-6)
    # Against numpy on random grey images, per example.
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(3, 4, 4, 1)).astype(np.float32)
    l = rng.normal(size=(3, 4, 4, 1)).astype(np.float32)
    p = 1.0 / (1.0 + np.exp(-l))
    expected = -(x * np.log(p) + (1 - x) * np.log(1 - p)).reshape(3, -1).sum(1)
    np.testing.assert_allclose(losses.bernoulli_nll(x, l).numpy(), expected, rtol=1e-5)


def test_gaussian_log_density_and_nll():
    x = np.array([[0.3, -1.2]], np.float32)
    mean = np.array([[0.0, 0.5]], np.float32)
    log_scale = np.array([[0.0, math.log(2.0)]], np.float32)
    expected = stats.norm.logpdf(x, mean, np.exp(log_scale))
    np.testing.assert_allclose(losses.gaussian_log_density(x, mean, 2 * log_scale).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(losses.gaussian_nll(x, mean, log_scale).numpy(), -expected.sum(1), rtol=1e-6)
    # Summed over the last axis only, one value per row, whatever the rank (mutation testing,
    # docs/mutation.md: with one row, summing over every axis gave the same number).
    rng = np.random.default_rng(3)
    x, mean, log_scale = (rng.normal(size=(2, 3, 4)).astype(np.float32) for _ in range(3))
    expected = stats.norm.logpdf(x, mean, np.exp(log_scale)).sum(-1)
    np.testing.assert_allclose(losses.gaussian_nll(x, mean, log_scale).numpy(), -expected, rtol=1e-5)


def test_reparameterize_by_hand():
    # z = mean + exp(logvar / 2) * noise: mean 1, variance 4 (std 2), noise -0.5 -> 0.
    z = losses.reparameterize(tf.constant([[1.0, 0.0]]), tf.constant([[math.log(4.0), 0.0]]),
                              tf.constant([[-0.5, 3.0]]))
    np.testing.assert_allclose(z.numpy(), [[0.0, 3.0]], rtol=1e-6)


def test_categorical_and_gan_losses():
    logits = np.array([[2.0, 0.0, -1.0]], np.float32)
    onehot = np.array([[0.0, 1.0, 0.0]], np.float32)
    np.testing.assert_allclose(losses.categorical_nll(logits, onehot).numpy(),
                               -(logits[0, 1] - special.logsumexp(logits[0])), rtol=1e-6)
    real, fake = np.array([[2.0], [0.0]], np.float32), np.array([[-1.0], [3.0]], np.float32)
    d_loss, g_loss = losses.sigmoid_gan_losses(real, fake)
    sig = special.expit
    np.testing.assert_allclose(d_loss.numpy(), -np.log(sig(real)).mean() - np.log(1 - sig(fake)).mean(), rtol=1e-6)
    np.testing.assert_allclose(g_loss.numpy(), -np.log(sig(fake)).mean(), rtol=1e-6)


def test_wasserstein_gan_losses_by_hand():
    # E[D(real)] = (1 + 3) / 2 = 2, E[D(fake)] = (-1 + 0.5) / 2 = -0.25: the critic's loss is
    # E[D(fake)] - E[D(real)] = -2.25, the generator's -E[D(fake)] = 0.25.
    real, fake = np.array([[1.0], [3.0]], np.float32), np.array([[-1.0], [0.5]], np.float32)
    critic_loss, g_loss = losses.wasserstein_gan_losses(real, fake)
    assert float(critic_loss) == pytest.approx(-2.25) and float(g_loss) == pytest.approx(0.25)


def test_gradient_penalty_of_a_linear_critic():
    # D(x) = sum(w * x) + b has grad_x D = w at every x, so each interpolate's gradient norm is
    # ||w||_2 whatever real, fake and eps are: penalty = (||w|| - 1)^2. Here ||w||^2 = 3 * 0.25 +
    # 2.25 = 3, penalty = (sqrt 3 - 1)^2 = 4 - 2 sqrt 3 = 0.5358984. Its gradient with respect to w
    # (through the inner gradient, as the critic's update takes it) is 2 (||w|| - 1) w / ||w||.
    w = tf.Variable(np.array([[0.5, 0.5], [0.5, 1.5]], np.float32).reshape(2, 2, 1))
    rng = np.random.default_rng(0)
    real = tf.constant(rng.random((3, 2, 2, 1)), tf.float32)
    fake = tf.constant(rng.random((3, 2, 2, 1)), tf.float32)
    eps = tf.constant([0.1, 0.5, 0.9], shape=(3, 1, 1, 1))
    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(lambda x: tf.reduce_sum(w * x, axis=[1, 2, 3]) + 7.0, real, fake, eps)
    assert float(penalty) == pytest.approx(4 - 2 * math.sqrt(3), rel=1e-6)
    norm = math.sqrt(3)
    np.testing.assert_allclose(tape.gradient(penalty, w).numpy(), 2 * (norm - 1) * w.numpy() / norm, rtol=1e-5)
    # A 1-Lipschitz linear critic (||w|| = 1) pays nothing.
    unit = tf.constant(np.array([0.6, 0.0, 0.8, 0.0], np.float32).reshape(2, 2, 1))
    assert float(losses.gradient_penalty(lambda x: tf.reduce_sum(unit * x, axis=[1, 2, 3]), real, fake, eps)) == \
        pytest.approx(0.0, abs=1e-6)


def test_gradient_penalty_interpolates_each_image_between_its_real_and_fake():
    # D(x) = ||x||^2 / 2 has grad_x D = x, so each image's gradient norm is ||x_hat||, x_hat =
    # eps * real + (1 - eps) * fake (two pixels per image):
    #   image 1: real (4, 0), fake (0, 0), eps 0.25 -> x_hat (1, 0),     norm 1,       (1 - 1)^2 = 0
    #   image 2: real (0, 0), fake (0, 3), eps 0.5  -> x_hat (0, 1.5),   norm 1.5,     0.25
    #   image 3: real (2, 0), fake (0, 2), eps 0.5  -> x_hat (1, 1),     norm sqrt 2,  (sqrt 2 - 1)^2 = 0.1715729
    # mean 0.1405243. Weighting the other way (eps on fake) would give image 1 a norm of 3.
    real = tf.constant([[4.0, 0.0], [0.0, 0.0], [2.0, 0.0]])
    fake = tf.constant([[0.0, 0.0], [0.0, 3.0], [0.0, 2.0]])
    eps = tf.constant([[0.25], [0.5], [0.5]])
    penalty = losses.gradient_penalty(lambda x: 0.5 * tf.reduce_sum(x * x, axis=1), real, fake, eps)
    assert float(penalty) == pytest.approx((0.0 + 0.25 + (math.sqrt(2) - 1) ** 2) / 3, rel=1e-6)
    # Where real and fake share a pixel, a difference eps * real - (1 - eps) * fake would cancel it:
    # real (2, 2), fake (2, 0), eps 0.5 -> x_hat (2, 1), norm sqrt 5 (the difference: (0, 1), norm 1).
    penalty = losses.gradient_penalty(lambda x: 0.5 * tf.reduce_sum(x * x, axis=1), tf.constant([[2.0, 2.0]]),
                                      tf.constant([[2.0, 0.0]]), tf.constant([[0.5]]))
    assert float(penalty) == pytest.approx((math.sqrt(5.0) - 1.0) ** 2, rel=1e-6)


def test_gradient_penalty_of_a_flat_critic_is_finite():
    # A critic whose gradient is exactly zero: the norm is sqrt(0 + 1e-12) = 1e-6, not sqrt of a
    # negative number, and the penalty (1e-6 - 1)^2.
    real, fake = tf.ones([3, 2, 2, 1]), tf.zeros([3, 2, 2, 1])
    penalty = losses.gradient_penalty(lambda x: 0.0 * tf.reduce_sum(x, axis=[1, 2, 3]), real, fake,
                                      tf.fill([3, 1, 1, 1], 0.5))
    assert float(penalty) == pytest.approx((1e-6 - 1.0) ** 2, rel=1e-6)


@pytest.mark.parametrize("variant", ["i", "ii"])
def test_dip_covariance_against_numpy(variant):
    rng = np.random.default_rng(1)
    mean = rng.normal(size=(7, 3)).astype(np.float32)
    logvar = rng.normal(size=(7, 3)).astype(np.float32)
    cov_mu = np.cov(mean, rowvar=False, bias=True)          # Cov_p(x)[mu(x)], 1/N
    if variant == "i":
        expected = cov_mu
    else:
        # E[Sigma(x)] with Sigma(x) = diag(exp(logvar(x))) built as a matrix per example.
        sigmas = np.stack([np.diag(np.exp(lv)) for lv in logvar])
        expected = sigmas.mean(0) + cov_mu
    got = losses.dip_covariance(mean, logvar, variant).numpy()
    assert got.shape == (3, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # Variant II differs from variant I on the diagonal only.
    off = ~np.eye(3, dtype=bool)
    np.testing.assert_allclose(got[off], cov_mu[off], rtol=1e-5, atol=1e-6)


def test_dip_covariance_rejects_unknown_variant():
    with pytest.raises(ValueError, match="'i' or 'ii'"):
        losses.dip_covariance(tf.zeros([2, 2]), tf.zeros([2, 2]), "iii")


def test_dip_penalty_by_hand():
    # Off-diagonal: 2 * 0.5^2 = 0.5; diagonal: (2 - 1)^2 + (1 - 1)^2 = 1.
    cov = tf.constant([[2.0, 0.5], [0.5, 1.0]])
    assert losses.dip_penalty(cov, lambda_od=10.0, lambda_d=3.0).numpy() == pytest.approx(10 * 0.5 + 3 * 1.0)
    assert losses.dip_penalty(tf.eye(4), 10.0, 100.0).numpy() == 0.0


def _numpy_total_correlation(z, mean, logvar):
    """The same estimator written as explicit loops over the batch, in float64."""
    m, d = z.shape
    log_q = np.zeros(m)
    log_marginals = np.zeros(m)
    for i in range(m):
        dens = stats.norm.logpdf(z[i][None, :], mean, np.exp(0.5 * logvar))        # [m, d]: log q(z_ij | x_k)
        log_q[i] = special.logsumexp(dens.sum(1)) - np.log(m)
        log_marginals[i] = sum(special.logsumexp(dens[:, j]) - np.log(m) for j in range(d))
    return float(np.mean(log_q - log_marginals))


def test_total_correlation_matches_numpy_loops():
    rng = np.random.default_rng(2)
    mean = rng.normal(size=(9, 3)).astype(np.float32)
    logvar = rng.normal(scale=0.3, size=(9, 3)).astype(np.float32)
    z = (mean + np.exp(0.5 * logvar) * rng.normal(size=(9, 3))).astype(np.float32)
    assert losses.total_correlation(z, mean, logvar).numpy() == pytest.approx(
        _numpy_total_correlation(z.astype(np.float64), mean.astype(np.float64), logvar.astype(np.float64)), abs=1e-4)


def test_total_correlation_of_a_share_of_the_samples_against_the_whole_population():
    # Under tf.distribute each replica scores its own samples against the posteriors of the global
    # batch; the estimate is a mean over samples, so the mean of the two halves' estimates is the
    # estimate on the whole batch (the normaliser is log M of the population, not of the share).
    rng = np.random.default_rng(4)
    mean = rng.normal(size=(8, 3)).astype(np.float32)
    logvar = rng.normal(scale=0.3, size=(8, 3)).astype(np.float32)
    z = (mean + np.exp(0.5 * logvar) * rng.normal(size=(8, 3))).astype(np.float32)
    halves = [float(losses.total_correlation(z[i:i + 4], mean, logvar)) for i in (0, 4)]
    assert np.mean(halves) == pytest.approx(float(losses.total_correlation(z, mean, logvar)), abs=1e-5)
    assert np.mean(halves) == pytest.approx(
        _numpy_total_correlation(z.astype(np.float64), mean.astype(np.float64), logvar.astype(np.float64)), abs=1e-4)


def test_total_correlation_independent_vs_correlated_codes():
    # Posteriors N(mu_m, 0.3^2) with mu_m ~ N(0, I): the aggregate q(z) is N(0, 1.09 I), TC = 0.
    # With both latents' means equal, q(z) is Gaussian with correlation rho = 1 / 1.09 and
    # TC = I(z_1; z_2) = -1/2 log(1 - rho^2) = 0.9216 nats.
    rng = np.random.default_rng(3)
    m, s = 1000, 0.3
    mean = rng.normal(size=(m, 2)).astype(np.float32)
    logvar = np.full((m, 2), np.log(s * s), np.float32)
    independent = losses.total_correlation(mean + s * rng.normal(size=(m, 2)).astype(np.float32), mean, logvar)
    correlated_mean = np.repeat(mean[:, :1], 2, axis=1)
    correlated = losses.total_correlation(
        correlated_mean + s * rng.normal(size=(m, 2)).astype(np.float32), correlated_mean, logvar)
    assert abs(float(independent)) < 0.05
    assert float(correlated) == pytest.approx(-0.5 * np.log(1 - (1 / (1 + s * s)) ** 2), abs=0.05)


@pytest.mark.parametrize("step, expected", [(0, 0.0), (50, 12.5), (100, 25.0), (200, 25.0)])
def test_capacity_schedule(step, expected):
    assert losses.capacity(step, c_max=25.0, iteration_threshold=100).numpy() == pytest.approx(expected)


def test_permute_dims_permutes_each_column_independently():
    z = tf.reshape(tf.range(40, dtype=tf.float32), [20, 2])  # every entry distinct
    permuted = losses.permute_dims(z, seed=tf.constant([1, 2], tf.int64)).numpy()
    np.testing.assert_array_equal(np.sort(permuted, axis=0), z.numpy())            # columns are permutations
    rows = {tuple(r) for r in z.numpy()}
    assert sum(tuple(r) in rows for r in permuted) < 10                           # pairs are broken up
    np.testing.assert_array_equal(permuted, losses.permute_dims(z, tf.constant([1, 2], tf.int64)).numpy())


def test_density_ratio_and_discriminator_loss():
    logits_q = np.array([[2.0, 0.0], [1.0, 1.0]], np.float32)
    logits_perm = np.array([[0.0, 3.0], [-1.0, 1.0]], np.float32)
    d_q = special.softmax(logits_q, axis=1)[:, 0]
    # log D / (1 - D) with D the softmax's class 0.
    assert losses.density_ratio_tc(logits_q).numpy() == pytest.approx(np.mean(np.log(d_q / (1 - d_q))), rel=1e-6)
    d_perm = special.softmax(logits_perm, axis=1)[:, 0]
    expected = -(0.5 * np.log(d_q).mean() + 0.5 * np.log(1 - d_perm).mean())
    assert losses.discriminator_loss(logits_q, logits_perm).numpy() == pytest.approx(expected, rel=1e-6)


def test_training_noise_is_the_same_with_and_without_xla():
    # TF's stateless samplers give different numbers under XLA (up to 3.6 apart for standard
    # normals of one seed); zoo.noise builds on the Philox bits, which agree.
    from zoo import noise

    seed = tf.constant([5, 7], tf.int64)

    def draw():
        return (noise.uniform([4000], seed), noise.normal([4000], seed), noise.integers([4000], seed, 3),
                noise.sort_keys([4000], seed))

    eager, compiled = draw(), tf.function(draw, jit_compile=True)()
    np.testing.assert_array_equal(eager[0], compiled[0])
    np.testing.assert_allclose(eager[1], compiled[1], atol=1e-4)  # ndtri rounds differently in the far tails
    np.testing.assert_array_equal(eager[2], compiled[2])
    np.testing.assert_array_equal(eager[3], compiled[3])
    u, z, k, _ = (x.numpy() for x in eager)
    # Moments within 5 standard errors of 4000 draws: U(0,1) mean 1/2, sd 1/sqrt(12); N(0,1); 3 classes of 1/3.
    assert 0 < u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 5 * (12 ** -0.5) / 4000 ** 0.5
    assert abs(z.mean()) < 5 / 4000 ** 0.5 and abs(z.std() - 1) < 5 * (0.5 ** 0.5) / 4000 ** 0.5
    assert set(k) == {0, 1, 2} and max(abs(np.bincount(k) / 4000 - 1 / 3)) < 5 * (2 / 9 / 4000) ** 0.5


def test_unit_interval_never_reaches_one_and_keeps_every_other_value():
    # k = 2^24 - 1: k + 1/2 is no float32 and rounds up to 2^24, so (k + 1/2) / 2^24 was exactly 1
    # and ndtri(1) = +inf (an InfoGAN's loss turned NaN at a fixed step). Now the largest float32 < 1.
    from zoo import noise

    top = tf.constant([0, 1, 2 ** 23 - 1, 2 ** 23, 2 ** 24 - 2, 2 ** 24 - 1], tf.uint32)
    u = noise.unit_interval(top).numpy()
    naive = ((top.numpy().astype(np.float32) + np.float32(0.5)) * np.float32(2.0 ** -24)).astype(np.float32)
    assert naive[-1] == 1.0  # the bug, in plain float32 arithmetic
    assert u[-1] == np.nextafter(np.float32(1), np.float32(0)) and np.all((0 < u) & (u < 1))
    np.testing.assert_array_equal(u[:-1], naive[:-1])  # every other value as before
    assert u[0] == 2.0 ** -25 and u[2] == (2 ** 23 - 0.5) / 2 ** 24  # exact below 2^23
    assert np.all(np.isfinite(tf.math.ndtri(u).numpy())) and tf.math.ndtri(u[-1:]).numpy()[0] == pytest.approx(5.33, abs=0.05)


def test_shared_by_threshold_per_row_and_at_the_tie():
    # Each pair its own threshold (min + max) / 2, with more pairs than latents: rows (0, 1, 4) and
    # (2, 2, 10) give tau 2 and 6 (mutation testing: a threshold of shape [batch] broadcast wrongly).
    delta = tf.constant([[0.0, 1.0, 4.0], [2.0, 2.0, 10.0]])
    np.testing.assert_array_equal(losses.shared_by_threshold(delta).numpy(), [[True, True, False], [True, True, False]])
    # A spread of exactly TIED_NATS still counts as tied (every latent shared); the same spread
    # above it splits the pair.
    tied = tf.constant([[0.0, losses.TIED_NATS]], tf.float32)
    np.testing.assert_array_equal(losses.shared_by_threshold(tied).numpy(), [[True, True]])
    np.testing.assert_array_equal(losses.shared_by_threshold(tied * 4.0).numpy(), [[True, False]])
