"""A few training steps under MultiWorkerMirroredStrategy, one worker per process, or the same
steps in one process without a strategy (no `TF_CONFIG`).

Run as a script, `python -m tests.multi_worker_check OUT MODEL`, by tests/test_multi_worker.py:
with `TF_CONFIG` set it joins the cluster it names (each worker one CPU replica), without it it
runs alone. Either way it trains `MODEL` for `STEPS` steps on the same global batches of the tiny
dataset (`as_tf_dataset`, which tf.distribute splits between the workers) and writes the weights
before and after to `OUT/<task>.npz`, task being `worker<i>` or `single`.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(2)

import keras  # noqa: E402

import zoo.data  # noqa: E402
import zoo.models  # noqa: E402

GLOBAL_BATCH = 16
STEPS = 3
HPARAMS = {"factor_vae": {"gamma": 10.0}, "beta_tcvae": {"beta": 6.0}}


def main(out, name):
    config = json.loads(os.environ.get("TF_CONFIG", "null"))
    if config:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        task = f"worker{config['task']['index']}"
    else:
        strategy = tf.distribute.get_strategy()
        task = "single"
    data = zoo.data.load("tiny")
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = zoo.models.get(name, input_shape=data.observation_shape, latent_dim=4, seed=3, **HPARAMS[name])
        # Spread the codes (a fresh encoder's are nearly constant, which would hide a statistic
        # computed on one worker's half of the batch instead of the global batch).
        images = data.sample_observations(64, rng=1)
        for head, target in (("mean", 1.0), ("logvar", 0.5)):
            layer = model.encoder.get_layer(head)
            values = model.encoder(images)[0 if head == "mean" else 1].numpy()
            layer.kernel.assign(layer.kernel * (target / float(np.std(values, axis=0).mean())))
        kwargs = {"discriminator_optimizer": keras.optimizers.SGD(0.1)} if name == "factor_vae" else {}
        model.compile(optimizer=keras.optimizers.SGD(1e-4), **kwargs)
    before = [w.numpy() for w in model.weights]
    model.fit(data.as_tf_dataset(GLOBAL_BATCH, seed=0), epochs=1, steps_per_epoch=STEPS, verbose=0)
    after = [w.numpy() for w in model.weights]
    arrays = {f"before/{w.path}": b for w, b in zip(model.weights, before)}
    arrays.update({f"after/{w.path}": a for w, a in zip(model.weights, after)})
    tmp = os.path.join(out, f".{task}.npz.tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, os.path.join(out, f"{task}.npz"))
    print(json.dumps({"task": task, "step": int(model.step.numpy()),
                      "replicas": strategy.num_replicas_in_sync}), flush=True)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
