"""One regression tree as scikit-learn's `DepthFirstTreeBuilder` grows it from presorted features:
nodes depth first, left child first, each node's sorted samples split stably into its children
(O(n) per feature and node); then the leaves' Newton steps with numpy's pairwise summation, the
tree's importances and its predictions. See the package docstring."""

from __future__ import annotations

import numpy as np

from zoo.metrics._boosting.presorted.compiled import EPSILON, TREE_LEAF, TREE_UNDEFINED, _jit
from zoo.metrics._boosting.presorted.splits import _children_impurity, _node_sums, _replay_pending, _search_features


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
