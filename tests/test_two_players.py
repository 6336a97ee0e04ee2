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
                 "filters": 8, "instance_noise": 0.2, "alternating": False}
# case -> (objective, hyperparameters). InfoGAN's simultaneous update here, both players' gradients
# from one pass (the alternating update has tests of its own below); InfoWGAN-GP with one critic
# update per step (the extra updates of n_critic > 1 have a test of their own below).
CASES = {"factor_vae": ("factor_vae", SMALL), "infogan": ("infogan", SMALL_INFOGAN),
         "infogan_wgan_gp": ("infogan", {**SMALL_INFOGAN, "gan_loss": "wgan_gp", "n_critic": 1})}
LR_MAIN, LR_D = 1e-3, 1e-2


@pytest.fixture(scope="module")
def images():
    return tf.constant(zoo.data.load("tiny").sample_observations(16, rng=0))


def _players(model):
    if isinstance(model, zoo.models.FactorVAE):
        return model.encoder.trainable_variables + model.decoder.trainable_variables, \
            model.discriminator.trainable_variables
    return model.generator.trainable_variables, model.discriminator.trainable_variables


def _losses_by_hand(model, images, draw=0):
    """(main player's loss, discriminator's loss) of one training step, as the papers define them
    (InfoGAN's terms are checked by hand in test_infogan.py)."""
    if isinstance(model, zoo.models.FactorVAE):
        outputs = model.forward(images, training=True)
        logits_q, logits_permuted = model._discriminate(outputs.z, training=True)
        vae = model.loss_terms(images, outputs, discriminator_logits=logits_q)["loss"]
        return vae, zoo.losses.discriminator_loss(logits_q, logits_permuted)
    terms = model._terms(images, training=True, draw=draw)
    info = model.lambda_info * terms["info_loss"]
    return terms["generator_loss"] + info, terms["discriminator_loss"] + info


@pytest.mark.parametrize("case", list(CASES))
def test_each_player_moves_by_its_own_loss_only(case, images):
    keras.utils.set_random_seed(4)
    name, hparams = CASES[case]
    model = zoo.models.get(name, **hparams)
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


@pytest.mark.parametrize("case", list(CASES))
def test_a_frozen_player_does_not_move(case, images):
    # With one player's learning rate 0, that player's weights stay bit for bit; the other's move.
    name, hparams = CASES[case]
    for frozen in ("main", "discriminator"):
        keras.utils.set_random_seed(5)
        model = zoo.models.get(name, **hparams)
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


def test_n_critic_updates_the_critic_n_times_per_generator_update(images):
    """InfoWGAN-GP with n_critic=2: D and Q first move by their own loss at draw 1 of the step's
    noise, then both players move from one pass at draw 0, G by the gradient of its loss taken at
    D's once-updated weights. By hand with plain SGD on a copy of the model."""
    keras.utils.set_random_seed(6)
    model = zoo.models.get("infogan", **SMALL_INFOGAN, gan_loss="wgan_gp", n_critic=2)
    reference = zoo.models.InfoGAN.from_config(model.get_config())
    reference.set_weights(model.get_weights())
    model.compile(optimizer=keras.optimizers.SGD(LR_MAIN), discriminator_optimizer=keras.optimizers.SGD(LR_D))
    main, disc = _players(reference)

    with tf.GradientTape() as tape:
        _, d_loss = _losses_by_hand(reference, images, draw=1)
    first = tape.gradient(d_loss, disc)
    for v, g in zip(disc, first):
        v.assign_sub(LR_D * g)
    with tf.GradientTape(persistent=True) as tape:
        main_loss, d_loss = _losses_by_hand(reference, images, draw=0)
    g_main, g_d = tape.gradient(main_loss, main), tape.gradient(d_loss, disc)
    # The two draws differ, so one update twice over would not pass.
    assert max(float(np.abs(a - b).max()) for a, b in zip(first, g_d)) > 1e-3

    model.train_on_batch(images)
    for v, w, g in zip(_players(model)[0], main, g_main):
        np.testing.assert_allclose(v.numpy(), w.numpy() - LR_MAIN * g.numpy(), rtol=1e-4, atol=1e-6, err_msg=v.path)
    for v, w, g in zip(_players(model)[1], disc, g_d):
        np.testing.assert_allclose(v.numpy(), w.numpy() - LR_D * g.numpy(), rtol=1e-4, atol=1e-6, err_msg=v.path)
    assert int(model.step.numpy()) == 1
    assert int(model.optimizer.iterations.numpy()) == 1 and int(model.discriminator_optimizer.iterations.numpy()) == 2


@pytest.mark.parametrize("options", [{}, {"gan_loss": "wgan_gp", "n_critic": 2}],
                         ids=["standard", "wgan_gp_n_critic_2"])
def test_alternating_moves_d_first_then_g_against_the_moved_d(images, options):
    """The authors' update order (openai/InfoGAN: D's op, then G's): D and Q move by their own loss
    (n_critic times, draws 1 .. n_critic - 1 then 0), then G by the gradient of its loss on draw 0
    taken at D's updated weights. By hand with plain SGD on a copy of the model."""
    keras.utils.set_random_seed(6)
    model = zoo.models.get("infogan", **{**SMALL_INFOGAN, "alternating": True, **options})
    reference = zoo.models.InfoGAN.from_config(model.get_config())
    reference.set_weights(model.get_weights())
    model.compile(optimizer=keras.optimizers.SGD(LR_MAIN), discriminator_optimizer=keras.optimizers.SGD(LR_D))
    main, disc = _players(reference)

    def generator_gradients():
        with tf.GradientTape() as tape:
            terms = reference._terms(images, training=True, discriminator=False)
            g_loss = terms["generator_loss"] + reference.lambda_info * terms["info_loss"]
        return tape.gradient(g_loss, main)

    at_start = generator_gradients()
    for draw in [*range(1, reference.n_critic), 0]:
        with tf.GradientTape() as tape:
            _, d_loss = _losses_by_hand(reference, images, draw=draw)
        for v, g in zip(disc, tape.gradient(d_loss, disc)):
            v.assign_sub(LR_D * g)
    g_main = generator_gradients()
    # G's gradient against the moved D is not the one at the start: a simultaneous update would not pass.
    assert max(float(np.abs(a - b).max()) for a, b in zip(at_start, g_main)) > 1e-4

    model.train_on_batch(images)
    for v, w, g in zip(_players(model)[0], main, g_main):
        np.testing.assert_allclose(v.numpy(), w.numpy() - LR_MAIN * g.numpy(), rtol=1e-4, atol=1e-6, err_msg=v.path)
    for v, w in zip(_players(model)[1], disc):
        np.testing.assert_allclose(v.numpy(), w.numpy(), rtol=1e-4, atol=1e-6, err_msg=v.path)
    assert int(model.step.numpy()) == 1
    assert int(model.optimizer.iterations.numpy()) == 1
    assert int(model.discriminator_optimizer.iterations.numpy()) == reference.n_critic


@pytest.mark.parametrize("separate_batches", [True, False])
def test_the_generator_pass_sees_real_images_only_through_pooled_batch_norm(images, separate_batches):
    """G's pass (`discriminator=False`) has G's terms of the full pass. With separate batches D then
    sees only the generated images: the real ones change nothing and D's moving statistics stay;
    with one batch the real images share batch norm's statistics, so they are still passed."""
    keras.utils.set_random_seed(8)
    model = zoo.models.get("infogan", **{**SMALL_INFOGAN, "separate_batches": separate_batches})
    moving = model._discriminator_moving_statistics()
    before = [v.numpy() for v in moving]
    generator_pass = model._terms(images, training=True, discriminator=False)
    assert "discriminator_loss" not in generator_pass
    others = model._terms(tf.reverse(images, [1]), training=True, discriminator=False)
    changed = abs(float(others["generator_loss"]) - float(generator_pass["generator_loss"]))
    if separate_batches:
        for v, b in zip(moving, before):
            np.testing.assert_array_equal(v.numpy(), b)
        assert changed == 0.0 and float(others["info_loss"]) == float(generator_pass["info_loss"])
    else:
        assert changed > 1e-5
    full = model._terms(images, training=True)
    for name in ("generator_loss", "info_loss", "mi_categorical", "continuous_nll"):
        assert float(generator_pass[name]) == pytest.approx(float(full[name]), rel=1e-5, abs=1e-6), name
