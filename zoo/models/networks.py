"""Network builders: the field's standard convolutional encoder/decoder and FactorVAE's discriminator.

The VAE networks are disentanglement_lib's `conv_encoder` and `deconv_decoder`
(`methods/shared/architectures.py`), the networks of Locatello et al. 2019, whose docstrings
base them on the chairs network of Higgins et al. 2017 (table 1, row 3); FactorVAE's discriminator
is its `fc_discriminator` (Kim & Mnih 2018, app. A). They are not Burgess et al. 2018's networks
(app. A.1: four 32-channel 4x4 convolutions and two dense layers of 256): the encoder's third and
fourth convolutions are 64-channel with 2x2 kernels. Kept as the study has them, so that scores
are comparable with the literature. The layer stacks are fixed; only the spatial size of
the flattened/reshaped bottleneck follows the image size (64x64 gives the published 4x4x64), so the
same networks run on the 16x16 test images.

Each builder returns a functional `keras.Model` with named inputs and outputs; all weights exist as
soon as it is built. InfoGAN's networks are beside its variants, in `zoo/models/infogan/`.
"""

from __future__ import annotations


import keras
from keras import layers

_VAE_DOWNSAMPLING = 4  # four stride-2 convolutions: 64 -> 4, 16 -> 1


def _check_divisible(input_shape, factor, what):
    h, w, _ = input_shape
    if h % factor or w % factor:
        raise ValueError(f"{what} needs image height and width divisible by {factor}; got {h}x{w}.")


def conv_encoder(input_shape=(64, 64, 1), latent_dim=10, name="encoder"):
    """Gaussian encoder: x `[batch, H, W, C]` -> (mean, logvar), each `[batch, latent_dim]`.

    conv 32 k4 s2, conv 32 k4 s2, conv 64 k2 s2, conv 64 k2 s2 (ReLU, "same"), dense 256 ReLU, then
    two linear heads: disentanglement_lib's `conv_encoder`, layer for layer.
    """
    input_shape = tuple(int(d) for d in input_shape)
    _check_divisible(input_shape, 2 ** _VAE_DOWNSAMPLING, "conv_encoder")
    x_in = keras.Input(input_shape, name="images")
    h = x_in
    for i, (filters, kernel) in enumerate([(32, 4), (32, 4), (64, 2), (64, 2)]):
        h = layers.Conv2D(filters, kernel, strides=2, padding="same", activation="relu", name=f"conv{i + 1}")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Dense(256, activation="relu", name="dense")(h)
    mean = layers.Dense(latent_dim, name="mean")(h)
    logvar = layers.Dense(latent_dim, name="logvar")(h)
    return keras.Model(x_in, [mean, logvar], name=name)


def deconv_decoder(latent_dim=10, output_shape=(64, 64, 1), name="decoder"):
    """Bernoulli decoder: z `[batch, latent_dim]` -> logits `[batch, H, W, C]`.

    dense 256, dense (H/16 * W/16 * 64), reshape, transposed conv 64 k4 s2, 32 k4 s2, 32 k4 s2
    (ReLU), C k4 s2 linear: disentanglement_lib's `deconv_decoder` (64x64 gives its dense 1024,
    reshape 4x4x64).
    """
    output_shape = tuple(int(d) for d in output_shape)
    _check_divisible(output_shape, 2 ** _VAE_DOWNSAMPLING, "deconv_decoder")
    h0, w0 = output_shape[0] // 2 ** _VAE_DOWNSAMPLING, output_shape[1] // 2 ** _VAE_DOWNSAMPLING
    z_in = keras.Input((latent_dim,), name="codes")
    h = layers.Dense(256, activation="relu", name="dense1")(z_in)
    h = layers.Dense(h0 * w0 * 64, activation="relu", name="dense2")(h)
    h = layers.Reshape((h0, w0, 64), name="reshape")(h)
    for i, filters in enumerate([64, 32, 32]):
        h = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", activation="relu",
                                   name=f"deconv{i + 1}")(h)
    logits = layers.Conv2DTranspose(output_shape[2], 4, strides=2, padding="same", name="logits")(h)
    return keras.Model(z_in, logits, name=name)


def fc_discriminator(latent_dim=10, units=1000, depth=6, name="discriminator"):
    """FactorVAE's discriminator: z `[batch, latent_dim]` -> logits `[batch, 2]`.

    Six dense layers of 1000 units with leaky ReLU (slope 0.2), then two logits: class 0 "from
    q(z)", class 1 "from prod_j q(z_j)" (Kim & Mnih 2018, app.; disentanglement_lib `fc_discriminator`).
    """
    z_in = keras.Input((latent_dim,), name="codes")
    h = z_in
    for i in range(depth):
        h = layers.Dense(units, name=f"dense{i + 1}")(h)
        h = layers.LeakyReLU(0.2, name=f"lrelu{i + 1}")(h)
    logits = layers.Dense(2, name="logits")(h)
    return keras.Model(z_in, logits, name=name)
