"""The beta-VAE networks and training step of `zoo` in PyTorch, for the training-speed comparison.

The same layers as `zoo.models.networks.conv_encoder` / `deconv_decoder` (Burgess et al. 2018,
app. A.1): conv 32 k4 s2, conv 32 k4 s2, conv 64 k2 s2, conv 64 k2 s2 (ReLU), dense 256 ReLU,
mean and log-variance heads; dense 256, dense (H/16 * W/16 * 64), transposed conv 64, 32, 32 k4 s2
(ReLU) and C k4 s2 to logits. Keras's "same" padding of a k4 s2 convolution on an even input pads
1 on each side, and of a k2 s2 convolution pads nothing, so the PyTorch paddings below give the
same shapes and the same number of weights per layer (`parameter_counts`, checked against the
Keras networks by the tests). The loss is the beta-VAE's: Bernoulli
reconstruction summed over pixels plus beta * KL, averaged over the batch; Adam(1e-4).

PyTorch is optional (`pip install -e .[bench]`): nothing here imports it at module level.
"""

from __future__ import annotations

import time

import numpy as np


def networks(image_size: int = 64, channels: int = 1, latent_dim: int = 10):
    """`(encoder, decoder)` as `torch.nn.Sequential`, channels-first."""
    from torch import nn

    if image_size % 16:
        raise ValueError(f"image_size must be divisible by 16; got {image_size}.")
    side = image_size // 16
    encoder = nn.Sequential(
        nn.Conv2d(channels, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(),
        nn.Conv2d(32, 64, 2, 2), nn.ReLU(), nn.Conv2d(64, 64, 2, 2), nn.ReLU(),
        nn.Flatten(), nn.Linear(side * side * 64, 256), nn.ReLU(), nn.Linear(256, 2 * latent_dim))
    decoder = nn.Sequential(
        nn.Linear(latent_dim, 256), nn.ReLU(), nn.Linear(256, side * side * 64), nn.ReLU(),
        nn.Unflatten(1, (64, side, side)),
        nn.ConvTranspose2d(64, 64, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(),
        nn.ConvTranspose2d(32, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, channels, 4, 2, 1))
    return encoder, decoder


def parameter_counts(module) -> list[int]:
    """Weights per layer that has any (kernel and bias together), in order. The two Keras heads
    (mean, logvar) are one `Linear(256, 2 * latent_dim)` here: the same weights, one matmul."""
    return [sum(p.numel() for p in layer.parameters()) for layer in module if any(True for _ in layer.parameters())]


class TorchRunner:
    """Training steps of the PyTorch beta-VAE on fixed random binary images; `__call__(steps)`.

    Args:
      beta: the KL weight.
      compile: wrap the forward pass and loss in `torch.compile` (the backward is compiled with it
        by AOTAutograd); the first call compiles.
      batch, image_size, channels, latent_dim: the configuration (the benchmark's is 64, 64, 1, 10).
      seed: seeds the weights, the images and the noise.
    """

    def __init__(self, beta: float = 4.0, *, compile: bool = False, batch: int = 64, image_size: int = 64,
                 channels: int = 1, latent_dim: int = 10, seed: int = 0):
        import torch

        torch.manual_seed(seed)
        self.torch = torch
        self.encoder, self.decoder = networks(image_size, channels, latent_dim)
        params = list(self.encoder.parameters()) + list(self.decoder.parameters())
        self.optimizer = torch.optim.Adam(params, lr=1e-4)
        shape = (batch * 8, channels, image_size, image_size)
        images = (np.random.default_rng(seed).uniform(size=shape) < 0.1).astype(np.float32)
        self.batches = [torch.from_numpy(images[i:i + batch]) for i in range(0, len(images), batch)]
        self.beta = beta
        self.loss_fn = torch.compile(self._loss) if compile else self._loss
        self.position = 0
        self.last_loss = None

    def _loss(self, x):
        torch = self.torch
        mean, logvar = self.encoder(x).chunk(2, dim=1)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        logits = self.decoder(z)
        reconstruction = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, x, reduction="none").sum(dim=(1, 2, 3)).mean()
        kl = (0.5 * (mean ** 2 + logvar.exp() - logvar - 1.0).sum(dim=1)).mean()
        return reconstruction + self.beta * kl

    def __call__(self, steps: int):
        """Runs `steps` steps; returns `(steps, wall seconds, process CPU seconds)`."""
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            x = self.batches[self.position % len(self.batches)]
            self.position += 1
            loss = self.loss_fn(x)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        self.last_loss = float(loss.detach())
        return steps, time.perf_counter() - start, time.process_time() - cpu
