"""SAP: hand-derived scores (both settings), the sanity trio."""

import numpy as np
import pytest

import metrics_cases as cases
import zoo.metrics


def _grid(repeat):
    # Full factorial of two binary factors, each combination `repeat` times.
    v = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * repeat)
    return v


def test_sap_continuous_by_hand():
    # On the balanced 2x2 grid v1, v2 are uncorrelated. Codes z1 = v1, z2 = v1 + v2:
    # corr(z1, v1)^2 = 1, corr(z1, v2)^2 = 0; corr(z2, vk)^2 = Var(vk) / Var(z2) = 1/2.
    # Score matrix [[1, 0], [.5, .5]]: gaps 1 - .5 and .5 - 0, SAP = 0.5.
    v = _grid(1)
    z = np.stack([v[:, 0], v[:, 0] + v[:, 1]], axis=1).astype(float)
    assert zoo.metrics.sap(z, v, z, v, continuous_factors=True)["sap"] == pytest.approx(0.5, abs=1e-12)


def test_sap_discrete_by_hand():
    # z = v exactly: the SVM on z_k predicts v_k perfectly (accuracy 1). On a full-factorial test
    # grid *any* function of z_j, j != k, is right on exactly half the points (accuracy 1/2).
    # Gaps 1 - 1/2 per factor: SAP = 0.5.
    v = _grid(50)
    z = v.astype(float)
    assert zoo.metrics.sap(z, v, z, v)["sap"] == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("continuous", [False, True])
def test_sap_sanity_trio(continuous):
    f = cases.factors(1500, sizes=(2, 3, 2, 3))

    def run(codes):
        return zoo.metrics.sap(*cases.split(codes, f, 1000), continuous_factors=continuous)["sap"]

    identity = run(cases.identity(f))
    assert identity > 0.3
    assert run(cases.constant(f)) == pytest.approx(0.0, abs=1e-12)
    # Factor 0 is predicted equally well by both copies: its gap is 0.
    assert run(cases.duplicated(f)) < identity - 0.1
    assert run(cases.rotated(f)) < identity / 2


def test_sap_needs_two_dimensions():
    f = cases.factors(100)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        zoo.metrics.sap(*cases.split(cases.identity(f)[:, :1], f, 50))
