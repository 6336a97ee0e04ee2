"""Ada-GVAE and Ada-ML-VAE (Locatello et al. 2020): the shared set, the aggregates, the loss, the
gradients, and disentanglement_lib's own numbers (tests/fixtures/weak_vae_reference.json, made by
tests/fixtures/make_weak_fixture.py from the reference's `methods/weak/weak_vae.py`).

The every-objective checks (config round trip, fit, save/load, resume, XLA against no XLA, evaluate)
run in tests/test_models.py, where both objectives are registered names and train on pairs.
"""

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import zoo.data
import zoo.models
from zoo import losses
from zoo.data import pairs

# Real processes, wheels, browsers or many small trainings: `make test-slow` (run by CI after `make test`).
pytestmark = pytest.mark.slow

tfd = tfp.distributions
FIXTURE = Path(__file__).parent / "fixtures" / "weak_vae_reference.json"
SMALL = {"input_shape": (16, 16, 1), "latent_dim": 4}


def normal(mean, variance):
    return tfd.Normal(loc=tf.constant(mean, tf.float32), scale=tf.sqrt(tf.constant(variance, tf.float32)))


# ---------------------------------------------------------------------------------------- the shared set


def test_adaptive_threshold_on_a_made_up_pair():
    delta = tf.constant([[0.1, 2.0, 0.5, 3.0],   # tau = (0.1 + 3) / 2 = 1.55: 0.1 and 0.5 below it
                         [0.0, 1.0, 2.0, 0.5],   # tau = 1: the latent at tau is not below it, not shared
                         [1.0, 1.0, 1.0, 1.0],   # no spread: every latent shared (disentanglement_lib too)
                         [5.0, 0.0, 0.0, 0.0]])  # tau = 2.5: one latent changed, three shared
    expected = [[True, False, True, False], [True, False, False, True], [True] * 4, [False, True, True, True]]
    np.testing.assert_array_equal(losses.shared_by_threshold(delta).numpy(), expected)
    # Differences of float32 rounding are ties (XLA encodes two copies of one image an ulp apart).
    np.testing.assert_array_equal(losses.shared_by_threshold(tf.constant([[0.0, 1e-13, 3e-14, 0.0]])), [[True] * 4])


def test_known_k_shares_all_but_the_k_largest():
    delta = tf.constant([[0.1, 2.0, 0.5, 3.0], [0.1, 2.0, 0.5, 3.0], [4.0, 4.0, 1.0, 0.0]])
    np.testing.assert_array_equal(losses.shared_by_count(delta, 1).numpy(),
                                  [[True, True, True, False]] * 2 + [[False, True, True, True]])  # tie: lower index
    np.testing.assert_array_equal(losses.shared_by_count(delta, tf.constant([1, 2, 3])).numpy(),
                                  [[True, True, True, False], [True, False, True, False], [False, False, False, True]])
    model = zoo.models.get("ada_gvae", known_k=True, k=2, **SMALL)
    np.testing.assert_array_equal(model.shared_latents(delta).numpy(), losses.shared_by_count(delta, 2).numpy())
    with pytest.raises(ValueError, match=r"known_k .* needs k < latent_dim = 4"):
        zoo.models.get("ada_gvae", known_k=True, k=4, **SMALL)


# ---------------------------------------------------------------------------------------- the aggregates


def test_both_aggregations_by_hand():
    # q1 = N(1, 1), q2 = N(3, 4).
    q1, q2 = normal([1.0], [1.0]), normal([3.0], [4.0])
    gvae = zoo.models.get("ada_gvae", **SMALL).aggregate(q1, q2)
    # Ada-GVAE: mean (1 + 3) / 2 = 2, variance (1 + 4) / 2 = 2.5.
    assert float(gvae.loc[0]) == pytest.approx(2.0) and float(gvae.variance()[0]) == pytest.approx(2.5)
    ml = zoo.models.get("ada_ml_vae", **SMALL).aggregate(q1, q2)
    # Ada-ML-VAE: precisions 1 and 1/4; mean (1 * 1 + 3 / 4) / (1 + 1/4) = 1.4 (the product of experts'
    # mean); precision (1 + 1/4) / 2 = 0.625, variance 1.6 = 2 x the plain product's 1 / 1.25 = 0.8.
    assert float(ml.loc[0]) == pytest.approx(1.4) and float(ml.variance()[0]) == pytest.approx(1.6)
    # Two equal posteriors are left as they are by both.
    for name in ("ada_gvae", "ada_ml_vae"):
        same = zoo.models.get(name, **SMALL).aggregate(normal([0.3], [0.2]), normal([0.3], [0.2]))
        assert float(same.loc[0]) == pytest.approx(0.3) and float(same.variance()[0]) == pytest.approx(0.2)


# ---------------------------------------------------------------------------------------- the loss


def _numpy_loss(x1, x2, mean, logvar, noise, w, beta, aggregate, shared_fn, k=None):
    """The objective in numpy: Locatello et al. 2020 sec. 4, the mean over both images of
    -log p(x|z) + beta KL(q~(z|x) || N(0, I))."""
    (m1, m2), (lv1, lv2) = np.split(mean, 2), np.split(logvar, 2)
    v1, v2 = np.exp(lv1), np.exp(lv2)
    delta = 0.5 * (v1 / v2 + (m2 - m1) ** 2 / v2 - 1 + lv2 - lv1)       # KL(q1 || q2) per latent
    shared = shared_fn(delta) if k is None else shared_fn(delta, k)
    if aggregate == "ada_gvae":
        agg_m, agg_v = (m1 + m2) / 2, (v1 + v2) / 2
    else:
        agg_v = 2 * v1 * v2 / (v1 + v2)
        agg_m = (m1 / v1 + m2 / v2) * agg_v / 2
    loc = np.concatenate([np.where(shared, agg_m, m1), np.where(shared, agg_m, m2)])
    var = np.concatenate([np.where(shared, agg_v, v1), np.where(shared, agg_v, v2)])
    logits = ((loc + np.sqrt(var) * noise) @ w).reshape(-1, *x1.shape[1:])
    x = np.concatenate([x1, x2])
    nll = (np.maximum(logits, 0) - logits * x + np.log1p(np.exp(-np.abs(logits)))).reshape(len(x), -1).sum(1)
    kl = 0.5 * (loc ** 2 + var - np.log(var) - 1).sum(1)
    return {"reconstruction_loss": nll.mean(), "kl_loss": kl.mean(), "loss": nll.mean() + beta * kl.mean(),
            "shared_latents": shared.sum(1).mean()}


def _threshold(delta):
    low, high = delta.min(1, keepdims=True), delta.max(1, keepdims=True)
    return (delta < (low + high) / 2) | (high - low <= 1e-9)


def _count(delta, k):
    rank = np.argsort(np.argsort(-delta, axis=1, kind="stable"), axis=1, kind="stable")
    return rank >= np.asarray(k).reshape(-1, 1)


@pytest.mark.parametrize("name", ["ada_gvae", "ada_ml_vae"])
@pytest.mark.parametrize("known_k", [False, True])
def test_loss_of_a_tiny_model_against_numpy(name, known_k):
    rng = np.random.default_rng(1)
    batch, latents = 5, 4
    x1, x2 = rng.random((batch, 2, 3, 1)).astype(np.float32), rng.random((batch, 2, 3, 1)).astype(np.float32)
    mean = rng.normal(size=(2 * batch, latents)).astype(np.float32)
    logvar = rng.normal(scale=0.5, size=(2 * batch, latents)).astype(np.float32)
    noise = rng.normal(size=(2 * batch, latents)).astype(np.float32)
    w = rng.normal(size=(latents, 6)).astype(np.float32)
    k = np.array([1, 2, 3, 1, 2])
    model = zoo.models.get(name, beta=3.0, known_k=known_k, **SMALL)
    terms = model.pair_loss_terms(tf.constant(x1), tf.constant(x2), tf.constant(mean), tf.constant(logvar),
                                  tf.constant(noise), lambda z: tf.reshape(z @ w, [-1, 2, 3, 1]),
                                  tf.constant(k) if known_k else None)
    expected = _numpy_loss(x1.astype(np.float64), x2.astype(np.float64), mean.astype(np.float64),
                           logvar.astype(np.float64), noise, w.astype(np.float64), 3.0, name,
                           _count if known_k else _threshold, k if known_k else None)
    for key, value in expected.items():
        assert float(terms[key]) == pytest.approx(value, rel=1e-5), key
    assert 0 < expected["shared_latents"] < latents  # the made-up pairs share some latents, not all


# ---------------------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("name", ["ada_gvae", "ada_ml_vae"])
def test_gradients_cross_between_the_pair_only_through_shared_latents(name):
    model = zoo.models.get(name, **SMALL)
    # Latents 0 and 2 differ (KL 4.07 and 4.51), 1 and 3 are equal (KL 0): tau = 2.26, 1 and 3 shared.
    mean1 = tf.Variable([[0.0, 0.5, 0.0, -0.3]])
    mean2 = tf.Variable([[3.0, 0.5, -3.0, -0.3]])
    logvar1, logvar2 = tf.Variable([[0.0, -1.0, 0.2, 0.1]]), tf.Variable([[0.1, -1.0, 0.0, 0.1]])
    with tf.GradientTape(persistent=True) as tape:
        q1 = tfd.Normal(mean1, tf.exp(0.5 * logvar1))
        q2 = tfd.Normal(mean2, tf.exp(0.5 * logvar2))
        new1, new2, shared = model.pair_posteriors(q1, q2)
        # What x1's decoder sees, as a stand-in for x1's reconstruction term.
        first = tf.reduce_sum(new1.loc * [1.0, 2.0, 3.0, 4.0] + new1.scale)
    np.testing.assert_array_equal(shared.numpy(), [[False, True, False, True]])
    for variable in (mean2, logvar2):
        grad = tape.gradient(first, variable).numpy()[0]
        assert np.all(grad[[0, 2]] == 0)   # x2's changed latents do not reach x1's reconstruction
        assert np.all(grad[[1, 3]] != 0)   # its shared ones do, through the aggregate
    grad = tape.gradient(first, mean1).numpy()[0]
    assert np.all(grad != 0)
    if name == "ada_gvae":  # the average: half of each gradient goes to each image's mean
        np.testing.assert_allclose(grad, [1.0, 1.0, 3.0, 2.0], rtol=1e-6)
    # The choice of shared latents is not differentiated: the divergence carries no gradient.
    with tf.GradientTape() as tape:
        delta = tf.stop_gradient(tfd.Normal(mean1, 1.0).kl_divergence(tfd.Normal(mean2, 1.0)))
        mask = tf.cast(model.shared_latents(delta), tf.float32)
    assert tape.gradient(tf.reduce_sum(mask), mean1) is None


def test_a_training_step_moves_the_encoder_through_both_images():
    tiny = zoo.data.load("tiny")
    keras.utils.set_random_seed(0)
    model = zoo.models.get("ada_gvae", **SMALL)
    sample = pairs.sample_pairs(tiny, 16, k=1, rng=0)
    with tf.GradientTape() as tape:
        terms = model._terms((tf.constant(sample.images), tf.constant(sample.k)), training=True)
    grads = tape.gradient(terms["loss"], model.encoder.trainable_variables + model.decoder.trainable_variables)
    assert all(g is not None and np.isfinite(g.numpy()).all() for g in grads)
    assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)


# ---------------------------------------------------------------------------------------- disentanglement_lib


@pytest.fixture(scope="module")
def reference():
    return json.loads(FIXTURE.read_text())


@pytest.mark.parametrize("name", ["ada_gvae", "ada_ml_vae"])
def test_against_disentanglement_lib(name, reference):
    """The same posteriors, noise, images and linear decoder through disentanglement_lib's
    `GroupVAEArgmax` / `MLVaeArgmax.model_fn` and through the zoo's `pair_loss_terms`."""
    inputs = {k: np.asarray(v, np.float32) for k, v in reference["inputs"].items()}
    out = reference["outputs"]
    model = zoo.models.get(name, beta=reference["beta"], input_shape=(16, 16, 1), latent_dim=6)
    q1 = tfd.Normal(inputs["mean1"], np.exp(0.5 * inputs["logvar1"]))
    q2 = tfd.Normal(inputs["mean2"], np.exp(0.5 * inputs["logvar2"]))
    # compute_kl is twice the KL (it leaves out the 1/2); the threshold does not care.
    np.testing.assert_allclose(2 * q1.kl_divergence(q2).numpy(), out["compute_kl"], rtol=1e-5, atol=1e-6)
    new1, new2, shared = model.pair_posteriors(q1, q2)
    bins = np.asarray(out["bins"])
    assert (bins[2] < 0).all()  # identical posteriors: max - min = 0, the NaN bin; all shared there
    np.testing.assert_array_equal(shared.numpy(), bins != 1)
    assert bins[3, 1] == 1 and not shared.numpy()[3, 1]  # a latent exactly at the midpoint is not shared
    for new, j in ((new1, 1), (new2, 2)):
        np.testing.assert_allclose(new.loc.numpy(), out[name][f"mean_used{j}"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.log(new.variance().numpy()), out[name][f"logvar_used{j}"], rtol=1e-5, atol=1e-5)
    decoder = inputs["decoder"]
    terms = model.pair_loss_terms(
        tf.constant(inputs["x1"]), tf.constant(inputs["x2"]),
        tf.constant(np.concatenate([inputs["mean1"], inputs["mean2"]])),
        tf.constant(np.concatenate([inputs["logvar1"], inputs["logvar2"]])),
        tf.constant(np.concatenate([inputs["noise1"], inputs["noise2"]])),
        lambda z: tf.reshape(z @ decoder, [-1, 2, 3, 1]))
    for key in ("reconstruction_loss", "kl_loss", "loss"):
        assert float(terms[key]) == pytest.approx(out[name][key], rel=1e-5), key
    assert float(terms["kl_loss"]) * reference["beta"] == pytest.approx(out[name]["regularizer"], rel=1e-5)


# ---------------------------------------------------------------------------------------- the interface


def test_single_images_everywhere_but_training():
    tiny = zoo.data.load("tiny")
    images = tiny.sample_observations(6, rng=0)
    model = zoo.models.get("ada_ml_vae", **SMALL)
    model.compile()
    codes = model.representation(images)
    assert codes.shape == (6, 4)
    np.testing.assert_allclose(model.encode(images).mean().numpy(), codes, rtol=1e-5, atol=1e-6)
    assert model.reconstruct(images).shape == images.shape and model.decode(codes).shape == images.shape
    with pytest.raises(ValueError, match=r"trains on pairs \[batch, 2, 16, 16, 1\].*got a batch of shape \(6, 16, 16, 1\)"):
        model.train_on_batch(images)
    sample = pairs.sample_pairs(tiny, 6, k=2, rng=0)
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError), match=r"must lie in \[0, 1\]"):
        model.train_on_batch(sample.images * 255, sample.k)
    # Under XLA (which drops assert ops) pairs are checked before the step: numpy at once, a dataset in its pipeline.
    jitted = zoo.models.get("ada_ml_vae", **SMALL)
    jitted.compile(jit_compile=True)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        jitted.train_on_batch(sample.images * 255, sample.k)
    bad = tf.data.Dataset.from_tensors((sample.images * 255, sample.k))
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError), match=r"must lie in \[0, 1\]"):
        jitted.fit(bad, verbose=0)
    known = zoo.models.get("ada_gvae", known_k=True, **SMALL)
    known.compile()
    with pytest.raises(ValueError, match="needs each pair's k as the target"):
        known.train_on_batch(sample.images)
    assert np.isfinite(known.train_on_batch(sample.images, sample.k, return_dict=True)["loss"])


def test_training_runs_end_to_end_and_loads(tmp_path):
    import zoo.runs
    from zoo import presets

    settings = {"model": "ada_gvae", "dataset": "tiny", "batch_size": 8, "steps": 6, "latent_dim": 4,
                "hparams": zoo.runs.resolve_hparams("ada_gvae", {"k": 1})}
    out = zoo.runs.train(settings, tmp_path / "run", progress=False, checkpoint_every=3)
    model = presets.load_preset(out / "preset")
    metadata = json.loads((out / "preset" / "metadata.json").read_text())
    assert metadata["objective"] == "ada_gvae" and metadata["training"]["steps"] == 6
    assert metadata["training"]["hparams"] == {"beta": 1.0, "k": 1, "known_k": False}
    assert isinstance(model, zoo.models.AdaGVAE)
    assert model.representation(zoo.data.load("tiny").sample_observations(3, rng=0)).shape == (3, 4)
    # Pairs the dataset cannot make are refused before anything is written (the other refusals,
    # datasets without factors or with one: tests/test_data_pairs.py).
    with pytest.raises(zoo.runs.RunSettingsError, match=r"ada_gvae cannot train on 'tiny': k must be an integer in 1\.\.3"):
        zoo.runs.train({**settings, "hparams": {**settings["hparams"], "k": 4}}, tmp_path / "k4", progress=False)
    assert not (tmp_path / "k4").exists()


def test_docstring_examples_run():
    import doctest

    import zoo.models.ada_gvae
    import zoo.models.ada_ml_vae

    for module in (zoo.models.ada_gvae, zoo.models.ada_ml_vae):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, module.__name__
