"""InfoGAN-CR's networks (Lin et al. 2020): the contrastive classifier H, and the dSprites generator and
discriminator of `network="cr"`."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.infogan.norms import _bn, _conv, _dense, _init


def contrastive_classifier(input_shape=(64, 64, 2), num_codes=2, filters=16, channels=None, spectral_norm=False,
                           name="contrastive"):
    """InfoGAN-CR's contrastive classifier H (Lin et al. 2020, sec. 3): a pair of images stacked on
    the channel axis -> logits over which of the `num_codes` codes the two share.

    4x4 convolutions stride 2, channels doubling from `filters`, leaky ReLU 0.2, while both sides
    are even and above 4 (64 -> 4: four; 28 -> 7: two), flattened, dense 128 with leaky ReLU, dense
    `num_codes`. No normalisation by default; the authors' H (`CrDiscriminator`, their dSprites code)
    is such a stack with `channels=(32, 32, 64, 64)` (the convolutions' widths, in place of the
    doubling from `filters`) and `spectral_norm=True` (every layer but the last normalised).

    Returns:
      a model `[batch, H, W, 2C]` -> `[batch, num_codes]` logits.
    """
    input_shape = tuple(int(d) for d in input_shape)
    if num_codes < 2:
        raise ValueError(f"The contrastive classifier needs at least 2 codes to tell apart; got {num_codes}.")
    x_in = keras.Input(input_shape, name="image_pairs")
    h, (side_h, side_w), i = x_in, input_shape[:2], 0
    while side_h % 2 == 0 and side_w % 2 == 0 and min(side_h, side_w) > 4:
        width = filters * 2 ** i if channels is None else channels[min(i, len(channels) - 1)]
        h = _conv(spectral_norm, width, 4, strides=2, padding="same", name=f"conv{i + 1}")(h)
        h = layers.LeakyReLU(0.2, name=f"lrelu{i + 1}")(h)
        side_h, side_w, i = side_h // 2, side_w // 2, i + 1
    h = layers.Flatten(name="flatten")(h)
    h = layers.LeakyReLU(0.2, name="dense_lrelu")(_dense(spectral_norm, 128, name="dense")(h))
    return keras.Model(x_in, layers.Dense(num_codes, name="shared_code_logits")(h), name=name)


# InfoGAN-CR's dSprites networks (Lin et al. 2020; their code, fjxmlzn/InfoGAN-CR,
# `InfoGAN-CR_dSprites/gan/network.py`: `Decoder` and `InfoGANDiscriminator`). Initialisation N(0, 0.02)
# (truncated for convolutions) and batch norm decay 0.9, epsilon 1e-5 are theirs (`op.py`).
_CR_DOWNSAMPLING = 4  # 64 -> 4


def _check_cr_shape(shape, what):
    h, w, _ = shape
    if h % 2 ** _CR_DOWNSAMPLING or w % 2 ** _CR_DOWNSAMPLING:
        raise ValueError(f"{what} (InfoGAN-CR's dSprites network) needs image height and width divisible by 16 "
                         f"(four stride-2 layers: 64 -> 4); got {h}x{w}.")


def infogan_cr_generator(input_dim, output_shape=(64, 64, 1), name="generator"):
    """InfoGAN-CR's dSprites generator: noise and codes `[batch, input_dim]` -> logits `[batch, H, W, C]`.

    FC 128, ReLU, BN; FC (H/16 * W/16 * 64), ReLU, BN; reshape; 4x4 up-convolutions stride 2 to 64,
    32 and 32 channels, each leaky ReLU 0.2 then BN; a last one to C (64x64: 4x4x64 -> 8 -> 16 -> 32
    -> 64). The activation comes before batch norm, as in their code.
    """
    output_shape = tuple(int(d) for d in output_shape)
    _check_cr_shape(output_shape, "infogan_cr_generator")
    h0, w0 = output_shape[0] // 2 ** _CR_DOWNSAMPLING, output_shape[1] // 2 ** _CR_DOWNSAMPLING
    z_in = keras.Input((input_dim,), name="noise_and_codes")
    h = layers.Dense(128, kernel_initializer=_init(), name="dense1")(z_in)
    h = _bn("bn1")(layers.ReLU(name="relu1")(h))
    h = layers.Dense(h0 * w0 * 64, kernel_initializer=_init(), name="dense2")(h)
    h = _bn("bn2")(layers.ReLU(name="relu2")(h))
    h = layers.Reshape((h0, w0, 64), name="reshape")(h)
    for i, width in enumerate((64, 32, 32)):
        h = layers.Conv2DTranspose(width, 4, strides=2, padding="same", kernel_initializer=_init(),
                                   name=f"deconv{i + 1}")(h)
        h = _bn(f"bn{i + 3}")(layers.LeakyReLU(0.2, name=f"lrelu{i + 1}")(h))
    logits = layers.Conv2DTranspose(output_shape[2], 4, strides=2, padding="same", kernel_initializer=_init(),
                                    name="logits")(h)
    return keras.Model(z_in, logits, name=name)


def infogan_cr_discriminator(input_shape=(64, 64, 1), num_categorical=0, num_continuous=0, learn_scale=True,
                             spectral_norm=True, name="discriminator"):
    """InfoGAN-CR's dSprites discriminator D with Q on its body, no normalisation layers.

    Shared: 4x4 convolutions stride 2 to 32, 32, 64 and 64 channels, then FC 128, each leaky ReLU
    0.2. D: FC 1 (the logit). Q: FC 128, leaky ReLU 0.2, then categorical logits, continuous means
    (and log-scales). With `spectral_norm` (their setting) every layer of D and Q is spectrally
    normalised (Miyato et al. 2018), Q's outputs included, as in their code.

    Returns:
      a model x -> {"d_logits": [batch, 1], "q_logits", "q_mean", "q_log_scale"}.
    """
    input_shape = tuple(int(d) for d in input_shape)
    _check_cr_shape(input_shape, "infogan_cr_discriminator")
    conv_init = keras.initializers.TruncatedNormal(stddev=0.02)
    x_in = keras.Input(input_shape, name="images")
    h = x_in
    for i, width in enumerate((32, 32, 64, 64)):
        h = _conv(spectral_norm, width, 4, strides=2, padding="same", kernel_initializer=conv_init,
                  name=f"conv{i + 1}")(h)
        h = layers.LeakyReLU(0.2, name=f"lrelu{i + 1}")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.LeakyReLU(0.2, name="lrelu5")(_dense(spectral_norm, 128, kernel_initializer=_init(), name="dense")(h))
    outputs = {"d_logits": _dense(spectral_norm, 1, kernel_initializer=_init(), name="d_logits")(h)}
    q = layers.LeakyReLU(0.2, name="q_lrelu")(_dense(spectral_norm, 128, kernel_initializer=_init(),
                                                     name="q_dense")(h))
    for key, size in (("q_logits", num_categorical), ("q_mean", num_continuous)) + (
            (("q_log_scale", num_continuous),) if learn_scale else ()):
        outputs[key] = _dense(spectral_norm, max(size, 1), kernel_initializer=_init(), name=key)(q)
    return keras.Model(x_in, outputs, name=name)
