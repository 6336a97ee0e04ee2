"""The InfoGAN family as classes: options and saved configs pick the variant, each overriding one hook."""

import keras
import pytest

import zoo.models
from zoo.models.infogan import InfoGAN, InfoGANCR, InfoWGANGP, InfoWGANGPCR, game

SMALL = dict(input_shape=(16, 16, 1), num_categorical=3, num_continuous=2, noise_dim=4, filters=4)


@pytest.mark.parametrize("options, cls", [
    ({}, InfoGAN),
    ({"gan_loss": "wgan_gp"}, InfoWGANGP),
    ({"lambda_contrastive": 2.0}, InfoGANCR),
    ({"gan_loss": "wgan_gp", "lambda_contrastive": 1.0}, InfoWGANGPCR),
])
def test_options_and_configs_build_the_variant_they_select(options, cls):
    model = zoo.models.get("infogan", **SMALL, **options)
    assert type(model) is cls and type(InfoGAN(**SMALL, **options)) is cls and isinstance(model, InfoGAN)
    # A config as every InfoGAN preset records it: registered as zoo>InfoGAN, the variant in its flags.
    config = keras.saving.serialize_keras_object(model)
    config.update(class_name="InfoGAN", registered_name="zoo>InfoGAN", module="zoo.models.infogan")
    rebuilt = keras.saving.deserialize_keras_object(config)
    assert type(rebuilt) is cls and rebuilt.get_config() | {"name": None} == model.get_config() | {"name": None}
    # Each variant overrides one hook of the game, and only that one.
    hooks = {name for name in ("gan_terms", "regularizer") if getattr(cls, name) is not getattr(InfoGAN, name)}
    assert hooks == {hook for hook, option in (("gan_terms", "gan_loss"), ("regularizer", "lambda_contrastive"))
                     if option in options}


def test_a_config_saved_before_the_options_existed_rebuilds_the_legacy_model():
    old = {"name": "info_gan", "input_shape": [16, 16, 1], "latent_dim": 5, "seed": 1, "num_categorical": 3,
           "num_continuous": 2, "noise_dim": 4, "lambda_info": 1.0, "learn_scale": True, "filters": 4}
    model = InfoGAN.from_config(old)
    assert type(model) is InfoGAN
    assert {k: getattr(model, k) for k in InfoGAN.LEGACY_HPARAMS} == InfoGAN.LEGACY_HPARAMS


def test_a_variant_class_refuses_options_of_another():
    with pytest.raises(ValueError, match=r"InfoWGANGP is InfoGAN with gan_loss='wgan_gp'.*InfoGAN\(...\) builds"):
        InfoWGANGP(**SMALL)
    with pytest.raises(ValueError, match="gan_loss must be one of 'standard', 'wgan_gp'; got 'hinge'"):
        InfoGAN(**SMALL, gan_loss="hinge")
    assert set(game.InfoGAN._VARIANTS.values()) == {InfoGAN, InfoWGANGP, InfoGANCR, InfoWGANGPCR}
