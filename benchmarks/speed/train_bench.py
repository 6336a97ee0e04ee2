"""Training speed of every objective at batch 64 on 64x64 images, against a hand-written loop.

    .venv/bin/python -m benchmarks.speed.train_bench [--quick] [--out out/bench/train.json]

Measures steps/s of `model.fit` (Keras's train function around each model's `train_step`, timed
between its first and last batch: the steady state of a long run; the cost of each `fit` call
around its steps is reported apart) for every registered objective, and in the same run a plain `tf.function` training loop written by
hand for the same beta-VAE networks and loss, so that the ratio is not confounded by the machine
or its load. The configurations are timed in interleaved rounds (each round times every
configuration once, in alternating order); the median, min and max over rounds are reported, and
the beta-VAE's ratio to the hand-written loop is the median of same-round ratios. Also timed: the
beta-VAE under `jit_compile=True` (XLA), to show what `jit_compile="auto"` avoids on CPU, and,
when PyTorch is importable (`pip install -e .[bench]`), the same network in PyTorch eager and under
`torch.compile` (`benchmarks/references/_torch_beta_vae.py`; otherwise skipped with a note).

Data: a fixed in-memory set of random binary 64x64 images, repeated, so that no time goes to
rendering. The weakly supervised objectives (Ada-GVAE, Ada-ML-VAE) train on pairs: their step is a
batch of 64 pairs of such images (128 images through the networks), as `zoo.runs.train` feeds them.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

from benchmarks import _report  # noqa: E402

NAME = "train"
TITLE = "Training speed"
FLAGS = flags.FLAGS

BATCH = 64
SHAPE = (64, 64, 1)


def _dataset(tf):
    images = (np.random.default_rng(0).uniform(size=(BATCH * 8, *SHAPE)) < 0.1).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices(images).repeat().batch(BATCH, drop_remainder=True).prefetch(4)


def _pair_dataset(tf):
    """Batches of 64 pairs `[64, 2, 64, 64, 1]` with each pair's k, for the weakly supervised objectives."""
    rng = np.random.default_rng(0)
    pairs = (rng.uniform(size=(BATCH * 8, 2, *SHAPE)) < 0.1).astype(np.float32)
    k = rng.integers(1, 5, size=BATCH * 8)
    return tf.data.Dataset.from_tensor_slices((pairs, k)).repeat().batch(BATCH, drop_remainder=True).prefetch(4)


class _FitRunner:
    """`model.fit` for `steps` steps on the shared dataset.

    Returns `(steps timed, seconds)`: the steady state, from the end of the first step to the end
    of the last (every per-step cost of `fit` included), as a long training run sees it. What a
    `fit` call costs around its steps (creating and, mostly, deleting its data iterator: 0 to 1.2 s
    per call here under load) is recorded separately in `self.overheads`.
    """

    def __init__(self, name, jit_compile="auto", policy=None, **hparams):
        import keras
        import tensorflow as tf

        import zoo.models

        # A mixed precision policy applies to the layers built under it.
        previous = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy(policy or previous)
        try:
            self.model = zoo.models.get(name, input_shape=SHAPE, **hparams)
            self.model.compile(jit_compile=jit_compile)
        finally:
            keras.mixed_precision.set_global_policy(previous)
        self.data = _pair_dataset(tf) if isinstance(self.model, zoo.models.WeakVAE) else _dataset(tf)
        self.overheads = []

        class Clock(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                self.times.append(time.perf_counter())
                self.cpu.append(time.process_time())

        self.clock = Clock()

    def __call__(self, steps):
        self.clock.times, self.clock.cpu = [], []
        start = time.perf_counter()
        self.model.fit(self.data, steps_per_epoch=steps + 1, epochs=1, verbose=0, shuffle=False,
                       callbacks=[self.clock])
        total = time.perf_counter() - start
        times = self.clock.times
        self.overheads.append(total - (times[-1] - times[0]) * (steps + 1) / steps)
        return steps, times[-1] - times[0], self.clock.cpu[-1] - self.clock.cpu[0]


class _HandWrittenRunner:
    """The loop one would write by hand: same beta-VAE networks and loss, one `tf.function` step."""

    def __init__(self, beta=4.0):
        import keras
        import tensorflow as tf

        from zoo.models import networks

        encoder = networks.conv_encoder(SHAPE, 10)
        decoder = networks.deconv_decoder(10, SHAPE)
        variables = encoder.trainable_variables + decoder.trainable_variables
        optimizer = keras.optimizers.Adam(1e-4)
        optimizer.build(variables)

        @tf.function
        def step(x):
            with tf.GradientTape() as tape:
                mean, logvar = encoder(x, training=True)
                z = mean + tf.exp(0.5 * logvar) * tf.random.normal(tf.shape(mean))
                logits = decoder(z, training=True)
                reconstruction = tf.reduce_mean(tf.reduce_sum(
                    tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), axis=[1, 2, 3]))
                kl = tf.reduce_mean(0.5 * tf.reduce_sum(tf.square(mean) + tf.exp(logvar) - logvar - 1.0, axis=1))
                loss = reconstruction + beta * kl
            optimizer.apply(tape.gradient(loss, variables), variables)
            return loss

        self.step = step
        self.iterator = iter(_dataset(tf))

    def __call__(self, steps):
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            loss = self.step(next(self.iterator))
        loss.numpy()  # wait for the last step
        return steps, time.perf_counter() - start, time.process_time() - cpu


def _summary(rates):
    return {"steps_per_s_median": round(statistics.median(rates), 3), "steps_per_s_min": round(min(rates), 3),
            "steps_per_s_max": round(max(rates), 3), "ms_per_step_median": round(1000 / statistics.median(rates), 2),
            "rounds": [round(r, 3) for r in rates]}


def run(quick: bool, out: Path, *, objectives=None, log=print) -> dict:
    """Times every configuration; prints the table; returns the results as a JSON-able dict.

    Args:
      quick: fewer steps and rounds (about a minute or two).
      out: unused (the result is all this benchmark writes).
      objectives: a subset of `zoo.models.names()` (default: all).
    """
    import keras
    import tensorflow as tf

    import zoo.models

    keras.utils.set_random_seed(0)
    load_start = os.getloadavg()
    steps, rounds = (15, 3) if quick else (40, 5)
    pair_steps, pair_rounds = (10, 8) if quick else (20, 16)
    objectives = list(objectives or zoo.models.names())
    runners = {"hand_written_beta_vae": _HandWrittenRunner}
    for name in objectives:
        runners[name] = lambda name=name: _FitRunner(name)
    runners["beta_vae_xla"] = lambda: _FitRunner("beta_vae", jit_compile=True)
    if "beta_vae" in objectives:
        # bfloat16 compute, float32 weights and losses: fast where the CPU has AMX or AVX-512 BF16
        # units (report's machine.bfloat16_units), emulated and slower without them.
        runners["beta_vae_mixed_bfloat16"] = lambda: _FitRunner("beta_vae", policy="mixed_bfloat16")
    notes = []
    try:
        import torch

        from benchmarks.references._torch_beta_vae import TorchRunner
        runners["torch_eager_beta_vae"] = TorchRunner
        runners["torch_compile_beta_vae"] = lambda: TorchRunner(compile=True)
        notes.append(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads (benchmarks/references/_torch_beta_vae.py).")
    except ImportError:
        notes.append("PyTorch comparison skipped: torch is not importable in this environment "
                     "(pip install -e .[bench]).")

    built, setup_s = {}, {}
    for key, make in runners.items():
        start = time.perf_counter()
        try:
            runner = make()
            runner(3)  # trace/compile and warm up
        except Exception as e:  # torch.compile needs a working C++ toolchain; report, do not abort
            if not key.startswith("torch_compile"):
                raise
            notes.append(f"{key} skipped: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
            continue
        built[key] = runner
        setup_s[key] = round(time.perf_counter() - start, 2)
        log(f"  ready {key} ({setup_s[key]} s to build and warm up)")

    # Phase 1: the beta-VAE against the hand-written loop in short alternating segments, so that
    # each pair sees the same load (other processes share these cores).
    pairs = {"beta_vae": [], "hand_written_beta_vae": []}
    pair_cpu = {"beta_vae": [], "hand_written_beta_vae": []}
    if "beta_vae" in built:
        for p in range(pair_rounds):
            for key in (("beta_vae", "hand_written_beta_vae") if p % 2 == 0 else ("hand_written_beta_vae", "beta_vae")):
                n, seconds, cpu = built[key](pair_steps)
                pairs[key].append(n / seconds)
                pair_cpu[key].append(1000 * cpu / n)
        log("  pairs: " + ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(pairs["beta_vae"], pairs["hand_written_beta_vae"])))

    # Phase 2: every configuration, interleaved rounds.
    rates = {key: [] for key in built}
    cpu_ms = {key: [] for key in built}
    for r in range(rounds):
        # Alternate the order (ABC, CBA, ...) so that drifts in the machine's load even out.
        for key, runner in (list(built.items()) if r % 2 == 0 else list(built.items())[::-1]):
            n, seconds, cpu = runner(steps)
            rates[key].append(n / seconds)
            cpu_ms[key].append(1000 * cpu / n)
        log(f"  round {r + 1}/{rounds}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in rates.items()))

    results = {key: {**_summary(v), "cpu_ms_per_step_median": round(statistics.median(cpu_ms[key]), 1),
                     "setup_s": setup_s[key]} for key, v in rates.items()}
    for key, runner in built.items():
        if getattr(runner, "overheads", None):
            results[key]["fit_call_overhead_s_median"] = round(statistics.median(runner.overheads), 3)
    mixed = None
    if "beta_vae_mixed_bfloat16" in rates and "beta_vae" in rates:
        ratios = [a / b for a, b in zip(rates["beta_vae_mixed_bfloat16"], rates["beta_vae"])]
        mixed = {"ratio_median_of_rounds": round(statistics.median(ratios), 3),
                 "ratio_min_max": [round(min(ratios), 3), round(max(ratios), 3)],
                 "bfloat16_units": _report.bfloat16_units()}
    hand = results["hand_written_beta_vae"]["steps_per_s_median"]
    for key, value in results.items():
        value["ratio_to_hand_written"] = round(value["steps_per_s_median"] / hand, 3)
    paired = None
    if pairs["beta_vae"]:
        ratios = [a / b for a, b in zip(pairs["beta_vae"], pairs["hand_written_beta_vae"])]
        paired = {
            "steps_per_segment": pair_steps, "segments": pair_rounds,
            "beta_vae": _summary(pairs["beta_vae"]), "hand_written_beta_vae": _summary(pairs["hand_written_beta_vae"]),
            "ratio_median_of_pairs": round(statistics.median(ratios), 3),
            "ratio_min_max_of_pairs": [round(min(ratios), 3), round(max(ratios), 3)],
            # The fastest segment of each is the least disturbed by other processes.
            "ratio_best_to_best": round(max(pairs["beta_vae"]) / max(pairs["hand_written_beta_vae"]), 3),
            # CPU time per step (all threads) is far less disturbed by other processes than wall time.
            "cpu_ms_per_step_median": {k: round(statistics.median(v), 1) for k, v in pair_cpu.items()},
            "cpu_ratio_hand_over_ours": round(statistics.median(pair_cpu["hand_written_beta_vae"])
                                              / statistics.median(pair_cpu["beta_vae"]), 3),
        }
    report = {
        "benchmark": "train_step steps/s, batch 64, 64x64x1, 10 latents, Adam",
        "quick": quick, "steps_per_round": steps, "rounds": rounds,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpu": _report.machine()["cpu"],
                    "cpus": os.cpu_count(),
                    "load_average_1min_start_end": [round(load_start[0], 2), round(os.getloadavg()[0], 2)],
                    "gpus": [d.name for d in tf.config.list_physical_devices("GPU")]},
        "versions": {"python": sys.version.split()[0], "tensorflow": tf.__version__, "keras": keras.__version__},
        "jit_compile_auto_resolves_to": built[objectives[0]].model.jit_compile if objectives else None,
        "beta_vae_vs_hand_written": paired, "beta_vae_mixed_bfloat16_over_float32": mixed, "results": results,
        "notes": notes,
    }
    print()
    print(_report.text_table(*table(report)))
    if paired:
        print(f"\n{paired_line(paired)}")
    if mixed:
        print(mixed_line(mixed))
    for note in notes:
        print(note)
    return report


def table(report: dict) -> tuple[list[str], list[list]]:
    """`(header, rows)`: steps/s (median, min, max), ms/step, the ratio to the hand-written loop, CPU ms."""
    header = ["configuration", "steps/s", "min", "max", "ms/step", "vs hand", "cpu ms"]
    rows = [[key, f"{v['steps_per_s_median']:.2f}", f"{v['steps_per_s_min']:.2f}", f"{v['steps_per_s_max']:.2f}",
             f"{v['ms_per_step_median']:.1f}", f"{v['ratio_to_hand_written']:.3f}", f"{v['cpu_ms_per_step_median']:.1f}"]
            for key, v in report["results"].items()]
    return header, rows


def paired_line(paired: dict) -> str:
    return (f"beta_vae vs hand-written, {paired['segments']} alternating segments of {paired['steps_per_segment']} "
            f"steps: median ratio {paired['ratio_median_of_pairs']} (min {paired['ratio_min_max_of_pairs'][0]}, "
            f"max {paired['ratio_min_max_of_pairs'][1]}), best-to-best {paired['ratio_best_to_best']} "
            f"({paired['beta_vae']['steps_per_s_max']:.2f} vs {paired['hand_written_beta_vae']['steps_per_s_max']:.2f} "
            f"steps/s); CPU ms/step {paired['cpu_ms_per_step_median']['beta_vae']} (ours) vs "
            f"{paired['cpu_ms_per_step_median']['hand_written_beta_vae']} (hand), ratio {paired['cpu_ratio_hand_over_ours']}")


def mixed_line(mixed: dict) -> str:
    units = ", ".join(mixed["bfloat16_units"]) or "none (bfloat16 emulated)"
    return (f"beta_vae under mixed_bfloat16 vs float32, same rounds: median ratio {mixed['ratio_median_of_rounds']} "
            f"(min {mixed['ratio_min_max'][0]}, max {mixed['ratio_min_max'][1]}); CPU bfloat16 units: {units}")


def markdown(report: dict) -> str:
    lines = [f"{report['benchmark']}; {report['rounds']} interleaved rounds of {report['steps_per_round']} steps"
             + (" (quick)" if report["quick"] else "") + ".", "", _report.markdown_table(*table(report))]
    if report["beta_vae_vs_hand_written"]:
        lines += ["", paired_line(report["beta_vae_vs_hand_written"]) + "."]
    if report.get("beta_vae_mixed_bfloat16_over_float32"):
        lines += ["", mixed_line(report["beta_vae_mixed_bfloat16_over_float32"]) + "."]
    return "\n".join(lines + [f"\n{note}" for note in report["notes"]])


def main(argv):
    _report.no_arguments(argv)
    _report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=FLAGS.out_dir, json_path=FLAGS.out,
                         objectives=FLAGS.objectives or None)
    return 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "quick", "out_dir", "out", "objectives")


