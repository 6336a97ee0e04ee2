"""Encode once: the intervention metrics and `evaluate` give the same scores whether each distinct
image is encoded once (the code table) or every sample is rendered and encoded as it is drawn."""

import numpy as np
import pytest

import metrics_cases as cases
import zoo.data
import zoo.metrics
from zoo.metrics import _sampling

SMALL = dict(num_train=600, num_test=300)
OPTIONS = {"dci": {"backend": "fast", "n_jobs": 1}, "beta_vae_score": {"batch_size": 16},
           "factor_vae_score": {"batch_size": 16, "num_variance_estimate": 500}}


class CountingFn:
    """A representation function that records the size of every call and every image it saw."""

    def __init__(self, fn, data=None):
        self.fn, self.data = fn, data
        self.calls, self.seen = [], []

    def __call__(self, images):
        self.calls.append(len(images))
        if self.data is not None:
            self.seen.append(np.asarray(images).reshape(len(images), -1))
        return self.fn(images)


class DeterministicFactors(cases.FactorsAsImages):
    """`FactorsAsImages`, declared deterministic (its "images" are the factors themselves)."""

    deterministic_observations = True


def _scores(result):
    return {k: v for k, v in result.items() if not k.startswith("timing.")}


@pytest.mark.parametrize("seed", [0, 3])
def test_evaluate_equal_with_and_without_encode_once(seed):
    data = zoo.data.load("tiny")
    once = CountingFn(cases.tiny_mixed)
    every = CountingFn(cases.tiny_mixed)
    a = zoo.metrics.evaluate(once, data, seed=seed, progress=False, metric_options=OPTIONS, encode_once=True, **SMALL)
    b = zoo.metrics.evaluate(every, data, seed=seed, progress=False, metric_options=OPTIONS, encode_once=False,
                             **SMALL)
    assert _scores(a) == _scores(b)
    assert set(a) == set(b)
    # The immediate path encodes every sample: 900 shared points, 2 x 16 x 900 BetaVAE pair
    # members, 500 + 16 x 900 FactorVAE samples. The table encodes each distinct image once, and
    # tiny has only 2 * 2 * 6 * 6 = 144.
    assert sum(every.calls) == 900 + 2 * 16 * 900 + 500 + 16 * 900
    assert sum(once.calls) <= 144
    # The default for a deterministic dataset is the table.
    c = zoo.metrics.evaluate(cases.tiny_mixed, data, seed=seed, progress=False, metric_options=OPTIONS, **SMALL)
    assert _scores(c) == _scores(a)


def test_intervention_metrics_alone_equal_with_and_without_encode_once():
    data = zoo.data.load("tiny")
    for seed in (0, np.random.default_rng(5)):
        kwargs = dict(seed=seed, num_train=500, num_eval=300, batch_size=32)
        rng_state = seed.bit_generator.state if isinstance(seed, np.random.Generator) else None
        a = zoo.metrics.beta_vae_score(data, cases.tiny_mixed, encode_once=True, **kwargs)
        if rng_state is not None:
            seed.bit_generator.state = rng_state
        b = zoo.metrics.beta_vae_score(data, cases.tiny_mixed, encode_once=False, **kwargs)
        assert a == b
    kwargs = dict(seed=4, num_train=500, num_eval=300, batch_size=32, num_variance_estimate=700)
    assert (zoo.metrics.factor_vae_score(data, cases.tiny_mixed, encode_once=True, **kwargs)
            == zoo.metrics.factor_vae_score(data, cases.tiny_mixed, encode_once=False, **kwargs))
    # A collapsed code: no active dimension either way.
    const = cases.as_fn(cases.constant)
    facts = DeterministicFactors()
    assert (zoo.metrics.factor_vae_score(facts, const, encode_once=True, **kwargs)
            == zoo.metrics.factor_vae_score(facts, const, encode_once=False, **kwargs)
            == {"train_accuracy": 0.0, "eval_accuracy": 0.0, "num_active_dims": 0})


def test_code_table_encodes_each_distinct_image_once_in_bounded_chunks():
    data = zoo.data.load("tiny")
    fn = CountingFn(cases.tiny_moments, data)
    table = _sampling.CodeTable(data, fn, chunk=40)
    rng = np.random.default_rng(0)
    first = data.sample_factors(500, rng)
    second = data.sample_factors(300, rng)
    a = table.request(first, rng)
    b = table.request(second, rng, reduce=lambda z: z.sum(axis=0))
    with pytest.raises(RuntimeError, match="run"):
        a.value
    table.run()
    distinct = np.unique(data.index_of(np.concatenate([first, second])))
    assert table.num_encoded == len(distinct) == sum(fn.calls)
    # 144 or fewer distinct images in chunks of at most 40: equal chunks, none of a single image.
    assert max(fn.calls) <= 40 and min(fn.calls) >= 20
    seen = np.concatenate(fn.seen)
    assert len(np.unique(seen, axis=0)) == len(seen)
    np.testing.assert_array_equal(a.value, cases.tiny_moments(data.sample_observations_from_factors(first)))
    np.testing.assert_allclose(b.value, cases.tiny_moments(data.sample_observations_from_factors(second)).sum(0))


def test_random_images_take_the_immediate_path():
    noisy = zoo.data.load("noisy_dsprites")
    assert isinstance(_sampling.make_encoder(noisy, cases.tiny_moments), _sampling.ImmediateEncoder)
    with pytest.raises(ValueError, match="deterministic_observations=False"):
        zoo.metrics.beta_vae_score(noisy, cases.tiny_moments, encode_once=True)
    assert isinstance(_sampling.make_encoder(zoo.data.load("dsprites"), cases.tiny_moments), _sampling.CodeTable)


@pytest.mark.parametrize("name", ["dsprites", "color_dsprites", "noisy_dsprites", "scream_dsprites", "tiny"])
def test_datasets_declare_whether_rendering_draws_randomness(name):
    # The table relies on the declaration: a deterministic dataset must give equal images for
    # equal factors and leave the rng untouched (so the factor draws interleaved with rendering
    # on the immediate path are the same draws); the others must really be random.
    data = zoo.data.load(name)
    factors = data.sample_factors(50, 0)
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    first = data.sample_observations_from_factors(factors, rng)
    drew = rng.bit_generator.state != before
    second = data.sample_observations_from_factors(factors, np.random.default_rng(2))
    if data.deterministic_observations:
        assert not drew
        np.testing.assert_array_equal(first, second)
    else:
        assert drew and not np.array_equal(first, second)


def test_evaluate_equal_with_and_without_encode_once_for_a_keras_encoder():
    # A trained network on rendered dSprites. Its code of an image may depend on the batch the image is
    # in, in the last bits: oneDNN's convolutions can sum in another order for another batch size (seen
    # on one core: IRS and the Gaussian TC 1e-9 apart relatively). So the table gives every score of the
    # immediate path to within float32 rounding, the sampled scores (counts of votes) exactly.
    import zoo as zoo_api

    model = zoo_api.load("factorvae-dsprites")
    data = zoo.data.load("dsprites")
    # Every metric but DCI, which scores the same shared arrays as MIG, SAP and the others (so the codes'
    # equality shows there already) and took 25 of this test's 31 s in its gradient boosting.
    metrics = [m for m in zoo.metrics.ALL if m != "dci"]
    options = {"beta_vae_score": {"batch_size": 8}, "factor_vae_score": {"batch_size": 8, "num_variance_estimate": 400}}
    kwargs = dict(metrics=metrics, seed=1, num_train=300, num_test=150, progress=False, metric_options=options)
    a = zoo.metrics.evaluate(model.representation, data, encode_once=True, **kwargs)
    b = zoo.metrics.evaluate(model.representation, data, encode_once=False, **kwargs)
    assert _scores(a) == pytest.approx(_scores(b), rel=1e-6, abs=1e-9)
    sampled = [k for k in _scores(a) if k.startswith(("beta_vae_score.", "factor_vae_score."))]
    assert sampled and {k: a[k] for k in sampled} == {k: b[k] for k in sampled}


def _tiny_lookup():
    """A `LookupData` over a 3 x 4 x 5 grid of stored random 8x8 images, in memory."""
    from zoo.data.lookup import ImageLookup, LookupData, MemoryRows

    class Stored(LookupData):
        name = "stored"
        factor_names = ("a", "b", "c")
        factor_sizes = (3, 4, 5)
        observation_shape = (8, 8, 1)

        def __init__(self):
            self.factor_values = tuple(np.arange(s, dtype=np.float64) for s in self.factor_sizes)
            images = np.random.default_rng(0).integers(0, 256, (60, 8, 8, 1), dtype=np.uint8)
            self._lookup = ImageLookup(MemoryRows(images), 60, origin="memory")

    return Stored()


def test_file_backed_lookups_are_deterministic_and_encode_once():
    data = _tiny_lookup()
    assert data.deterministic_observations
    factors = data.sample_factors(40, 0)
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    first = data.sample_observations_from_factors(factors, rng)
    assert rng.bit_generator.state == before
    np.testing.assert_array_equal(first, data.sample_observations_from_factors(factors, np.random.default_rng(2)))

    def fn(images):
        flat = np.asarray(images).reshape(len(images), -1)
        return np.stack([flat[:, :16].mean(1), flat[:, 16:40].mean(1), flat[:, 40:].mean(1)], axis=1)

    kwargs = dict(seed=2, num_train=300, num_eval=200, batch_size=16)
    assert (zoo.metrics.beta_vae_score(data, fn, encode_once=True, **kwargs)
            == zoo.metrics.beta_vae_score(data, fn, encode_once=False, **kwargs))


def test_smallnorb_draws_its_instance_from_the_rng(tmp_path):
    # SmallNORB's instance is not a factor: each image draws it, so its images are random given
    # the factors and it must take the immediate path.
    from data_layouts import write_smallnorb

    latent = (2, 3, 5, 1)
    marks = {(latent[0], i, *latent[1:]): np.full((96, 96), 10 * i + 5, np.uint8) for i in range(10)}
    data = zoo.data.load("smallnorb", path=write_smallnorb(tmp_path, marks))
    assert not data.deterministic_observations
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    images = data.sample_observations_from_factors(np.array([latent] * 20), rng)
    assert rng.bit_generator.state != before and len(np.unique(images.reshape(20, -1)[:, 0])) > 1


# ----------------------------------------------------------------------------- the cache across calls


def test_code_cache_encodes_only_the_images_it_has_not_seen():
    cache = zoo.metrics.CodeCache()
    asked = []

    def encode(indices):  # a "code" that names its image
        asked.append(indices.copy())
        return np.stack([indices, -indices], axis=1).astype(np.float32)

    codes, encoded = cache.codes_of(np.array([2, 5, 9]), encode)
    assert encoded == 3 and codes[:, 0].tolist() == [2, 5, 9]
    codes, encoded = cache.codes_of(np.array([1, 5, 9, 12]), encode)
    assert encoded == 2 and asked[-1].tolist() == [1, 12]  # 5 and 9 come from the cache
    np.testing.assert_array_equal(codes, [[1, -1], [5, -5], [9, -9], [12, -12]])
    codes, encoded = cache.codes_of(np.array([1, 2, 12]), encode)
    assert encoded == 0 and len(asked) == 2 and codes[:, 0].tolist() == [1, 2, 12]
    assert cache.num_encoded == 5


def test_evaluation_seeds_sharing_a_cache_give_the_scores_of_separate_calls():
    data = zoo.data.load("tiny")
    fn = CountingFn(cases.tiny_mixed)
    cache = zoo.metrics.CodeCache()
    metrics = ["mig", "beta_vae_score", "factor_vae_score"]
    for seed in (0, 1, 2):
        shared = zoo.metrics.evaluate(fn, data, metrics=metrics, seed=seed, progress=False, metric_options=OPTIONS,
                                      code_cache=cache, **SMALL)
        alone = zoo.metrics.evaluate(cases.tiny_mixed, data, metrics=metrics, seed=seed, progress=False,
                                     metric_options=OPTIONS, **SMALL)
        assert _scores(shared) == _scores(alone), seed
        if seed == 0:
            first = sum(fn.calls)
    # Tiny has 144 distinct images: the first seed's draws cover most of them, the others add the rest.
    assert sum(fn.calls) == cache.num_encoded <= 144 and first <= cache.num_encoded
    assert sum(fn.calls) < 3 * first


def test_a_cache_serves_one_function_and_dataset_and_needs_the_table():
    data = zoo.data.load("tiny")
    cache = zoo.metrics.CodeCache()
    kwargs = dict(metrics=["mig"], progress=False, num_train=50, num_test=20)
    zoo.metrics.evaluate(cases.tiny_mixed, data, code_cache=cache, **kwargs)
    with pytest.raises(ValueError, match="another representation function, dataset or precision"):
        zoo.metrics.evaluate(lambda images: cases.tiny_mixed(images) * 2, data, code_cache=cache, **kwargs)
    with pytest.raises(ValueError, match="another representation function, dataset or precision"):
        zoo.metrics.evaluate(cases.tiny_mixed, zoo.data.load("tiny"), code_cache=cache, **kwargs)
    with pytest.raises(ValueError, match="needs encode_once"):
        zoo.metrics.evaluate(cases.tiny_mixed, data, code_cache=zoo.metrics.CodeCache(), encode_once=False, **kwargs)


def test_score_eval_seeds_encodes_each_image_once_over_its_seeds():
    from types import SimpleNamespace

    from zoo import registry

    model = SimpleNamespace(representation=CountingFn(cases.tiny_mixed))
    data = zoo.data.load("tiny")
    settings = {"metrics": ["mig", "beta_vae_score"], "num_train": 400, "num_test": 200, "seed": 0}
    out = registry.score_eval_seeds(model, data, {"beta_vae_score.eval_accuracy": 0.5, "mig.mig": 0.1}, settings,
                                    seeds=(1, 2))
    assert sorted(out) == ["0", "1", "2"] and out["0"] == {"beta_vae_score.eval_accuracy": 0.5}
    for seed in (1, 2):
        alone = zoo.metrics.evaluate(cases.tiny_mixed, data, metrics=["beta_vae_score"], seed=seed, progress=False,
                                     num_train=400, num_test=200)
        assert out[str(seed)] == _scores(alone)
    assert sum(model.representation.calls) <= 144  # both seeds: each distinct image encoded once
