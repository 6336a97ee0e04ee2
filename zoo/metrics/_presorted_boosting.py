"""scikit-learn's `GradientBoostingClassifier()` with features sorted once: the same trees, bit for bit.

Gradient boosting (Friedman 2001, "Greedy Function Approximation: A Gradient Boosting Machine",
Ann. Statist. 29(5), Algorithm 6, "L_K-TreeBoost"): K regression trees per stage, tree k fit by
least squares to the negative gradient y_k - p_k of the multinomial log loss, each leaf then
taking one Newton step (K-1)/K * sum(y_k - p_k) / sum(p_k (1 - p_k)) (Friedman's eq. 32), shrunk
by the learning rate. For K = 2 one tree per stage on y - p, the step without (K-1)/K.

This is a port of scikit-learn 1.9.1's implementation of that algorithm, as DCI's "exact" backend
runs it (`GradientBoostingClassifier()`: 100 stages, depth 3, learning rate 0.1, subsample 1, all
features, min_samples_leaf 1, unit sample weights), following its loops step by step
(`sklearn/ensemble/_gb.py`, `sklearn/tree/_tree.pyx` `DepthFirstTreeBuilder.build`,
`_splitter.pyx` `node_split_best`, `_partitioner.pyx` `DensePartitioner`, `_criterion.pyx` `MSE`,
`_utils.pyx` `rand_int`, `sklearn/utils/_sorting.pyx`), so that every number is scikit-learn's:

* the trees: X cast to float32; nodes grown depth first, left child first; at each node the
  features visited in the order the splitter's own xorshift generator draws them (seeded per
  tree with one `random_state.randint(0, RAND_R_MAX)` from the booster's RandomState, in stage
  then class order), with its bookkeeping of constant features (max - min <= 1e-7 in float32)
  carried from node to node; candidate positions skipping values within 1e-7 of the previous one;
  the split with the largest proxy S_L^2/n_L + S_R^2/n_R, strict `>` (ties keep the first visited
  feature and the first position); thresholds a/2 + b/2 in float64 of the float32 neighbours;
  a leaf at depth max_depth, below 2 samples, at impurity <= machine epsilon or at an
  improvement below -epsilon;
* the sums, in scikit-learn's order: node totals over the node's samples in the order its
  partitioning leaves them (a Hoare partition of the samples as the last sort left them), left
  sums along the sorted order with `RegressionCriterion.update`'s backward branch where it
  applies, right = total - left; leaf steps with numpy's pairwise summation over each leaf's
  samples in index order, as `np.average` does in `_update_terminal_regions`, and its 1e-150
  denominator guard; raw predictions started from the prior (scikit-learn's own
  `_init_raw_predictions`), the negative gradient from scikit-learn's own loss object;
  importances per tree as `Tree.compute_feature_importances`, averaged and normalised by numpy
  as `feature_importances_` does;
* the order of equal values: scikit-learn's introsort is not stable, and the order it leaves
  equal values in is the order their targets are summed in. Samples with equal rows and equal
  labels are interchangeable (equal targets in every tree); where a node holds equal values of
  samples that differ ("mixed ties"), the sum over such a group is tried in every order (groups
  of up to 3); where the order changes a bit, or the sample order is needed for the final
  partition, the sorts are replayed: scikit-learn's introsort run from its current sample order,
  only into the parts of the array holding mixed ties.

tests/test_presorted_boosting.py checks trees, importances and predictions against
`GradientBoostingClassifier` bit for bit (`==`), with ties, constant and near-constant features,
duplicated rows and 2 to 7 classes.

Why faster: scikit-learn sorts every feature's values at every node (`sort_samples_and_feature_values`,
O(n log n) per feature and node: 94% of a fit, `zoo/metrics/_exact_boosting.py`). X is the same
for every tree of every stage (no subsampling), so here each feature is sorted once per fit, and
each tree keeps each feature's samples of a node in sorted order by splitting the parent's sorted
order stably into the two children (as scikit-learn's old `presort=True` did): O(n) per feature
and node. Everything runs compiled (numba, without the GIL), so the trees of a stage grow on
threads. A replayed sort costs about what scikit-learn's does; continuous codes need few (a
handful of coincidentally equal float32 values per feature; at 10,000 points they make a fit
about 1.5x slower than without any).

Example:
  >>> import numpy as np
  >>> from zoo.metrics import _presorted_boosting
  >>> x = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
  >>> model = _presorted_boosting.fit(x, y, random_state=0, n_estimators=5)
  >>> model.predict(x).tolist(), model.feature_importances_.tolist()
  ([0, 0, 1, 1], [1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """Whether numba can write its cache (zoo/metrics/__pycache__, or NUMBA_CACHE_DIR, or the
    user's cache folder); in a read-only install without them, compile in every process instead."""
    try:
        numba.njit(cache=True)(_cache_probe)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return False
    return True


_jit = numba.njit(cache=_can_cache(), nogil=True)


# ---------------------------------------------------------------- random feature order (_utils, _random)

@_jit
def _rand_int(low, high, state):
    """`rand_int(low, high, &state)`: `low + our_rand_r(state) % (high - low)` (32-bit xorshift)."""
    s = state[0]
    if s == 0:  # our_rand_r: "seed shouldn't ever be 0"
        s = 1
    s ^= (s << 13) & _MASK32
    s ^= s >> 17
    s ^= (s << 5) & _MASK32
    state[0] = s
    return low + (s % (RAND_R_MAX + 1)) % (high - low)


# ---------------------------------------------------------------- the squared-error criterion (_criterion.pyx)
#
# Unit sample weights (GradientBoostingClassifier passes ones): w * y = y, and every weighted count is
# the exact sample count. Hot loops are written out, not calls: a call between numba functions costs
# more than the loop body.

@_jit
def _node_sums(y, order, start, end):
    """`RegressionCriterion.init`: sum_total and sq_sum_total in scikit-learn's sample order."""
    sum_total = 0.0
    sq_sum_total = 0.0
    for p in range(start, end):
        y_i = y[order[p]]
        sum_total += y_i
        sq_sum_total += y_i * y_i
    return sum_total, sq_sum_total


@_jit
def _children_impurity(y, order, start, end, pos, sum_total, sq_sum_total):
    """`reset(); update(pos); children_impurity()` on the partitioned samples: the `MSE` of each child.
    `update` sums forward from start, or backward from end after `reverse_reset`, whichever is shorter."""
    if (pos - start) <= (end - pos):
        sum_left = 0.0
        for p in range(start, pos):
            sum_left += y[order[p]]
    else:
        sum_left = sum_total
        for p in range(end - 1, pos - 1, -1):
            sum_left -= y[order[p]]
    sum_right = sum_total - sum_left
    n_left = float(pos - start)
    n_right = float(end - start) - n_left
    sq_sum_left = 0.0
    for p in range(start, pos):
        y_i = y[order[p]]
        sq_sum_left += y_i * y_i
    sq_sum_right = sq_sum_total - sq_sum_left
    mean_left = sum_left / n_left
    mean_right = sum_right / n_right
    return sq_sum_left / n_left - mean_left * mean_left, sq_sum_right / n_right - mean_right * mean_right


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


# ---------------------------------------------------------------- the best split of one node (_splitter.pyx)

@_jit
def _scan_feature(values, ys, start, end, sum_total, best):
    """`node_split_best`'s loop over one sorted feature (`values`, targets `ys` in the same order):
    positions from `DensePartitioner.next_p` (skipping values within FEATURE_THRESHOLD of the previous
    one), `RegressionCriterion.update` (forward, or backward from end when that moves fewer samples),
    `MSE.proxy_impurity_improvement`. Sets `best = [proxy, pos, threshold]` on a strictly larger proxy
    and returns whether it did."""
    n_node = float(end - start)
    best_proxy = best[0]
    best_pos = -1
    sum_left = 0.0  # criterion.reset()
    pos = start
    p = start
    while p < end:
        p += 1
        while p < end and values[p] <= values[p - 1] + FEATURE_THRESHOLD:
            p += 1
        if p == end:
            break
        if (p - pos) <= (end - p):
            for q in range(pos, p):
                sum_left += ys[q]
        else:  # reverse_reset()
            sum_left = sum_total
            for q in range(end - 1, p - 1, -1):
                sum_left -= ys[q]
        pos = p
        n_left = float(p - start)
        sum_right = sum_total - sum_left
        proxy = sum_left * sum_left / n_left + sum_right * sum_right / (n_node - n_left)
        if proxy > best_proxy:
            best_proxy = proxy
            best_pos = p
    if best_pos < 0:
        return False
    best[0] = best_proxy
    best[1] = best_pos
    # "sum of halves", in float64, of the float32 neighbours
    best[2] = np.float64(values[best_pos - 1]) / 2.0 + np.float64(values[best_pos]) / 2.0
    return True


@_jit
def _group_sum(ys, first, stop, running, backward):
    """Adds the targets `ys[first:stop]` of one mixed tie group to `running` (`backward`: subtracts
    them, the last first, as `update`'s backward branch); returns (whether every order of the group
    gives the same bits, the result). Groups of more than 3 are not tried (False)."""
    size = stop - first
    if size > 3:
        return False, running
    if backward:  # a - b is a + (-b), exactly
        u, v, w = -ys[stop - 1], -ys[stop - 2], -ys[first]
    else:
        u, v, w = ys[first], ys[first + 1], ys[stop - 1]
    if size == 2:
        result = (running + u) + v
        return result == (running + v) + u, result
    result = ((running + u) + v) + w
    same = (((running + u) + w) + v == result and ((running + v) + u) + w == result
            and ((running + v) + w) + u == result and ((running + w) + u) + v == result
            and ((running + w) + v) + u == result)
    return same, result


@_jit
def _scan_feature_unsorted_ties(values, ys, start, end, sum_total, best, group_of, tie_start, tie_end):
    """`_scan_feature` before the order of the feature's mixed ties is known (`group_of[p]`: the
    tie group at position p, or -1): returns 1 or 0 as `_scan_feature` where every order of every
    group gives the same sums (so the same scan as scikit-learn's), else -1 and sets nothing."""
    n_node = float(end - start)
    best_proxy = best[0]
    best_pos = -1
    sum_left = 0.0
    pos = start
    p = start
    while p < end:
        p += 1
        while p < end and values[p] <= values[p - 1] + FEATURE_THRESHOLD:
            p += 1
        if p == end:
            break
        if (p - pos) <= (end - p):
            q = pos
            while q < p:
                if group_of[q] >= 0:
                    same, sum_left = _group_sum(ys, q, tie_end[group_of[q]], sum_left, False)
                    if not same:
                        return -1
                    q = tie_end[group_of[q]]
                else:
                    sum_left += ys[q]
                    q += 1
        else:
            sum_left = sum_total
            q = end - 1
            while q >= p:
                if group_of[q] >= 0:
                    same, sum_left = _group_sum(ys, tie_start[group_of[q]], q + 1, sum_left, True)
                    if not same:
                        return -1
                    q = tie_start[group_of[q]] - 1
                else:
                    sum_left -= ys[q]
                    q -= 1
        pos = p
        n_left = float(p - start)
        sum_right = sum_total - sum_left
        proxy = sum_left * sum_left / n_left + sum_right * sum_right / (n_node - n_left)
        if proxy > best_proxy:
            best_proxy = proxy
            best_pos = p
    if best_pos < 0:
        return 0
    best[0] = best_proxy
    best[1] = best_pos
    best[2] = np.float64(values[best_pos - 1]) / 2.0 + np.float64(values[best_pos]) / 2.0
    return 1


@_jit
def _replay_pending(xt, y, values, samples, ys, order, sample_class, current, pending, n_pending, start, end,
                    scratch):
    """Replays the sorts of the features in `pending` (those after `current` whose mixed ties were
    left in presorted order), in the order scikit-learn ran them; returns the new `current`."""
    tie_values, tie_start, tie_end, scratch_values, scratch_samples, _, _ = scratch
    for i in range(n_pending):
        feature = pending[i]
        n_ties = _mixed_tie_groups(values[feature], samples[feature], sample_class, start, end, tie_values,
                                   tie_start, tie_end)
        _replay_sort(xt, y, feature, current, samples, ys, order, start, end, n_ties, tie_values, tie_start,
                     tie_end, scratch_values, scratch_samples)
        current = feature
    return current


@_jit
def _search_features(values, samples, ys, xt, y, sample_class, mixed_ties, order, scratch, start, end, sum_total,
                     features, n_known_constants, state, best):
    """`node_split_best`'s Fisher-Yates walk over the features: returns (best feature, number of new
    constant features, number of total constant features, `current`, number of pending features).

    scikit-learn sorts the samples by each feature it visits, constant or not (all-equal values
    stay put). `current` is the last feature whose sorted samples are scikit-learn's sample order
    (-1: `order[start:end]` still is); the features sorted after it with mixed ties are pending
    (`scratch`'s pending array): their ties still in presorted order, their sorts replayed only
    where a sum depends on that order (or for the final partition, `_replay_pending`)."""
    tie_values, tie_start, tie_end, _, _, group_of, pending = scratch
    n_pending = 0
    n_features = features.shape[0]
    f_i = n_features
    n_visited = 0
    n_found_constants = 0
    n_drawn_constants = 0
    n_total_constants = n_known_constants
    best_feature = 0
    current = -1
    while f_i > n_total_constants and (n_visited < n_features or
                                       n_visited <= n_found_constants + n_drawn_constants):
        n_visited += 1
        f_j = _rand_int(n_drawn_constants, f_i - n_found_constants, state)
        if f_j < n_known_constants:  # a known constant feature: skipped without sorting
            features[n_drawn_constants], features[f_j] = features[f_j], features[n_drawn_constants]
            n_drawn_constants += 1
            continue
        f_j += n_found_constants
        feature = features[f_j]
        low, high = values[feature, start], values[feature, end - 1]
        n_ties = 0
        if high != low:
            if mixed_ties[feature]:
                n_ties = _mixed_tie_groups(values[feature], samples[feature], sample_class, start, end, tie_values,
                                           tie_start, tie_end)
            if n_ties == 0:  # one sorted order, whatever the order before
                current = feature
                n_pending = 0
            else:
                pending[n_pending] = feature
                n_pending += 1
        if high <= low + FEATURE_THRESHOLD:  # a new constant feature
            features[f_j], features[n_total_constants] = features[n_total_constants], features[f_j]
            n_found_constants += 1
            n_total_constants += 1
            continue
        f_i -= 1
        features[f_i], features[f_j] = features[f_j], features[f_i]
        if n_ties > 0:
            for g in range(n_ties):
                group_of[tie_start[g]:tie_end[g]] = g
            improved = _scan_feature_unsorted_ties(values[feature], ys[feature], start, end, sum_total, best,
                                                   group_of, tie_start, tie_end)
            for g in range(n_ties):
                group_of[tie_start[g]:tie_end[g]] = -1
            if improved < 0:  # a sum depends on the order of the ties: replay the sorts up to this one
                current = _replay_pending(xt, y, values, samples, ys, order, sample_class, current, pending,
                                          n_pending, start, end, scratch)
                n_pending = 0
                improved = 1 if _scan_feature(values[feature], ys[feature], start, end, sum_total, best) else 0
        else:
            improved = 1 if _scan_feature(values[feature], ys[feature], start, end, sum_total, best) else 0
        if improved > 0:
            best_feature = feature
    return best_feature, n_found_constants, n_total_constants, current, n_pending


@_jit
def _partition_final(xt, order, start, end, feature, threshold):
    """`DensePartitioner.partition_samples_final`: Hoare partition of `order[start:end]`."""
    partition_start = start
    partition_end = end
    while partition_start < partition_end:
        if xt[feature, order[partition_start]] <= threshold:
            partition_start += 1
        else:
            partition_end -= 1
            order[partition_start], order[partition_end] = order[partition_end], order[partition_start]


@_jit
def _partition_sorted(values, samples, ys, out_values, out_samples, out_ys, goes_left, start, pos, end):
    """Each feature's sorted samples of a node, split stably into the left child (`[start, pos)` of
    the outputs) and the right child (`[pos, end)`): the children's sorted orders, without sorting."""
    for f in range(samples.shape[0]):
        left = start
        right = pos
        for p in range(start, end):
            s = samples[f, p]
            to_left = goes_left[s]
            q = left if to_left else right
            out_values[f, q] = values[f, p]
            out_samples[f, q] = s
            out_ys[f, q] = ys[f, p]
            left += to_left
            right += 1 - to_left


# ---------------------------------------------------------------- one tree (_tree.pyx DepthFirstTreeBuilder)

@_jit
def _push(stack, stack_impurity, top, start, end, depth, parent, is_left, n_constant_features, impurity):
    """`builder_stack.push({...})`: a node still to be grown."""
    stack[top, 0] = start
    stack[top, 1] = end
    stack[top, 2] = depth
    stack[top, 3] = parent
    stack[top, 4] = is_left
    stack[top, 5] = n_constant_features
    stack_impurity[top] = impurity


@_jit
def _add_node(node_id, parent, is_left, feature, threshold, impurity, weight, value, nodes_feature, nodes_threshold,
              nodes_left, nodes_right, nodes_impurity, nodes_weight, nodes_value):
    """`Tree._add_node`; `value` is `RegressionCriterion.node_value`, the mean target (a leaf's is
    replaced by its Newton step)."""
    if parent >= 0:
        if is_left:
            nodes_left[parent] = node_id
        else:
            nodes_right[parent] = node_id
    nodes_feature[node_id] = feature
    nodes_threshold[node_id] = threshold
    nodes_left[node_id] = TREE_LEAF
    nodes_right[node_id] = TREE_LEAF
    nodes_impurity[node_id] = impurity
    nodes_weight[node_id] = weight
    nodes_value[node_id] = value


@_jit
def _grow_tree(xt, presorted_values, presorted_samples, sample_class, mixed_ties, y, seed, max_depth,
               nodes_feature, nodes_threshold, nodes_left, nodes_right, nodes_impurity, nodes_weight, nodes_value,
               leaf_of):
    """Grows one regression tree on `y`; fills the node arrays and `leaf_of` (each sample's leaf).
    Returns the node count.

    Each feature's samples of a node at depth d, in sorted order, are in `[start, end)` of level
    buffer d: the presorted arrays at the root, then two work buffers taking turns (a node writes
    its children's range only, so what its siblings and its ancestors' siblings still need is kept).
    """
    n_features, n_samples = presorted_samples.shape
    root_ys = np.empty((n_features, n_samples))
    for f in range(n_features):
        for p in range(n_samples):
            root_ys[f, p] = y[presorted_samples[f, p]]
    work_values = np.empty((2, n_features, n_samples), dtype=np.float32)
    work_samples = np.empty((2, n_features, n_samples), dtype=presorted_samples.dtype)
    work_ys = np.empty((2, n_features, n_samples))
    order = np.arange(n_samples)  # the splitter's `samples`, as scikit-learn's partitioning leaves them
    goes_left = np.zeros(n_samples, dtype=np.int64)
    # for the sorts replayed (_replay_sort), which rewrite the sorted samples at the root: a copy
    root_samples = presorted_samples.copy() if mixed_ties.any() else presorted_samples
    scratch = (np.empty(n_samples, dtype=np.float32), np.empty(n_samples, dtype=np.int64),
               np.empty(n_samples, dtype=np.int64), np.empty(n_samples, dtype=np.float32),
               np.empty(n_samples, dtype=np.int64), np.full(n_samples, -1, dtype=np.int64),
               np.empty(n_features, dtype=np.int64))
    features = np.arange(n_features)
    constant_features = np.zeros(n_features, dtype=np.int64)
    state = np.array([seed], dtype=np.int64)
    best = np.empty(3)
    # the stack: start, end, depth, parent, is_left, n_constant_features; impurity
    stack = np.empty((2 * max_depth + 2, 6), dtype=np.int64)
    stack_impurity = np.empty(2 * max_depth + 2)
    _push(stack, stack_impurity, 0, 0, n_samples, 0, -1, 0, 0, np.inf)
    top = 1
    node_count = 0
    while top > 0:
        top -= 1
        start, end, depth = stack[top, 0], stack[top, 1], stack[top, 2]
        parent, is_left, n_constants = stack[top, 3], stack[top, 4], stack[top, 5]
        impurity = stack_impurity[top]
        if depth == 0:
            values, samples, ys = presorted_values, root_samples, root_ys
        else:
            values, samples, ys = work_values[depth % 2], work_samples[depth % 2], work_ys[depth % 2]
        n_node = end - start
        weight = float(n_node)
        is_leaf = depth >= max_depth or n_node < 2
        sum_total = sq_sum_total = impurity_left = impurity_right = 0.0
        pos = end
        if not is_leaf or node_count == 0:
            sum_total, sq_sum_total = _node_sums(y, order, start, end)
        if node_count == 0:
            mean = sum_total / weight
            impurity = sq_sum_total / weight - mean * mean  # MSE.node_impurity
        is_leaf = is_leaf or impurity <= EPSILON
        feature = TREE_UNDEFINED
        threshold = 0.0
        if not is_leaf:
            best[0] = -np.inf
            best[1] = end
            best_feature, n_found, n_total, current, n_pending = _search_features(
                values, samples, ys, xt, y, sample_class, mixed_ties, order, scratch, start, end, sum_total,
                features, n_constants, state, best)
            # node_split_best's epilogue: restore the known constants, record the new ones
            features[:n_constants] = constant_features[:n_constants]
            constant_features[n_constants:n_constants + n_found] = features[n_constants:n_constants + n_found]
            n_constants = n_total
            pos = int(best[1])
            is_leaf = pos >= end
            if not is_leaf:
                feature = best_feature
                threshold = best[2]
                if n_pending > 0:
                    current = _replay_pending(xt, y, values, samples, ys, order, sample_class, current,
                                              scratch[6], n_pending, start, end, scratch)
                if current >= 0:
                    order[start:end] = samples[current, start:end]
                _partition_final(xt, order, start, end, feature, threshold)
                impurity_left, impurity_right = _children_impurity(y, order, start, end, pos, sum_total,
                                                                   sq_sum_total)
                n_left = float(pos - start)
                improvement = (weight / n_samples) * (impurity - ((weight - n_left) / weight * impurity_right)
                                                      - (n_left / weight * impurity_left))
                is_leaf = improvement + EPSILON < 0.0  # min_impurity_decrease = 0
        if is_leaf:
            feature = TREE_UNDEFINED
            threshold = float(TREE_UNDEFINED)
        node_id = node_count
        node_count += 1
        _add_node(node_id, parent, is_left, feature, threshold, impurity, weight, sum_total / weight,
                  nodes_feature, nodes_threshold, nodes_left, nodes_right, nodes_impurity, nodes_weight, nodes_value)
        if is_leaf:
            for p in range(start, end):
                leaf_of[order[p]] = node_id
            continue
        if depth + 1 < max_depth:  # the children will search splits: they need sorted samples
            for p in range(start, end):
                goes_left[order[p]] = p < pos
            child = (depth + 1) % 2
            _partition_sorted(values, samples, ys, work_values[child], work_samples[child], work_ys[child],
                              goes_left, start, pos, end)
        # right child first, so the left one is popped (and numbered) first
        _push(stack, stack_impurity, top, pos, end, depth + 1, node_id, 0, n_constants, impurity_right)
        _push(stack, stack_impurity, top + 1, start, pos, depth + 1, node_id, 1, n_constants, impurity_left)
        top += 2
    return node_count


# ---------------------------------------------------------------- leaves, predictions, importances

@_jit
def _block_sum(a, lo, n):
    """numpy's `pairwise_sum` of `a[lo:lo + n]` for n <= 128 (PW_BLOCKSIZE): eight running sums."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@_jit
def _pairwise_sum(a, lo, n):
    """numpy's `pairwise_sum` (numpy/_core/src/umath/loops_utils.h.src) of `a[lo:lo + n]`, which
    `np.sum` of a contiguous float64 array is: blocks of at most 128, halves rounded down to a
    multiple of 8 summed separately. Its recursion is a stack here (see `_introsort_3way`)."""
    frames = np.empty((64, 3), dtype=np.int64)  # lo, n, halves done
    partial = np.empty(64)
    frames[0, 0], frames[0, 1], frames[0, 2] = lo, n, 0
    top = 1
    n_partial = 0
    while top > 0:
        lo, n, done = frames[top - 1, 0], frames[top - 1, 1], frames[top - 1, 2]
        if n <= 128 or done == 2:
            if n <= 128:
                partial[n_partial] = _block_sum(a, lo, n)
                n_partial += 1
            else:  # both halves summed
                n_partial -= 1
                partial[n_partial - 1] = partial[n_partial - 1] + partial[n_partial]
            top -= 1
            continue
        half = n // 2
        half -= half % 8
        frames[top - 1, 2] = done + 1
        if done == 0:
            frames[top, 0], frames[top, 1], frames[top, 2] = lo, half, 0
        else:
            frames[top, 0], frames[top, 1], frames[top, 2] = lo + half, n - half, 0
        top += 1
    return partial[0]


@_jit
def _newton_leaves(leaf_of, node_count, nodes_left, y_k, neg_gradient, numerator_factor, nodes_value):
    """`_update_terminal_regions` for the log losses: each leaf's value is
    `numerator_factor * mean(g) / mean(p (1 - p))` over its samples in index order, p = y_k - g,
    numpy's pairwise sums, 0 where |denominator| < 1e-150 (`_safe_divide`)."""
    n_samples = leaf_of.shape[0]
    counts = np.zeros(node_count + 1, dtype=np.int64)
    for i in range(n_samples):
        counts[leaf_of[i] + 1] += 1
    offsets = np.cumsum(counts)
    gradient = np.empty(n_samples)
    hessian = np.empty(n_samples)
    filled = offsets[:-1].copy()
    for i in range(n_samples):  # counting sort by leaf: each leaf's samples in index order
        j = filled[leaf_of[i]]
        gradient[j] = neg_gradient[i]
        prob = y_k[i] - neg_gradient[i]
        hessian[j] = prob * (1 - prob)
        filled[leaf_of[i]] += 1
    for node in range(node_count):
        if nodes_left[node] != TREE_LEAF:
            continue
        lo = offsets[node]
        n = offsets[node + 1] - lo
        numerator = _pairwise_sum(gradient, lo, n) / float(n)
        numerator *= numerator_factor
        denominator = _pairwise_sum(hessian, lo, n) / float(n)
        nodes_value[node] = 0.0 if abs(denominator) < 1e-150 else numerator / denominator


@_jit
def _tree_importances(node_count, nodes_feature, nodes_left, nodes_right, nodes_impurity, nodes_weight, out):
    """`Tree.compute_feature_importances(normalize=False)`: weighted impurity decreases / root weight."""
    out[:] = 0.0
    for node in range(node_count):
        left = nodes_left[node]
        if left != TREE_LEAF:
            right = nodes_right[node]
            out[nodes_feature[node]] += (nodes_weight[node] * nodes_impurity[node]
                                         - nodes_weight[left] * nodes_impurity[left]
                                         - nodes_weight[right] * nodes_impurity[right])
    out /= nodes_weight[0]


@_jit
def _fit_tree(xt, presorted_values, presorted_samples, sample_class, mixed_ties, neg_gradient, y_k, seed, max_depth,
              numerator_factor, learning_rate, raw_column, feature, threshold, left, right, impurity, weight, value,
              importance):
    """One tree of one stage (`BaseGradientBoosting._fit_stage`'s loop body): grow, set its leaves,
    add learning_rate * leaf value to its raw-prediction column. Returns the node count."""
    n_samples = neg_gradient.shape[0]
    leaf_of = np.empty(n_samples, dtype=np.int64)
    node_count = _grow_tree(xt, presorted_values, presorted_samples, sample_class, mixed_ties, neg_gradient, seed,
                            max_depth, feature, threshold, left, right, impurity, weight, value, leaf_of)
    _newton_leaves(leaf_of, node_count, left, y_k, neg_gradient, numerator_factor, value)
    for i in range(n_samples):
        raw_column[i] += learning_rate * value[leaf_of[i]]
    _tree_importances(node_count, feature, left, right, impurity, weight, importance)
    return node_count


@_jit
def _predict_raw(xt, feature, threshold, left, right, value, learning_rate, raw):
    """`predict_stages`: raw[i, k] += learning_rate * value of x_i's leaf, stage by stage."""
    n_stages, n_trees = feature.shape[:2]
    for stage in range(n_stages):
        for k in range(n_trees):
            for i in range(raw.shape[0]):
                node = 0
                while left[stage, k, node] != TREE_LEAF:
                    if xt[feature[stage, k, node], i] <= threshold[stage, k, node]:
                        node = left[stage, k, node]
                    else:
                        node = right[stage, k, node]
                raw[i, k] += learning_rate * value[stage, k, node]


# ---------------------------------------------------------------- the booster (_gb.py)

@dataclass
class PresortedBoosting:
    """A fitted booster: scikit-learn's `GradientBoostingClassifier` attributes that DCI reads.

    Trees are arrays `[n_estimators, n_trees_per_stage, max_nodes]` in scikit-learn's node order
    (`tree_.feature`, `tree_.threshold`, `tree_.children_left` / `_right`, `tree_.impurity`,
    `tree_.weighted_n_node_samples`, `tree_.value[:, 0, 0]`),
    valid up to `node_count[stage, k]`.
    """

    classes_: np.ndarray
    learning_rate: float
    init_raw: np.ndarray  # [n_trees_per_stage], the prior's raw prediction
    node_count: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    children_left: np.ndarray
    children_right: np.ndarray
    impurity: np.ndarray
    weighted_n_node_samples: np.ndarray
    value: np.ndarray
    tree_importances: np.ndarray  # [n_estimators, n_trees_per_stage, D], unnormalised

    @property
    def feature_importances_(self) -> np.ndarray:
        """`BaseGradientBoosting.feature_importances_`: the mean over trees with a split, normalised."""
        relevant = self.tree_importances[self.node_count > 1]
        if len(relevant) == 0:
            return np.zeros(self.tree_importances.shape[-1])
        average = np.mean(relevant, axis=0, dtype=np.float64)
        return average / np.sum(average)

    def decision_function(self, x) -> np.ndarray:
        """Raw predictions `[M, K]` (`[M]` for two classes), scikit-learn's `decision_function`."""
        x32 = _as_float32(x, "x", self.tree_importances.shape[-1])
        raw = np.tile(self.init_raw, (x32.shape[0], 1))
        _predict_raw(np.ascontiguousarray(x32.T), self.feature, self.threshold, self.children_left,
                     self.children_right, self.value, self.learning_rate, raw)
        return raw[:, 0] if len(self.classes_) == 2 else raw

    def predict(self, x) -> np.ndarray:
        """The classes of the largest raw prediction (the first on a tie; raw >= 0 for two classes)."""
        raw = self.decision_function(x)
        encoded = (raw >= 0).astype(int) if raw.ndim == 1 else np.argmax(raw, axis=1)
        return self.classes_[encoded]


def fit(x, y, *, random_state, n_estimators: int = 100, learning_rate: float = 0.1, max_depth: int = 3,
        pool=None) -> PresortedBoosting:
    """Fits `GradientBoostingClassifier(n_estimators, learning_rate, max_depth, random_state)`'s trees.

    Args:
      x: `[N, D]` numeric features (cast to float32, as scikit-learn does), finite.
      y: `[N]` class labels, at least 2 distinct.
      random_state: int, `np.random.RandomState` or None, as scikit-learn's `random_state`.
      n_estimators: boosting stages.
      learning_rate: shrinkage of every leaf value.
      max_depth: depth of every tree.
      pool: a `concurrent.futures.Executor` growing the trees of a stage side by side (the trees of a
        stage are independent; each has its own seed), or None for one after another.

    Returns:
      A `PresortedBoosting` with `feature_importances_`, `predict` and `decision_function`.
    """
    from sklearn.utils import check_random_state

    x32 = _as_float32(x, "x")
    classes, y_encoded = _check_labels(y, x32.shape[0])
    n_estimators, max_depth = _check_settings(n_estimators, learning_rate, max_depth)
    loss, init_raw = _initial_raw_prediction(y_encoded, len(classes))
    n_samples, n_features = x32.shape
    n_trees = init_raw.shape[0]
    max_nodes = min(2 ** (max_depth + 1) - 1, 2 * n_samples - 1)
    model = PresortedBoosting(
        classes_=classes, learning_rate=float(learning_rate), init_raw=init_raw,
        node_count=np.zeros((n_estimators, n_trees), dtype=np.int64),
        feature=np.full((n_estimators, n_trees, max_nodes), TREE_UNDEFINED, dtype=np.int64),
        threshold=np.full((n_estimators, n_trees, max_nodes), float(TREE_UNDEFINED)),
        children_left=np.full((n_estimators, n_trees, max_nodes), TREE_LEAF, dtype=np.int64),
        children_right=np.full((n_estimators, n_trees, max_nodes), TREE_LEAF, dtype=np.int64),
        impurity=np.zeros((n_estimators, n_trees, max_nodes)),
        weighted_n_node_samples=np.zeros((n_estimators, n_trees, max_nodes)),
        value=np.zeros((n_estimators, n_trees, max_nodes)),
        tree_importances=np.zeros((n_estimators, n_trees, n_features)))
    xt = np.ascontiguousarray(x32.T)  # feature-major: each feature's values contiguous
    presorted_samples = np.argsort(xt, axis=1, kind="stable").astype(np.int32)
    presorted_values = np.take_along_axis(xt, presorted_samples, axis=1)
    sample_class, mixed_ties = _tie_classes(x32, y_encoded, presorted_values, presorted_samples)
    y_float = y_encoded.astype(np.float64)
    # _update_terminal_regions' (K - 1) / K (HalfMultinomialLoss only)
    numerator_factor = (n_trees - 1) / n_trees if n_trees > 1 else 1.0
    targets = [np.array(y_encoded == k, dtype=np.float64) for k in range(n_trees)] if n_trees > 1 else [y_float]
    raw = np.tile(init_raw, (n_samples, 1))
    raw_columns = np.asfortranarray(raw)  # each tree adds to its own contiguous column
    state = check_random_state(random_state)
    for stage in range(n_estimators):
        neg_gradient = -loss.gradient(y_true=y_float, raw_prediction=np.ascontiguousarray(raw_columns),
                                      sample_weight=None)
        neg_gradient = np.asfortranarray(neg_gradient.reshape(n_samples, n_trees))
        # Splitter.init: each tree draws its seed from the shared state as it starts.
        seeds = [state.randint(0, RAND_R_MAX) for _ in range(n_trees)]

        def grow(k, stage=stage, neg_gradient=neg_gradient, seeds=seeds):
            model.node_count[stage, k] = _fit_tree(
                xt, presorted_values, presorted_samples, sample_class, mixed_ties, neg_gradient[:, k], targets[k],
                seeds[k], max_depth,
                numerator_factor, learning_rate, raw_columns[:, k], model.feature[stage, k],
                model.threshold[stage, k], model.children_left[stage, k], model.children_right[stage, k],
                model.impurity[stage, k], model.weighted_n_node_samples[stage, k], model.value[stage, k],
                model.tree_importances[stage, k])

        if pool is None or n_trees == 1:
            for k in range(n_trees):
                grow(k)
        else:
            list(pool.map(grow, range(n_trees)))
    return model


def _tie_classes(x32, y_encoded, presorted_values, presorted_samples):
    """Samples with equal rows of X and equal labels get equal targets in every tree, so no
    computation can tell them apart: they share a class. A feature has mixed ties where it holds
    an equal value for samples of different classes: only there does the order that scikit-learn's
    sort leaves matter."""
    rows = np.column_stack([x32.view(np.int32), y_encoded.astype(np.int32)])
    sample_class = np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)
    n_samples = x32.shape[0]
    mixed_ties = np.array([_has_mixed_ties(presorted_values[f], presorted_samples[f], sample_class)
                           for f in range(x32.shape[1])])
    return sample_class, mixed_ties


def _initial_raw_prediction(y_encoded, n_classes):
    """scikit-learn's loss and its prior raw prediction (`init_ = DummyClassifier(strategy="prior")`,
    `_init_raw_predictions`), computed by scikit-learn on one row: every row is the same."""
    from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble._gb import _init_raw_predictions

    loss = HalfBinomialLoss() if n_classes == 2 else HalfMultinomialLoss(n_classes=n_classes)
    y_float = y_encoded.astype(np.float64)
    prior = DummyClassifier(strategy="prior").fit(np.zeros((len(y_float), 1)), y_float)
    init_raw = _init_raw_predictions(np.zeros((1, 1), dtype=np.float32), prior, loss, True)[0]
    return loss, np.ascontiguousarray(init_raw, dtype=np.float64)


def _as_float32(x, name, num_features=None) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"{name} must be a 2-D array (N, D) with N >= 1; got shape {x.shape}.")
    if num_features is not None and x.shape[1] != num_features:
        raise ValueError(f"{name} has {x.shape[1]} features but the booster was fit on {num_features}.")
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
        raise ValueError(f"{name} must be numeric; got dtype {x.dtype}.")
    x32 = x.astype(np.float32)  # scikit-learn's trees work on float32 (sklearn.tree._tree.DTYPE)
    if not np.all(np.isfinite(x32)):
        raise ValueError(f"{name} must be finite in float32 (scikit-learn's tree dtype); it holds NaN, inf "
                         "or values beyond +-3.4e38.")
    return x32


def _check_labels(y, num_points):
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != num_points:
        raise ValueError(f"y must be a 1-D array with one label per row of x ({num_points}); got shape {y.shape}.")
    classes, y_encoded = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"y holds a single class ({classes[0]!r}); a classifier needs at least 2.")
    return classes, y_encoded.reshape(-1)


def _check_settings(n_estimators, learning_rate, max_depth):
    if int(n_estimators) != n_estimators or n_estimators < 1:
        raise ValueError(f"n_estimators must be a positive integer; got {n_estimators!r}.")
    if int(max_depth) != max_depth or max_depth < 1:
        raise ValueError(f"max_depth must be a positive integer; got {max_depth!r}.")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive; got {learning_rate!r}.")
    return int(n_estimators), int(max_depth)
