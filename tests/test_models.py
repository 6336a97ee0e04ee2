"""Every objective checked the same way, plus the registry, the interface and each model's loss.

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

SMALL = {"input_shape": (16, 16, 1), "latent_dim": 4}
SMALL_INFOGAN = {"input_shape": (16, 16, 1), "num_categorical": 2, "num_continuous": 2, "noise_dim": 8,
                 "filters": 8}
# The loss each objective's optimizer minimises, which must fall over a few steps.
FALLING = {name: "loss" for name in zoo.models.names()} | {"infogan": "info_loss"}


def small(name, **kwargs):
    return zoo.models.get(name, **(SMALL_INFOGAN if name == "infogan" else SMALL), **kwargs)


@pytest.fixture(scope="module")
def tiny():
    return zoo.data.load("tiny")


@pytest.fixture(scope="module")
def batch(tiny):
    return tiny.sample_observations(32, rng=0)


def _optimizers(model):
    return [model.optimizer] + ([model.discriminator_optimizer] if hasattr(model, "discriminator_optimizer") else [])


def _outputs(model, images):
    """Everything a loaded model must reproduce: codes, decoded codes, samples."""
    codes = model.representation(images)
    return [codes, model.decode(codes).numpy(), model.sample(4, seed=1).numpy()]


def _assert_same_outputs(a, b):
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", zoo.models.names())
def test_model(name, tiny, batch, tmp_path):
    keras.utils.set_random_seed(0)
    model = small(name)

    # Config round trip through JSON.
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
    clone = keras.saving.deserialize_keras_object(config)
    assert type(clone) is type(model)
    assert clone.get_config() == model.get_config()
    assert clone.count_params() == model.count_params()

    # A few fit steps: finite losses, the minimised one falling; every player and the step
    # counter advance once per batch.
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    assert model.jit_compile is False  # "auto" on a CPU-only machine: plain tf.function
    assert model.get_compile_config()["jit_compile"] == "auto"  # and still "auto" when loaded elsewhere
    history = model.fit(tiny.as_tf_dataset(batch_size=32, seed=0), epochs=3, steps_per_epoch=4, shuffle=False, verbose=0).history
    assert set(history) == set(model.METRIC_NAMES)
    assert all(np.isfinite(v).all() for v in history.values())
    assert history[FALLING[name]][-1] < history[FALLING[name]][0]
    assert int(model.step.numpy()) == 12
    assert [int(o.iterations.numpy()) for o in _optimizers(model)] == [12] * len(_optimizers(model))

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
    # same optimizer state).
    for m in (model, loaded):
        for _ in range(2):
            m.train_on_batch(batch)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", zoo.models.names())
def test_jit_compile(name, batch):
    model = small(name)
    model.compile(jit_compile=True)
    assert model.jit_compile is True
    logs = model.train_on_batch(batch, return_dict=True)
    logs = model.train_on_batch(batch, return_dict=True)
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert int(model.step.numpy()) == 2


# ---------------------------------------------------------------------------------------- registry


def test_registry_names_and_defaults():
    assert zoo.models.names() == ["annealed_vae", "beta_tcvae", "beta_vae", "dip_vae_i", "dip_vae_ii", "factor_vae",
                                  "infogan", "vae"]
    # The study's settings (Locatello et al. 2019).
    assert small("annealed_vae").hparams == {"gamma": 1000.0, "c_max": 25.0, "iteration_threshold": 100000}
    assert small("factor_vae").hparams == {"gamma": 10.0}
    assert small("dip_vae_i").hparams == {"variant": "i", "lambda_od": 10.0, "lambda_d": 100.0}
    assert small("dip_vae_ii").hparams == {"variant": "ii", "lambda_od": 10.0, "lambda_d": 10.0}
    assert small("dip_vae_i", lambda_od=2.0).lambda_d == 20.0
    assert small("beta_tcvae").hparams == {"beta": 6.0}
    assert isinstance(small("dip_vae_ii"), zoo.models.DIPVAE)
    assert type(small("vae")) is zoo.models.VAE
    assert zoo.models.hparams("dip_vae_ii")["variant"].default == "ii"
    assert zoo.models.get_class("beta_vae").hparam_names() == ("beta",)
    assert zoo.models.InfoGAN.hparam_names() == ("num_categorical", "num_continuous", "noise_dim", "lambda_info",
                                                 "lambda_categorical", "lambda_continuous", "learn_scale", "min_scale",
                                                 "network", "filters", "separate_batches", "instance_noise")
    model = zoo.models.get("beta_vae", beta=8, input_shape=(16, 16, 1))
    assert (model.beta, model.observation_shape, model.latent_dim) == (8.0, (16, 16, 1), 10)


def test_registry_errors():
    with pytest.raises(ValueError, match="'beta_vae'.*Known models"):
        zoo.models.get("betavae")
    with pytest.raises(ValueError, match="takes no argument 'gamma'.*beta"):
        zoo.models.get("beta_vae", gamma=3.0)
    with pytest.raises(ValueError, match="variant"):
        zoo.models.get("dip_vae_i", variant="ii")


def test_default_shapes_are_the_studys():
    model = zoo.models.BetaVAE()
    assert model.observation_shape == (64, 64, 1) and model.latent_dim == 10
    assert model.encoder.get_layer("flatten").output.shape[1:] == (1024,)      # 4x4x64, Burgess et al.
    assert model.decoder.get_layer("reshape").output.shape[1:] == (4, 4, 64)
    infogan = zoo.models.InfoGAN()
    assert (infogan.num_categorical, infogan.num_continuous, infogan.latent_dim) == (3, 7, 10)
    assert infogan.generator.output.shape[1:] == (64, 64, 1)
    with pytest.raises(ValueError, match="divisible by 16"):
        zoo.models.VAE(input_shape=(20, 20, 1))


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
    assert model.reconstruct(batch[:3]).shape == (3, 16, 16, 1)
    assert model.sample(2, seed=0).shape == (2, 16, 16, 1)
    np.testing.assert_array_equal(model.sample(2, seed=0), model.sample(2, seed=0))
    assert isinstance(model.likelihood(codes).log_prob(batch[:5]).numpy(), np.ndarray)
    with pytest.raises(ValueError, match=r"shape \(N, 16, 16, 1\)"):
        model.representation(np.zeros((2, 32, 32, 1), np.float32))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.representation(batch * 2.0)
    with pytest.raises(ValueError, match="dtype int64"):
        model.representation(batch.astype(np.int64))
    with pytest.raises(ValueError, match="expects images of shape"):
        model.compile()
        model.train_on_batch(np.zeros((2, 32, 32, 1), np.float32))


def test_infogan_interface(batch):
    model = small("infogan")
    q = model.encode(batch[:3])
    codes = model.representation(batch[:3])
    assert codes.shape == (3, 4)
    np.testing.assert_allclose(q.mean().numpy(), codes, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(codes[:, :2].sum(1), 1.0, rtol=1e-5)       # class probabilities
    images, c = model.sample(5, seed=2, return_codes=True)
    assert images.shape == (5, 16, 16, 1) and c.shape == (5, 4)
    assert model.reconstruct(batch[:3]).shape == (3, 16, 16, 1)
    with pytest.raises(ValueError, match="latent_dim"):
        zoo.models.InfoGAN(num_categorical=3, num_continuous=3, latent_dim=10)


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
