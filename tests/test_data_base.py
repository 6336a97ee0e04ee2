import re

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


# ------------------------------------------------------------------ bad sizes, seeds and positions
# Each of these reached tf.data or numpy unchecked: batch_size=0 ended the interpreter with a
# segmentation fault, the others failed deep inside a tf.data map or numpy's SeedSequence.

BAD_STREAM_ARGUMENTS = [
    ({"batch_size": 0}, "batch_size must be a positive integer; got 0"),
    ({"batch_size": -4}, "batch_size must be a positive integer; got -4"),
    ({"batch_size": 2.5}, "batch_size must be a positive integer; got 2.5"),
    ({"batch_size": True}, "batch_size must be a positive integer; got True"),
    ({"batch_size": "64"}, "batch_size must be a positive integer; got '64' of type str"),
    ({"seed": -1}, "seed must be an integer >= 0; got -1"),
    ({"start_batch": -1}, "start_batch must be an integer >= 0; got -1"),
    ({"batches_per_call": 0}, "batches_per_call must be a positive integer; got 0"),
    ({"with_factors": "yes"}, "with_factors must be True or False"),
]


@pytest.mark.parametrize("name", ["tiny", "dsprites", "mnist"])
@pytest.mark.parametrize("kwargs, message", BAD_STREAM_ARGUMENTS)
def test_stream_arguments_are_checked_before_tf_data(name, kwargs, message):
    data = zoo.data.load(name)
    with pytest.raises(ValueError, match=re.escape(message)):
        data.as_tf_dataset(**kwargs)


def test_integral_floats_are_accepted_as_sizes():
    data = zoo.data.load("tiny")
    assert next(iter(data.as_tf_dataset(batch_size=4.0, seed=2.0))).shape == (4, 16, 16, 1)


@pytest.mark.parametrize("name", ["tiny", "dsprites", "mnist"])  # mnist samples by its own path
def test_sample_sizes_and_seeds_are_checked(name):
    data = zoo.data.load(name)
    with pytest.raises(ValueError, match=re.escape("n must be an integer >= 0; got -1")):
        data.sample(-1, rng=0)
    with pytest.raises(ValueError, match=re.escape("n must be an integer >= 0; got 2.5")):
        data.sample_factors(2.5, rng=0)
    with pytest.raises(ValueError, match=re.escape("n must be an integer >= 0; got True")):
        data.sample_factors(True, rng=0)
    with pytest.raises(ValueError, match=re.escape("rng (a seed) must be an integer >= 0; got -3")):
        data.sample(2, rng=-3)
    assert data.sample_factors(0, rng=0).shape == (0, data.num_factors)


def test_a_partial_dsprites_file_checks_its_own_sample_size(monkeypatch):
    from zoo.data import dsprites

    class PartialStore:
        complete = False
        indices = np.array([0, 1, 2])

    data = zoo.data.load("dsprites")
    monkeypatch.setattr(data, "_store", PartialStore())
    assert data.sample_factors(4, rng=0).shape == (4, 5)
    with pytest.raises(ValueError, match=re.escape("n must be an integer >= 0; got -2")):
        data.sample_factors(-2, rng=0)
    assert isinstance(data, dsprites.DSprites)


def test_check_images_rule():
    # uint8 is 0..255 grey levels; a uint8 batch whose max is 1 holds 0/1 masks (DeepMind's file)
    # and would be nearly black divided by 255: refused with the fix.
    grey = np.array([0, 128, 255], np.uint8).reshape(1, 3, 1, 1)
    np.testing.assert_allclose(check_images(grey).ravel(), [0.0, 128 / 255, 1.0])
    masks = np.array([0, 1, 1], np.uint8).reshape(1, 3, 1, 1)
    with pytest.raises(ValueError, match=r"0/1 masks.*DeepMind's dSprites file.*astype\('float32'\)"):
        check_images(masks)
    assert check_images(np.zeros((1, 3, 1, 1), np.uint8)).max() == 0.0  # all black is black either way
    # float must lie in [0, 1] within half an 8-bit grey level.
    half_level = 0.5 / 255
    ok = np.array([-0.9 * half_level, 0.5, 1 + 0.9 * half_level], np.float32).reshape(1, 3, 1, 1)
    np.testing.assert_array_equal(check_images(ok), ok)
    with pytest.raises(ValueError, match=r"pixel values 0..255 must be divided by 255.*got values in \[0, 255\]"):
        check_images(np.array([0.0, 255.0], np.float32).reshape(1, 2, 1, 1))
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        check_images(np.array([0.0, 1 + 2 * half_level], np.float32).reshape(1, 2, 1, 1))
    with pytest.raises(ValueError, match="NaN/inf"):
        check_images(np.array([0.0, np.nan], np.float32).reshape(1, 2, 1, 1))
