"""evaluate(): one flat dict of every metric, sampled once; ALL; timings apart from scores."""

import numpy as np
import pytest

import metrics_cases as cases
import zoo.data
import zoo.metrics

SMALL = dict(num_train=600, num_test=300)


def test_all_lists_every_function():
    assert zoo.metrics.ALL == ["mig", "dci", "sap", "modularity_explicitness", "irs", "unsupervised",
                               "beta_vae_score", "factor_vae_score"]
    for name in zoo.metrics.ALL:
        assert callable(getattr(zoo.metrics, name))


def test_evaluate_every_metric_on_tiny(capsys):
    data = zoo.data.load("tiny")
    scores = zoo.metrics.evaluate(cases.tiny_moments, data, seed=2, batch_size=100,
                                  metric_options={"dci": {"backend": "fast", "n_jobs": 1},
                                                  "beta_vae_score": {"batch_size": 16},
                                                  "factor_vae_score": {"batch_size": 16, "num_variance_estimate": 500}},
                                  **SMALL)
    expected = {
        "mig.mig", "dci.disentanglement", "dci.completeness", "dci.informativeness_train",
        "dci.informativeness_test", "sap.sap", "modularity_explicitness.modularity",
        "modularity_explicitness.explicitness_train", "modularity_explicitness.explicitness_test",
        "irs.irs", "unsupervised.gaussian_total_correlation", "unsupervised.gaussian_wasserstein_correlation",
        "unsupervised.gaussian_wasserstein_correlation_norm", "unsupervised.mutual_info_score",
        "beta_vae_score.train_accuracy", "beta_vae_score.eval_accuracy", "factor_vae_score.train_accuracy",
        "factor_vae_score.eval_accuracy", "factor_vae_score.num_active_dims",
    }
    timings = {"timing.encode"} | {f"timing.{name}" for name in zoo.metrics.ALL}
    assert set(scores) == expected | timings
    assert all(isinstance(v, float) and np.isfinite(v) for v in scores.values())
    assert all(scores[k] >= 0 for k in timings)
    # The progress bars went to stderr.
    assert "metrics" in capsys.readouterr().err


def test_evaluate_uses_the_same_arrays_and_seed_as_the_functions():
    data = zoo.data.load("tiny")
    scores = zoo.metrics.evaluate(cases.tiny_moments, data, metrics=["mig", "sap", "beta_vae_score"], seed=5,
                                  progress=False, metric_options={"beta_vae_score": {"batch_size": 8}}, **SMALL)
    rng = np.random.default_rng(5)
    factors = data.sample_factors(900, rng)
    codes = np.concatenate([cases.tiny_moments(data.sample_observations_from_factors(factors[i:i + 64], rng))
                            for i in range(0, 900, 64)])
    assert scores["mig.mig"] == zoo.metrics.mig(codes[:600], factors[:600])["mig"]
    assert scores["sap.sap"] == zoo.metrics.sap(codes[:600], factors[:600], codes[600:], factors[600:])["sap"]
    direct = zoo.metrics.beta_vae_score(data, cases.tiny_moments, seed=5, num_train=600, num_eval=300, batch_size=8)
    assert scores["beta_vae_score.eval_accuracy"] == direct["eval_accuracy"]


def test_evaluate_accepts_one_name_and_rejects_bad_options():
    data = cases.FactorsAsImages()
    scores = zoo.metrics.evaluate(cases.as_fn(cases.identity), data, metrics="irs", progress=False, **SMALL)
    assert set(scores) == {"irs.irs", "timing.irs", "timing.encode"}
    with pytest.raises(TypeError, match=r"metric_options\['irs'\] must be a dict"):
        zoo.metrics.evaluate(cases.as_fn(cases.identity), data, metrics="irs", metric_options={"irs": 3})
    with pytest.raises(ValueError, match="twice"):
        zoo.metrics.evaluate(cases.as_fn(cases.identity), data, metrics=["irs", "irs"])
