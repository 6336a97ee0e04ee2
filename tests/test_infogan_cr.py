"""InfoGAN-CR's contrastive regulariser (Lin et al. 2020), InfoGAN's `lambda_contrastive` option:
the pairs it draws, the gradients each player gets from it, its schedule, and presets without H."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo.data
import zoo.models
import zoo.presets

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
    D and Q: L_D + lambda I-term; H: L_c."""
    generator, discriminator = model.generator.trainable_variables, model.discriminator.trainable_variables
    h = model.contrastive.trainable_variables
    with tf.GradientTape(persistent=True) as tape:
        terms = model._terms(images, training=True)
        contrastive, _ = model.contrastive_terms(tf.shape(images)[0])
        info = model.lambda_info * terms["info_loss"]
        alpha = model.lambda_contrastive if int(model.step.numpy()) >= model.contrastive_start else 0.0
        g_loss = terms["generator_loss"] + info + alpha * contrastive
        d_loss = terms["discriminator_loss"] + info
    return (tape.gradient(g_loss, generator), tape.gradient(d_loss, discriminator), tape.gradient(contrastive, h),
            tape.gradient(contrastive, generator))


@pytest.mark.parametrize("start", [0, 1])
def test_each_player_moves_by_its_own_loss(images, start):
    # With plain SGD one step is w <- w - lr * g; at step 0 the regulariser reaches G only when
    # contrastive_start is 0, and H (on D's optimizer) moves by its cross-entropy either way.
    keras.utils.set_random_seed(7)
    model = zoo.models.get("infogan", **SMALL, contrastive_start=start)
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
            np.testing.assert_allclose(v.numpy(), w - lr * g.numpy(), rtol=1e-4, atol=1e-6, err_msg=v.path)
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
