"""InfoGAN-CR's contrastive regulariser (Lin et al. 2020), InfoGAN's `lambda_contrastive` option:
the pairs it draws, the gradients each player gets from it, its schedule, and presets without H."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo.data
import zoo.models
import zoo.presets
from zoo.models.infogan import norms

SMALL = {"input_shape": (16, 16, 1), "num_categorical": 3, "num_continuous": 3, "noise_dim": 8, "filters": 8,
         "lambda_contrastive": 2.0}
LR_MAIN, LR_D = 1e-3, 1e-2


@pytest.fixture(scope="module")
def images():
    return tf.constant(zoo.data.load("tiny").sample_observations(16, rng=0))


def test_a_pair_agrees_in_the_drawn_code_only():
    model = zoo.models.get("infogan", **SMALL)
    shared, noise, a, b = (t.numpy() for t in model.contrastive_pairs(4000))
    assert noise.shape == (4000, 8) and a.shape == b.shape == (4000, 6)
    # Code 0 is the categorical one (columns 0-2, one-hot), codes 1-3 the continuous ones (columns 3-5).
    np.testing.assert_array_equal(a[:, :3].sum(1), 1.0)
    np.testing.assert_array_equal(b[:, :3].sum(1), 1.0)
    same_class = (a[:, :3] == b[:, :3]).all(1)
    assert same_class[shared == 0].all()
    assert 0.28 < same_class[shared != 0].mean() < 0.39  # independent classes agree 1/3 of the time
    for j in range(3):
        equal = a[:, 3 + j] == b[:, 3 + j]
        np.testing.assert_array_equal(equal, shared == 1 + j)
    np.testing.assert_allclose(np.bincount(shared, minlength=4) / 4000, 0.25, atol=0.03)
    assert -1 <= a[:, 3:].min() and a[:, 3:].max() <= 1


def test_without_a_categorical_code_every_code_is_continuous():
    model = zoo.models.get("infogan", **{**SMALL, "num_categorical": 0})
    shared, _, a, b = (t.numpy() for t in model.contrastive_pairs(600))
    assert set(shared) == {0, 1, 2}
    np.testing.assert_array_equal(a == b, np.eye(3, dtype=bool)[shared])
    assert model.contrastive.output_shape == (None, 3)


def _step_by_hand(model, images):
    """Gradients of one training step as Lin et al. define it (eq. 5), each player's own loss:
    G: L_G + lambda I-term + alpha L_c (alpha counted once `contrastive_start` is reached);
    D and Q: L_D + lambda I-term; H: L_c. Alternating, G's (and the regulariser's reach into G)
    are taken after D, Q and H have moved by plain SGD (on a copy)."""
    def losses(model):
        terms = model._terms(images, training=True)
        contrastive, _ = model.contrastive_terms(tf.shape(images)[0])
        info = model.lambda_info * terms["info_loss"]
        alpha = model.lambda_contrastive if int(model.step.numpy()) >= model.contrastive_start else 0.0
        return terms["generator_loss"] + info + alpha * contrastive, terms["discriminator_loss"] + info, contrastive

    discriminator, h = model.discriminator.trainable_variables, model.contrastive.trainable_variables
    with tf.GradientTape(persistent=True) as tape:
        g_loss, d_loss, contrastive = losses(model)
    g_d, g_h = tape.gradient(d_loss, discriminator), tape.gradient(contrastive, h)
    if model.alternating:
        moved = zoo.models.InfoGAN.from_config(model.get_config())
        moved.set_weights(model.get_weights())
        for v, g in zip(moved.discriminator.trainable_variables + moved.contrastive.trainable_variables, g_d + g_h):
            v.assign_sub(LR_D * g)
        with tf.GradientTape(persistent=True) as tape:
            g_loss, _, contrastive = losses(moved)
        generator = moved.generator.trainable_variables
    else:
        generator = model.generator.trainable_variables
    return tape.gradient(g_loss, generator), g_d, g_h, tape.gradient(contrastive, generator)


@pytest.mark.parametrize("alternating", [True, False])
@pytest.mark.parametrize("start", [0, 1])
def test_each_player_moves_by_its_own_loss(images, start, alternating):
    # With plain SGD one step is w <- w - lr * g; at step 0 the regulariser reaches G only when
    # contrastive_start is 0, and H (on D's optimizer) moves by its cross-entropy either way.
    keras.utils.set_random_seed(7)
    model = zoo.models.get("infogan", **SMALL, contrastive_start=start, alternating=alternating)
    model.compile(optimizer=keras.optimizers.SGD(LR_MAIN), discriminator_optimizer=keras.optimizers.SGD(LR_D))
    players = [model.generator.trainable_variables, model.discriminator.trainable_variables,
               model.contrastive.trainable_variables]
    assert ({id(v) for v in model.discriminator_optimizer._trainable_variables}
            == {id(v) for v in players[1] + players[2]})
    g_g, g_d, g_h, g_c = _step_by_hand(model, images)
    assert max(float(tf.reduce_max(tf.abs(g))) for g in g_c) > 1e-5  # the regulariser does reach G's weights
    before = [[v.numpy() for v in p] for p in players]
    logs = model.train_on_batch(images, return_dict=True)
    for variables, old, grads, lr in zip(players, before, (g_g, g_d, g_h), (LR_MAIN, LR_D, LR_D)):
        for v, w, g in zip(variables, old, grads):
            # The step's and the hand's float32 sums differ in order: up to about 1e-6 of the largest
            # gradient (some reach 300 here), so the tolerance scales with it.
            g = g.numpy()
            np.testing.assert_allclose(v.numpy(), w - lr * g, rtol=1e-4, atol=1e-6 + lr * 1e-5 * np.abs(g).max(),
                                       err_msg=v.path)
    # An untrained H guesses: its cross-entropy is near log(4), the four codes' uniform guess.
    assert abs(logs["contrastive_loss"] - np.log(4)) < 0.3
    assert 0 <= logs["contrastive_accuracy"] <= 1


def test_h_learns_to_name_the_shared_code(images):
    # 300 steps on the tiny data with a strong regulariser: on 1,024 fresh pairs H names the shared
    # code well above chance (1/4; 0.35 is 7 standard deviations of a guesser's accuracy above it).
    keras.utils.set_random_seed(3)
    model = zoo.models.get("infogan", **{**SMALL, "lambda_contrastive": 10.0})
    model.compile(discriminator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5))
    model.fit(tf.data.Dataset.from_tensors(images).repeat(), steps_per_epoch=300, verbose=0)
    loss, accuracy = model.contrastive_terms(1024, training=False)
    assert float(accuracy) > 0.35 and float(loss) < np.log(4) - 0.1


def test_presets_leave_h_out(tmp_path, images):
    keras.utils.set_random_seed(2)
    model = zoo.models.get("infogan", **SMALL)
    folder = zoo.presets.save_preset(model, tmp_path / "infogan-cr-tiny",
                                     metadata={"dataset": {"name": "tiny", "source": "rendered"}})
    assert zoo.presets.read_metadata(folder)["weights_left_out"] == ["contrastive"]
    loaded = zoo.load(str(folder))
    assert loaded.lambda_contrastive == 2.0 and loaded.contrastive is not None
    np.testing.assert_allclose(loaded.representation(images.numpy()), model.representation(images.numpy()),
                               rtol=1e-5, atol=1e-6)


def test_off_by_default_and_checked():
    assert zoo.models.get("infogan", **{**SMALL, "lambda_contrastive": 0.0}).contrastive is None
    with pytest.raises(ValueError, match="lambda_contrastive"):
        zoo.models.get("infogan", **{**SMALL, "lambda_contrastive": -1.0})
    with pytest.raises(ValueError, match="contrastive_start"):
        zoo.models.get("infogan", **SMALL, contrastive_start=-5)
    with pytest.raises(ValueError, match="at least 2 codes"):
        zoo.models.get("infogan", **{**SMALL, "num_categorical": 0, "num_continuous": 1})


# ----------------------------------------------------------------------------- Lin et al.'s networks and updates

CR = {"input_shape": (16, 16, 1), "network": "cr", "num_categorical": 0, "num_continuous": 3, "noise_dim": 2,
      "learn_scale": False, "lambda_info": 0.05, "lambda_continuous": 1.0}


def test_cr_networks_are_lin_et_al_s():
    model = zoo.models.get("infogan", **{**CR, "input_shape": (64, 64, 1)})
    d, g = model.discriminator, model.generator
    assert model.spectral_norm and model.filters is None
    convs = [layer for layer in d.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [32, 32, 64, 64] and all(c.strides == (2, 2) for c in convs)
    assert d.get_layer("dense").units == 128 and d.get_layer("q_dense").units == 128
    assert not [layer for layer in d.layers if isinstance(layer, (keras.layers.BatchNormalization,
                                                                  keras.layers.GroupNormalization))]
    assert {layer.name for layer in d.layers if isinstance(layer, norms.SpectralNorm)} == {
        "conv1", "conv2", "conv3", "conv4", "dense", "d_logits", "q_dense", "q_logits", "q_mean"}
    assert [g.get_layer(n).units for n in ("dense1", "dense2")] == [128, 4 * 4 * 64]
    assert [g.get_layer(n).filters for n in ("deconv1", "deconv2", "deconv3", "logits")] == [64, 32, 32, 1]
    assert g.output_shape == (None, 64, 64, 1)
    assert not zoo.models.get("infogan", **{**CR, "network": "dcgan"}).spectral_norm
    # A config saved before the options existed rebuilds the model without them.
    legacy = {k: v for k, v in zoo.models.get("infogan", **SMALL).get_config().items()
              if k not in ("spectral_norm", "generator_updates", "discriminator_learning_rate")}
    rebuilt = zoo.models.InfoGAN.from_config(legacy)
    assert not rebuilt.spectral_norm and rebuilt.generator_updates == 1


def test_cr_options_checked():
    with pytest.raises(ValueError, match="filters applies to 'mnist' and 'dcgan' only"):
        zoo.models.get("infogan", **CR, filters=8)
    with pytest.raises(ValueError, match="divisible by 16"):
        zoo.models.get("infogan", **{**CR, "input_shape": (24, 24, 1)})
    with pytest.raises(ValueError, match="generator_updates"):
        zoo.models.get("infogan", **CR, generator_updates=0)
    with pytest.raises(ValueError, match="discriminator_learning_rate must be positive"):
        zoo.models.get("infogan", **CR, discriminator_learning_rate=0.0)


def test_discriminator_learning_rate():
    rates = {}
    for options in ({}, {"discriminator_learning_rate": 2e-3}, {"gan_loss": "wgan_gp"}):
        model = zoo.models.get("infogan", **CR, **options)
        model.compile()
        rates[tuple(options)] = float(model.discriminator_optimizer.learning_rate)
    np.testing.assert_allclose(list(rates.values()), [2e-4, 2e-3, 1e-4], rtol=1e-6)


def test_spectral_vectors_follow_the_real_batch_only(images):
    model = zoo.models.get("infogan", **CR)
    normed = [layer for layer in model.discriminator.layers if isinstance(layer, norms.SpectralNorm)]
    assert {id(v) for v in model._discriminator_moving_statistics()} == {id(layer.vector_u) for layer in normed}
    before = [layer.vector_u.numpy() for layer in normed]
    model._terms(images, training=True)
    after = [layer.vector_u.numpy() for layer in normed]
    for layer, u in zip(normed, before):
        layer.vector_u.assign(u)
    model.discriminator(images, training=True)
    for layer, u in zip(normed, after):
        np.testing.assert_allclose(layer.vector_u.numpy(), u, rtol=1e-6)


def test_a_second_generator_update_on_the_same_draw(images):
    # With SGD, generator_updates=2 is the one-update step followed by w <- w - lr * g, g the
    # gradient of G's loss on the same draw (step 0's) against the updated D and Q; D moves once.
    models = []
    for updates in (2, 1):
        keras.utils.set_random_seed(11)
        model = zoo.models.get("infogan", **CR, generator_updates=updates)
        model.compile(optimizer=keras.optimizers.SGD(LR_MAIN), discriminator_optimizer=keras.optimizers.SGD(LR_D))
        model.train_on_batch(images)
        models.append(model)
    twice, once = models
    assert int(twice.optimizer.iterations) == 2 and int(twice.discriminator_optimizer.iterations) == 1
    for a, b in zip(twice.discriminator.trainable_variables, once.discriminator.trainable_variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7, err_msg=a.path)
    once.step.assign(0)
    with tf.GradientTape() as tape:
        terms = once._terms(images, training=True)
        g_loss = terms["generator_loss"] + once.lambda_info * terms["info_loss"]
    grads = tape.gradient(g_loss, once.generator.trainable_variables)
    for a, b, g in zip(twice.generator.trainable_variables, once.generator.trainable_variables, grads):
        np.testing.assert_allclose(a.numpy(), b.numpy() - LR_MAIN * g.numpy(), rtol=1e-4, atol=1e-6, err_msg=a.path)


def test_cr_preset_round_trip(tmp_path, images):
    # Spectral norm's vectors are weights too: a loaded preset reads the same codes.
    keras.utils.set_random_seed(5)
    model = zoo.models.get("infogan", **CR, lambda_contrastive=2.0)
    model.compile()
    model.train_on_batch(images)
    folder = zoo.presets.save_preset(model, tmp_path / "infogan-cr-round-trip",
                                     metadata={"dataset": {"name": "tiny", "source": "rendered"}})
    loaded = zoo.load(str(folder))
    assert loaded.network == "cr" and loaded.spectral_norm and loaded.generator_updates == 1
    np.testing.assert_allclose(loaded.representation(images.numpy()), model.representation(images.numpy()),
                               rtol=1e-5, atol=1e-6)
