"""The encoder's inference throughput against the training-step throughput of the same network.

    .venv/bin/python -m benchmarks.speed.inference_bench [--quick] [--out out/bench/inference.json]

Inference: `model.representation(images, batch_size=B)` (one compiled loop over padded batches,
`zoo/models/base.py`) of the standard beta-VAE encoder (Burgess et al. 2018) on a fixed set of
rendered dSprites images held in memory, for several batch sizes B. Training: `model.fit` steps of
the same beta-VAE (encoder and decoder, batch 64, Adam) on in-memory images. Both in images per
second, timed in interleaved rounds (median over rounds), so that the ratio is not confounded by
the machine's load. The best inference batch is what the metrics' code table should use
(`representation`'s default is 256).

Beside float32, the same networks under Keras' `mixed_bfloat16` policy (bfloat16 compute, float32
weights): encoding through `model.representation_function("bfloat16")` (what
`zoo.metrics.evaluate(..., precision="bfloat16")` uses) at batch 256, and training steps of a
beta-VAE built under the policy, each timed in the same interleaved rounds; the ratios to float32
are medians of same-round ratios. bfloat16 pays where the CPU has AMX or AVX-512 BF16 units
(`machine.bfloat16_units`; the issue's Xeon: about 1.3x training, 3x encoding); without them it
is emulated and slower than float32.
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
BF16_BATCH = 256  # representation's default


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
    bf16_encode = model.representation_function("bfloat16")
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        bf16_model = zoo.models.get("beta_vae", input_shape=images.shape[1:])
        bf16_model.compile()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    data = tf.data.Dataset.from_tensor_slices(images[:TRAIN_BATCH * 8]).repeat().batch(
        TRAIN_BATCH, drop_remainder=True).prefetch(2)
    iterator = iter(data)
    model.fit(data, steps_per_epoch=2, epochs=1, verbose=0)  # build and trace the train step
    model.make_train_function()
    train_fn = model.train_function
    bf16_model.fit(data, steps_per_epoch=2, epochs=1, verbose=0)
    bf16_model.make_train_function()
    bf16_train_fn = bf16_model.train_function
    for b in batches:
        model.representation(images[:2 * b], batch_size=b)  # trace once per batch size
    bf16_encode(images[:2 * BF16_BATCH], batch_size=BF16_BATCH)

    def time_inference(b, encode=model.representation):
        start = time.perf_counter()
        encode(images, batch_size=b)
        return num_images / (time.perf_counter() - start)

    def time_training(step=train_fn):
        step(iterator)  # the step in flight before the clock starts
        start = time.perf_counter()
        for _ in range(train_steps):
            logs = step(iterator)
        float(next(iter(logs.values())))  # wait for the last step
        return train_steps * TRAIN_BATCH / (time.perf_counter() - start)

    inference = {b: [] for b in batches}
    training = []
    bf16 = {"encode": [], "encode_float32": [], "training": []}
    load_start = os.getloadavg()[0]
    for r in range(rounds):
        for b in (batches if r % 2 == 0 else batches[::-1]):
            inference[b].append(time_inference(b))
        training.append(time_training())
        bf16["training"].append(time_training(bf16_train_fn))
        bf16["encode_float32"].append(time_inference(BF16_BATCH))
        bf16["encode"].append(time_inference(BF16_BATCH, bf16_encode))
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
        "mixed_bfloat16": {
            "encode_batch": BF16_BATCH,
            "encode_images_per_s": round(statistics.median(bf16["encode"]), 1),
            "encode_over_float32": round(statistics.median(
                [a / b for a, b in zip(bf16["encode"], bf16["encode_float32"])]), 3),
            "training_images_per_s": round(statistics.median(bf16["training"]), 1),
            "training_over_float32": round(statistics.median([a / b for a, b in zip(bf16["training"], training)]), 3),
            "rounds": {k: [round(x, 1) for x in v] for k, v in bf16.items()},
        },
        "machine": {**_report.machine(), "load_average_1min_start": round(load_start, 2)},
        "versions": _report.versions(),
    }
    return result


def markdown(result: dict) -> str:
    """The table: images/s per inference batch size and their ratio to training."""
    rows = [[f"representation, batch {b}", f"{v:,.0f}", f"{result['inference_over_training'][b]:.1f}x"]
            for b, v in result["inference_images_per_s"].items()]
    rows.append([f"training step (fit), batch {TRAIN_BATCH}", f"{result['training_images_per_s']:,.0f}", "1.0x"])
    bf16 = result.get("mixed_bfloat16")
    if bf16:
        units = ", ".join(result["machine"].get("bfloat16_units") or []) or "none"
        rows.append([f"representation in bfloat16, batch {bf16['encode_batch']} ({bf16['encode_over_float32']:.2f}x "
                     f"float32's)", f"{bf16['encode_images_per_s']:,.0f}",
                     f"{bf16['encode_images_per_s'] / result['training_images_per_s']:.1f}x"])
        rows.append([f"training step under mixed_bfloat16 ({bf16['training_over_float32']:.2f}x float32's; CPU "
                     f"bfloat16 units: {units})", f"{bf16['training_images_per_s']:,.0f}",
                     f"{bf16['training_images_per_s'] / result['training_images_per_s']:.1f}x"])
    return (f"Encoder inference against a training step of the same beta-VAE networks ({result['images']:,} "
            f"rendered dSprites images in memory, median of {result['rounds']} interleaved rounds; best inference "
            f"batch: {result['best_batch']}).\n\n"
            + _report.markdown_table(["what", "images/s", "vs training"], rows))


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program_of(sys.modules[__name__])
