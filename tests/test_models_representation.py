"""`representation`: one compiled loop over padded batches; an image's code does not depend on its batch."""

import numpy as np
import pytest
import tensorflow as tf

import zoo
import zoo.data

# Bitwise equal on the AVX-512 Xeons this was written on; on an AVX2-only CPU (AMD EPYC, 2026-12-06)
# oneDNN picks kernels by batch size and sums in another order, 1.2e-6 apart at most. A code that
# really depended on its batch (padding leaking in, a batch statistic) differs by far more.
TOL = dict(rtol=0, atol=1e-5)


def assert_same_codes(actual, expected):
    np.testing.assert_allclose(actual, expected, **TOL)


@pytest.fixture(scope="module")
def model_and_images():
    model = zoo.load("factorvae-dsprites")
    _, images = zoo.data.load("dsprites").sample(600, rng=0)
    return model, images


def test_codes_do_not_depend_on_the_batch(model_and_images):
    model, images = model_and_images
    # The reference: every image in one forward pass of 600.
    reference = model.encode_mean(tf.constant(images)).numpy()
    for n in (1, 2, 255, 256, 257, 600):
        assert_same_codes(model.representation(images[:n]), reference[:n])
    assert_same_codes(model.representation(images, batch_size=7), reference)
    assert_same_codes(model.representation(images, batch_size=128), reference)
    # A lone image in the last batch is padded, not sent alone (the point of the padding: on CPU a
    # batch of one takes another matrix kernel).
    assert_same_codes(model.representation(images[:513], batch_size=256), reference[:513])
    assert model.representation(images[:0]).shape == (0, model.latent_dim)


def test_representation_equals_the_per_batch_loop_it_replaced(model_and_images):
    # The earlier implementation: a tf.function of encode_mean called from Python per batch of 256.
    model, images = model_and_images
    fn = tf.function(model.encode_mean)
    for n in (256, 600):
        old = np.concatenate([fn(images[i:i + 256]).numpy() for i in range(0, n, 256)])
        assert_same_codes(model.representation(images[:n]), old)


def test_representation_rejects_a_batch_of_one(model_and_images):
    model, images = model_and_images
    with pytest.raises(ValueError, match="batch_size must be >= 2"):
        model.representation(images[:4], batch_size=1)
