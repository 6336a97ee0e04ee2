"""Spectral normalisation (Miyato et al. 2018): `norms.SpectralDense` and `SpectralConv2D`
compute with W / sigma(W), sigma from one power iteration per call, and differentiate through it."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.models.infogan import networks_dcgan, networks_mnist, norms


def _dense(kernel, seed=0):
    layer = norms.SpectralDense(kernel.shape[1], use_bias=False)
    layer.build((None, kernel.shape[0]))
    layer.kernel.assign(kernel)
    layer.vector_u.assign(np.random.default_rng(seed).normal(size=(1, kernel.shape[1])).astype(np.float32))
    return layer


def test_power_iteration_finds_the_largest_singular_value():
    # diag(3, 1) rotated: singular values 3 and 1, so W / sigma has largest singular value 1.
    rotation = np.array([[0.6, -0.8], [0.8, 0.6]], np.float32)
    kernel = rotation @ np.diag([3.0, 1.0]).astype(np.float32)
    layer = _dense(kernel)
    for _ in range(30):  # each training call moves u one power iteration on
        layer(np.zeros((1, 2), np.float32), training=True)
    np.testing.assert_allclose(layer.normalized_kernel().numpy(), kernel / 3.0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.linalg.svd(layer.normalized_kernel().numpy(), compute_uv=False), [1.0, 1 / 3],
                               rtol=1e-5)
    x = np.array([[1.0, 2.0]], np.float32)
    np.testing.assert_allclose(layer(x).numpy(), x @ kernel / 3.0, rtol=1e-5)


def test_only_training_calls_move_u():
    layer = _dense(np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32))
    u = layer.vector_u.numpy().copy()
    layer(np.ones((2, 4), np.float32))
    np.testing.assert_array_equal(layer.vector_u.numpy(), u)
    layer(np.ones((2, 4), np.float32), training=True)
    assert not np.allclose(layer.vector_u.numpy(), u)
    np.testing.assert_allclose(np.linalg.norm(layer.vector_u.numpy()), 1.0, rtol=1e-6)


def test_gradient_goes_through_sigma():
    # L = sum(A * W / sigma), sigma = v W u^T with u, v held (Miyato et al., Algorithm 1):
    # dL/dW = A / sigma - (sum(A * W) / sigma^2) v^T u.
    rng = np.random.default_rng(2)
    kernel, a = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=(4, 3)).astype(np.float32)
    layer = _dense(kernel, seed=3)
    u0 = layer.vector_u.numpy()
    v = u0 @ kernel.T
    v /= np.linalg.norm(v)
    u = v @ kernel
    u /= np.linalg.norm(u)
    sigma = float((v @ kernel @ u.T)[0, 0])
    expected = a / sigma - (np.sum(a * kernel) / sigma ** 2) * (v.T @ u)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(a * layer.normalized_kernel())
    np.testing.assert_allclose(tape.gradient(loss, layer.kernel).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_conv_matches_conv2d_on_the_normalised_kernel():
    keras.utils.set_random_seed(4)
    layer = norms.SpectralConv2D(5, 4, strides=2, padding="same")
    images = np.random.default_rng(5).random((2, 8, 8, 3)).astype(np.float32)
    layer(images)
    plain = keras.layers.Conv2D(5, 4, strides=2, padding="same")
    plain.build(images.shape)
    plain.kernel.assign(layer.normalized_kernel())
    plain.bias.assign(layer.bias)
    np.testing.assert_allclose(layer(images).numpy(), plain(images).numpy(), rtol=1e-5, atol=1e-6)
    # sigma is that of the kernel reshaped to [k * k * in, out]: after enough iterations, 1.
    for _ in range(50):
        layer(images, training=True)
    matrix = layer.normalized_kernel().numpy().reshape(-1, 5)
    np.testing.assert_allclose(np.linalg.svd(matrix, compute_uv=False)[0], 1.0, rtol=1e-3)


@pytest.mark.parametrize("build", [networks_dcgan.dcgan_discriminator, networks_mnist.infogan_mnist_discriminator])
def test_spectral_norm_option_swaps_d_path_layers(build):
    d = build((16, 16, 1), 2, 2, filters=4, spectral_norm=True)
    normed = {layer.name for layer in d.layers if isinstance(layer, norms.SpectralNorm)}
    path = {layer.name for layer in d.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
            and not layer.name.startswith("q_")}
    assert normed == path and "d_logits" in normed
    assert not any(isinstance(layer, norms.SpectralNorm) for layer in build((16, 16, 1), 2, 2, filters=4).layers)
