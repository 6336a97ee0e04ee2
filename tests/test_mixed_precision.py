"""Every VAE objective trains under Keras' mixed precision policies, the policy a GPU user sets first.

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
    model.compile()
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
