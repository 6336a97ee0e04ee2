"""Where the beta-VAE training step's time goes on CPU, and which runtime settings leave its numbers alone.

    .venv/bin/python -m benchmarks.speed.step_profile [--quick] [--out out/bench/step_profile.json]

Two parts, both on the beta-VAE of `zoo.models` (batch 64, 64x64x1, Adam, `model.fit`'s train
function on fixed in-memory images, as in benchmarks/speed/train_bench.py):

1. Op profile: TensorFlow's profiler traces a number of steps; the host events of the traced
   ops are summed per op and per kind (convolution forward, the two convolution backprops, matrix
   products, Adam, other), in milliseconds per step. The kinds are summed over the runtime's
   threads, so with two ops in flight they can add up to more than the wall time of a step.
2. Settings: each candidate runs in its own process (environment variables and thread pools must
   be set before TensorFlow starts), trains the same model from the same initial weights on the
   same batches for `CHECK_STEPS` steps and hashes the weights (sha256 of their bytes), then times
   steps. A setting is only worth proposing if its hash equals the default's: then the model
   computes the same numbers, bit for bit. Steps/s are medians over rounds, but the processes run
   one after another, so compare them on an otherwise idle machine only.
"""

from __future__ import annotations

import collections
import glob
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from benchmarks import _report  # noqa: E402

NAME = "step_profile"
TITLE = "Where the training step's time goes"
FLAGS = flags.FLAGS

ROOT = Path(__file__).resolve().parents[2]
BATCH = 64
CHECK_STEPS = 10
# name -> (environment variables, {"intra": n, "inter": n} thread pools or {})
SETTINGS = {
    "default": ({}, {}),
    "inter_op_1": ({}, {"inter": 1}),
    "intra_op_1_inter_op_1": ({}, {"intra": 1, "inter": 1}),
    "onednn_off": ({"TF_ENABLE_ONEDNN_OPTS": "0"}, {}),
}
KINDS = (("Conv2DBackpropFilter", "conv backprop (filter)"), ("Conv2DBackpropInput", "conv backprop (input)"),
         ("Conv2D", "conv forward"), ("MatMul", "matmul"), ("ApplyAdam", "Adam"), ("BiasAddGrad", "bias grad"),
         ("ReluGrad", "relu grad"))


def _kind(op_name: str) -> str:
    # Op events read "<scope>/<name>:<OpType>"; a transposed convolution's forward pass is a
    # Conv2DBackpropInput op, and its gradient a Conv2D and a Conv2DBackpropFilter.
    op_type = op_name.rsplit(":", 1)[-1]
    for key, kind in KINDS:
        if key in op_type:
            return kind
    return "other"


def _model_and_step():
    import keras
    import numpy as np
    import tensorflow as tf

    import zoo.models

    keras.utils.set_random_seed(0)
    model = zoo.models.get("beta_vae", input_shape=(64, 64, 1), seed=0)
    model.compile()
    images = (np.random.default_rng(0).uniform(size=(BATCH * 8, 64, 64, 1)) < 0.1).astype(np.float32)
    iterator = iter(tf.data.Dataset.from_tensor_slices(images).repeat().batch(BATCH, drop_remainder=True))
    model.make_train_function()
    train_fn = model.train_function

    def step():
        logs = train_fn(iterator)
        return float(next(iter(logs.values())))

    return model, step


def op_profile(steps: int) -> dict:
    """Milliseconds per step of each traced op and kind of op (host CPU events)."""
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    _, step = _model_and_step()
    for _ in range(3):
        step()
    with tempfile.TemporaryDirectory() as logdir:
        start = time.perf_counter()
        tf.profiler.experimental.start(logdir)
        for _ in range(steps):
            step()
        tf.profiler.experimental.stop()
        wall = (time.perf_counter() - start) / steps
        path = sorted(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True))[-1]
        space = xplane_pb2.XSpace()
        space.ParseFromString(Path(path).read_bytes())
    per_op = collections.Counter()
    for plane in space.planes:
        if plane.name != "/host:CPU":
            continue
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if ":" in name and "/" in name:  # an op, not a runtime span
                    per_op[name] += event.duration_ps / 1e9 / steps
    kinds = collections.Counter()
    for name, ms in per_op.items():
        kinds[_kind(name)] += ms
    return {"steps": steps, "wall_ms_per_step_while_tracing": round(1000 * wall, 2),
            "ops_ms_per_step_total": round(sum(per_op.values()), 2),
            "kinds_ms_per_step": {k: round(v, 2) for k, v in kinds.most_common()},
            "top_ops_ms_per_step": {k: round(v, 2) for k, v in per_op.most_common(15)}}


def _child(config: dict) -> dict:
    """Runs in a fresh process: the weights' hash after CHECK_STEPS steps, then timed rounds."""
    import tensorflow as tf

    threads = config["threads"]
    if "intra" in threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads["intra"])
    if "inter" in threads:
        tf.config.threading.set_inter_op_parallelism_threads(threads["inter"])
    model, step = _model_and_step()
    for _ in range(CHECK_STEPS):
        step()
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(weight.numpy().tobytes())
    rates, cpu = [], []
    for _ in range(config["rounds"]):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(config["steps"]):
            step()
        rates.append(config["steps"] / (time.perf_counter() - start))
        cpu.append(1000 * (time.process_time() - cpu_start) / config["steps"])
    return {"weights_sha256": digest.hexdigest(), "steps_per_s_median": round(statistics.median(rates), 3),
            "rounds": [round(r, 3) for r in rates], "cpu_ms_per_step_median": round(statistics.median(cpu), 1)}


def settings(quick: bool) -> dict:
    steps, rounds = (10, 2) if quick else (30, 5)
    out = {}
    for name, (env, threads) in SETTINGS.items():
        config = {"threads": threads, "steps": steps, "rounds": rounds}
        result = subprocess.run([sys.executable, "-m", "benchmarks.speed.step_profile", "--child", json.dumps(config)],
                                cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
        if result.returncode != 0:
            out[name] = {"error": result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed"}
            continue
        out[name] = {**json.loads(result.stdout.strip().splitlines()[-1]), "environment": env, "threads": threads}
    default = out.get("default", {}).get("weights_sha256")
    for value in out.values():
        if "weights_sha256" in value:
            value["same_numbers_as_default"] = value["weights_sha256"] == default
    return out


def run(quick: bool, out: Path) -> dict:
    result = {
        "benchmark": "beta-VAE train step on CPU: op profile, and runtime settings that keep its numbers",
        "quick": quick, "check_steps": CHECK_STEPS,
        "op_profile": op_profile(5 if quick else 20),
        "settings": settings(quick),
        "machine": _report.machine(), "versions": _report.versions(),
    }
    return result


def markdown(result: dict) -> str:
    profile = result["op_profile"]
    rows = [[kind, f"{ms:.1f}"] for kind, ms in profile["kinds_ms_per_step"].items()]
    text = (f"Op profile of the beta-VAE train step (ms per step, summed over the runtime's threads; "
            f"{profile['wall_ms_per_step_while_tracing']:.1f} ms wall per step while tracing):\n\n"
            + _report.markdown_table(["kind of op", "ms/step"], rows))
    rows = []
    for name, value in result["settings"].items():
        if "error" in value:
            rows.append([name, "-", "-", f"failed: {value['error']}"])
            continue
        rows.append([name, f"{value['steps_per_s_median']:.2f}", f"{value['cpu_ms_per_step_median']:.0f}",
                     "yes" if value["same_numbers_as_default"] else "no"])
    text += (f"\n\nRuntime settings, one process each (weights after {result['check_steps']} steps compared bit for "
             "bit with the default's):\n\n"
             + _report.markdown_table(["setting", "steps/s", "CPU ms/step", "same numbers"], rows))
    return text


def main(argv):
    _report.no_arguments(argv)
    if FLAGS.child:  # one setting, in its own process (see `settings`)
        print(json.dumps(_child(json.loads(FLAGS.child))))
        return 0
    print(_report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=FLAGS.out_dir,
                               json_path=FLAGS.out)["markdown"])
    return 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "quick", "out_dir", "out")
