"""InfoGAN's DCGAN-style networks (Radford et al. 2016): the first zoo InfoGAN's, and `network="dcgan"`."""

from __future__ import annotations

import math

import keras
from keras import layers

from zoo.models.infogan.norms import _batch_norm, _body_norm, _check_normalization, _conv, _dense


def _dcgan_depth(image_shape):
    h, w, _ = image_shape
    n = math.log2(min(h, w) / 4)
    if n < 1 or n != int(n) or h % 2 ** int(n) or w % 2 ** int(n):
        raise ValueError(f"The DCGAN networks need image sides of 4 * 2^n (8, 16, 32, 64, ...); got {h}x{w}.")
    return int(n)


def dcgan_generator(input_dim, output_shape=(64, 64, 1), filters=16, name="generator"):
    """DCGAN generator (Radford et al. 2016): noise and codes `[batch, input_dim]` -> logits.

    dense to (H/2^n, W/2^n, filters * 2^(n-1)), then n transposed convolutions k4 s2 halving the
    channels (batch norm + ReLU between), the last one to C channels: 64x64 gives
    4x4x128 -> 8x8x64 -> 16x16x32 -> 32x32x16 -> 64x64xC with the default 16 filters.
    """
    output_shape = tuple(int(d) for d in output_shape)
    n = _dcgan_depth(output_shape)
    h0, w0 = output_shape[0] // 2 ** n, output_shape[1] // 2 ** n
    z_in = keras.Input((input_dim,), name="noise_and_codes")
    h = layers.Dense(h0 * w0 * filters * 2 ** (n - 1), use_bias=False, name="dense")(z_in)
    h = _batch_norm(name="bn0")(h)
    h = layers.ReLU(name="relu0")(h)
    h = layers.Reshape((h0, w0, filters * 2 ** (n - 1)), name="reshape")(h)
    for i in range(n - 1):
        h = layers.Conv2DTranspose(filters * 2 ** (n - 2 - i), 4, strides=2, padding="same", use_bias=False,
                                   name=f"deconv{i + 1}")(h)
        h = _batch_norm(name=f"bn{i + 1}")(h)
        h = layers.ReLU(name=f"relu{i + 1}")(h)
    logits = layers.Conv2DTranspose(output_shape[2], 4, strides=2, padding="same", name="logits")(h)
    return keras.Model(z_in, logits, name=name)


def dcgan_discriminator(input_shape=(64, 64, 1), num_categorical=0, num_continuous=0, filters=16,
                        learn_scale=True, normalization="batch", spectral_norm=False, name="discriminator"):
    """DCGAN discriminator with InfoGAN's Q head on the shared body (Chen et al. 2016, app. C).

    n convolutions k4 s2 doubling the channels from `filters` (leaky ReLU 0.2, `normalization`
    after all but the first: batch norm `bn<i>`, layer norm `ln<i>`, or none, the convolutions then
    with biases), flattened; the D head is one logit; the Q head is dense 128 (batch norm, leaky
    ReLU), then categorical logits `[batch, num_categorical]`, continuous means and log-scales
    `[batch, num_continuous]`. `spectral_norm`: every convolution and dense layer of D's path (the
    body and the D head) spectrally normalised (Miyato et al. 2018).

    Returns:
      a model x -> {"d_logits": [batch, 1], "q_logits", "q_mean", "q_log_scale"}.
    """
    _check_normalization(normalization)
    input_shape = tuple(int(d) for d in input_shape)
    n = _dcgan_depth(input_shape)
    x_in = keras.Input(input_shape, name="images")
    h = x_in
    for i in range(n):
        normalized = i > 0 and normalization != "none"
        h = _conv(spectral_norm, filters * 2 ** i, 4, strides=2, padding="same", use_bias=not normalized,
                  name=f"conv{i + 1}")(h)
        if normalized:
            h = _body_norm(normalization, i + 1)(h)
        h = layers.LeakyReLU(0.2, name=f"lrelu{i + 1}")(h)
    h = layers.Flatten(name="flatten")(h)
    outputs = {"d_logits": _dense(spectral_norm, 1, name="d_logits")(h)}
    q = layers.Dense(128, use_bias=False, name="q_dense")(h)
    q = _batch_norm(name="q_bn")(q)
    q = layers.LeakyReLU(0.2, name="q_lrelu")(q)
    outputs["q_logits"] = layers.Dense(max(num_categorical, 1), name="q_logits")(q)
    outputs["q_mean"] = layers.Dense(max(num_continuous, 1), name="q_mean")(q)
    if learn_scale:
        outputs["q_log_scale"] = layers.Dense(max(num_continuous, 1), name="q_log_scale")(q)
    return keras.Model(x_in, outputs, name=name)
