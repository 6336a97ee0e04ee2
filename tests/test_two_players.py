"""Gradient routing of the two-player models (FactorVAE, InfoGAN).

Each optimizer holds and updates only its own player's weights, and each player's update is the
gradient of its own loss alone: the VAE's (generator's) loss does not move the discriminator, and
the discriminator's loss does not move the VAE (generator). Checked with plain SGD, where one step
is w <- w - lr * g, against gradients taken by hand at the same weights and the same step noise.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo.data
import zoo.models

SMALL = {"input_shape": (16, 16, 1), "latent_dim": 4}
SMALL_INFOGAN = {"input_shape": (16, 16, 1), "num_categorical": 2, "num_continuous": 2, "noise_dim": 8,
                 "filters": 8, "instance_noise": 0.2}
LR_MAIN, LR_D = 1e-3, 1e-2


@pytest.fixture(scope="module")
def images():
    return tf.constant(zoo.data.load("tiny").sample_observations(16, rng=0))


def _players(model):
    if isinstance(model, zoo.models.FactorVAE):
        return model.encoder.trainable_variables + model.decoder.trainable_variables, \
            model.discriminator.trainable_variables
    return model.generator.trainable_variables, model.discriminator.trainable_variables


def _losses_by_hand(model, images):
    """(main player's loss, discriminator's loss) of one training step, as the papers define them."""
    if isinstance(model, zoo.models.FactorVAE):
        outputs = model.forward(images, training=True)
        logits_q, logits_permuted = model._discriminate(outputs.z, training=True)
        vae = model.loss_terms(images, outputs, discriminator_logits=logits_q)["loss"]
        return vae, zoo.losses.discriminator_loss(logits_q, logits_permuted)
    terms = model._terms(images, training=True)
    info = model.lambda_info * terms["info_loss"]
    return terms["generator_loss"] + info, terms["discriminator_loss"] + info


@pytest.mark.parametrize("name", ["factor_vae", "infogan"])
def test_each_player_moves_by_its_own_loss_only(name, images):
    keras.utils.set_random_seed(4)
    model = zoo.models.get(name, **(SMALL_INFOGAN if name == "infogan" else SMALL))
    model.compile(optimizer=keras.optimizers.SGD(LR_MAIN), discriminator_optimizer=keras.optimizers.SGD(LR_D))
    main, disc = _players(model)
    # Each optimizer is built on exactly its player's weights.
    assert {id(v) for v in model.optimizer._trainable_variables} == {id(v) for v in main}
    assert {id(v) for v in model.discriminator_optimizer._trainable_variables} == {id(v) for v in disc}
    assert not {id(v) for v in main} & {id(v) for v in disc}

    # Gradients by hand at the starting weights and step 0's noise (the forward pass may move batch
    # norm's moving statistics, which are not trained and not compared).
    with tf.GradientTape(persistent=True) as tape:
        main_loss, d_loss = _losses_by_hand(model, images)
    g_main = tape.gradient(main_loss, main)
    g_d = tape.gradient(d_loss, disc)
    cross = tape.gradient(main_loss, disc)  # what the main loss would do to D if it were routed there
    assert max(float(tf.reduce_max(tf.abs(g))) for g in cross if g is not None) > 1e-4
    before_main, before_d = [v.numpy() for v in main], [v.numpy() for v in disc]

    model.train_on_batch(images)
    for v, w, g in zip(main, before_main, g_main):
        np.testing.assert_allclose(v.numpy(), w - LR_MAIN * g.numpy(), rtol=1e-4, atol=1e-6, err_msg=v.path)
    for v, w, g in zip(disc, before_d, g_d):
        np.testing.assert_allclose(v.numpy(), w - LR_D * g.numpy(), rtol=1e-4, atol=1e-6, err_msg=v.path)
    assert int(model.step.numpy()) == 1


@pytest.mark.parametrize("name", ["factor_vae", "infogan"])
def test_a_frozen_player_does_not_move(name, images):
    # With one player's learning rate 0, that player's weights stay bit for bit; the other's move.
    for frozen in ("main", "discriminator"):
        keras.utils.set_random_seed(5)
        model = zoo.models.get(name, **(SMALL_INFOGAN if name == "infogan" else SMALL))
        rates = {"main": LR_MAIN, "discriminator": LR_D, frozen: 0.0}
        model.compile(optimizer=keras.optimizers.SGD(rates["main"]),
                      discriminator_optimizer=keras.optimizers.SGD(rates["discriminator"]))
        main, disc = _players(model)
        before = {"main": [v.numpy() for v in main], "discriminator": [v.numpy() for v in disc]}
        model.train_on_batch(images)
        after = {"main": [v.numpy() for v in main], "discriminator": [v.numpy() for v in disc]}
        moving = "discriminator" if frozen == "main" else "main"
        for a, b in zip(before[frozen], after[frozen]):
            np.testing.assert_array_equal(a, b)
        assert max(float(np.abs(a - b).max()) for a, b in zip(before[moving], after[moving])) > 1e-6
