"""Training steps/s with and without Keras's `steps_per_execution` on CPU.

    .venv/bin/python -m benchmarks.speed.steps_per_execution_bench [--quick] [--out out/bench/steps_per_execution.json]

The beta-VAE of `zoo.models` (batch 64, 64x64x1) trained with `model.fit` for a fixed number of
steps per call, compiled with `steps_per_execution` = 1 (what the recipes use) and larger values,
on two data sources: fixed images in memory (the loop alone) and the rendered dSprites stream the
recipes train on (`data.as_tf_dataset`, rendering on tf.data's threads beside the step). Each
configuration is one model; they are timed in interleaved rounds (alternating order), and the
median steps/s over rounds is reported with its ratio to `steps_per_execution=1` on the same data.
The steps themselves are the same whatever the value (the training tests check it, bit for bit).
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

NAME = "steps_per_execution"
TITLE = "Training steps/s against steps_per_execution"
FLAGS = flags.FLAGS

BATCH = 64
VALUES = (1, 8, 32, 128)


def run(quick: bool, out: Path) -> dict:
    import keras
    import numpy as np
    import tensorflow as tf

    import zoo.data
    import zoo.models

    keras.utils.set_random_seed(0)
    steps, rounds = (64, 3) if quick else (256, 5)
    values = VALUES[:3] if quick else VALUES
    images = (np.random.default_rng(0).uniform(size=(BATCH * 8, 64, 64, 1)) < 0.1).astype(np.float32)
    sources = {
        "memory": lambda: tf.data.Dataset.from_tensor_slices(images).repeat().batch(BATCH, drop_remainder=True)
        .prefetch(4),
        "rendered": lambda: zoo.data.load("dsprites").as_tf_dataset(BATCH, seed=0),
    }
    models = {}
    for source, make in sources.items():
        for k in values:
            model = zoo.models.get("beta_vae", input_shape=(64, 64, 1))
            model.compile(steps_per_execution=k)
            data = make()
            model.fit(data, steps_per_epoch=2 * k, epochs=1, verbose=0)  # trace and warm up
            models[(source, k)] = (model, data)

    def time_fit(model, data):
        start = time.perf_counter()
        model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
        return steps / (time.perf_counter() - start)

    rates = {key: [] for key in models}
    load_start = os.getloadavg()[0]
    for r in range(rounds):
        for key in (list(models) if r % 2 == 0 else list(models)[::-1]):
            rates[key].append(time_fit(*models[key]))
    result = {"benchmark": "beta-VAE model.fit steps/s vs steps_per_execution, batch 64, CPU",
              "quick": quick, "steps_per_fit": steps, "rounds": rounds, "results": {}}
    for source in sources:
        base = statistics.median(rates[(source, 1)])
        result["results"][source] = {
            str(k): {"steps_per_s_median": round(statistics.median(rates[(source, k)]), 3),
                     "rounds": [round(v, 3) for v in rates[(source, k)]],
                     "ratio_to_1": round(statistics.median(rates[(source, k)]) / base, 3)} for k in values}
    result["machine"] = {**_report.machine(), "load_average_1min_start": round(load_start, 2)}
    result["versions"] = _report.versions()
    return result


def markdown(result: dict) -> str:
    rows = []
    for source, by_k in result["results"].items():
        for k, value in by_k.items():
            rows.append([source, k, f"{value['steps_per_s_median']:.2f}", f"{value['ratio_to_1']:.3f}"])
    return (f"`model.fit` of the beta-VAE, {result['steps_per_fit']} steps per call, median of {result['rounds']} "
            "interleaved rounds:\n\n"
            + _report.markdown_table(["data", "steps_per_execution", "steps/s", "vs 1"], rows))


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program_of(sys.modules[__name__])
