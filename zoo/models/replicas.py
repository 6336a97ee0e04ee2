"""Training under tf.distribute: the replica context, the global batch of a statistic, and losses
scaled so that an update does not depend on the number of replicas."""

from __future__ import annotations

import tensorflow as tf


def replica_context():
    """The current replica context's `(num_replicas, replica_id)`; `(1, 0)` outside tf.distribute."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return 1, 0
    return ctx.num_replicas_in_sync, ctx.replica_id_in_sync_group


def gather_replicas(x):
    """`x` from every replica, concatenated along axis 0 in replica order: the global batch's
    `[num_replicas * batch, ...]` (`x` itself outside tf.distribute).

    For statistics of the batch (a covariance, an aggregate posterior, a permutation), which
    must be those of the global batch for an update not to depend on the number of replicas.
    Gradients flow back to each replica's own rows: TF's `all_gather` sums the replicas' upstream
    gradients and hands each replica its slice.
    """
    num_replicas, _ = replica_context()
    if num_replicas == 1:
        return x
    return tf.distribute.get_replica_context().all_gather(x, axis=0)


def _multi_worker() -> bool:
    """Whether training runs under MultiWorkerMirroredStrategy with more than one worker (Keras's test)."""
    strategy = tf.distribute.get_strategy()
    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode())


def scale_for_replicas(loss):
    """Divides a per-replica mean loss by the number of replicas.

    The optimizers sum the replicas' gradients, so without this a mean over a replica's share of
    the batch would count `num_replicas` times (a plain `reduce_mean` doubles the step on two).
    """
    num_replicas, _ = replica_context()
    return loss if num_replicas == 1 else loss / num_replicas
