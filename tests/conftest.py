"""Test-wide settings: quiet TensorFlow, CPU only, the hub offline; each test leaves TensorFlow's op
determinism as it found it.

TensorFlow keeps its default thread pools. One thread per process was tried (2026-12-07): test_models.py
on two workers took 188 s instead of 212 s, but a network's codes of an image then depended on the batch
it was encoded in (in the low bits), which test_metrics_encode_once.py's exact comparison of the two
encoding paths caught. The same happens with the default pools on one core (2026-12-08, the whole suite
under `taskset -c 1`), so that comparison now allows float32 rounding; the pools stay the default, what
users run, for a gain of about a tenth on the heaviest file."""

import os
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


@pytest.fixture(autouse=True)
def _op_determinism_restored():
    """Each test leaves TensorFlow's op determinism as it found it.

    A deterministic training run (`zoo.runs.train` with `deterministic=True`) enables it for the whole
    process, and Keras then compiles no model with XLA (`jit_compile=True` silently becomes False), so a
    later test of the XLA path in the same worker would test the plain path instead.
    """
    def enabled():
        tf = sys.modules.get("tensorflow")
        if tf is None:
            return False
        from tensorflow.python.framework import config

        return config.is_op_determinism_enabled()

    before = enabled()
    yield
    if enabled() and not before:
        from tensorflow.python.framework import config

        config.disable_op_determinism()
