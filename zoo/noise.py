"""Stateless samplers that draw the same numbers with and without XLA.

TensorFlow's stateless samplers (`tf.random.stateless_normal`, `stateless_uniform`) turn the same
Philox bits into different floats in XLA and in the TF kernels: for one seed, a model compiled
with `jit_compile=True` drew training noise that differed from the uncompiled model's by up to 3.6
(standard normals), so XLA (the default on GPUs) and CPU training followed different noise and
a run resumed on the other kind of machine was a different run. The raw bits agree
(`StatelessRandomUniformFullIntV2`, Philox), so these samplers build on them: uniforms exactly
equal in both, normals by the inverse normal CDF of those uniforms (equal to about 2e-5 in the
far tails, where XLA's and Eigen's `ndtri` round differently).

Seeds are stateless-RNG seeds `[2]` (int32 or int64), as for `tf.random.stateless_*`.
"""

from __future__ import annotations

import tensorflow as tf

_PHILOX = 1  # tf.random.Algorithm.PHILOX


def bits(shape, seed):
    """Uniform random uint32 `shape` from the Philox stream of `seed`."""
    key, counter = tf.raw_ops.StatelessRandomGetKeyCounter(seed=seed)
    return tf.raw_ops.StatelessRandomUniformFullIntV2(shape=shape, key=key, counter=counter, alg=_PHILOX,
                                                      dtype=tf.uint32)


# The largest float32 below 1 (1 - 2^-24).
_BELOW_ONE = 1.0 - 2.0 ** -24


def unit_interval(top):
    """uint32 values in [0, 2^24) to float32 in (0, 1): (k + 1/2) / 2^24, kept below 1.

    For k >= 2^23, k + 1/2 is not a float32 (their spacing there is 1), so it rounds to an even
    neighbour, and k = 2^24 - 1 rounds up to 2^24: the quotient would be exactly 1, whose inverse
    normal CDF is +inf (one draw in 2^24; an InfoGAN drawing 7,936 normals a step met it within a
    few thousand steps and its loss turned NaN). That one value is moved to the largest float32
    below 1; every other value is unchanged, so streams drawn before the fix are the same.
    """
    u = (tf.cast(top, tf.float32) + 0.5) * 2.0 ** -24
    return tf.minimum(u, _BELOW_ONE)


def uniform(shape, seed, minval=0.0, maxval=1.0):
    """U(minval, maxval) float32 from the top 24 bits of `bits`, strictly inside (0, 1) before scaling
    (`unit_interval`)."""
    top = tf.bitwise.right_shift(bits(shape, seed), tf.constant(8, tf.uint32))
    return minval + (maxval - minval) * unit_interval(top)


def normal(shape, seed):
    """N(0, 1) float32 by the inverse CDF of `uniform` (so within +-5.5 standard deviations)."""
    return tf.math.ndtri(uniform(shape, seed))


def integers(shape, seed, maxval: int):
    """Uniform int32 classes in [0, maxval): the bits modulo maxval (bias below maxval / 2^32)."""
    return tf.cast(tf.math.floormod(bits(shape, seed), tf.constant(int(maxval), tf.uint32)), tf.int32)


def sort_keys(shape, seed):
    """Random int64 keys from 32 bits each, for random permutations by argsort (ties: about
    n^2 / 2^33 for n keys, where argsort keeps the order)."""
    return tf.cast(bits(shape, seed), tf.int64)
