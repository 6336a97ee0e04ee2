"""The pair sampler of the weakly supervised models (zoo.data.pairs, Locatello et al. 2020)."""

import numpy as np
import pytest

import zoo.data
from zoo.data import pairs


@pytest.fixture(scope="module")
def tiny():
    return zoo.data.load("tiny")  # factors (shape 2, scale 2, posX 6, posY 6)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_fixed_k_redraws_exactly_k_factors_and_keeps_the_rest(tiny, k):
    sample = pairs.sample_pairs(tiny, 4000, k=k, rng=0)
    assert (sample.resampled.sum(axis=1) == k).all() and (sample.k == k).all()
    np.testing.assert_array_equal(sample.factors2[~sample.resampled], sample.factors1[~sample.resampled])
    # Which factors: uniform over the K choose k subsets, so each factor is redrawn with probability k / K.
    np.testing.assert_allclose(sample.resampled.mean(axis=0), k / 4, atol=0.03)
    # A redrawn factor takes any of its values, the old one included (probability 1 / size), as the
    # paper's resampling from p(z) and disentanglement_lib's simple_dynamics do.
    kept = (sample.factors2 == sample.factors1) & sample.resampled
    np.testing.assert_allclose(kept.sum(axis=0) / sample.resampled.sum(axis=0), [1 / 2, 1 / 2, 1 / 6, 1 / 6],
                               atol=0.04)
    changed = (sample.factors1 != sample.factors2).sum(axis=1)
    assert changed.max() == k and changed.min() < k


def test_random_k_is_uniform_on_1_to_K_minus_1(tiny):
    sample = pairs.sample_pairs(tiny, 6000, k=pairs.RANDOM_K, rng=1)
    np.testing.assert_array_equal(sample.resampled.sum(axis=1), sample.k)
    counts = np.bincount(sample.k, minlength=4)
    assert counts[0] == 0 and counts[1:].sum() == 6000
    np.testing.assert_allclose(counts[1:] / 6000, 1 / 3, atol=0.03)


def test_disentanglement_libs_one_or_k(tiny):
    sample = pairs.sample_pairs(tiny, 4000, k=3, rng=2, one_or_k=True)
    assert set(np.unique(sample.k)) == {1, 3}
    assert np.mean(sample.k == 1) == pytest.approx(0.5, abs=0.03)


def test_images_are_the_renderings_of_both_factor_sets(tiny):
    sample = pairs.sample_pairs(tiny, 50, k=2, rng=3)
    assert sample.images.shape == (50, 2, 16, 16, 1) and sample.images.dtype == np.float32
    np.testing.assert_array_equal(sample.images[:, 0], tiny.sample_observations_from_factors(sample.factors1))
    np.testing.assert_array_equal(sample.images[:, 1], tiny.sample_observations_from_factors(sample.factors2))
    dsprites = zoo.data.load("dsprites")
    sample = pairs.sample_pairs(dsprites, 8, k=1, rng=0)
    np.testing.assert_array_equal(sample.images[:, 1], dsprites.sample_observations_from_factors(sample.factors2))


def test_the_stream_is_deterministic_resumable_and_batched(tiny):
    stream = pairs.as_pair_dataset(tiny, 8, seed=5, k=2, with_factors=True, batches_per_call=3)
    batches = [tuple(t.numpy() for t in b) for b in stream.take(7)]
    images, k, factors = batches[0]
    assert images.shape == (8, 2, 16, 16, 1) and k.shape == (8,) and factors.shape == (8, 2, 4)
    assert (k == 2).all()
    np.testing.assert_array_equal(images[:, 1], tiny.sample_observations_from_factors(factors[:, 1]))
    again = [tuple(t.numpy() for t in b) for b in pairs.as_pair_dataset(tiny, 8, seed=5, k=2, with_factors=True,
                                                                         batches_per_call=3).take(7)]
    resumed = next(iter(pairs.as_pair_dataset(tiny, 8, seed=5, k=2, with_factors=True, batches_per_call=3,
                                              start_batch=5)))
    for a, b in zip(batches[5], resumed):
        np.testing.assert_array_equal(a, b)
    for x, y in zip(batches, again):
        np.testing.assert_array_equal(x[0], y[0])
    assert not np.array_equal(batches[0][0], batches[1][0])
    element = next(iter(pairs.as_pair_dataset(tiny, 4, seed=0)))
    assert len(element) == 2 and set(element[1].numpy()) <= {1, 2, 3}


def test_bad_input_is_refused_with_the_reason(tiny):
    for k in (4, -1, 1.5, True, "rnd"):
        with pytest.raises(ValueError, match=r"k must be an integer in 1\.\.3 \(the number of tiny's 4 factors"):
            pairs.sample_pairs(tiny, 4, k=k)
        with pytest.raises(ValueError, match=r"k must be an integer in 1\.\.3"):
            pairs.as_pair_dataset(tiny, 4, k=k)
    own = zoo.data.from_array(np.zeros((4, 16, 16, 1), np.float32))
    with pytest.raises(ValueError, match="array has no ground-truth factors: pairs that share factors"):
        pairs.as_pair_dataset(own, 4, k=1)
    with pytest.raises(ValueError, match=r"has one factor \(digit\)"):
        pairs.check_k(zoo.data.load("mnist"), 1)
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer; got 0"):
        pairs.as_pair_dataset(tiny, 0, k=1)
    with pytest.raises(ValueError, match=r"factors must have shape \(N, 4\)"):
        pairs.resample_factors(tiny, np.zeros((3, 5), int), 1, rng=0)
    x = np.zeros((3, 16, 16, 1), np.float32)
    assert pairs.stack_pairs(x, x + 1).shape == (3, 2, 16, 16, 1)
    with pytest.raises(ValueError, match=r"x1 and x2 must have the same shape .* got \(3, 16, 16, 1\) and \(2, 16, 16, 1\)"):
        pairs.stack_pairs(x, x[:2])
    with pytest.raises(ValueError, match=r"must have shape \(n, 64, 64, 1\); got \(3, 16, 16, 1\)"):
        pairs.stack_pairs(x, x, observation_shape=(64, 64, 1))


def test_docstring_example_runs():
    import doctest

    result = doctest.testmod(pairs, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
