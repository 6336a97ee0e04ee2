"""scikit-learn's introsort (`sklearn/utils/_sorting.pyx`), replayed only where its order matters.

scikit-learn's sort is not stable, and the order it leaves equal values in is the order their
targets are summed in; this finds the runs of equal values held by samples that differ (mixed ties)
and reruns the sort into them. See the package docstring."""

from __future__ import annotations

import numpy as np

from zoo.metrics._boosting.presorted.compiled import _jit


# ---------------------------------------------------------------- scikit-learn's introsort (sklearn/utils/_sorting.pyx)
#
# Sorting decides nothing but the order of equal values. That order matters (it is the order in
# which scikit-learn sums their targets) only for equal values of samples that differ, in another
# feature or in their target: "mixed ties". Samples with equal rows of X and equal labels get equal
# targets in every tree, so they share a class (`sample_class`) and swapping them changes no number.
# Where the order of a mixed tie matters, the sort is replayed: scikit-learn's introsort run from
# the current sample order, but only into the parts of the array that hold a mixed tie (every other
# part ends up in the presorted order, up to swaps of samples of one class).

@_jit
def _mixed_tie_groups(values, samples, sample_class, start, end, tie_values, tie_start, tie_end):
    """Finds the runs of equal sorted `values[start:end]` holding samples of different classes;
    returns their number, their values and their position ranges."""
    n_ties = 0
    p = start + 1
    while p < end:
        if values[p] == values[p - 1]:
            first = p - 1
            mixed = False
            while p < end and values[p] == values[first]:
                mixed = mixed or sample_class[samples[p]] != sample_class[samples[p - 1]]
                p += 1
            if mixed:
                tie_values[n_ties] = values[first]
                tie_start[n_ties] = first
                tie_end[n_ties] = p
                n_ties += 1
        p += 1
    return n_ties


@_jit
def _sift_down(values, indices, lo, start, end):
    root = start
    while True:
        child = root * 2 + 1
        largest = root
        if child < end and values[lo + largest] < values[lo + child]:
            largest = child
        if child + 1 < end and values[lo + largest] < values[lo + child + 1]:
            largest = child + 1
        if largest == root:
            return
        values[lo + root], values[lo + largest] = values[lo + largest], values[lo + root]
        indices[lo + root], indices[lo + largest] = indices[lo + largest], indices[lo + root]
        root = largest


@_jit
def _heapsort(values, indices, lo, n):
    start = (n - 2) // 2
    while True:
        _sift_down(values, indices, lo, start, n)
        if start == 0:
            break
        start -= 1
    end = n - 1
    while end > 0:
        values[lo], values[lo + end] = values[lo + end], values[lo]
        indices[lo], indices[lo + end] = indices[lo + end], indices[lo]
        _sift_down(values, indices, lo, 0, end)
        end -= 1


@_jit
def _introsort_3way(values, indices, lo, n, maxd, tie_values, ties_lo, ties_hi):
    """`introsort_3way` of `values[lo:lo + n]`, `indices` alongside (3-way partitions around the
    median of the first, middle and last value; heapsort past depth `maxd`; insertion sort below
    16), skipping the parts that hold none of `tie_values[ties_lo:ties_hi]` (ascending). The
    recursion into each left part is a stack here (numba's cache cannot hold recursive functions);
    the parts are disjoint, so the order in which they are sorted changes nothing."""
    stack = np.empty((maxd * (maxd + 1) // 2 + 1, 5), dtype=np.int64)
    stack[0] = lo, n, maxd, ties_lo, ties_hi
    top = 1
    while top > 0:
        top -= 1
        lo, n, maxd, ties_lo, ties_hi = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3], stack[top, 4]
        while n > 15 and ties_lo < ties_hi:
            if maxd <= 0:
                _heapsort(values, indices, lo, n)
                ties_lo = ties_hi
                break
            maxd -= 1
            left, right, pivot = _partition_3way(values, indices, lo, n)
            below = ties_lo
            while below < ties_hi and tie_values[below] < pivot:
                below += 1
            above = below
            while above < ties_hi and tie_values[above] == pivot:  # placed: equal to the pivot
                above += 1
            if ties_lo < below:
                stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3], stack[top, 4] = \
                    lo, left, maxd, ties_lo, below
                top += 1
            lo += right
            n -= right
            ties_lo = above
        if ties_lo < ties_hi:
            _insertion_sort(values, indices, lo, n)


@_jit
def _partition_3way(values, indices, lo, n):
    """One step of `introsort_3way`: the median3 pivot, then values[:left] < pivot, values[left:right]
    == pivot, values[right:] > pivot (of `values[lo:lo + n]`). Returns (left, right, pivot)."""
    a, b, c = values[lo], values[lo + n // 2], values[lo + n - 1]  # median3 (Bentley and McIlroy 1993)
    if a < b:
        pivot = b if b < c else (c if a < c else a)
    else:
        pivot = a if (b < c and a < c) else (c if b < c else b)
    i = left = 0
    right = n
    while i < right:
        if values[lo + i] < pivot:
            values[lo + i], values[lo + left] = values[lo + left], values[lo + i]
            indices[lo + i], indices[lo + left] = indices[lo + left], indices[lo + i]
            i += 1
            left += 1
        elif values[lo + i] > pivot:
            right -= 1
            values[lo + i], values[lo + right] = values[lo + right], values[lo + i]
            indices[lo + i], indices[lo + right] = indices[lo + right], indices[lo + i]
        else:
            i += 1
    return left, right, pivot


@_jit
def _insertion_sort(values, indices, lo, n):
    for i in range(lo + 1, lo + n):
        value = values[i]
        index = indices[i]
        j = i
        while j > lo and values[j - 1] > value:
            values[j] = values[j - 1]
            indices[j] = indices[j - 1]
            j -= 1
        values[j] = value
        indices[j] = index


@_jit
def _replay_sort(xt, y, feature, current, samples, ys, order, start, end, n_ties, tie_values, tie_start, tie_end,
                 scratch_values, scratch_samples):
    """`DensePartitioner.sort_samples_and_feature_values(feature)` (`simultaneous_sort(...,
    use_three_way_partition=True)`, maxd = 2 log2 n) from the current sample order (feature
    `current`'s sorted samples, or `order` if -1): writes the order it leaves the mixed ties in into
    `samples[feature]` and `ys[feature]`, which then hold scikit-learn's sorted order."""
    if current >= 0:
        for p in range(start, end):
            scratch_samples[p] = samples[current, p]
    else:
        for p in range(start, end):
            scratch_samples[p] = order[p]
    for p in range(start, end):
        scratch_values[p] = xt[feature, scratch_samples[p]]
    n = end - start
    _introsort_3way(scratch_values, scratch_samples, start, n, 2 * int(np.log2(n)), tie_values, 0, n_ties)
    for g in range(n_ties):
        for p in range(tie_start[g], tie_end[g]):
            samples[feature, p] = scratch_samples[p]
            ys[feature, p] = y[scratch_samples[p]]


def _has_mixed_ties(values, samples, sample_class):
    """Whether a feature's sorted `values` hold an equal value for samples of different classes."""
    n = len(values)
    return _mixed_tie_groups(values, samples, sample_class, 0, n, np.empty(n, dtype=np.float32),
                             np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)) > 0
