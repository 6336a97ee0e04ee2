"""One training step under MirroredStrategy on two logical CPUs equals one step without it.

Run as a script (`python -m tests.distributed_check`): logical devices can only be configured
before TensorFlow initialises, so tests/test_distributed.py runs this in a fresh process. Prints one
JSON line: per model, the largest weight difference, the step counters and the losses.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

import zoo.data  # noqa: E402
import zoo.models  # noqa: E402


def one_step(name, images, weights, strategy, default_optimizers=False):
    with strategy.scope():
        model = zoo.models.get(name, input_shape=images.shape[1:], latent_dim=4, seed=3)
        model.set_weights(weights)
        if default_optimizers:  # FusedAdam without a strategy, Keras's Adam path under one
            model.compile()
        else:
            kwargs = {"discriminator_optimizer": keras.optimizers.SGD(0.1)} if name == "factor_vae" else {}
            # SGD, not Adam: Adam's first step is invariant to the gradient's scale, so it would
            # hide a doubled gradient.
            model.compile(optimizer=keras.optimizers.SGD(1e-3), **kwargs)
    data = tf.data.Dataset.from_tensors(images)
    history = model.fit(data, epochs=1, verbose=0)
    return model, {k: float(v[-1]) for k, v in history.history.items()}


def main():
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    strategy = tf.distribute.MirroredStrategy(devices)
    images = zoo.data.load("tiny").sample_observations(16, rng=0)
    results = {"num_replicas": strategy.num_replicas_in_sync}
    for key in ("vae", "factor_vae", "vae_adam"):
        name = key.replace("_adam", "")
        keras.utils.set_random_seed(0)
        reference = zoo.models.get(name, input_shape=images.shape[1:], latent_dim=4, seed=3)
        weights = reference.get_weights()
        adam = key.endswith("_adam")
        plain, plain_logs = one_step(name, images, weights, tf.distribute.get_strategy(), adam)
        mirrored, mirrored_logs = one_step(name, images, weights, strategy, adam)
        results[key] = {"plain_step": int(plain.step.numpy()), "mirrored_step": int(mirrored.step.numpy()),
                         "plain_logs": plain_logs, "mirrored_logs": mirrored_logs}
        players = {"vae": lambda m: m.encoder.trainable_variables + m.decoder.trainable_variables}
        if name == "factor_vae":
            players["discriminator"] = lambda m: m.discriminator.trainable_variables
        for player, variables in players.items():
            before = [v.numpy() for v in variables(reference)]
            after_plain = [v.numpy() for v in variables(plain)]
            after_mirrored = [v.numpy() for v in variables(mirrored)]
            results[key][player] = {
                "max_update": max(float(np.abs(a - w).max()) for a, w in zip(after_plain, before)),
                "max_diff": max(float(np.abs(a - b).max()) for a, b in zip(after_plain, after_mirrored))}
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
