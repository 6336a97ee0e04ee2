"""FusedAdam gives Keras's Adam update, and the models' train steps use its fused kernel."""

import keras
import numpy as np
import tensorflow as tf

import zoo.models
from zoo.models.optimizers import FusedAdam


def _run(optimizer, steps=6):
    rng = np.random.default_rng(0)
    variables = [keras.Variable(rng.normal(size=(3, 4)).astype(np.float32)),
                 keras.Variable(rng.normal(size=(4,)).astype(np.float32))]

    @tf.function
    def step(grads):
        optimizer.apply(grads, variables)

    grad_rng = np.random.default_rng(1)
    for _ in range(steps):
        step([tf.constant(grad_rng.normal(size=v.shape).astype(np.float32)) for v in variables])
    return [v.numpy() for v in variables] + [v.numpy() for v in optimizer.variables]


def test_fused_adam_equals_keras_adam():
    kwargs = {"learning_rate": 1e-2, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-6}
    for expected, got in zip(_run(keras.optimizers.Adam(**kwargs)), _run(FusedAdam(**kwargs))):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_fused_adam_serializes_and_is_used_by_train_step():
    optimizer = FusedAdam(learning_rate=3e-4, beta_1=0.5)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(optimizer))
    assert type(clone) is FusedAdam and clone.get_config() == optimizer.get_config()
    model = zoo.models.get("vae", input_shape=(16, 16, 1), latent_dim=4)
    model.compile()
    assert type(model.optimizer) is FusedAdam
    graph = tf.function(model.train_step).get_concrete_function(
        tf.TensorSpec([8, 16, 16, 1], tf.float32)).graph
    assert sum(op.type == "ResourceApplyAdam" for op in graph.get_operations()) == len(model.trainable_variables)
