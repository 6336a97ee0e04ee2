"""The objectives' registry, their hyperparameters checked at construction, and the study's default shapes."""

import re

import numpy as np
import pytest

import zoo.models

SMALL = {"input_shape": (16, 16, 1), "latent_dim": 4}
SMALL_INFOGAN = {"input_shape": (16, 16, 1), "num_categorical": 2, "num_continuous": 2, "noise_dim": 8,
                 "filters": 8}


def small(name, **kwargs):
    return zoo.models.get(name, **(SMALL_INFOGAN if name == "infogan" else SMALL), **kwargs)


def test_registry_names_and_defaults():
    assert zoo.models.names() == ["ada_gvae", "ada_ml_vae", "annealed_vae", "beta_tcvae", "beta_vae", "dip_vae_i",
                                  "dip_vae_ii", "factor_vae", "infogan", "vae"]
    # The study's settings (Locatello et al. 2019).
    assert small("annealed_vae").hparams == {"gamma": 1000.0, "c_max": 25.0, "iteration_threshold": 100000}
    assert small("factor_vae").hparams == {"gamma": 10.0}
    assert small("dip_vae_i").hparams == {"variant": "i", "lambda_od": 10.0, "lambda_d": 100.0}
    assert small("dip_vae_ii").hparams == {"variant": "ii", "lambda_od": 10.0, "lambda_d": 10.0}
    assert small("dip_vae_i", lambda_od=2.0).lambda_d == 20.0
    assert small("beta_tcvae").hparams == {"beta": 6.0}
    assert isinstance(small("dip_vae_ii"), zoo.models.DIPVAE)
    assert type(small("vae")) is zoo.models.VAE
    assert zoo.models.hparams("dip_vae_ii")["variant"].default == "ii"
    assert zoo.models.get_class("beta_vae").hparam_names() == ("beta",)
    assert zoo.models.InfoGAN.hparam_names() == ("num_categorical", "num_continuous", "noise_dim", "lambda_info",
                                                 "lambda_categorical", "lambda_continuous", "learn_scale", "min_scale",
                                                 "network", "filters", "separate_batches", "instance_noise",
                                                 "translation", "gan_loss", "gradient_penalty", "n_critic",
                                                 "lambda_contrastive", "contrastive_start", "spectral_norm",
                                                 "generator_updates", "discriminator_learning_rate", "noise_prior",
                                                 "alternating", "leak")
    model = zoo.models.get("beta_vae", beta=8, input_shape=(16, 16, 1))
    assert (model.beta, model.observation_shape, model.latent_dim) == (8.0, (16, 16, 1), 10)


def test_registry_errors():
    with pytest.raises(ValueError, match="'beta_vae'.*Known models"):
        zoo.models.get("betavae")
    with pytest.raises(ValueError, match="takes no argument 'gamma'.*beta"):
        zoo.models.get("beta_vae", gamma=3.0)
    with pytest.raises(ValueError, match="variant"):
        zoo.models.get("dip_vae_i", variant="ii")


# Every hyperparameter of every objective, with values that used to build and then fill the weights
# with NaN during fit (or train the wrong objective: a negative weight rewards the term it should
# penalise), and the valid range the error must name. Written out here, not read from the
# declarations, so a declaration that loses its range fails this test.
NUMBER = "a finite number in [0, inf)"
BAD_HPARAMS = [
    ("beta_vae", "beta", [np.nan, np.inf, -1.0], NUMBER),
    ("beta_tcvae", "beta", [np.nan, -np.inf, -0.5], NUMBER),
    ("annealed_vae", "gamma", [np.nan, np.inf, -1000.0], NUMBER),
    ("annealed_vae", "c_max", [np.nan, np.inf, -25.0], NUMBER),
    ("annealed_vae", "iteration_threshold", [0, -5, 2.5, np.nan], "an integer in [1, inf)"),
    ("dip_vae_i", "lambda_od", [np.nan, np.inf, -10.0], NUMBER),
    ("dip_vae_i", "lambda_d", [np.nan, -1.0], NUMBER),
    ("dip_vae_ii", "lambda_od", [np.nan, -10.0], NUMBER),
    ("dip_vae_ii", "lambda_d", [np.inf, -1.0], NUMBER),
    ("factor_vae", "gamma", [np.nan, np.inf, -10.0], NUMBER),
    ("infogan", "lambda_info", [np.nan, np.inf, -1.0], NUMBER),
    ("infogan", "instance_noise", [np.nan, -0.3], NUMBER),
    ("infogan", "noise_dim", [-1, 2.5], "an integer in [0, inf)"),
    ("infogan", "filters", [0, 8.5], "an integer in [1, inf)"),
    ("infogan", "learn_scale", ["False", 2], "True or False"),
]


@pytest.mark.parametrize("name, hparam, values, valid", BAD_HPARAMS, ids=[f"{n}-{h}" for n, h, _, _ in BAD_HPARAMS])
def test_every_hyperparameter_is_checked_at_construction(name, hparam, values, valid):
    cls = zoo.models.get_class(name)
    fixed = {"variant": name[-2:].strip("_")} if name.startswith("dip") else {}
    shape = SMALL_INFOGAN if name == "infogan" else SMALL
    for value in values:
        message = rf"{hparam} must be {re.escape(valid)}; got {re.escape(repr(value))}"
        with pytest.raises(ValueError, match=message):
            zoo.models.get(name, **{**shape, hparam: value})
        with pytest.raises(ValueError, match=rf"{cls.__name__}: {message}"):
            cls(**{**shape, **fixed, hparam: value})


def test_hyperparameter_edges_and_other_arguments():
    assert small("beta_vae", beta=0).beta == 0.0          # beta = 0: a plain autoencoder, allowed
    assert small("annealed_vae", iteration_threshold=7.0).iteration_threshold == 7
    assert zoo.models.DIPVAE(variant="I", **SMALL).variant == "i"
    with pytest.raises(ValueError, match=r"variant must be one of 'i', 'ii'; got 'iii'"):
        zoo.models.DIPVAE(variant="iii", **SMALL)
    with pytest.raises(ValueError, match=r"latent_dim must be a positive integer; got 2.5"):
        zoo.models.get("vae", input_shape=(16, 16, 1), latent_dim=2.5)
    with pytest.raises(ValueError, match=r"seed must be an integer >= 0; got -1"):
        zoo.models.get("vae", **SMALL, seed=-1)
    with pytest.raises(ValueError, match=r"input_shape \(each of H, W, C\) must be a positive integer; got 16.5"):
        zoo.models.get("vae", input_shape=(16.5, 16, 1))
    # A spec's own conversion and description.
    spec = zoo.models.hparams("annealed_vae")["iteration_threshold"]
    assert spec.valid() == "an integer in [1, inf)" and spec.check(3.0) == 3 and isinstance(spec.check(3.0), int)


def test_default_shapes_are_the_studys():
    model = zoo.models.BetaVAE()
    assert model.observation_shape == (64, 64, 1) and model.latent_dim == 10
    assert model.encoder.get_layer("flatten").output.shape[1:] == (1024,)      # 4x4x64, disentanglement_lib's
    assert model.decoder.get_layer("reshape").output.shape[1:] == (4, 4, 64)
    infogan = zoo.models.InfoGAN()
    assert (infogan.num_categorical, infogan.num_continuous, infogan.latent_dim) == (3, 7, 10)
    assert infogan.generator.output.shape[1:] == (64, 64, 1)
    with pytest.raises(ValueError, match="divisible by 16"):
        zoo.models.VAE(input_shape=(20, 20, 1))
