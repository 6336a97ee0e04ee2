"""The presorted engine's ground: numba's decorator (cached where numba can write a cache) and
scikit-learn's tree constants, each where scikit-learn defines it."""

from __future__ import annotations

import numba
import numpy as np


RAND_R_MAX = 2147483647  # sklearn/utils/_random.pxd
FEATURE_THRESHOLD = np.float32(1e-7)  # sklearn/tree/_partitioner.pxd (a float32 constant)
EPSILON = float(np.finfo(np.float64).eps)  # sklearn/tree/_tree.pyx
TREE_LEAF = -1  # sklearn/tree/_tree.pyx: _TREE_LEAF, _TREE_UNDEFINED
TREE_UNDEFINED = -2
_MASK32 = 0xFFFFFFFF


def _cache_probe():
    return 0


def _can_cache() -> bool:
    """Whether numba can write its cache (this folder's __pycache__, or NUMBA_CACHE_DIR, or the
    user's cache folder); in a read-only install without them, compile in every process instead."""
    try:
        numba.njit(cache=True)(_cache_probe)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return False
    return True


_jit = numba.njit(cache=_can_cache(), nogil=True)
