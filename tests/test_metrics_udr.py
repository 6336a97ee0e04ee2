"""UDR (Duan et al. 2020): hand-derived values, the KL filter, errors, and the reference's own numbers.

The hand-derived cases use columns of a 16 x 16 Sylvester Hadamard matrix as codes: each is +-1
with mean 0 and variance 1, and any two are exactly uncorrelated. So the standardisation leaves them
as they are, a Spearman correlation between two of them (two-valued, so their ranks are affine in
the values) is their Pearson correlation, 0 or +-1, and the Lasso, whose design then has
X^T X / N = I, solves each coordinate at once: w = soft_threshold(X^T y / N, alpha).
"""

import doctest
import json
from pathlib import Path

import numpy as np
import pytest

import zoo.metrics
from zoo.metrics import _udr

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "udr_reference.json"
ALPHA = 0.1


def hadamard(columns):
    h = np.array([[1.0]])
    while len(h) < 16:
        h = np.block([[h, h], [h, -h]])
    return h[:, columns]  # column 0 is constant: use 1..15


def scores(models, correlation, **options):
    options.setdefault("kl", np.ones((len(models), np.shape(models[0])[1])))
    return zoo.metrics.udr(models, correlation=correlation, **options)


@pytest.mark.parametrize("correlation, top", [("spearman", 1.0), ("lasso", 1.0 - ALPHA)])
def test_identical_permuted_scaled_and_sign_flipped_copies_score_the_top(correlation, top):
    # Spearman: R = the permutation matrix, each term 1^2 / 1. Lasso: each target's own column
    # gets soft_threshold(1, alpha) = 1 - alpha, the others 0, so each term is (1 - alpha)^2 / (1 - alpha).
    a = hadamard([1, 2, 3, 4])
    permutation = [2, 0, 3, 1]
    copies = [a, a[:, permutation], 3.0 * a, a * np.array([-1.0, 2.0, -0.5, 1.0]),
              -0.25 * a[:, permutation] + 7.0]
    for b in copies:
        out = scores([a, b], correlation)
        np.testing.assert_allclose(out["model_scores"], [top, top], atol=1e-12)
        np.testing.assert_allclose(out["pairwise_disentanglement_scores"], [[0, top], [top, 0]], atol=1e-12)
    out = scores([a, copies[1]], correlation)
    expected = np.zeros((4, 4))
    expected[permutation, np.arange(4)] = top  # latent b of the copy is latent permutation[b] of a
    np.testing.assert_allclose(out["raw_correlations"][0, 1], expected, atol=1e-12)
    np.testing.assert_allclose(out["raw_correlations"][1, 0], expected.T, atol=1e-12)


def test_lasso_top_is_one_minus_alpha():
    a = hadamard([1, 2, 3])
    for alpha in (0.05, 0.3):
        out = scores([a, a[:, ::-1]], "lasso", lasso_alpha=alpha)
        np.testing.assert_allclose(out["model_scores"], [1 - alpha] * 2, atol=1e-12)


def test_scaled_copy_of_any_codes_scores_as_the_codes_themselves():
    # Spearman's ranks and the standardised Lasso inputs do not see a positive scale or a shift.
    rng = np.random.default_rng(0)
    z = rng.standard_normal((300, 4))
    other = z @ rng.standard_normal((4, 4)) + 0.5 * rng.standard_normal((300, 4))
    for correlation in ("spearman", "lasso"):
        base = scores([z, other], correlation)["pairwise_disentanglement_scores"]
        moved = scores([z, 4.0 * other - 2.0], correlation)["pairwise_disentanglement_scores"]
        np.testing.assert_allclose(moved, base, atol=1e-10)


@pytest.mark.parametrize("correlation", ["spearman", "lasso"])
def test_uncorrelated_models_score_zero(correlation):
    # Every cross-correlation is exactly 0: Spearman's R is 0, and the Lasso's KKT condition
    # |X^T y| / N <= alpha holds at w = 0. Every term is 0/0, counted as 0.
    out = scores([hadamard([1, 2, 3]), hadamard([4, 5, 6])], correlation)
    np.testing.assert_array_equal(out["model_scores"], [0.0, 0.0])


def test_independent_noise_scores_low():
    # Sample correlations of independent codes are ~1/sqrt(N) = 0.022: under the Lasso's alpha = 0.1
    # (all coefficients exactly 0), and Spearman's terms are max^2 / sum of ~0.02s.
    rng = np.random.default_rng(1)
    models = [rng.standard_normal((2000, 5)) for _ in range(3)]
    assert np.all(scores(models, "lasso")["model_scores"] == 0.0)
    assert np.all(scores(models, "spearman")["model_scores"] < 0.05)


def test_rotated_pair_by_hand():
    # b = ((h1 + h2)/sqrt 2, (h1 - h2)/sqrt 2, h3): each mixed latent correlates 1/sqrt 2 with h1 and
    # h2 (three-valued with counts N/4, N/2, N/4, so its mid-ranks are evenly spaced: Spearman =
    # Pearson). R = [[c, c, 0], [c, c, 0], [0, 0, t]] with (c, t) = (1/sqrt 2, 1) for Spearman and
    # (1/sqrt 2 - alpha, 1 - alpha) for the Lasso. A mixed column gives c^2 / 2c = c/2, so
    # UDR = (c/2 + c/2 + t) / 3 both ways round.
    h1, h2, h3 = hadamard([1, 2, 3]).T
    a = np.stack([h1, h2, h3], axis=1)
    b = np.stack([(h1 + h2) / np.sqrt(2), (h1 - h2) / np.sqrt(2), h3], axis=1)
    c = 1 / np.sqrt(2)
    for correlation, expected in (("spearman", (c + 1) / 3), ("lasso", (c - ALPHA + 1 - ALPHA) / 3)):
        out = scores([a, b], correlation)
        np.testing.assert_allclose(out["pairwise_disentanglement_scores"], [[0, expected], [expected, 0]],
                                   atol=1e-12)


def test_duplicated_latent_loses_its_share():
    # b = (h1, h1, h3): Spearman R = [[1, 1, 0], [0, 0, 0], [0, 0, 1]]. Columns: 1, 1, 1; rows:
    # 1/2, 0/0 -> 0, 1. UDR = (1 + 1/2) / 2 = 3/4.
    h1, h2, h3 = hadamard([1, 2, 3]).T
    out = scores([np.stack([h1, h2, h3], 1), np.stack([h1, h1, h3], 1)], "spearman")
    np.testing.assert_allclose(out["model_scores"], [0.75, 0.75], atol=1e-12)


def test_median_over_the_other_models():
    # Three aligned copies and one uncorrelated model: pairs among the copies score 1, with the
    # odd one 0, so the copies' medians over (1, 1, 0) are 1 and the odd one's over (0, 0, 0) is 0.
    a = hadamard([1, 2, 3])
    models = [a, a[:, [1, 2, 0]], -a, hadamard([4, 5, 6])]
    out = scores(models, "spearman")
    np.testing.assert_allclose(out["model_scores"], [1, 1, 1, 0], atol=1e-12)
    assert np.all(np.diag(out["pairwise_disentanglement_scores"]) == 0)


def test_inactive_latent_is_filtered_by_kl():
    # The last latent is noise with KL 0 in both models. Filtered, the three sources agree as a
    # permuted copy does. Unfiltered, the reference zeroes it (KL <= 0.01) but keeps it in the
    # means: under the Lasso a 0/0 term, so UDR = 3/4 (1 - alpha); under Spearman its rank
    # correlation is NaN and the reference's NaN-propagating max zeroes every term that meets it.
    rng = np.random.default_rng(2)
    h = hadamard([1, 2, 3])
    a = np.concatenate([h, rng.standard_normal((16, 1))], axis=1)
    b = np.concatenate([h[:, [2, 0, 1]], rng.standard_normal((16, 1))], axis=1)
    kl = np.array([[1.0, 1.0, 1.0, 0.0], [2.0, 2.0, 2.0, 0.0]])
    assert np.allclose(zoo.metrics.udr([a, b], kl=kl, correlation="spearman")["model_scores"], 1.0)
    assert np.allclose(zoo.metrics.udr([a, b], kl=kl, correlation="lasso")["model_scores"], 1 - ALPHA)
    out = zoo.metrics.udr([a, b], kl=kl, correlation="lasso", filter_low_kl=False)
    assert np.allclose(out["model_scores"], 0.75 * (1 - ALPHA))
    out = zoo.metrics.udr([a, b], kl=kl, correlation="spearman", filter_low_kl=False)
    assert np.all(out["model_scores"] == 0.0)
    assert np.isnan(out["raw_correlations"][0, 1, 3]).all() and np.isnan(out["raw_correlations"][0, 1, :, 3]).all()
    np.testing.assert_array_equal(out["informative"], kl > 0.01)
    # A model with no informative latent: an empty matrix (the reference fails), scored 0.
    out = zoo.metrics.udr([a, b], kl=np.array([[0.0] * 4, [1.0] * 4]), correlation="lasso")
    np.testing.assert_array_equal(out["model_scores"], [0.0, 0.0])


def test_kl_from_log_variances():
    # mu = +-0.1, log var = 0: KL = 1/2 mu^2 = 0.005 (inactive); mu = +-0.2: 0.02 (active);
    # mu = +-1, var 1/4: KL = 1/2 (1 + 1/4 - log 1/4 - 1) = 0.818147...
    h = hadamard([1, 2, 3])
    codes = h * np.array([0.1, 0.2, 1.0])
    log_var = np.zeros_like(codes)
    log_var[:, 2] = np.log(0.25)
    kl = 0.5 * (0.25 - np.log(0.25))
    for threshold, expected in ((0.01, [False, True, True]), (kl - 1e-9, [False, False, True]),
                                (kl + 1e-9, [False, False, False])):
        out = zoo.metrics.udr([codes, codes], log_variances=[log_var, log_var], kl_filter_threshold=threshold)
        np.testing.assert_array_equal(out["informative"], [expected, expected])
    out = zoo.metrics.udr([codes, codes], log_variances=[log_var, log_var], correlation="spearman")
    np.testing.assert_allclose(out["model_scores"], [1.0, 1.0], atol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda z: zoo.metrics.udr([z], kl=np.ones((1, 3))), "at least 2"),
    (lambda z: zoo.metrics.udr(z, kl=np.ones((2, 3))), "several models"),
    (lambda z: zoo.metrics.udr([z, z[:10]], kl=np.ones((2, 3))), "codes\\[1\\] has 10 rows but codes\\[0\\] has 16"),
    (lambda z: zoo.metrics.udr([z, z[:, :2]], kl=np.ones((2, 3))), "codes\\[1\\] has 2 latents"),
    (lambda z: zoo.metrics.udr([z, z[:, 0]], kl=np.ones((2, 3))), "codes\\[1\\] must be a 2-D array"),
    (lambda z: zoo.metrics.udr([z, z]), "pass kl=\\[M, D\\]"),
    (lambda z: zoo.metrics.udr([z, z], kl=np.ones(3)), "one row per model"),
    (lambda z: zoo.metrics.udr([z, z], kl=np.ones((2, 3)), log_variances=[z, z]), "not both"),
    (lambda z: zoo.metrics.udr([z, z], log_variances=[z, z[:, :2]]), "log_variances"),
    (lambda z: zoo.metrics.udr([z, z], kl=np.ones((2, 3)), correlation="spearmann"), "Did you mean 'spearman'"),
    (lambda z: zoo.metrics.udr([z, np.full_like(z, np.nan)], kl=np.ones((2, 3))), "NaN"),
    (lambda z: zoo.metrics.udr([z, z], kl=np.ones((2, 3)), lasso_alpha=0.0), "lasso_alpha"),
])
def test_bad_input_names_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call(hadamard([1, 2, 3]))


def test_without_kl_every_latent_counts():
    a = hadamard([1, 2, 3])
    out = zoo.metrics.udr([a, a], filter_low_kl=False, correlation="spearman")
    assert out["informative"].all() and np.allclose(out["model_scores"], 1.0)


def test_docstring_example():
    result = doctest.testmod(_udr, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# Against disentanglement_lib's own functions (tests/fixtures/make_udr_fixture.py).

def _nan_array(x):
    return np.array(json.loads(json.dumps(x).replace("null", "NaN")), dtype=float)


@pytest.fixture(scope="module")
def reference():
    return json.loads(FIXTURE.read_text())


def test_fixture_cases_cover_both_correlations_and_the_filter(reference):
    cases = reference["cases"].values()
    assert {c["correlation"] for c in cases} == {"lasso", "spearman"}
    assert {c["filter_low_kl"] for c in cases} == {True, False}
    # the fixed arrays reach the odd corner: a latent zeroed (KL <= 0.01) but kept (KL > 0.005), NaN
    assert np.isnan(_nan_array(reference["cases"]["spearman_threshold_0.005"]["raw_correlations"])).any()


@pytest.mark.parametrize("name", ["lasso", "spearman", "lasso_unfiltered", "spearman_unfiltered",
                                  "lasso_threshold_0.005", "spearman_threshold_0.005",
                                  "lasso_threshold_0.05_kl_given"])
def test_udr_equals_the_reference(reference, name):
    case, inputs = reference["cases"][name], reference["inputs"]
    means = np.array(inputs["means"])
    key = "kl" if case["kl_given"] else "log_variances"
    source = {key: np.array(inputs[key])}
    out = zoo.metrics.udr(list(means), correlation=case["correlation"], filter_low_kl=case["filter_low_kl"],
                          kl_filter_threshold=case["kl_filter_threshold"], **source)
    np.testing.assert_allclose(out["model_scores"], case["model_scores"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(out["pairwise_disentanglement_scores"],
                               np.array(case["pairwise_disentanglement_scores"])[..., 0], rtol=0, atol=1e-9)
    if "raw_correlations" in case:
        np.testing.assert_allclose(out["raw_correlations"], _nan_array(case["raw_correlations"]), rtol=0, atol=1e-9)


def test_pieces_equal_the_reference_functions(reference):
    functions, means = reference["functions"], np.array(reference["inputs"]["means"])
    for item in functions["relative_strength_disentanglement"]:
        assert _udr.relative_strength(_nan_array(item["matrix"])) == pytest.approx(item["score"], abs=1e-12)
    with_constant = means[0].copy()
    with_constant[:, 3] = 0.0
    for (x, y), item in zip([(means[2], means[0]), (with_constant, means[1])], functions["spearman_correlation_conv"]):
        np.testing.assert_allclose(_udr.spearman_similarity(x, y), _nan_array(item["out"]), rtol=0, atol=1e-12)
    for (x, y), item in zip([(means[0], means[2]), (means[2], means[0])], functions["lasso_correlation_matrix"]):
        np.testing.assert_allclose(_udr.lasso_similarity(x, y), _nan_array(item["out"]), rtol=0, atol=1e-9)


# Survivors of the 2026-12-07 mutation run over _udr.py (docs/mutation.md), each a promise of the docstrings.

def test_one_stacked_array_is_taken_as_the_list():
    a = hadamard([1, 2, 3])
    stacked = zoo.metrics.udr(np.stack([a, a[:, [1, 0, 2]]]), kl=np.ones((2, 3)))
    listed = zoo.metrics.udr([a, a[:, [1, 0, 2]]], kl=np.ones((2, 3)))
    np.testing.assert_array_equal(stacked["model_scores"], listed["model_scores"])
    with pytest.raises(ValueError, match=r"got one array of shape \(2, 1, 16, 3\)"):
        zoo.metrics.udr(np.stack([a, a])[:, None], kl=np.ones((2, 3)))


def test_kl_shape_error_gives_the_hint_only_for_one_row():
    a = hadamard([1, 2, 3])
    with pytest.raises(ValueError, match=r"got \(3,\) \(one row per model\)\.$"):
        zoo.metrics.udr([a, a], kl=np.ones(3))
    with pytest.raises(ValueError, match=r"got \(3, 3\)\.$"):
        zoo.metrics.udr([a, a], kl=np.ones((3, 3)))


def test_kl_threshold_bounds_and_the_kl_exactly_at_it():
    a = hadamard([1, 2, 3])
    for bad in (-0.5, np.nan, np.inf):
        with pytest.raises(ValueError, match="kl_filter_threshold must be a finite number >= 0"):
            zoo.metrics.udr([a, a], kl=np.ones((2, 3)), kl_filter_threshold=bad)
    # 0 is allowed: every latent with any KL is informative.
    assert zoo.metrics.udr([a, a], kl=np.ones((2, 3)), kl_filter_threshold=0.0)["informative"].all()
    # A KL exactly at 0.01 is neither informative (KL > threshold) nor kept (the reference zeroes KL <= 0.01):
    # its raw similarities are those of a zeroed, constant latent, 0 under the Lasso.
    kl = np.array([[1.0, 1.0, 0.01], [1.0, 1.0, 1.0]])
    out = zoo.metrics.udr([a, a], kl=kl)
    np.testing.assert_array_equal(out["informative"], [[True, True, False], [True, True, True]])
    assert np.all(out["raw_correlations"][0, 1][2, :] == 0.0) and np.all(out["raw_correlations"][1, 0][:, 2] == 0.0)
    assert out["raw_correlations"][0, 1][1, 1] > 0.5


def test_informative_is_boolean_without_a_kl():
    a = hadamard([1, 2, 3])
    assert zoo.metrics.udr([a, a], filter_low_kl=False)["informative"].dtype == bool


def test_zero_terms_raise_no_warnings():
    """A latent no other predicts is a 0/0 term counted as 0, silently (no RuntimeWarning)."""
    import warnings

    a = hadamard([1, 2, 3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _udr.relative_strength(np.array([[1.0, 0.0], [0.0, 0.0]])) == 0.5
        assert np.isnan(_udr.spearman_similarity(a, np.ones((16, 1)))).all()
        zoo.metrics.udr([a, a * [1, 1, 0]], kl=np.ones((2, 3)), filter_low_kl=False, correlation="spearman")


def test_spearman_of_two_points_and_the_clip_at_one():
    # Two points: any two non-constant columns are perfectly (anti-)correlated.
    np.testing.assert_allclose(_udr.spearman_similarity(np.array([[0.0], [1.0]]), np.array([[5.0], [-2.0]])),
                               [[1.0]], rtol=1e-12)
    # At N = 17 the centred ranks' Pearson quotient rounds to 1 + 2**-52 (and -1 - 2**-52): clipped to exactly 1.
    x = np.arange(17.0)[:, None]
    assert _udr.spearman_similarity(x, x)[0, 0] == 1.0 and _udr.spearman_similarity(x, -x)[0, 0] == 1.0


def test_standardize_and_lasso_shapes():
    rng = np.random.default_rng(0)
    codes = np.stack([rng.normal(3.0, 2.0, 50), np.full(50, 0.7), rng.normal(-1.0, 0.5, 50)], axis=1)
    z = _udr.standardize(codes)
    np.testing.assert_allclose(z[:, [0, 2]].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z[:, [0, 2]].std(axis=0), 1.0)
    assert np.all(np.isfinite(z)) and np.all(z[:, 1] == z[0, 1])  # a constant latent stays constant
    # Per model along the points axis of [M, N, D].
    both = _udr.standardize(np.stack([codes, 2 * codes + 1]))
    np.testing.assert_allclose(both[1][:, [0, 2]], z[:, [0, 2]], atol=1e-12)
    assert np.all(both[1][:, 1] == both[1][0, 1])
    # One target column: still [Dx, Dy].
    assert _udr.lasso_similarity(rng.normal(size=(50, 3)), rng.normal(size=(50, 1))).shape == (3, 1)
