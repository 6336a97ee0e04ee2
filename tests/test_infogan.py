"""InfoGAN learns a categorical code that Q recovers (Chen et al. 2016, sec. 5.1), on a toy dataset."""

import keras
import numpy as np
import pytest

import zoo.models
from zoo.data.base import GroundTruthData


class Glyphs(GroundTruthData):
    """16x16 images of one of three glyphs (a discrete class) on a 3x3 grid of positions."""

    name = "glyphs"
    factor_names = ("glyph", "posX", "posY")
    factor_sizes = (3, 3, 3)
    observation_shape = (16, 16, 1)
    factor_values = (np.arange(3), np.arange(3.0), np.arange(3.0))

    def sample_observations_from_factors(self, factors, rng=None):
        glyph, x, y = self.check_factors(factors).T
        rows, cols = np.mgrid[0:16, 0:16]
        dx = np.abs(cols[None] - (5 + 3 * x)[:, None, None])
        dy = np.abs(rows[None] - (5 + 3 * y)[:, None, None])
        square = (dx < 3) & (dy < 3)
        plus = ((dx < 4) & (dy < 1)) | ((dy < 4) & (dx < 1))
        ring = (dx < 4) & (dy < 4) & ~((dx < 2) & (dy < 2))
        glyph = glyph[:, None, None]
        return np.where(glyph == 0, square, np.where(glyph == 1, plus, ring))[..., None].astype(np.float32)


def test_infogan_learns_a_recoverable_categorical_code():
    keras.utils.set_random_seed(0)
    data = Glyphs()
    model = zoo.models.InfoGAN(input_shape=(16, 16, 1), num_categorical=3, num_continuous=2, noise_dim=8, filters=16)
    model.compile()
    history = model.fit(data.as_tf_dataset(batch_size=64, seed=0), epochs=6, steps_per_epoch=25, shuffle=False,
                        verbose=0).history
    mi = history["mi_categorical"]  # H(c) + E[log Q(c|G(z, c))], a lower bound on I(c; G(z, c)) <= log 3
    assert np.isfinite([v for values in history.values() for v in values]).all()
    assert mi[-1] > mi[0] + 0.3 and mi[-1] > 0.6, mi
    # Q recovers the class fed to the generator far above chance (1/3).
    images, codes = model.sample(600, seed=7, return_codes=True)
    predicted = model.representation(images.numpy())[:, :3].argmax(axis=1)
    accuracy = np.mean(predicted == codes.numpy()[:, :3].argmax(axis=1))
    assert accuracy > 0.9, accuracy


def test_instance_noise_blurs_only_what_d_sees_in_training():
    images = Glyphs().sample_observations(8, np.random.default_rng(0))
    clean = zoo.models.InfoGAN(input_shape=(16, 16, 1), num_categorical=3, num_continuous=2, noise_dim=8, filters=8)
    noisy = zoo.models.InfoGAN.from_config({**clean.get_config(), "instance_noise": 0.5})
    noisy.set_weights(clean.get_weights())
    assert noisy.hparams["instance_noise"] == 0.5 and clean.hparams["instance_noise"] == 0.0
    evaluation = [model._terms(images, training=False)["discriminator_loss"].numpy() for model in (clean, noisy)]
    assert evaluation[0] == pytest.approx(evaluation[1], rel=1e-6)  # off outside training
    training = [model._terms(images, training=True)["discriminator_loss"].numpy() for model in (clean, noisy)]
    assert abs(training[0] - training[1]) > 1e-3, training
    # The same step draws the same noise (stateless, seeded by seed and step).
    again = noisy._terms(images, training=True)["discriminator_loss"].numpy()
    assert again == pytest.approx(training[1], rel=1e-6)
    with pytest.raises(ValueError, match=r"instance_noise must be a finite number in \[0, inf\); got -0.1"):
        zoo.models.InfoGAN(instance_noise=-0.1)
