"""Every objective trains under Keras' mixed precision policies, the policy a GPU user sets first.

Under `mixed_bfloat16` and `mixed_float16` (set before the model is built) the networks compute in
the policy's dtype with float32 weights; the losses, KL, TC estimators and density ratios are
float32; under float16 both players' optimizers scale the loss (Keras' `LossScaleOptimizer`); the
codes come back as float32. A few steps on `tiny` each.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo.data
import zoo.models

# Real processes, wheels, browsers or many small trainings: `make test-slow` (run by CI after `make test`).
pytestmark = pytest.mark.slow

VAES = ["vae", "beta_vae", "annealed_vae", "dip_vae_i", "dip_vae_ii", "beta_tcvae", "factor_vae"]


@pytest.fixture
def policy(request):
    keras.mixed_precision.set_global_policy(request.param)
    try:
        yield request.param
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"], indirect=True)
@pytest.mark.parametrize("name", VAES)
def test_every_vae_objective_trains_under_a_mixed_policy(name, policy):
    compute = policy.removeprefix("mixed_")
    data = zoo.data.load("tiny")
    _, images = data.sample(32, rng=0)
    model = zoo.models.get(name, input_shape=data.observation_shape, latent_dim=4)
    # Eager steps take the same dtype paths as traced ones without each model's tracing; FactorVAE's
    # two players (both optimizers loss-scaled under float16) run traced.
    model.compile(run_eagerly=name != "factor_vae")
    networks = [model.encoder, model.decoder] + ([model.discriminator] if name == "factor_vae" else [])
    for network in networks:
        assert {layer.compute_dtype for layer in network.layers if layer.weights} == {compute}
        assert {v.dtype for v in network.weights} == {"float32"}
    optimizers = [model.optimizer] + ([model.discriminator_optimizer] if name == "factor_vae" else [])
    assert all(isinstance(o, keras.optimizers.LossScaleOptimizer) == (compute == "float16") for o in optimizers)

    terms = model.loss_terms(tf.constant(images[:8]), model.forward(tf.constant(images[:8]), training=True),
                             **({"discriminator_logits": model._discriminate(
                                 model.forward(tf.constant(images[:8])).z, training=False)[0]}
                                if name == "factor_vae" else {}))
    assert {t.dtype for t in terms.values()} == {tf.float32}, {k: t.dtype for k, t in terms.items()}

    history = model.fit(images, batch_size=8, epochs=1, steps_per_epoch=2, verbose=0).history
    assert all(np.isfinite(values[-1]) for values in history.values()), history
    codes = model.representation(images[:5])
    assert codes.dtype == np.float32 and codes.shape == (5, 4) and np.isfinite(codes).all()
    assert model.encode_mean(tf.constant(images[:5])).dtype == tf.float32
    assert model.decode(codes).dtype == tf.float32


def test_bfloat16_encoding_option_of_evaluate():
    """zoo.metrics.evaluate(model.representation, ..., precision="bfloat16") encodes with the model's
    networks in bfloat16 (through the model's own representation_function; metrics know no models):
    float32 codes near, not equal to, the float32 ones; float32 stays the default and the reference."""
    import zoo.metrics
    from zoo_testing import tiny_model

    model = tiny_model()
    _, images = zoo.data.load("tiny").sample(64, rng=0)
    reference = model.representation(images)
    assert model.representation_function() == model.representation
    bf16 = model.representation_function("bfloat16")
    codes = bf16(images)
    assert keras.mixed_precision.global_policy().name == "float32"  # the copy's policy did not leak
    assert codes.dtype == np.float32 and codes.shape == reference.shape
    assert 0 < np.abs(codes - reference).max() < 0.05 * np.abs(reference).max() + 1e-3
    assert zoo.metrics._evaluate.at_precision(model.representation, "bfloat16").precision == "bfloat16"
    scores = zoo.metrics.evaluate(model.representation, zoo.data.load("tiny"), metrics=["mig", "sap"], num_train=200,
                                  num_test=100, progress=False, precision="bfloat16")
    assert 0.0 <= scores["mig.mig"] <= 1.0 and "timing.encode" in scores
    with pytest.raises(ValueError, match=r"model's own `model.representation`"):
        zoo.metrics.evaluate(lambda x: x.reshape(len(x), -1)[:, :4], zoo.data.load("tiny"), metrics=["mig"],
                             num_train=100, num_test=50, progress=False, precision="bfloat16")
    with pytest.raises(ValueError, match="precision must be one of float32, bfloat16; got 'float16'"):
        zoo.metrics.evaluate(model.representation, zoo.data.load("tiny"), metrics=["mig"], num_train=100,
                             num_test=50, progress=False, precision="float16")


def test_recipe_evaluate_never_writes_bfloat16_scores_into_a_card(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    proc = subprocess.run([sys.executable, "-m", "recipes.evaluate", f"--model={tmp_path}", "--precision=bfloat16",
                           "--update_card"], cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300)
    assert proc.returncode == 2 and "--precision=bfloat16 scores are not the reference a card records" in proc.stderr


# The game with batch norm and both update orders' paths, and the WGAN-GP critic with InfoGAN-CR's
# H (InfoWGANGPCR: both hooks, the gradient penalty, a third network on D's optimizer).
INFOGANS = {"infogan": {"alternating": True, "separate_batches": True},
            "infowgan_gp_cr": {"gan_loss": "wgan_gp", "n_critic": 2, "lambda_contrastive": 2.0}}


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"], indirect=True)
@pytest.mark.parametrize("variant", sorted(INFOGANS))
def test_the_infogan_family_trains_under_a_mixed_policy(variant, policy):
    compute = policy.removeprefix("mixed_")
    data = zoo.data.load("tiny")
    _, images = data.sample(32, rng=0)
    model = zoo.models.get("infogan", input_shape=data.observation_shape, num_categorical=3, num_continuous=2,
                           noise_dim=4, filters=4, **INFOGANS[variant])
    model.compile(run_eagerly=True)  # the dtype paths of a traced step, without the tracing
    assert {layer.compute_dtype for layer in model.discriminator.layers if layer.weights} == {compute}
    assert {v.dtype for v in model.generator.weights + model.discriminator.weights} == {"float32"}
    for optimizer in (model.optimizer, model.discriminator_optimizer):
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer) == (compute == "float16")
    terms = model._terms(tf.constant(images[:8]), training=True)
    assert {t.dtype for t in terms.values()} == {tf.float32}, {k: t.dtype for k, t in terms.items()}
    history = model.fit(images, batch_size=8, epochs=1, steps_per_epoch=2, verbose=0).history
    assert all(np.isfinite(values[-1]) for values in history.values()), history
    codes = model.representation(images[:5])
    assert codes.dtype == np.float32 and np.isfinite(codes).all()
    assert model.decode(codes).dtype == tf.float32


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"], indirect=True)
@pytest.mark.parametrize("name", ["ada_gvae", "ada_ml_vae"])
def test_the_weakly_supervised_vaes_train_under_a_mixed_policy(name, policy):
    from zoo.data import pairs

    compute = policy.removeprefix("mixed_")
    data = zoo.data.load("tiny")
    batch = next(iter(pairs.as_pair_dataset(data, batch_size=8, seed=0)))
    model = zoo.models.get(name, input_shape=data.observation_shape, latent_dim=4)
    model.compile(run_eagerly=True)  # the dtype paths of a traced step, without the tracing
    for network in (model.encoder, model.decoder):
        assert {layer.compute_dtype for layer in network.layers if layer.weights} == {compute}
        assert {v.dtype for v in network.weights} == {"float32"}
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer) == (compute == "float16")
    terms = model._terms(batch, training=True)
    assert {t.dtype for t in terms.values()} == {tf.float32}, {k: t.dtype for k, t in terms.items()}
    history = model.fit(pairs.as_pair_dataset(data, batch_size=8, seed=0), epochs=1, steps_per_epoch=2,
                        verbose=0).history
    assert all(np.isfinite(values[-1]) for values in history.values()), history
    codes = model.representation(batch[0][:, 0].numpy())
    assert codes.dtype == np.float32 and codes.shape == (8, 4) and np.isfinite(codes).all()
