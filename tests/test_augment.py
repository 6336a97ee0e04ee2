"""DiffAugment's translation (`zoo.augment`) against shifts worked out by hand, and InfoGAN's
`translation` option."""

import numpy as np
import pytest
import tensorflow as tf

import zoo.models
from zoo import augment


def test_max_shift_is_diffaugments_rounding():
    # int(side * ratio + 0.5): 28 * 1/8 = 3.5 -> 4; 64 * 1/8 = 8; 16 * 1/8 = 2.
    assert [augment.max_shift(side, 0.125) for side in (28, 64, 16)] == [4, 8, 2]
    assert augment.max_shift(28, 0.0) == 0


def test_translate_moves_whole_pixels_with_zeros_entering():
    image = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3, 1)  # rows 1 2 3 / 4 5 6 / 7 8 9
    down_left = augment.translate(image, [1], [-1]).numpy()[0, ..., 0]
    np.testing.assert_array_equal(down_left, [[0, 0, 0], [2, 3, 0], [5, 6, 0]])
    up_right = augment.translate(image, [-2], [2]).numpy()[0, ..., 0]
    np.testing.assert_array_equal(up_right, [[0, 0, 7], [0, 0, 0], [0, 0, 0]])
    unmoved = augment.translate(image, [0], [0]).numpy()
    np.testing.assert_array_equal(unmoved, image)


def test_translate_shifts_each_image_and_channel_by_its_own_amount():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(4, 6, 5, 3)).astype(np.float32)
    shift_y, shift_x = np.array([0, 2, -1, 5]), np.array([1, -3, 0, 0])
    moved = augment.translate(images, shift_y, shift_x).numpy()
    for b in range(4):
        padded = np.pad(images[b], ((6, 6), (5, 5), (0, 0)))  # np.roll without wrap-around
        expected = padded[6 - shift_y[b]:12 - shift_y[b], 5 - shift_x[b]:10 - shift_x[b]]
        np.testing.assert_array_equal(moved[b], expected)


def test_translate_passes_gradients_back_shifted():
    image = tf.constant(np.ones((1, 4, 4, 1), np.float32))
    weights = tf.constant(np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1))
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = tf.reduce_sum(weights * augment.translate(image, [1], [0]))
    # Output row i holds input row i - 1, so input row j gets the weights of row j + 1; the last
    # input row leaves the image.
    gradient = tape.gradient(loss, image).numpy()[0, ..., 0]
    np.testing.assert_array_equal(gradient, np.vstack([weights.numpy()[0, 1:, :, 0], np.zeros((1, 4))]))


def test_infogan_translation_changes_only_what_d_sees_in_training():
    kwargs = dict(input_shape=(16, 16, 1), num_categorical=2, num_continuous=2, noise_dim=4, filters=4,
                  network="mnist")
    images = np.zeros((8, 16, 16, 1), np.float32)
    images[:, 4:12, 6:10] = 1.0
    plain = zoo.models.InfoGAN(**kwargs)
    shifted = zoo.models.InfoGAN.from_config({**plain.get_config(), "translation": 0.125})
    shifted.set_weights(plain.get_weights())
    assert shifted.hparams["translation"] == 0.125 and plain.hparams["translation"] == 0.0
    evaluation = [m._terms(images, training=False)["discriminator_loss"].numpy() for m in (plain, shifted)]
    assert evaluation[0] == pytest.approx(evaluation[1], rel=1e-6)
    training = [m._terms(images, training=True)["discriminator_loss"].numpy() for m in (plain, shifted)]
    assert abs(training[0] - training[1]) > 1e-4, training
    assert shifted._terms(images, training=True)["discriminator_loss"].numpy() == pytest.approx(training[1], rel=1e-6)
    # The drawn shifts stay within [-2, 2] (16 px at 1/8) and use the whole range.
    seen = shifted._translated(tf.constant(np.tile(np.eye(16, dtype=np.float32)[None, ..., None], (512, 1, 1, 1))),
                               stream=6).numpy()
    rows, cols = np.nonzero(seen[:, :, :, 0].sum(axis=0))
    offsets = set((cols - rows).tolist())  # a diagonal moved by (dy, dx) lies on col - row = dx - dy
    assert offsets == set(range(-4, 5)), offsets
    with pytest.raises(ValueError, match=r"translation must be .*\[0(\.0)?, 0\.5\]; got 0.7"):
        zoo.models.InfoGAN(translation=0.7)


def test_infogan_translation_trains_a_step():
    model = zoo.models.InfoGAN(input_shape=(16, 16, 1), num_categorical=2, num_continuous=2, noise_dim=4,
                               filters=4, network="mnist", translation=0.125)
    model.compile()
    logs = model.train_step(tf.constant(np.random.default_rng(0).uniform(size=(8, 16, 16, 1)), tf.float32))
    assert all(np.isfinite(float(v)) for v in logs.values())
