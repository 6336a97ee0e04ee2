"""The encoder's inference throughput against the training-step throughput of the same network.

    .venv/bin/python -m benchmarks.speed.inference_bench [--quick] [--out out/bench/inference.json]

Inference: `model.representation(images, batch_size=B)` (one compiled loop over padded batches,
`zoo/models/base.py`) of the standard beta-VAE encoder (Burgess et al. 2018) on a fixed set of
rendered dSprites images held in memory, for several batch sizes B. Training: `model.fit` steps of
the same beta-VAE (encoder and decoder, batch 64, Adam) on in-memory images. Both in images per
second, timed in interleaved rounds (median over rounds), so that the ratio is not confounded by
the machine's load. The best inference batch is what the metrics' code table should use
(`representation`'s default is 256).
"""

from __future__ import annotations

import os
import sys
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from benchmarks import _report  # noqa: E402

NAME = "inference"
TITLE = "Encoder inference against training"
FLAGS = flags.FLAGS

BATCHES = (64, 128, 256, 512, 1024, 2048)
TRAIN_BATCH = 64


def run(quick: bool, out: Path) -> dict:
    """Times inference per batch size and training steps; returns the result (`out` is unused)."""
    import keras
    import numpy as np
    import tensorflow as tf

    import zoo.data
    import zoo.models

    keras.utils.set_random_seed(0)
    num_images, rounds, train_steps = (4096, 3, 10) if quick else (16384, 5, 30)
    batches = BATCHES[:5] if quick else BATCHES
    _, images = zoo.data.load("dsprites").sample(num_images, rng=0)
    model = zoo.models.get("beta_vae", input_shape=images.shape[1:])
    model.compile()
    data = tf.data.Dataset.from_tensor_slices(images[:TRAIN_BATCH * 8]).repeat().batch(
        TRAIN_BATCH, drop_remainder=True).prefetch(2)
    iterator = iter(data)
    model.fit(data, steps_per_epoch=2, epochs=1, verbose=0)  # build and trace the train step
    model.make_train_function()
    train_fn = model.train_function
    for b in batches:
        model.representation(images[:2 * b], batch_size=b)  # trace once per batch size

    def time_inference(b):
        start = time.perf_counter()
        model.representation(images, batch_size=b)
        return num_images / (time.perf_counter() - start)

    def time_training():
        train_fn(iterator)  # the step in flight before the clock starts
        start = time.perf_counter()
        for _ in range(train_steps):
            logs = train_fn(iterator)
        float(next(iter(logs.values())))  # wait for the last step
        return train_steps * TRAIN_BATCH / (time.perf_counter() - start)

    inference = {b: [] for b in batches}
    training = []
    load_start = os.getloadavg()[0]
    for r in range(rounds):
        for b in (batches if r % 2 == 0 else batches[::-1]):
            inference[b].append(time_inference(b))
        training.append(time_training())
    train_rate = statistics.median(training)
    rows = {b: statistics.median(v) for b, v in inference.items()}
    best = max(rows, key=rows.get)
    result = {
        "benchmark": "encoder inference (representation) vs training step, images/s, beta-VAE networks, 64x64x1",
        "quick": quick, "images": num_images, "rounds": rounds,
        "inference_images_per_s": {str(b): round(v, 1) for b, v in rows.items()},
        "inference_rounds": {str(b): [round(x, 1) for x in v] for b, v in inference.items()},
        "best_batch": best,
        "training_images_per_s": round(train_rate, 1),
        "training_steps_per_s": round(train_rate / TRAIN_BATCH, 3),
        "training_rounds": [round(x, 1) for x in training],
        "inference_over_training": {str(b): round(v / train_rate, 2) for b, v in rows.items()},
        "machine": {**_report.machine(), "load_average_1min_start": round(load_start, 2)},
        "versions": _report.versions(),
    }
    return result


def markdown(result: dict) -> str:
    """The table: images/s per inference batch size and their ratio to training."""
    rows = [[f"representation, batch {b}", f"{v:,.0f}", f"{result['inference_over_training'][b]:.1f}x"]
            for b, v in result["inference_images_per_s"].items()]
    rows.append([f"training step (fit), batch {TRAIN_BATCH}", f"{result['training_images_per_s']:,.0f}", "1.0x"])
    return (f"Encoder inference against a training step of the same beta-VAE networks ({result['images']:,} "
            f"rendered dSprites images in memory, median of {result['rounds']} interleaved rounds; best inference "
            f"batch: {result['best_batch']}).\n\n"
            + _report.markdown_table(["what", "images/s", "vs training"], rows))


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program_of(sys.modules[__name__])
