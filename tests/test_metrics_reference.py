"""Equality with the reference implementation, disentanglement_lib 1.5 (Locatello et al. 2019).

The reference is pip-installed once into ~/.cache/zoo (see benchmarks/references/dlib_reference.py; skipped with
the reason when pip cannot reach the index) and run in a child interpreter with two small import
shims, on the same arrays as ours. Asserted:
  * MIG, SAP (discrete and continuous), modularity, explicitness, IRS and the unsupervised
    scores within 1e-6 (in practice ~1e-12);
  * DCI with backend="exact" within 1e-3. The reference leaves the boosted trees'
    `random_state=None` (numpy's global stream), and on small samples their importances depend
    on it at the ~3e-3 level (exactly tied splits in small nodes are broken by a random feature
    order), so the reference itself is not reproducible to 1e-3. The child process therefore
    pins its classifiers to `random_state=0`, the seed ours uses (a wrapper around
    `sklearn.ensemble.GradientBoostingClassifier` in the reference module's namespace, set up
    here; the installed files are not touched);
  * BetaVAE and FactorVAE scores within 0.03: both sample, from different random streams
    (the reference draws from a `RandomState` point by point, we draw vectorised), so they
    agree in distribution only; the sizes are chosen so 0.03 is > 3 standard deviations.
Reference results are cached beside the install, keyed by a hash of the inputs, the harness
and the library versions, so pytest-xdist workers share one run.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

import metrics_cases as cases
import zoo.metrics
from benchmarks.references import dlib_reference

TESTS = Path(__file__).resolve().parent


def _arrays():
    """Named array cases `(codes_train, factors_train, codes_test, factors_test)`."""
    rng = np.random.default_rng(42)
    out = {}
    # Four factors, one with more classes (32) than the 20 histogram bins IRS puts factors in.
    sizes = np.array([3, 6, 32, 5])
    f = np.stack([rng.integers(0, s, 1500) for s in sizes], axis=1)
    u = f / (sizes - 1)
    mix = np.zeros((4, 6))
    mix[np.arange(4), np.arange(4)] = 1.0
    mix += 0.2 * rng.standard_normal((4, 6))
    codes = np.tanh(u @ mix) + 0.1 * rng.standard_normal((1500, 6))
    out["mixed"] = (codes[:1000], f[:1000], codes[1000:], f[1000:])
    # The same codes in float32: histogram edges are computed in the codes' own dtype.
    c32 = codes.astype(np.float32)
    out["mixed_float32"] = (c32[:1000], f[:1000], c32[1000:], f[1000:])
    # Nearly the identity, plus a collapsed (constant) dimension.
    g = cases.factors(900, seed=7, sizes=(3, 4, 5))
    codes = np.column_stack([cases.identity(g) + 0.2 * np.random.default_rng(7).standard_normal((900, 3)),
                             np.full(900, 0.5)])
    out["identity"] = (codes[:600], g[:600], codes[600:], g[600:])
    return out


ARRAY_METRICS = ["mig", "sap", "sap_continuous", "modularity_explicitness", "irs", "unsupervised", "dci"]
# Our key -> the reference's key, per function.
KEYS = {
    "mig": {"mig": "discrete_mig"},
    "sap": {"sap": "SAP_score"},
    "sap_continuous": {"sap": "SAP_score"},
    "modularity_explicitness": {"modularity": "modularity_score", "explicitness_train": "explicitness_score_train",
                                "explicitness_test": "explicitness_score_test"},
    "irs": {"irs": "IRS"},
    "unsupervised": {k: k for k in ("gaussian_total_correlation", "gaussian_wasserstein_correlation",
                                    "gaussian_wasserstein_correlation_norm", "mutual_info_score")},
    "dci": {k: k for k in ("disentanglement", "completeness", "informativeness_train", "informativeness_test")},
}
TOLERANCE = {"dci": 1e-3}
# The constant dimension of the "identity" case: the reference divides by its zero standard
# deviation (explicitness raises on the NaN input) and takes log 0 (Gaussian total correlation is
# NaN). Ours returns the documented values instead, tested in test_metrics_modularity_explicitness
# and test_metrics_unsupervised.
_NAN = "the reference returns NaN or raises on a constant code dimension (documented deviation)"
NOT_COMPARED = {
    ("mixed_float32", "dci"): "the trees cast to float32 anyway; a second run would only cost time",
    ("identity", "modularity_explicitness"): _NAN,
    ("identity", "unsupervised"): _NAN,
}
INTERVENTION = {
    "beta_vae": dict(batch_size=8, num_train=2000, num_eval=2000),
    "factor_vae": dict(batch_size=16, num_train=2000, num_eval=2000, num_variance_estimate=2000),
}


def _ours(metric, arrays):
    if metric == "mig":
        return zoo.metrics.mig(arrays[0], arrays[1])
    if metric == "irs":
        return zoo.metrics.irs(arrays[0], arrays[1])
    if metric == "unsupervised":
        return zoo.metrics.unsupervised(arrays[0])
    if metric == "sap":
        return zoo.metrics.sap(*arrays)
    if metric == "sap_continuous":
        return zoo.metrics.sap(*arrays, continuous_factors=True)
    if metric == "modularity_explicitness":
        return zoo.metrics.modularity_explicitness(*arrays)
    if metric == "dci":
        return zoo.metrics.dci(*arrays, backend="exact", seed=0)
    raise ValueError(metric)


def _require_reference():
    """The reference's site folder; when it cannot be installed the test is skipped, or, under CI
    (`CI=true`), failed: there a skip would leave the comparison unrun unnoticed."""
    site, reason = dlib_reference.ensure_installed()
    if site is None:
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail(f"CI is set and the comparison with disentanglement_lib cannot run: {reason}. Make "
                        f"disentanglement-lib=={dlib_reference.VERSION} installable there (network access to the "
                        "package index, or a filled $ZOO_DLIB_CACHE).", pytrace=False)
        pytest.skip(reason)
    return site


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """`{(case, metric): reference scores}` for every array case and the two sampled scores."""
    site = _require_reference()
    folder = tmp_path_factory.mktemp("reference_arrays")
    tasks, keys = [], []
    digest = hashlib.sha256()
    for case, arrays in _arrays().items():
        path = folder / f"{case}.npz"
        np.savez(path, codes_train=arrays[0], factors_train=arrays[1], codes_test=arrays[2], factors_test=arrays[3])
        for a in arrays:
            digest.update(np.ascontiguousarray(a).tobytes())
        for metric in ARRAY_METRICS:
            if (case, metric) in NOT_COMPARED:
                continue
            task = {"metric": "sap" if metric == "sap_continuous" else metric, "arrays": str(path),
                    "continuous_factors": metric == "sap_continuous", "gbt_random_state": 0}
            tasks.append(task)
            keys.append((case, metric))
    for metric, settings in INTERVENTION.items():
        tasks.append({"metric": metric, "data": str(TESTS / "metrics_cases.py") + ":tiny",
                      "representation": str(TESTS / "metrics_cases.py") + ":tiny_mixed", "seed": 0, **settings})
        keys.append(("tiny", metric))
    digest.update(json.dumps([{k: v for k, v in t.items() if k != "arrays"} for t in tasks]).encode())
    digest.update(Path(dlib_reference.__file__).read_bytes())
    digest.update((TESTS / "metrics_cases.py").read_bytes())
    import scipy
    import sklearn

    digest.update(f"{np.__version__} {scipy.__version__} {sklearn.__version__}".encode())
    results = dlib_reference.cached_run(tasks, site, digest.hexdigest()[:16])
    return {key: r["scores"] for key, r in zip(keys, results)}


@pytest.mark.parametrize("case", ["mixed", "mixed_float32", "identity"])
@pytest.mark.parametrize("metric", ARRAY_METRICS)
def test_array_metric_equals_reference(reference, case, metric):
    if (case, metric) in NOT_COMPARED:
        pytest.skip(NOT_COMPARED[(case, metric)])
    ours = _ours(metric, _arrays()[case])
    theirs = reference[(case, metric)]
    tolerance = TOLERANCE.get(metric, 1e-6)
    for our_key, their_key in KEYS[metric].items():
        assert ours[our_key] == pytest.approx(theirs[their_key], abs=tolerance), (our_key, ours, theirs)


def test_beta_vae_score_matches_reference(reference):
    ours = zoo.metrics.beta_vae_score(cases.tiny(), cases.tiny_mixed, seed=0, **INTERVENTION["beta_vae"])
    theirs = reference[("tiny", "beta_vae")]
    assert 0.3 < ours["eval_accuracy"] < 0.99  # not saturated, so the comparison means something
    for key in ("train_accuracy", "eval_accuracy"):
        assert ours[key] == pytest.approx(theirs[key], abs=0.03), (key, ours, theirs)


def test_factor_vae_score_matches_reference(reference):
    ours = zoo.metrics.factor_vae_score(cases.tiny(), cases.tiny_mixed, seed=0, **INTERVENTION["factor_vae"])
    theirs = reference[("tiny", "factor_vae")]
    assert 0.3 < ours["eval_accuracy"] < 0.99
    for key in ("train_accuracy", "eval_accuracy"):
        assert ours[key] == pytest.approx(theirs[key], abs=0.03), (key, ours, theirs)
    # The reference reports len(mask), the total number of dimensions; we count the active ones.
    assert theirs["num_active_dims"] == 4 and ours["num_active_dims"] == 4


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_reference_fails_under_ci_and_skips_elsewhere(monkeypatch, ci, outcome):
    monkeypatch.setattr(dlib_reference, "ensure_installed", lambda: (None, "pip could not install it (no network?)"))
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="no network"):
        _require_reference()
