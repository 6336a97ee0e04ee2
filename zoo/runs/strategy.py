"""The `tf.distribute` strategy a run trains under, by name."""

from __future__ import annotations

import os

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


def make_strategy(name: str):
    """The `tf.distribute` strategy called `name`: default, mirrored, multi_worker or tpu.

    Raises:
      ValueError: an unknown name, or multi_worker without the TF_CONFIG environment variable.
    """
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError("--strategy=multi_worker reads the cluster from the TF_CONFIG environment variable, "
                             "which is not set.")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"unknown --strategy={name!r}; choose {', '.join(STRATEGIES[:-1])} or {STRATEGIES[-1]}.")
