"""What the fine-tune, traverse and sweep recipes call, on tiny models: the weight transfer, the
pictures, the study's grid."""

import numpy as np
import pytest

import zoo.data
import zoo.models


def test_transfer_grey_to_colour_keeps_the_function():
    from zoo.models.transfer import transfer_weights

    grey = zoo.models.get("beta_vae", input_shape=(16, 16, 1), latent_dim=3, seed=1)
    colour = zoo.models.get("beta_vae", input_shape=(16, 16, 3), latent_dim=3, seed=2)
    adapted = transfer_weights(grey, colour)
    assert len(adapted) >= 2  # the first conv kernel and the decoder's last layer (kernel and bias)
    x = zoo.data.load("tiny").sample_observations(4, 0)
    np.testing.assert_allclose(colour.encode_mean(np.repeat(x, 3, axis=-1)), grey.encode_mean(x), atol=1e-5)
    z = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    out_c, out_g = np.asarray(colour.decode(z)), np.asarray(grey.decode(z))
    for c in range(3):
        np.testing.assert_allclose(out_c[..., c:c + 1], out_g, atol=1e-5)


def test_transfer_refuses_another_objective():
    from zoo.models.transfer import transfer_weights

    with pytest.raises(ValueError, match="cannot fine-tune a FactorVAE from a BetaVAE"):
        transfer_weights(zoo.models.get("beta_vae", input_shape=(16, 16, 1), latent_dim=3),
                         zoo.models.get("factor_vae", input_shape=(16, 16, 1), latent_dim=3))


def test_traverse_writes_pictures(tmp_path):
    from PIL import Image

    from zoo.visualize import write_pictures

    model = zoo.models.get("beta_vae", input_shape=(16, 16, 1), latent_dim=3)
    paths = write_pictures(model, zoo.data.load("tiny"), tmp_path, num_values=5, num_reconstructions=4)
    traversal = Image.open(paths["traversal"])
    assert traversal.size[1] == 3 * (16 + 2) + 2  # one row per latent
    gif = Image.open(paths["gif"])
    assert gif.is_animated and gif.size == (3 * 18 + 2, 18 + 2)  # one panel per latent
    recon = Image.open(paths["reconstructions"])
    assert recon.size == (4 * 18 + 2, 2 * 18 + 2)


def test_sweep_grid_is_the_studys():
    from zoo.study import jobs

    grid = jobs("study", ("dsprites",), num_seeds=2)
    assert len(grid) == 6 * 6 * 2
    assert len({job["name"] for job in grid}) == len(grid)
    dip1 = [j["hparams"] for j in grid if j["model"] == "dip_vae_i" and j["seed"] == 0]
    assert [h["lambda_od"] for h in dip1] == [1, 2, 5, 10, 20, 50] and all(h["lambda_d"] == 10 * h["lambda_od"] for h in dip1)
    assert {j["hparams"]["gamma"] for j in grid if j["model"] == "factor_vae"} == {10, 20, 30, 40, 50, 100}
    for job in grid:  # every job's hyperparameters are ones its objective takes
        assert set(job["hparams"]) <= set(zoo.models.hparams(job["model"]))
