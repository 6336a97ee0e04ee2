"""A procedural background texture, standing in for The Scream in scream-dSprites."""

from __future__ import annotations

import functools

import numpy as np


@functools.lru_cache(maxsize=4)
def swirl_texture(height: int = 274, width: int = 221, seed: int = 1893) -> np.ndarray:
    """Smooth coloured swirls, deterministic in `seed`: float32 `[height, width, 3]` in [0, 1].

    disentanglement_lib's scream-dSprites crops its backgrounds from a thumbnail of Munch's The
    Scream (1893), fitted into 350 x 274 pixels; the painting cannot be shipped or downloaded
    here, so this texture plays its part: the same role (a large, smooth, many-coloured image to
    crop 64x64 patches from) at about the same size (274 x 221, the portrait canvas fitted into
    that box), not the same pixels. Numbers on scream_dsprites therefore differ from the paper's.

    The picture is a sum of random plane waves, bent by a few vortices (each turns the plane about
    its centre by an angle that decays with distance), and mapped to colour through a palette of
    dusk colours.

    Example:
      >>> t = swirl_texture()
      >>> t.shape, t.dtype, bool(t.min() >= 0 and t.max() <= 1)
      ((274, 221, 3), dtype('float32'), True)
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / float(max(height, width))
    for _ in range(5):
        cx, cy = rng.uniform(0, width / max(height, width)), rng.uniform(0, height / max(height, width))
        strength, radius = rng.uniform(-6, 6), rng.uniform(0.1, 0.35)
        angle = strength * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / radius**2)
        cos, sin = np.cos(angle), np.sin(angle)
        x, y = cx + cos * (x - cx) - sin * (y - cy), cy + sin * (x - cx) + cos * (y - cy)
    field = np.zeros_like(x)
    for _ in range(8):
        frequency, direction, phase = rng.uniform(1.5, 6), rng.uniform(0, 2 * np.pi), rng.uniform(0, 2 * np.pi)
        field += np.sin(2 * np.pi * frequency * (np.cos(direction) * x + np.sin(direction) * y) + phase)
    field = (field - field.min()) / (field.max() - field.min())
    image = np.stack([np.interp(field, np.linspace(0, 1, len(_PALETTE)), _PALETTE[:, c]) for c in range(3)], -1)
    return image.astype(np.float32)


# Dusk colours from dark blue through teal and ochre to orange and red, in the spirit of the
# painting's sky and fjord (chosen by eye, not sampled from it).
_PALETTE = np.array([[0.08, 0.12, 0.35], [0.15, 0.35, 0.55], [0.35, 0.55, 0.45], [0.85, 0.75, 0.35],
                     [0.95, 0.55, 0.15], [0.80, 0.25, 0.10], [0.45, 0.12, 0.10]])
