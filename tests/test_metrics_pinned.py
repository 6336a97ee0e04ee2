"""Every metric's exact value on fixed inputs where it is mid-range, pinned (tests/metrics_pins.json).

The sanity trio and the hand-derived cases test what a metric means; they leave its exact draws
free: which random factors a vote uses, how many votes are cast, which seed reaches the
classifier. A change there moves a mid-range score without moving an identity code's 1.0
(mutation testing found 40 such changes, docs/mutation.md). These cases pin the scores of codes
that mix the factors (every score strictly between 0 and 1) to the value the code gives now.
Regenerate, only after a change that is meant to move the numbers (and say so in its commit):

    .venv/bin/python tests/test_metrics_pinned.py

The tolerance is 1e-9: numpy, scipy and scikit-learn are pinned by constraints.txt, and the
sampled scores are ratios of vote counts.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import metrics_cases as cases  # noqa: E402
import zoo.metrics  # noqa: E402

PINS = Path(__file__).with_name("metrics_pins.json")
MIX = np.array([[1.0, 0.5, 0.0, 0.0], [0.3, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.6], [0.0, 0.2, 0.0, 1.0]])


def _codes(f):
    """Mixed, noisy codes of unequal scales: every score mid-range."""
    return (cases.noisy(f) @ MIX) * np.array(cases.SCALES)


def _split():
    f = cases.factors(1500, seed=4)
    return cases.split(_codes(f), f, 1000)


def _array_scores():
    train_c, train_f, test_c, test_f = _split()
    out = {}
    out.update({f"mig.{k}": v for k, v in zoo.metrics.mig(train_c, train_f).items()})
    out.update({f"mig_7.{k}": v for k, v in zoo.metrics.mig(train_c, train_f, num_bins=7).items()})
    out.update({f"irs.{k}": v for k, v in zoo.metrics.irs(train_c, train_f).items()})
    out.update({f"irs_q.{k}": v for k, v in zoo.metrics.irs(train_c, train_f, diff_quantile=0.8, num_bins=5).items()})
    out.update({f"sap.{k}": v for k, v in zoo.metrics.sap(train_c, train_f, test_c, test_f).items()})
    out.update({f"sap_continuous.{k}": v for k, v in
                zoo.metrics.sap(train_c, train_f, test_c, test_f, continuous_factors=True).items()})
    out.update({f"modularity_explicitness.{k}": v for k, v in
                zoo.metrics.modularity_explicitness(train_c, train_f, test_c, test_f).items()})
    out.update({f"modularity_explicitness_5.{k}": v for k, v in
                zoo.metrics.modularity_explicitness(train_c, train_f, test_c, test_f, num_bins=5).items()})
    for backend in ("exact", "fast"):
        out.update({f"dci_{backend}.{k}": v for k, v in
                    zoo.metrics.dci(train_c[:400], train_f[:400], test_c[:200], test_f[:200], backend=backend,
                                    n_jobs=1, seed=3).items()})
    out.update({f"unsupervised.{k}": v for k, v in zoo.metrics.unsupervised(train_c).items()})
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 4, 300)
    codes = np.where(rng.random(300) < 0.7, (labels + 1) % 4, rng.integers(0, 5, 300))
    out["cluster_accuracy"] = zoo.metrics.cluster_accuracy(codes, labels)["cluster_accuracy"]
    return out


def _sampled_scores():
    import zoo.data

    data, fn = zoo.data.load("tiny"), cases.tiny_mixed
    out = {}
    for once in (True, False):
        fv = zoo.metrics.factor_vae_score(data, fn, seed=11, batch_size=6, num_train=300, num_eval=150,
                                          num_variance_estimate=200, encode_once=once)
        bv = zoo.metrics.beta_vae_score(data, fn, seed=11, batch_size=6, num_train=300, num_eval=150,
                                        encode_once=once)
        out.update({f"factor_vae_score_{once}.{k}": v for k, v in fv.items()})
        out.update({f"beta_vae_score_{once}.{k}": v for k, v in bv.items()})
    # Votes drawn in several chunks (a chunk holds IMAGES_PER_CALL // batch_size votes, 2048 // 400 = 5
    # here), and in chunks of one vote (batch_size above IMAGES_PER_CALL / 2).
    for tag, batch_size, num_train, num_eval in (("chunks", 400, 25, 12), ("single", 1100, 6, 3)):
        fv = zoo.metrics.factor_vae_score(data, fn, seed=2, batch_size=batch_size, num_train=num_train,
                                          num_eval=num_eval, num_variance_estimate=50)
        bv = zoo.metrics.beta_vae_score(data, fn, seed=2, batch_size=batch_size // 2, num_train=num_train,
                                        num_eval=num_eval)
        out.update({f"factor_vae_score_{tag}.{k}": v for k, v in fv.items()})
        out.update({f"beta_vae_score_{tag}.{k}": v for k, v in bv.items()})
    return out


def scores():
    return {k: float(v) for k, v in sorted({**_array_scores(), **_sampled_scores()}.items())}


@pytest.fixture(scope="module")
def pins():
    return json.loads(PINS.read_text())


def test_array_metrics_give_their_pinned_values(pins):
    ours = _array_scores()
    assert sorted(ours) == sorted(k for k in pins if k in ours) and ours
    for key, value in ours.items():
        assert value == pytest.approx(pins[key], rel=1e-9, abs=1e-12), key


def test_sampled_metrics_give_their_pinned_values(pins):
    ours = _sampled_scores()
    for key, value in ours.items():
        assert value == pytest.approx(pins[key], rel=1e-9, abs=1e-12), key
    # Encoding each distinct image once is an implementation detail: the same votes.
    for name in ("factor_vae_score", "beta_vae_score"):
        assert {k.split(".")[1]: v for k, v in ours.items() if k.startswith(f"{name}_True.")} == \
               {k.split(".")[1]: v for k, v in ours.items() if k.startswith(f"{name}_False.")}


def test_pinned_values_are_mid_range(pins):
    """Pins of 0 or 1 would not see a changed draw; the pinned scores lie strictly inside (0, 1)."""
    saturated = {"dci_exact.informativeness_train", "dci_fast.informativeness_train",  # trees fit 400 points
                 "factor_vae_score_single.train_accuracy"}  # 6 votes
    for key, value in pins.items():
        if key.endswith("num_active_dims") or key.startswith("unsupervised.") or key in saturated:
            continue
        assert 0.02 < value < 1.0, (key, value)


if __name__ == "__main__":
    PINS.write_text(json.dumps(scores(), indent=1) + "\n")
    print(f"wrote {PINS}")
