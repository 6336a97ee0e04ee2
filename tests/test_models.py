"""Every objective checked the same way, plus the interface and each model's loss (the registry and the
hyperparameter checks: tests/test_models_registry.py).

The networks adapt to the image size, so these run on the 16x16 tiny dataset in seconds.
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import zoo.data
import zoo.models
from zoo import losses
from zoo.data import pairs

SMALL = {"input_shape": (16, 16, 1), "latent_dim": 4}
SMALL_INFOGAN = {"input_shape": (16, 16, 1), "num_categorical": 2, "num_continuous": 2, "noise_dim": 8,
                 "filters": 8}
# The loss each objective's optimizer minimises, which must fall over a few steps.
FALLING = {name: "loss" for name in zoo.models.names()} | {"infogan": "info_loss"}
# Every objective, and InfoGAN's other losses (InfoWGAN-GP, two critic updates per step).
VARIANTS = [pytest.param(name, {}, id=name) for name in zoo.models.names()] + [
    pytest.param("infogan", {"gan_loss": "wgan_gp", "n_critic": 2}, id="infogan-wgan_gp")]


def small(name, **kwargs):
    return zoo.models.get(name, **(SMALL_INFOGAN if name == "infogan" else SMALL), **kwargs)


@pytest.fixture(scope="module")
def tiny():
    return zoo.data.load("tiny")


@pytest.fixture(scope="module")
def batch(tiny):
    return tiny.sample_observations(32, rng=0)


@pytest.fixture(scope="module")
def pair_batch(tiny):
    sample = pairs.sample_pairs(tiny, 32, k=pairs.RANDOM_K, rng=0)
    return sample.images, sample.k


def _training_data(model, tiny):
    """What `fit` trains on: single images, or pairs for the weakly supervised VAEs (as zoo.runs feeds them)."""
    if isinstance(model, zoo.models.WeakVAE):
        return model.training_dataset(tiny, 32, seed=0)
    return tiny.as_tf_dataset(batch_size=32, seed=0)


def _step_batch(model, batch, pair_batch):
    """`train_on_batch`'s arguments: `(images,)`, or `(pairs, k)` for the weakly supervised VAEs."""
    return pair_batch if isinstance(model, zoo.models.WeakVAE) else (batch,)


def _optimizers(model):
    return [model.optimizer] + ([model.discriminator_optimizer] if hasattr(model, "discriminator_optimizer") else [])


def _outputs(model, images):
    """Everything a loaded model must reproduce: codes, decoded codes, samples."""
    codes = model.representation(images)
    return [codes, model.decode(codes).numpy(), model.sample(4, seed=1).numpy()]


def _assert_same_outputs(a, b):
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name, variant", VARIANTS)
def test_model(name, variant, tiny, batch, pair_batch, tmp_path):
    keras.utils.set_random_seed(0)
    model = small(name, **variant)

    # Config round trip through JSON.
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
    clone = keras.saving.deserialize_keras_object(config)
    assert type(clone) is type(model)
    assert clone.get_config() == model.get_config()
    assert clone.count_params() == model.count_params()

    # A few fit steps: finite losses, the minimised one falling; every player and the step
    # counter advance once per batch (a critic n_critic times).
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    assert model.jit_compile is False  # "auto" on a CPU-only machine: plain tf.function
    assert model.get_compile_config()["jit_compile"] == "auto"  # and still "auto" when loaded elsewhere
    history = model.fit(_training_data(model, tiny), epochs=3, steps_per_epoch=4, shuffle=False, verbose=0).history
    assert set(history) == set(model.METRIC_NAMES)
    assert all(np.isfinite(v).all() for v in history.values())
    assert history[FALLING[name]][-1] < history[FALLING[name]][0]
    assert int(model.step.numpy()) == 12
    critic_updates = 12 * getattr(model, "n_critic", 1)  # InfoGAN's critic may move n_critic times a step
    assert [int(o.iterations.numpy()) for o in _optimizers(model)] == [12, critic_updates][:len(_optimizers(model))]

    # Save and load: `.keras` (with optimizer state) and `.weights.h5` into a fresh instance.
    expected = _outputs(model, batch)
    model.save(tmp_path / "model.keras")
    model.save_weights(tmp_path / "model.weights.h5")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    _assert_same_outputs(_outputs(loaded, batch), expected)
    assert int(loaded.step.numpy()) == 12
    for saved, restored in zip(_optimizers(model), _optimizers(loaded)):
        for a, b in zip(saved.variables, restored.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    fresh = keras.saving.deserialize_keras_object(config).build_for_inference()
    fresh.load_weights(tmp_path / "model.weights.h5")
    _assert_same_outputs(_outputs(fresh, batch), expected)
    assert int(fresh.step.numpy()) == 12

    # Resuming from the `.keras` file continues exactly as the original (same step-seeded noise,
    # same optimizer state, the same two batches); `model` reuses the training function it traced.
    for m in (model, loaded):
        m.fit(_training_data(m, tiny), epochs=1, steps_per_epoch=2, shuffle=False, verbose=0)
    assert int(loaded.step.numpy()) == int(model.step.numpy()) == 14
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name, variant", VARIANTS)
def test_jit_compile(name, variant, batch, pair_batch):
    # Three steps compiled by XLA end with the weights (and batch-norm statistics, step counter) of
    # three steps without it, from the same start: the same training noise (zoo.noise; TF's own
    # stateless samplers draw different numbers under XLA) and the same math. SGD, as Adam turns
    # a rounding-level difference in a near-zero gradient into a whole step of the other sign.
    keras.utils.set_random_seed(0)
    plain, jitted = small(name, **variant), small(name, **variant)
    jitted.set_weights(plain.get_weights())
    start = [w.numpy() for w in plain.trainable_weights]
    for model, jit in ((plain, False), (jitted, True)):
        two_players = hasattr(model, "discriminator")
        model.compile(optimizer=keras.optimizers.SGD(1e-3), jit_compile=jit,
                      **({"discriminator_optimizer": keras.optimizers.SGD(1e-3)} if two_players else {}))
    assert jitted.jit_compile is True and plain.jit_compile is False
    for _ in range(3):
        plain_logs = plain.train_on_batch(*_step_batch(plain, batch, pair_batch), return_dict=True)
        jitted_logs = jitted.train_on_batch(*_step_batch(jitted, batch, pair_batch), return_dict=True)
    assert int(jitted.step.numpy()) == 3
    for key, value in plain_logs.items():
        assert float(jitted_logs[key]) == pytest.approx(float(value), rel=1e-4, abs=1e-5), key
    for a, b in zip(plain.weights, jitted.weights):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-4, atol=1e-6, err_msg=a.path)
    # The steps moved the weights far beyond the tolerance.
    assert max(float(np.abs(a.numpy() - w).max()) for a, w in zip(plain.trainable_weights, start)) > 1e-3


# ---------------------------------------------------------------------------------------- interface


def test_interface_and_input_checks(batch):
    model = small("vae")
    posterior = model.encode(batch[:5])
    assert isinstance(posterior, tfp.distributions.MultivariateNormalDiag)
    codes = model.representation(batch[:5])
    assert codes.shape == (5, 4) and codes.dtype == np.float32
    np.testing.assert_allclose(posterior.mean().numpy(), codes, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(batch[:5], verbose=0), codes, rtol=1e-5, atol=1e-6)
    prior = tfp.distributions.MultivariateNormalDiag(tf.zeros(4), tf.ones(4))
    z_mean, z_logvar = model.encoder(batch[:5])
    np.testing.assert_allclose(tfp.distributions.kl_divergence(posterior, prior).numpy(),
                               losses.gaussian_kl(z_mean, z_logvar).numpy(), rtol=1e-4, atol=1e-5)
    # Batching does not change the codes; uint8 is scaled to [0, 1].
    np.testing.assert_allclose(model.representation(batch, batch_size=7), model.representation(batch), atol=1e-5)
    np.testing.assert_allclose(model.representation((batch * 255).astype(np.uint8)), model.representation(batch),
                               atol=1e-5)
    # Reconstruction: the Bernoulli means of the decoder at the posterior means, sigmoid(logits).
    z_mean = model.encoder(batch[:3])[0]
    logits = model.decoder(z_mean).numpy().astype(np.float64)
    np.testing.assert_allclose(model.reconstruct(batch[:3]), 1 / (1 + np.exp(-logits)), rtol=1e-5, atol=1e-6)
    assert model.sample(2, seed=0).shape == (2, 16, 16, 1)
    np.testing.assert_array_equal(model.sample(2, seed=0), model.sample(2, seed=0))
    assert not np.allclose(model.sample(2, seed=0), model.sample(2, seed=1))
    # log p(x|z) = sum over pixels of x log sigmoid(l) + (1 - x) log(1 - sigmoid(l)), by hand in float64.
    logits = model.decoder(codes).numpy().astype(np.float64)
    x = batch[:5].astype(np.float64)
    by_hand = (x * -np.logaddexp(0, -logits) + (1 - x) * -np.logaddexp(0, logits)).sum(axis=(1, 2, 3))
    log_prob = model.likelihood(codes).log_prob(batch[:5]).numpy()
    assert log_prob.shape == (5,)
    np.testing.assert_allclose(log_prob, by_hand, rtol=1e-5)
    with pytest.raises(ValueError, match=r"shape \(N, 16, 16, 1\)"):
        model.representation(np.zeros((2, 32, 32, 1), np.float32))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.representation(batch * 2.0)
    with pytest.raises(ValueError, match="dtype int64"):
        model.representation(batch.astype(np.int64))
    with pytest.raises(ValueError, match="expects images of shape"):
        model.compile()
        model.train_on_batch(np.zeros((2, 32, 32, 1), np.float32))


# One image rule at every entry point (zoo.data.check_images): float in [0, 1], uint8 grey levels
# 0..255 divided by 255; uint8 0/1 masks and float 0..255 refused, never silently mis-scaled.
BAD_IMAGES = {
    "uint8 0/1 masks": (lambda b: b.astype(np.uint8), "0/1 masks"),
    "float 0..255": (lambda b: b * 255.0, r"must lie in \[0, 1\]; pixel values 0..255 must be divided by 255"),
    "float with NaN": (lambda b: np.where(b > 0.5, np.nan, b).astype(np.float32), r"must lie in \[0, 1\]"),
}


@pytest.mark.parametrize("name", ["vae", "infogan"])
def test_predict_and_call_scale_uint8_as_representation_does(name, batch):
    model = small(name)
    expected = model.representation(batch[:6])
    grey = (batch[:6] * 255).astype(np.uint8)
    # Before: predict and model(x) skipped the scaling, so uint8 codes were those of images 255x too bright.
    np.testing.assert_allclose(model.predict(grey, verbose=0), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model(grey).numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.representation(grey), expected, rtol=1e-5, atol=1e-5)
    # Within half an 8-bit grey level of [0, 1] is rounding, accepted as it is.
    nudged = np.clip(batch[:6] + np.float32(1e-3) * (2 * batch[:6] - 1), -1e-3, 1 + 1e-3).astype(np.float32)
    assert nudged.max() > 1 and nudged.min() < 0
    assert model.representation(nudged).shape == expected.shape
    assert model.predict(nudged, verbose=0).shape == expected.shape


def _assert_refused(entry_points, message, case):
    """Every entry point raises the image rule's error for the case's batch."""
    for entry, run in entry_points.items():
        try:
            with pytest.raises((ValueError, tf.errors.InvalidArgumentError), match=message):
                run()
        except pytest.fail.Exception as error:
            raise AssertionError(f"{case}, {entry}: {error}") from None


def test_mis_scaled_images_are_refused_everywhere(batch):
    # One model for the three cases: each entry point's function is traced once, not once per case.
    model = small("vae")
    model.compile()
    before = [w.numpy() for w in model.trainable_weights]
    for case, (make, message) in BAD_IMAGES.items():
        bad = make(batch[:8])
        _assert_refused({
            "representation": lambda: model.representation(bad),
            "encode": lambda: model.encode(bad),
            "reconstruct": lambda: model.reconstruct(bad),
            "predict": lambda: model.predict(bad, verbose=0),
            "call": lambda: model(bad),
            "train_on_batch": lambda: model.train_on_batch(bad),
            "fit": lambda: model.fit(bad, batch_size=4, epochs=1, verbose=0),
            "fit on a dataset": lambda: model.fit(tf.data.Dataset.from_tensor_slices(bad).batch(4), verbose=0),
            "evaluate": lambda: model.evaluate(bad, batch_size=4, verbose=0),
        }, message, case)
    # Nothing was trained on the refused batches.
    for a, b in zip(before, model.trainable_weights):
        np.testing.assert_array_equal(a, b.numpy())


def test_mis_scaled_images_are_refused_under_xla(batch):
    # XLA compiles assert ops away; under jit_compile=True the inputs are checked before the step.
    model = small("vae")
    model.compile(jit_compile=True)
    for case, (make, message) in BAD_IMAGES.items():
        bad = make(batch[:8])
        _assert_refused({
            "fit": lambda: model.fit(bad, batch_size=4, epochs=1, verbose=0),
            "fit on a dataset": lambda: model.fit(tf.data.Dataset.from_tensor_slices(bad).batch(4), verbose=0),
            "train_on_batch": lambda: model.train_on_batch(bad),
            "evaluate": lambda: model.evaluate(bad, batch_size=4, verbose=0),
            "predict": lambda: model.predict(bad, verbose=0),
        }, message, case)
    assert int(model.step.numpy()) == 0
    model.fit(tf.data.Dataset.from_tensor_slices(batch[:8]).batch(4), verbose=0)  # good images still train
    assert int(model.step.numpy()) == 2


def test_infogan_interface(batch):
    model = small("infogan")
    q = model.encode(batch[:3])
    codes = model.representation(batch[:3])
    assert codes.shape == (3, 4)
    np.testing.assert_allclose(q.mean().numpy(), codes, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(codes[:, :2].sum(1), 1.0, rtol=1e-5)       # class probabilities
    images, c = model.sample(600, seed=2, return_codes=True)
    images, c = images.numpy(), c.numpy()
    assert images.shape == (600, 16, 16, 1) and c.shape == (600, 4)
    # The codes are draws from the priors: one-hot classes, about 300 each (binomial sd 12), and
    # U(-1, 1) continuous codes (mean 0 within 5 standard errors of 1/sqrt(3 * 600)).
    onehot = c[:, :2]
    assert set(np.unique(onehot)) == {0.0, 1.0} and (onehot.sum(1) == 1).all()
    assert abs(onehot[:, 0].sum() - 300) < 5 * 12
    assert c[:, 2:].min() >= -1 and c[:, 2:].max() <= 1 and abs(c[:, 2:].mean()) < 5 / np.sqrt(3 * 1200)
    # ...and they are the codes the images were generated from: G(noise, c) with the sample's noise,
    # U(-1, 1) (the default noise_prior).
    noise = tf.random.stateless_uniform([600, 8], [2, 0], -1.0, 1.0)
    np.testing.assert_allclose(model.decode(c, noise=noise), images, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model.sample(600, seed=2), images)
    # Reconstruction: G(0, c) with c Q's most likely class, one-hot, and its continuous means.
    q = model.representation(batch[:3])
    expected = model.decode(np.concatenate([np.eye(2)[q[:, :2].argmax(1)], q[:, 2:]], axis=1))
    np.testing.assert_allclose(model.reconstruct(batch[:3]), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="latent_dim"):
        zoo.models.InfoGAN(num_categorical=3, num_continuous=3, latent_dim=10)


@pytest.mark.parametrize("name", zoo.models.names())
def test_evaluate_reports_the_test_step_terms_and_trains_nothing(name, batch, pair_batch):
    keras.utils.set_random_seed(3)
    model = small(name)
    model.compile()
    step_batch = _step_batch(model, batch, pair_batch)
    model.train_on_batch(*step_batch)  # step 1: optimizer state exists and the noise is step 1's
    state = [w.numpy() for w in model.weights]
    iterations = [int(o.iterations.numpy()) for o in _optimizers(model)]
    scores = model.evaluate(*step_batch, batch_size=len(batch), verbose=0, return_dict=True)
    assert set(scores) == set(model.METRIC_NAMES)
    # One batch: each tracker is that batch's term, computed here in inference mode at step 1.
    images = tf.constant(batch)
    if name == "infogan":
        expected = {k: float(v) for k, v in model._terms(images, training=False).items()}
    elif isinstance(model, zoo.models.WeakVAE):  # its terms by hand: tests/test_weak_vae.py
        expected = {k: float(v) for k, v in model._terms(tuple(map(tf.constant, step_batch)), training=False).items()}
    else:
        outputs = model.forward(images, training=False)
        extra = {}
        if name == "factor_vae":
            logits_q, logits_permuted = model._discriminate(outputs.z, training=False)
            extra = {"discriminator_logits": logits_q}
        expected = {k: float(v) for k, v in model.loss_terms(images, outputs, **extra).items()}
        if name == "factor_vae":
            expected["discriminator_loss"] = float(losses.discriminator_loss(logits_q, logits_permuted))
        # The VAE terms by hand from the networks (the noise is the step's, drawn by forward).
        recon = float(tf.reduce_mean(losses.bernoulli_nll(images, model.decoder(outputs.z))))
        kl = float(tf.reduce_mean(losses.gaussian_kl(*model.encoder(images))))
        assert scores["reconstruction_loss"] == pytest.approx(recon, rel=1e-5)
        assert scores["kl_loss"] == pytest.approx(kl, rel=1e-4, abs=1e-6)
    for key, value in expected.items():
        assert scores[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key
    # Nothing trained: weights, batch-norm statistics, step counter and optimizers as they were.
    for before, after in zip(state, model.weights):
        np.testing.assert_array_equal(before, after.numpy())
    assert [int(o.iterations.numpy()) for o in _optimizers(model)] == iterations


# ---------------------------------------------------------------------------------------- each objective's loss


def _terms(model, images, **kwargs):
    outputs = model.forward(tf.constant(images), training=False)
    terms = {k: float(v) for k, v in model.loss_terms(tf.constant(images), outputs, **kwargs).items()}
    recon = float(tf.reduce_mean(losses.bernoulli_nll(images, outputs.logits)))
    kl = float(tf.reduce_mean(losses.gaussian_kl(outputs.z_mean, outputs.z_logvar)))
    assert terms["reconstruction_loss"] == pytest.approx(recon, rel=1e-6)
    assert terms["kl_loss"] == pytest.approx(kl, rel=1e-5, abs=1e-7)
    return terms, outputs, recon, kl


def test_each_objective_adds_its_regulariser(batch):
    terms, _, recon, kl = _terms(small("vae"), batch)
    assert terms["loss"] == pytest.approx(recon + kl, rel=1e-6)

    terms, _, recon, kl = _terms(small("beta_vae", beta=3.0), batch)
    assert terms["loss"] == pytest.approx(recon + 3.0 * kl, rel=1e-6)

    annealed = small("annealed_vae", gamma=5.0, c_max=20.0, iteration_threshold=100)
    annealed.step.assign(50)  # C = 10
    terms, _, recon, kl = _terms(annealed, batch)
    assert terms["capacity"] == pytest.approx(10.0)
    assert terms["loss"] == pytest.approx(recon + 5.0 * abs(kl - 10.0), rel=1e-6)

    for variant in ("i", "ii"):
        model = small(f"dip_vae_{variant}", lambda_od=2.0, lambda_d=3.0)
        terms, out, recon, kl = _terms(model, batch)
        cov = losses.dip_covariance(out.z_mean, out.z_logvar, variant)
        assert terms["loss"] == pytest.approx(recon + kl + float(losses.dip_penalty(cov, 2.0, 3.0)), rel=1e-5)

    terms, out, recon, kl = _terms(small("beta_tcvae", beta=4.0), batch)
    tc = float(losses.total_correlation(out.z, out.z_mean, out.z_logvar))
    assert terms["loss"] == pytest.approx(recon + kl + 3.0 * tc, rel=1e-5)

    factor = small("factor_vae", gamma=7.0)
    terms, out, recon, kl = _terms(factor, batch)
    tc = float(losses.density_ratio_tc(factor.discriminator(out.z)))
    assert terms["loss"] == pytest.approx(recon + kl + 7.0 * tc, rel=1e-5)


def test_training_is_reproducible_and_step_seeded(batch):
    keras.utils.set_random_seed(1)
    a = small("beta_vae", seed=5)
    b = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(a))
    b.set_weights(a.get_weights())
    for m in (a, b):
        m.compile()
        m.train_on_batch(batch)
        m.train_on_batch(batch)
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    # The noise depends on the step: two steps draw different z for the same images.
    z1 = a.forward(tf.constant(batch)).z
    a.step.assign_add(1)
    assert not np.allclose(z1, a.forward(tf.constant(batch)).z)


def test_docstring_examples_run():
    import doctest

    import zoo.models.beta_vae
    import zoo.models.vae

    for module in (zoo.models, zoo.models.vae, zoo.models.beta_vae):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, module.__name__
