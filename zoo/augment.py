"""Differentiable augmentation of what a GAN's discriminator sees (DiffAugment, Zhao et al. 2020).

With few training images a discriminator memorises them and the game stops teaching the
generator (Zhao et al. 2020, sec. 3; Karras et al. 2020). DiffAugment applies the same random
transformation T to the real and the generated images D judges, D(T(x)) and D(T(G(z))), through
a differentiable T, so G's gradients pass through it and G is not pushed to generate augmented
images. Their "translation" policy shifts each image by a random whole number of pixels, up to
`ratio` of its side each way (their default 1/8), filling with zeros.

Pure TensorFlow ops, no state; XLA-compilable.
"""

from __future__ import annotations

import tensorflow as tf


def max_shift(side: int, ratio: float) -> int:
    """The largest shift of a side of `side` pixels under `ratio`: int(side * ratio + 0.5), as in
    DiffAugment's `rand_translation` (28 px at 1/8: 4)."""
    return int(side * ratio + 0.5)


def _shift_matrices(shifts, side: int):
    """`[batch, side, side]` 0/1 matrices M with M[b, i, j] = 1 where j = i - shifts[b]: M @ v moves
    v by shifts[b] places (positive: towards higher indices), zeros entering."""
    rows = tf.range(side)[:, None]
    cols = tf.range(side)[None, :]
    return tf.cast(tf.equal(cols[None], rows[None] - shifts[:, None, None]), tf.float32)


def translate(images, shift_y, shift_x):
    """`images` `[batch, H, W, C]`, each moved down by `shift_y[b]` and right by `shift_x[b]` whole
    pixels (int `[batch]`, negative: up / left), zeros entering. A product with 0/1 shift
    matrices, so its gradient is the reverse shift."""
    images = tf.convert_to_tensor(images, tf.float32)
    height, width = images.shape[1], images.shape[2]
    rows = _shift_matrices(tf.cast(shift_y, tf.int32), height)
    cols = _shift_matrices(tf.cast(shift_x, tf.int32), width)
    moved = tf.einsum("bij,bjwc->biwc", rows, images)
    return tf.einsum("bkw,bhwc->bhkc", cols, moved)
