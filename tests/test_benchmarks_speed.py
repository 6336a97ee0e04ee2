"""The speed benchmarks' pieces that can be checked without timing anything."""

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
