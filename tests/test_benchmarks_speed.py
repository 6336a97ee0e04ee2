"""The speed benchmarks' pieces that can be checked without timing anything."""

import json

import numpy as np

import metrics_cases as cases
import zoo.metrics
from benchmarks.speed import evaluate_bench, inference_bench, step_profile, steps_per_execution_bench


def test_the_before_dci_schedule_gives_the_exact_dci():
    # evaluate_bench times the exact DCI as it was scheduled before (a process per factor); it
    # must compute the same numbers as the backend it is compared with.
    f = cases.factors(400, seed=3, sizes=(3, 5, 4))
    codes = cases.identity(f) + np.random.default_rng(3).normal(0, 0.7, (400, 3))
    arrays = cases.split(codes, f, 300)
    assert evaluate_bench._dci_before(*arrays) == zoo.metrics.dci(*arrays, backend="exact")


def test_op_kinds():
    assert step_profile._kind("g/encoder/conv2/Conv2DBackpropFilter:_MklNativeConv2DBackpropFilter") == \
        "conv backprop (filter)"
    # A transposed convolution's forward pass is a backprop-input op.
    assert step_profile._kind("decoder/logits/conv_transpose:_MklNativeConv2DBackpropInput") == "conv backprop (input)"
    assert step_profile._kind("encoder/conv1/Relu:_MklNativeFusedConv2D") == "conv forward"
    assert step_profile._kind("fused_adam/ResourceApplyAdam_3:ResourceApplyAdam") == "Adam"
    assert step_profile._kind("loss/Mean:Mean") == "other"


def test_markdown_tables():
    inference = {"images": 100, "rounds": 3, "best_batch": 256, "training_images_per_s": 1000.0,
                 "inference_images_per_s": {"64": 8000.0, "256": 9000.0},
                 "inference_over_training": {"64": 8.0, "256": 9.0}}
    text = inference_bench.markdown(inference)
    assert "| representation, batch 256 | 9,000 | 9.0x |" in text and "best inference batch: 256" in text
    spe = {"steps_per_fit": 10, "rounds": 2,
           "results": {"memory": {"1": {"steps_per_s_median": 5.0, "ratio_to_1": 1.0},
                                  "8": {"steps_per_s_median": 6.0, "ratio_to_1": 1.2}}}}
    assert "| memory | 8 | 6.00 | 1.200 |" in steps_per_execution_bench.markdown(spe)


def test_bfloat16_rows_of_the_inference_and_precision_tables():
    from benchmarks.speed import precision_bench

    inference = {"images": 100, "rounds": 3, "best_batch": 256, "training_images_per_s": 100.0,
                 "inference_images_per_s": {"256": 900.0}, "inference_over_training": {"256": 9.0},
                 "machine": {"bfloat16_units": []},
                 "mixed_bfloat16": {"encode_batch": 256, "encode_images_per_s": 2700.0, "encode_over_float32": 3.0,
                                    "training_images_per_s": 130.0, "training_over_float32": 1.3}}
    text = inference_bench.markdown(inference)
    assert "| representation in bfloat16, batch 256 (3.00x float32's) | 2,700 | 27.0x |" in text
    assert "training step under mixed_bfloat16 (1.30x float32's; CPU bfloat16 units: none) | 130 | 1.3x |" in text
    precision = {"num_train": 1000, "num_test": 500, "metrics": ["mig"], "quick": True, "notes": ["x skipped"],
                 "machine": {"bfloat16_units": ["amx_bf16"]},
                 "models": {"m": {"largest_difference": ["mig.mig", -0.0123], "encode_s": {"float32": 6.0,
                                                                                          "bfloat16": 2.0},
                                  "encode_bfloat16_over_float32": 3.0}}}
    text = precision_bench.markdown(precision)
    assert "| m | `mig.mig` | -0.0123 | 6.0 | 2.0 | 3.00x |" in text and "units: amx_bf16" in text and "x skipped" in text


def test_train_bench_reports_the_mixed_bfloat16_ratio(monkeypatch, tmp_path):
    """train_bench's report from runners that time nothing: the beta-VAE under mixed_bfloat16 beside
    float32, their same-round ratio, and the CPU's bfloat16 units."""
    import sys

    from benchmarks.speed import train_bench

    class Fake:
        rates = {None: 2.0, "mixed_bfloat16": 1.0}

        def __init__(self, name="hand", jit_compile="auto", policy=None):
            self.rate, self.overheads = self.rates.get(policy, 2.0), []
            self.model = type("M", (), {"jit_compile": False})()

        def __call__(self, steps):
            return steps, steps / self.rate, 0.01 * steps

    monkeypatch.setattr(train_bench, "_FitRunner", Fake)
    monkeypatch.setattr(train_bench, "_HandWrittenRunner", Fake)
    # The PyTorch runners, where torch is installed, time nothing either.
    fake_torch = type(sys)("fake_torch_beta_vae")
    fake_torch.TorchRunner = lambda compile=False: Fake()
    monkeypatch.setitem(sys.modules, "benchmarks.references._torch_beta_vae", fake_torch)
    report = train_bench.run(True, tmp_path, objectives=["beta_vae"], log=lambda *a: None)
    mixed = report["beta_vae_mixed_bfloat16_over_float32"]
    assert mixed["ratio_median_of_rounds"] == 0.5 and isinstance(mixed["bfloat16_units"], list)
    assert "beta_vae under mixed_bfloat16 vs float32, same rounds: median ratio 0.5" in train_bench.markdown(report)


def test_precision_bench_keeps_each_finished_model_and_resumes(monkeypatch, tmp_path):
    """A study-size run takes tens of minutes a model: each finished model is written at once, and a
    rerun at the same settings scores only the models not yet there (here with an evaluate that
    times nothing: float32 codes score 0.5, bfloat16 0.25 more on MIG)."""
    import zoo
    import zoo.data

    from benchmarks.speed import precision_bench

    scored = []

    def evaluate(representation, data, *, precision, **kwargs):
        scored.append(precision)
        return {"mig.mig": 0.5 + (0.25 if precision == "bfloat16" else 0.0), "timing.encode": 2.0}

    monkeypatch.setattr(zoo.metrics, "evaluate", evaluate)
    monkeypatch.setattr(zoo.data, "load", lambda name, **kw: name)
    monkeypatch.setattr(zoo, "load", lambda name: type("M", (), {"representation": None})())
    first = precision_bench.run(True, tmp_path, models=["vae-dsprites"])
    assert first["models"]["vae-dsprites"]["largest_difference"] == ["mig.mig", 0.25] and len(scored) == 2
    partial = tmp_path / "precision.partial.json"
    assert list(json.loads(partial.read_text())["models"]) == ["vae-dsprites"]
    both = precision_bench.run(True, tmp_path, models=["vae-dsprites", "betavae-dsprites"])
    assert list(both["models"]) == ["vae-dsprites", "betavae-dsprites"] and len(scored) == 4  # vae kept
    precision_bench.run(False, tmp_path, models=["vae-dsprites"])  # other settings: scored again
    assert len(scored) == 6
