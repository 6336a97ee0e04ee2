"""The best split of one node, as scikit-learn's `node_split_best` finds it: the splitter's random
feature order (`rand_int`), the squared-error criterion's sums (`_criterion.pyx`), the scan of each
feature's presorted values, and the search over features with its bookkeeping of constant features
and of the ties whose order matters (replayed by `sort_replay`). See the package docstring for why
every sum is taken in scikit-learn's order."""

from __future__ import annotations

import numpy as np

from zoo.metrics._boosting.presorted.compiled import FEATURE_THRESHOLD, RAND_R_MAX, _MASK32, _jit
from zoo.metrics._boosting.presorted.sort_replay import _mixed_tie_groups, _replay_sort


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
