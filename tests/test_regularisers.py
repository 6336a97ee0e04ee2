"""Each regulariser's weight, checked in a state where its term is large (a constructed posterior).

On an untrained model the total correlation of the codes is about 1e-6 nats against a loss of
about 200, so `loss == recon + kl + w * tc` holds for any weight w within rtol 1e-5: a test on
such a model cannot tell `(beta - 1) * tc` from `beta * tc` (issue 38). Here the posterior is built
by hand so that the term is of the order of the loss, and every weight is off by a whole unit of
the term when it is wrong.
"""

import math

import numpy as np
import pytest
import tensorflow as tf

import zoo.models
from zoo import losses
from zoo.models.vae import VAEOutputs

SMALL = {"input_shape": (16, 16, 1), "latent_dim": 4}
SMALL_INFOGAN = {"input_shape": (16, 16, 1), "num_categorical": 2, "num_continuous": 2, "noise_dim": 8,
                 "filters": 8}


def correlated_outputs(batch=64, latents=4, seed=0):
    """A posterior whose latents all copy one value t ~ N(0, 1) with a small spread (sigma 0.05):
    q(z) lies on a line, far from the product of its marginals, so the TC is several nats."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=(batch, 1))
    mean = (t + 0.01 * rng.normal(size=(batch, latents))).astype(np.float32)
    logvar = np.full((batch, latents), 2.0 * math.log(0.05), np.float32)
    z = (mean + 0.05 * rng.normal(size=(batch, latents))).astype(np.float32)
    logits = rng.normal(size=(batch, 16, 16, 1)).astype(np.float32)
    return VAEOutputs(tf.constant(mean), tf.constant(logvar), tf.constant(z), tf.constant(logits))


@pytest.fixture(scope="module")
def images():
    return (np.random.default_rng(1).uniform(size=(64, 16, 16, 1)) > 0.5).astype(np.float32)


def _recon_kl(images, out):
    recon = float(tf.reduce_mean(losses.bernoulli_nll(images, out.logits)))
    kl = float(tf.reduce_mean(losses.gaussian_kl(out.z_mean, out.z_logvar)))
    return recon, kl


def test_beta_tcvae_weights_the_total_correlation_by_beta_minus_one(images):
    out = correlated_outputs()
    tc = float(losses.total_correlation(out.z, out.z_mean, out.z_logvar))
    recon, kl = _recon_kl(images, out)
    # The term is large: a wrong weight (beta instead of beta - 1) moves the loss by tc >> tolerance.
    assert tc > 3.0 and tc > 1e-3 * (recon + kl)
    for beta in (1.0, 4.0, 9.0):
        model = zoo.models.get("beta_tcvae", beta=beta, **SMALL)
        terms = {k: float(v) for k, v in model.loss_terms(tf.constant(images), out).items()}
        assert terms["tc_loss"] == pytest.approx(tc, rel=1e-5)
        assert terms["loss"] == pytest.approx(recon + kl + (beta - 1.0) * tc, rel=1e-5)
    # The regulariser on its own: KL + (beta - 1) TC, so beta = 1 is the plain VAE.
    model = zoo.models.get("beta_tcvae", beta=4.0, **SMALL)
    value, extra = model.regularizer(tf.constant(10.0), out.z_mean, out.z_logvar, out.z)
    assert float(value) == pytest.approx(10.0 + 3.0 * tc, rel=1e-5)
    assert float(extra["tc_loss"]) == pytest.approx(tc, rel=1e-5)


def test_factor_vae_weights_the_density_ratio_by_gamma(images):
    out = correlated_outputs()
    recon, kl = _recon_kl(images, out)
    # Logits whose log-ratio averages 2.5 nats: gamma * 2.5 is of the order of the loss.
    rng = np.random.default_rng(2)
    logits = np.stack([2.0 + rng.normal(size=64), -0.5 + rng.normal(size=64)], axis=1).astype(np.float32)
    tc = float(np.mean(logits[:, 0] - logits[:, 1]))
    assert tc > 1.0
    for gamma in (0.0, 7.0, 40.0):
        model = zoo.models.get("factor_vae", gamma=gamma, **SMALL)
        terms = {k: float(v) for k, v in
                 model.loss_terms(tf.constant(images), out, discriminator_logits=tf.constant(logits)).items()}
        assert terms["tc_loss"] == pytest.approx(tc, rel=1e-5)
        assert terms["loss"] == pytest.approx(recon + kl + gamma * tc, rel=1e-5)
    # Without logits the regulariser asks the model's own discriminator (its logits on z).
    model = zoo.models.get("factor_vae", gamma=7.0, **SMALL)
    own = model.discriminator(out.z, training=False).numpy()
    value, extra = model.regularizer(tf.constant(10.0), out.z_mean, out.z_logvar, out.z)
    assert float(extra["tc_loss"]) == pytest.approx(float(np.mean(own[:, 0] - own[:, 1])), rel=1e-5, abs=1e-6)
    assert float(value) == pytest.approx(10.0 + 7.0 * float(extra["tc_loss"]), rel=1e-5, abs=1e-5)


def test_infogan_mutual_information_bound_has_its_sign():
    """mi_categorical = log k - CE: positive when Q is right, negative when Q is confidently wrong
    (uniform logits give 0 either way, which is why they cannot test the sign)."""
    model = zoo.models.InfoGAN(**SMALL_INFOGAN)
    onehot = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    continuous = np.zeros((2, 2), np.float32)
    zeros = np.zeros((2, 2), np.float32)
    right = np.array([[3.0, 0.0], [0.0, 3.0]], np.float32)
    ce_right = math.log1p(math.exp(-3.0))           # -log softmax(3, 0)[0]
    ce_wrong = math.log1p(math.exp(3.0))            # -log softmax(0, 3)[0]
    for logits, ce in ((right, ce_right), (right[:, ::-1].copy(), ce_wrong)):
        info, mi, _ = (float(v) for v in model.info_terms({"q_logits": logits, "q_mean": zeros,
                                                           "q_log_scale": zeros}, onehot, continuous))
        assert mi == pytest.approx(math.log(2.0) - ce, rel=1e-5)
        # The information loss is the cross-entropy itself (lambda_categorical = 1), to be minimised.
        assert info == pytest.approx(ce + 0.1 * 2 * 0.5 * math.log(2 * math.pi), rel=1e-5)
    assert math.log(2.0) - ce_right > 0.6 and math.log(2.0) - ce_wrong < -2.0


def test_infogan_generator_minimises_the_information_loss():
    """G's loss adds + lambda_info * L_I (eq. 6: min over G of V - lambda I, and L_I bounds -I)."""
    model = zoo.models.InfoGAN(**SMALL_INFOGAN, lambda_info=0.7)
    g_loss = model._generator_loss({"generator_loss": tf.constant(1.5), "info_loss": tf.constant(2.0)})
    assert float(g_loss) == pytest.approx(1.5 + 0.7 * 2.0, rel=1e-6)
