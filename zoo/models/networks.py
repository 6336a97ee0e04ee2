"""Network builders: the field's standard convolutional encoder/decoder, FactorVAE's discriminator,
InfoGAN's MNIST generator and discriminator (Chen et al. 2016, app. C.1), a DCGAN-style
generator/discriminator for InfoGAN, InfoGAN-CR's dSprites networks (Lin et al. 2020), and
spectrally normalised convolution and dense layers (Miyato et al. 2018).

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
soon as it is built.

InfoGAN's discriminators take `normalization` for their shared body (the critic's path): "batch"
(the papers' batch norm, the default), "layer" or "none". A WGAN-GP critic must not use batch norm:
it makes each output depend on the whole batch, and the gradient penalty constrains the gradient of
each output with respect to its own input (Gulrajani et al. 2017, sec. 4, who recommend layer
normalisation instead). Q's head keeps its batch norm: it is not on the path from an image to D's
output, so it cannot change the gradient the penalty constrains.
"""

from __future__ import annotations

import math

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


def _batch_norm(name, epsilon=1e-3):
    """Batch norm with momentum 0.9. Built under a tf.distribute strategy, its statistics are
    those of the global batch (synchronised across replicas), so an update does not depend on the
    number of replicas; without one it is Keras's plain layer, unchanged."""
    import tensorflow as tf

    return layers.BatchNormalization(momentum=0.9, epsilon=epsilon, synchronized=tf.distribute.has_strategy(),
                                     name=name)


def _l2_normalized(x, eps=1e-12):
    from keras import ops

    return x / (ops.sqrt(ops.sum(ops.square(x))) + eps)


class SpectralNorm:
    """Spectral normalisation (Miyato et al. 2018, eq. 8 and Algorithm 1) of a layer's kernel: the
    layer computes with W / sigma(W), sigma(W) the largest singular value of W reshaped to
    `[-1, out]`, estimated by one power iteration per call from a persistent vector u (gradients
    stop at u and v, as in Algorithm 1). u moves on in training calls only. Unlike
    `keras.layers.SpectralNormalization`, which writes W / sigma back into the kernel and so does
    not differentiate through sigma, the gradient here is that of W / sigma(W), the paper's (and
    the code Lin et al. 2020 train InfoGAN-CR with)."""

    # Keras' Dense and Conv2D save only their kernel and bias (in their own layout); these layers
    # hold u too, so they save and load every variable as a plain Keras layer does.
    def save_own_variables(self, store):
        layers.Layer.save_own_variables(self, store)

    def load_own_variables(self, store):
        layers.Layer.load_own_variables(self, store)

    def _build_u(self, units):
        self.vector_u = self.add_weight(shape=(1, units), initializer=keras.initializers.RandomNormal(stddev=1.0),
                                        trainable=False, name="vector_u", aggregation="only_first_replica")

    def normalized_kernel(self, training=False):
        from keras import ops

        w = ops.reshape(self.kernel, (-1, self.kernel.shape[-1]))
        u = self.vector_u.value
        v = ops.stop_gradient(_l2_normalized(ops.matmul(u, ops.transpose(w))))
        u = ops.stop_gradient(_l2_normalized(ops.matmul(v, w)))
        if training:
            self.vector_u.assign(u)
        sigma = ops.matmul(ops.matmul(v, w), ops.transpose(u))[0, 0]
        return self.kernel / sigma


@keras.saving.register_keras_serializable(package="zoo")
class SpectralConv2D(SpectralNorm, layers.Conv2D):
    """`Conv2D` computing with its spectrally normalised kernel (see `SpectralNorm`)."""

    def build(self, input_shape):
        super().build(input_shape)
        self._build_u(self.filters)

    def call(self, inputs, training=False):
        from keras import ops

        outputs = self.convolution_op(inputs, self.normalized_kernel(training))
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, self.filters)))
        return outputs if self.activation is None else self.activation(outputs)


@keras.saving.register_keras_serializable(package="zoo")
class SpectralDense(SpectralNorm, layers.Dense):
    """`Dense` computing with its spectrally normalised kernel (see `SpectralNorm`)."""

    def build(self, input_shape):
        super().build(input_shape)
        self._build_u(self.units)

    def call(self, inputs, training=False):
        from keras import ops

        x = ops.matmul(inputs, self.normalized_kernel(training))
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return x if self.activation is None else self.activation(x)


def _conv(spectral_norm, *args, **kwargs):
    return (SpectralConv2D if spectral_norm else layers.Conv2D)(*args, **kwargs)


def _dense(spectral_norm, *args, **kwargs):
    return (SpectralDense if spectral_norm else layers.Dense)(*args, **kwargs)


NORMALIZATIONS = ("batch", "layer", "none")


def _check_normalization(normalization):
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {', '.join(map(repr, NORMALIZATIONS))}; got {normalization!r}.")


def _layer_norm(name, epsilon=1e-5):
    """Layer normalisation as Gulrajani et al.'s code has it (`tflib/ops/layernorm.py`): each image's
    features normalised by their mean and variance over height, width and channels together, then a
    learned scale and offset per channel (per unit for a dense layer). That is Keras's group
    normalisation with one group; its epsilon 1e-5 is theirs."""
    return layers.GroupNormalization(groups=1, epsilon=epsilon, name=name)


def _body_norm(normalization, index, epsilon=1e-3):
    """The normalisation layer after a body layer: batch norm `bn<index>` or layer norm `ln<index>`."""
    if normalization == "batch":
        return _batch_norm(name=f"bn{index}", epsilon=epsilon)
    return _layer_norm(name=f"ln{index}")


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


# InfoGAN's MNIST networks (Chen et al. 2016, appendix C.1, table 1). The paper gives the layers and
# "leaky rectified linear units with leaky rate 0.1", batch norm after most layers; the weight
# initialisation N(0, 0.02) and the batch-norm settings (decay 0.9, epsilon 1e-5) are those of the
# authors' code (openai/InfoGAN, `infogan/misc/custom_ops.py`). `filters` scales every width with
# the paper's ratios: the paper's networks are filters=64 (conv 64-128, FC 1024, Q's FC 128).
_INFOGAN_LEAK = 0.1


def _init():
    return keras.initializers.RandomNormal(stddev=0.02)


def _bn(name):
    return _batch_norm(name, epsilon=1e-5)


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
