"""The PyTorch beta-VAE of the training benchmark: the same network as zoo's, and its step trains.

Skipped when PyTorch is not installed (it is the optional extra `pip install -e .[bench]`), so a
plain `make test` skips them: torch is kept out of the test extra on purpose, because from PyPI
alone the pinned torch brings the CUDA build and its nvidia-* packages (several GB, minutes of
download on every fresh install and CI run) for three tests of a benchmark's reference. To run
them: `make install-bench`, then `make test` (or this file alone).
"""

import math
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional: pip install -e .[bench])")

from benchmarks.references import _torch_beta_vae as torch_beta_vae  # noqa: E402
from zoo.models import networks  # noqa: E402


def _keras_counts(model):
    counts = [sum(int(np.prod(w.shape)) for w in layer.weights) for layer in model.layers if layer.weights]
    return counts


@pytest.mark.parametrize("size", [16, 64])
def test_same_layers_and_weights_as_the_keras_networks(size):
    encoder, decoder = torch_beta_vae.networks(size, 1, 10)
    keras_encoder = _keras_counts(networks.conv_encoder((size, size, 1), 10))
    # PyTorch has one head of 2 x 10 outputs where Keras has a mean and a log-variance head.
    assert torch_beta_vae.parameter_counts(encoder) == keras_encoder[:-2] + [keras_encoder[-2] + keras_encoder[-1]]
    assert torch_beta_vae.parameter_counts(decoder) == _keras_counts(networks.deconv_decoder(10, (size, size, 1)))
    x = torch.zeros(2, 1, size, size)
    assert encoder(x).shape == (2, 20)
    assert decoder(torch.zeros(2, 10)).shape == (2, 1, size, size)


def test_eager_steps_train_on_a_tiny_configuration():
    runner = torch_beta_vae.TorchRunner(batch=8, image_size=16, seed=0)
    steps, seconds, cpu = runner(1)
    first = runner.last_loss
    assert steps == 1 and seconds > 0 and cpu > 0 and math.isfinite(first)
    runner(60)
    # Random binary images with 10% ink: the loss falls as the decoder learns the ink rate.
    assert runner.last_loss < first


@pytest.mark.skipif(os.environ.get("ZOO_SLOW_TESTS") != "1",
                    reason="torch.compile takes about a minute to compile on 2 cores; set ZOO_SLOW_TESTS=1")
def test_compiled_steps_run_on_a_tiny_configuration():
    runner = torch_beta_vae.TorchRunner(compile=True, batch=8, image_size=16, seed=0)
    runner(2)
    first = runner.last_loss
    runner(60)
    assert math.isfinite(first) and runner.last_loss < first
