"""benchmarks.infogan.gan_diagnosis on a hand-made generator whose codes and Q are known exactly."""

import numpy as np
import pytest

from benchmarks.infogan import gan_diagnosis


class CodePixels:
    """G writes its codes into pixels and ignores the noise; Q reads them back; D says 0.5.

    Image (8, 8, 1): pixel 0 holds class / (k - 1), pixel 1 + j holds (c_j + 1) / 2, the rest 0.
    """

    num_categorical, num_continuous, noise_dim = 3, 2, 5

    def draw_noise(self, rng, shape):
        return rng.uniform(-1.0, 1.0, shape).astype(np.float32)

    def decode(self, codes, noise=None):
        codes = np.asarray(codes, np.float32)
        images = np.zeros((len(codes), 64), np.float32)
        images[:, 0] = codes[:, :3].argmax(1) / 2
        images[:, 1:3] = (codes[:, 3:] + 1) / 2
        return _Tensor(images.reshape(-1, 8, 8, 1))

    def representation(self, images, batch_size=256):
        flat = np.asarray(images).reshape(len(images), -1)
        onehot = np.eye(3, dtype=np.float32)[np.rint(flat[:, 0] * 2).astype(int)]
        return np.concatenate([onehot, flat[:, 1:3] * 2 - 1], axis=1)

    def discriminator(self, images, training=False):
        import tensorflow as tf

        return {"d_logits": tf.zeros([images.shape[0], 1])}

    def sample(self, n, seed=0):
        rng = np.random.default_rng(seed)
        codes = np.concatenate([np.eye(3)[rng.integers(0, 3, n)], rng.uniform(-1, 1, (n, 2))], axis=1)
        return self.decode(codes)


class _Tensor:
    def __init__(self, array):
        self.array = array

    def numpy(self):
        return self.array


def test_q_reads_back_its_codes_exactly():
    result = gan_diagnosis.q_recovery(CodePixels(), 400, np.random.default_rng(0))
    assert result["categorical_accuracy"] == 1.0
    np.testing.assert_allclose(result["continuous_correlation"], [1.0, 1.0], atol=1e-6)


def test_variation_comes_from_the_codes_when_g_ignores_the_noise():
    result = gan_diagnosis.variation(CodePixels(), anchors=8, draws=400, rng=np.random.default_rng(0))
    assert result["noise_variance"] < 1e-10 and result["code_share"] == pytest.approx(1.0)  # float32 rounding only
    # One continuous code moves one pixel, (c + 1) / 2 with c ~ U(-1, 1): variance 1/12, over 64 pixels.
    categorical, first, second = result["per_code_variance"]
    np.testing.assert_allclose([first, second], 1 / 12 / 64, rtol=0.15)
    # The class moves pixel 0 over {0, 1/2, 1} uniformly: variance 1/6, over 64 pixels.
    np.testing.assert_allclose(categorical, 1 / 6 / 64, rtol=0.15)
    np.testing.assert_allclose(result["code_variance"], (2 / 12 + 1 / 6) / 64, rtol=0.15)


def test_diagnose_reports_balance_and_spread():
    frames = np.zeros((16, 8, 8, 1), np.float32)
    result = gan_diagnosis.diagnose(CodePixels(), frames, n=64, anchors=2, draws=16)
    assert result["d_real"] == pytest.approx(0.5) and result["d_fake"] == pytest.approx(0.5)
    assert result["spread"]["n"] == 64
    text = gan_diagnosis.markdown({"rows": [{"name": "stub", **result}], "data_spread": result["spread"]})
    assert "categorical accuracy 1.000" in text and "code share 1.00" in text
