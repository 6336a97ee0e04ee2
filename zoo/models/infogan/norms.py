"""What InfoGAN's networks are built from: batch norm (synchronised under tf.distribute), layer norm,
spectrally normalised convolution and dense layers (Miyato et al. 2018), and the authors' N(0, 0.02)
initialisation.

InfoGAN's discriminators take `normalization` for their shared body (the critic's path): "batch"
(the papers' batch norm, the default), "layer" or "none". A WGAN-GP critic must not use batch norm:
it makes each output depend on the whole batch, and the gradient penalty constrains the gradient of
each output with respect to its own input (Gulrajani et al. 2017, sec. 4, who recommend layer
normalisation instead). Q's head keeps its batch norm: it is not on the path from an image to D's
output, so it cannot change the gradient the penalty constrains.
"""

from __future__ import annotations

import keras
from keras import layers


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


def _init():
    """The authors' weight initialisation, N(0, 0.02) (openai/InfoGAN; Lin et al.'s `op.py`)."""
    return keras.initializers.RandomNormal(stddev=0.02)


def _bn(name):
    """The authors' batch norm: decay 0.9, epsilon 1e-5."""
    return _batch_norm(name, epsilon=1e-5)
