"""InfoGAN's MNIST networks (Chen et al. 2016, appendix C.1, table 1): `network="mnist"`."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.infogan.norms import _body_norm, _bn, _check_normalization, _conv, _dense, _init

# InfoGAN's MNIST networks (Chen et al. 2016, appendix C.1, table 1). The paper gives the layers and
# "leaky rectified linear units with leaky rate 0.1", batch norm after most layers; the weight
# initialisation N(0, 0.02) and the batch-norm settings (decay 0.9, epsilon 1e-5) are those of the
# authors' code (openai/InfoGAN, `infogan/misc/custom_ops.py`). `filters` scales every width with
# the paper's ratios: the paper's networks are filters=64 (conv 64-128, FC 1024, Q's FC 128).
_INFOGAN_LEAK = 0.1


def _check_mnist_shape(shape, what):
    h, w, _ = shape
    if h % 4 or w % 4:
        raise ValueError(f"{what} (InfoGAN's MNIST network) needs image height and width divisible by 4 (two "
                         f"stride-2 layers: 28 -> 7); got {h}x{w}.")


def infogan_mnist_generator(input_dim, output_shape=(28, 28, 1), filters=64, name="generator"):
    """InfoGAN's MNIST generator: noise and codes `[batch, input_dim]` -> logits `[batch, H, W, C]`.

    FC 16f, BN, ReLU; FC (H/4 * W/4 * 2f), BN, ReLU; reshape; 4x4 up-convolution stride 2 to f
    channels, BN, ReLU; 4x4 up-convolution stride 2 to C (the Bernoulli logits). With f = 64 and
    28x28 images: FC 1024 - FC 7x7x128 - upconv 64 - upconv 1 (Chen et al. 2016, table 1).
    """
    output_shape = tuple(int(d) for d in output_shape)
    _check_mnist_shape(output_shape, "infogan_mnist_generator")
    h0, w0 = output_shape[0] // 4, output_shape[1] // 4
    z_in = keras.Input((input_dim,), name="noise_and_codes")
    h = layers.Dense(16 * filters, use_bias=False, kernel_initializer=_init(), name="dense1")(z_in)
    h = layers.ReLU(name="relu1")(_bn("bn1")(h))
    h = layers.Dense(h0 * w0 * 2 * filters, use_bias=False, kernel_initializer=_init(), name="dense2")(h)
    h = layers.ReLU(name="relu2")(_bn("bn2")(h))
    h = layers.Reshape((h0, w0, 2 * filters), name="reshape")(h)
    h = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False, kernel_initializer=_init(),
                               name="deconv1")(h)
    h = layers.ReLU(name="relu3")(_bn("bn3")(h))
    logits = layers.Conv2DTranspose(output_shape[2], 4, strides=2, padding="same", kernel_initializer=_init(),
                                    name="logits")(h)
    return keras.Model(z_in, logits, name=name)


def infogan_mnist_discriminator(input_shape=(28, 28, 1), num_categorical=0, num_continuous=0, filters=64,
                                learn_scale=True, normalization="batch", spectral_norm=False, leak=_INFOGAN_LEAK,
                                name="discriminator"):
    """InfoGAN's MNIST discriminator D with the recognition network Q on its body.

    Shared: 4x4 conv stride 2 to f channels, lReLU(0.1); 4x4 conv stride 2 to 2f, BN, lReLU; FC 16f,
    BN, lReLU. D: FC 1 (the logit). Q: FC 2f, BN, lReLU, then categorical logits, continuous means
    and log-scales. With f = 64: conv 64 - conv 128 - FC 1024, Q's FC 128 (Chen et al. 2016, table 1).
    `normalization` replaces the body's two batch norms (`bn2`, `bn3`) by layer norms (`ln2`,
    `ln3`) or by nothing (the layers then with biases); Q's batch norm stays. `spectral_norm`: the
    body's and D's layers spectrally normalised (Miyato et al. 2018). `leak`: the leaky ReLUs' slope
    (the paper's 0.1; the authors' code's `leaky_rectify` has 0.01).

    Returns:
      a model x -> {"d_logits": [batch, 1], "q_logits", "q_mean", "q_log_scale"}.
    """
    _check_normalization(normalization)
    input_shape = tuple(int(d) for d in input_shape)
    _check_mnist_shape(input_shape, "infogan_mnist_discriminator")

    def norm(index):
        if normalization == "none":
            return lambda h: h
        return _body_norm(normalization, index, epsilon=1e-5)

    biased = normalization == "none"
    x_in = keras.Input(input_shape, name="images")
    h = _conv(spectral_norm, filters, 4, strides=2, padding="same", kernel_initializer=_init(), name="conv1")(x_in)
    h = layers.LeakyReLU(leak, name="lrelu1")(h)
    h = _conv(spectral_norm, 2 * filters, 4, strides=2, padding="same", use_bias=biased, kernel_initializer=_init(),
              name="conv2")(h)
    h = layers.LeakyReLU(leak, name="lrelu2")(norm(2)(h))
    h = layers.Flatten(name="flatten")(h)
    h = _dense(spectral_norm, 16 * filters, use_bias=biased, kernel_initializer=_init(), name="dense")(h)
    h = layers.LeakyReLU(leak, name="lrelu3")(norm(3)(h))
    outputs = {"d_logits": _dense(spectral_norm, 1, kernel_initializer=_init(), name="d_logits")(h)}
    q = layers.Dense(2 * filters, use_bias=False, kernel_initializer=_init(), name="q_dense")(h)
    q = layers.LeakyReLU(leak, name="q_lrelu")(_bn("q_bn")(q))
    outputs["q_logits"] = layers.Dense(max(num_categorical, 1), kernel_initializer=_init(), name="q_logits")(q)
    outputs["q_mean"] = layers.Dense(max(num_continuous, 1), kernel_initializer=_init(), name="q_mean")(q)
    if learn_scale:
        outputs["q_log_scale"] = layers.Dense(max(num_continuous, 1), kernel_initializer=_init(),
                                              name="q_log_scale")(q)
    return keras.Model(x_in, outputs, name=name)
