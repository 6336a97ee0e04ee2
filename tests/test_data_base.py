import numpy as np
import pytest

import zoo.data
from zoo.data import check_images


def test_tiny_index_round_trip():
    data = zoo.data.load("tiny")
    index = np.arange(data.num_observations)
    factors = data.factors_of(index)
    np.testing.assert_array_equal(data.index_of(factors), index)
    # Last factor varies fastest, as in dSprites' own ordering.
    np.testing.assert_array_equal(factors[1], [0, 0, 0, 1])
    np.testing.assert_array_equal(data.factor_bases, [72, 36, 6, 1])


def test_tiny_images_and_determinism():
    data = zoo.data.load("tiny")
    f1, x1 = data.sample(32, 7)
    f2, x2 = data.sample(32, np.random.default_rng(7))
    np.testing.assert_array_equal(f1, f2)
    np.testing.assert_array_equal(x1, x2)
    assert x1.dtype == np.float32 and x1.shape == (32, 16, 16, 1)
    assert x1.min() == 0.0 and x1.max() == 1.0
    # Distinct factors give distinct images (every factor is identifiable).
    all_images = data.sample_observations_from_factors(data.factors_of(np.arange(data.num_observations)))
    flat = all_images.reshape(len(all_images), -1)
    assert len(np.unique(flat, axis=0)) == data.num_observations


def test_bad_factors_are_named():
    data = zoo.data.load("tiny")
    with pytest.raises(ValueError, match="posX"):
        data.index_of([[0, 0, 6, 0]])
    with pytest.raises(ValueError, match=r"shape \(N, 4\)"):
        data.index_of([[0, 0, 0]])


def test_unknown_dataset_lists_known():
    with pytest.raises(ValueError, match="Known datasets:.*tiny"):
        zoo.data.load("no_such_dataset")


def test_stream_is_deterministic():
    data = zoo.data.load("tiny")
    a = next(iter(data.as_tf_dataset(8, seed=3))).numpy()
    b = next(iter(data.as_tf_dataset(8, seed=3))).numpy()
    c = next(iter(data.as_tf_dataset(8, seed=4))).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.shape == (8, 16, 16, 1) and not np.array_equal(a, c)


def test_check_images():
    x = np.zeros((2, 4, 4, 1), np.uint8) + 255
    assert check_images(x).max() == 1.0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        check_images(np.full((2, 4, 4, 1), 3.0))
    with pytest.raises(ValueError, match="shape"):
        check_images(np.zeros((2, 4, 4, 1)), (8, 8, 1))
    with pytest.raises(ValueError, match="dtype"):
        check_images(np.zeros((2, 4, 4, 1), np.int32))


def test_stream_resumes_at_a_batch():
    data = zoo.data.load("tiny")
    full = [b.numpy() for b in data.as_tf_dataset(4, seed=1).take(7)]
    resumed = [b.numpy() for b in data.as_tf_dataset(4, seed=1, start_batch=5).take(2)]
    np.testing.assert_array_equal(np.stack(full[5:]), np.stack(resumed))
