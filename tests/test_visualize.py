"""zoo.visualize: traversal rows differ in one latent only, rows ordered by KL, frames where they belong.

A stub model makes every number readable: its decoder writes code value j into pixel (0, j) as
(value + 2) / 4, and its posterior has known means and standard deviations, so each latent's KL
is known by hand.
"""

import io

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from PIL import Image

import zoo.data
from zoo import visualize

H = W = 8
# Posterior per latent (the same for every image): means and standard deviations, and the KL
# 0.5 (mu^2 + s^2 - 1 - log s^2) by hand:
#   z0: mu 0,   s 1    -> 0
#   z1: mu 1,   s 1    -> 0.5
#   z2: mu 0,   s 0.5  -> 0.5 (0.25 - 1 + log 4)    = 0.318147
#   z3: mu 2,   s 0.25 -> 0.5 (4 + 0.0625 - 1 + log 16) = 2.917544
MU = np.array([0.0, 1.0, 0.0, 2.0], np.float32)
SIGMA = np.array([1.0, 1.0, 0.5, 0.25], np.float32)
KL = np.array([0.0, 0.5, 0.5 * (0.25 - 1 + np.log(4)), 0.5 * (4 + 0.0625 - 1 + np.log(16))])


class Stub:
    latent_dim = 4
    observation_shape = (H, W, 1)

    def _checked(self, images):
        return tf.convert_to_tensor(zoo.data.check_images(images, self.observation_shape))

    def encode(self, images):
        n = tf.shape(images)[0]
        return tfp.distributions.MultivariateNormalDiag(tf.tile(MU[None], [n, 1]), tf.tile(SIGMA[None], [n, 1]))

    def encode_mean(self, images):
        return tf.tile(MU[None], [tf.shape(images)[0], 1])

    def decode(self, codes):
        codes = np.asarray(codes, np.float32)
        out = np.zeros((len(codes), H, W, 1), np.float32)
        out[:, 0, :self.latent_dim, 0] = (codes + 2.0) / 4.0
        return tf.constant(out)

    def reconstruct(self, images):
        return 1.0 - tf.convert_to_tensor(images)  # any map the grid must show below its inputs


class Blank(zoo.data.GroundTruthData):
    name = "blank"
    factor_names = ("a",)
    factor_sizes = (2,)
    factor_values = (np.arange(2),)
    observation_shape = (H, W, 1)

    def sample_observations_from_factors(self, factors, rng=None):
        return np.zeros((len(factors), H, W, 1), np.float32)


def test_latent_kl_by_hand():
    np.testing.assert_allclose(visualize.latent_kl(Stub(), np.zeros((5, H, W, 1), np.float32)), KL, atol=1e-6)


def test_traversal_rows_differ_in_their_own_latent_only():
    values = np.linspace(-2.0, 2.0, 5)
    frames, code = visualize.traversal(Stub(), np.zeros((H, W, 1), np.float32), values=values)
    assert frames.shape == (4, 5, H, W, 1)
    np.testing.assert_array_equal(code, MU)
    shown = frames[:, :, 0, :4, 0] * 4.0 - 2.0       # [row, column, latent]: the code each frame decodes
    for j in range(4):
        for k, value in enumerate(values):
            expected = MU.copy()
            expected[j] = value
            np.testing.assert_allclose(shown[j, k], expected, atol=1e-6)


def _tile_pixel(grid, row, column, latent, *, left=0, pad=2):
    """The stub's pixel (0, latent) of the frame at (row, column) of a tiled grid, as a code value."""
    y, x = pad + row * (H + pad), left + pad + column * (W + pad)
    return grid[y, x + latent, 0] / 255.0 * 4.0 - 2.0


def test_traversal_grid_orders_rows_by_kl():
    grid = visualize.traversal_grid(Stub(), Blank(), num_values=5, num_kl_images=4)
    order = [3, 1, 2, 0]  # KL 2.92, 0.5, 0.32, 0: most informative first (stable on ties)
    values = np.linspace(-2.0, 2.0, 5)
    for row, latent in enumerate(order):
        swept = [_tile_pixel(grid, row, k, latent, left=70) for k in range(5)]
        np.testing.assert_allclose(swept, values, atol=4 / 255)
        for other in set(range(4)) - {latent}:
            held = [_tile_pixel(grid, row, k, other, left=70) for k in range(5)]
            np.testing.assert_allclose(held, MU[other], atol=4 / 255)


def test_reconstruction_grid_puts_inputs_above_reconstructions():
    images = np.random.default_rng(0).uniform(size=(3, H, W, 1)).astype(np.float32)
    grid = visualize.reconstruction_grid(Stub(), images)
    for k in range(3):
        y, x = 2, 2 + k * (W + 2)
        np.testing.assert_allclose(grid[y:y + H, x:x + W, 0] / 255.0, images[k, ..., 0], atol=1 / 255)
        y = 2 + (H + 2)
        np.testing.assert_allclose(grid[y:y + H, x:x + W, 0] / 255.0, 1.0 - images[k, ..., 0], atol=1 / 255)


def test_traversal_gif_frames_sweep_every_latent_together(tmp_path):
    path = visualize.traversal_gif(Stub(), np.zeros((H, W, 1), np.float32), tmp_path / "t.gif", num_values=5)
    values = np.linspace(-2.0, 2.0, 5)
    shown = []
    with Image.open(path) as gif:
        assert gif.n_frames == 2 * 5 - 2  # there and back, without repeating the ends
        for t in range(gif.n_frames):
            gif.seek(t)
            frame = np.asarray(gif.convert("RGB"))
            shown.append([_tile_pixel(frame, 0, j, j) for j in range(4)])  # tile j sweeps latent j
    expected = list(values) + list(values[-2:0:-1])
    np.testing.assert_allclose(np.array(shown), np.repeat(np.array(expected)[:, None], 4, axis=1), atol=4 / 255)
    assert [p.name for p in tmp_path.iterdir()] == ["t.gif"]  # written atomically, nothing left beside it


def test_traversal_gif_shows_the_chosen_latents_in_order(tmp_path):
    path = visualize.traversal_gif(Stub(), np.zeros((H, W, 1), np.float32), tmp_path / "t.gif", num_values=3,
                                   latents=[3, 1])
    with Image.open(path) as gif:
        gif.seek(0)  # every latent swept is at -2 in the first frame
        frame = np.asarray(gif.convert("RGB"))
    assert frame.shape[1] == 2 * (W + 2) + 2  # two tiles
    for tile, latent in enumerate([3, 1]):
        np.testing.assert_allclose(_tile_pixel(frame, 0, tile, latent), -2.0, atol=4 / 255)
        held = 1 if latent == 3 else 3
        np.testing.assert_allclose(_tile_pixel(frame, 0, tile, held), MU[held], atol=4 / 255)
