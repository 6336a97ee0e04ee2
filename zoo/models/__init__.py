"""The objectives of the zoo as Keras models, and a registry of them by name.

    >>> import zoo.models
    >>> zoo.models.names()  # doctest: +NORMALIZE_WHITESPACE
    ['ada_gvae', 'ada_ml_vae', 'annealed_vae', 'beta_tcvae', 'beta_vae', 'dip_vae_i', 'dip_vae_ii', 'factor_vae',
     'infogan', 'vae']
    >>> model = zoo.models.get("dip_vae_ii", input_shape=(16, 16, 1))
    >>> model.hparams
    {'variant': 'ii', 'lambda_od': 10.0, 'lambda_d': 10.0}

Every model is registered for Keras serialization under the package "zoo", so
`keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))` rebuilds it
once this package is imported.
"""

from __future__ import annotations

from typing import Any

from zoo.models.ada_gvae import AdaGVAE
from zoo.models.ada_ml_vae import AdaMLVAE
from zoo.models.annealed_vae import AnnealedVAE
from zoo.models.base import HParam, RepresentationModel
from zoo.models.beta_tcvae import BetaTCVAE
from zoo.models.beta_vae import BetaVAE
from zoo.models.dip_vae import DIPVAE
from zoo.models.factor_vae import FactorVAE
from zoo.models.infogan import InfoGAN, InfoGANCR, InfoWGANGP, InfoWGANGPCR
from zoo.models.optimizers import FusedAdam
from zoo.models.vae import VAE, VAEOutputs
from zoo.models.weak_vae import WeakVAE
from zoo.names import did_you_mean

# name -> (class, the study's defaults for that name; Locatello et al. 2019, table 2)
_REGISTRY: dict[str, tuple[type[RepresentationModel], dict[str, Any]]] = {
    "vae": (VAE, {}),
    "beta_vae": (BetaVAE, {}),
    "annealed_vae": (AnnealedVAE, {}),
    "dip_vae_i": (DIPVAE, {"variant": "i"}),
    "dip_vae_ii": (DIPVAE, {"variant": "ii"}),
    "beta_tcvae": (BetaTCVAE, {}),
    "factor_vae": (FactorVAE, {}),
    "infogan": (InfoGAN, {}),
    # Weakly supervised (Locatello et al. 2020): trained on pairs, not in the 2019 study's table.
    "ada_gvae": (AdaGVAE, {}),
    "ada_ml_vae": (AdaMLVAE, {}),
}


def names() -> list[str]:
    """The registered objective names."""
    return sorted(_REGISTRY)


def _lookup(name: str):
    if not isinstance(name, str):
        raise TypeError(f"name must be an objective's name (a str, one of {', '.join(names())}); got "
                        f"{type(name).__name__} {name!r}.")
    if name not in _REGISTRY:
        raise ValueError(f"Unknown model {name!r}.{did_you_mean(name, _REGISTRY)} Known models: {', '.join(names())}.")
    return _REGISTRY[name]


def get_class(name: str) -> type[RepresentationModel]:
    """The class behind a registered name (e.g. "dip_vae_ii" -> `DIPVAE`)."""
    return _lookup(name)[0]


def hparams(name: str) -> dict[str, HParam]:
    """`{hparam: HParam(name, type, default, doc)}` for a registered name, with its defaults."""
    cls, fixed = _lookup(name)
    return {h.name: h._replace(default=fixed.get(h.name, h.default)) for h in cls.HPARAMS}


def get(name: str, **kwargs) -> RepresentationModel:
    """Builds the objective registered as `name` with the study's defaults, overridden by `kwargs`.

    Args:
      name: one of `names()`.
      **kwargs: hyperparameters (`beta`, `gamma`, `c_max`, `lambda_od`, ...) and `input_shape`,
        `latent_dim`, `seed`.

    Raises:
      ValueError: unknown name, an argument the objective does not take, or a value outside a
        hyperparameter's valid range (NaN, inf, a negative weight), naming the range.
    """
    cls, fixed = _lookup(name)
    allowed = set(cls.hparam_names()) | {"input_shape", "latent_dim", "seed", "name"}
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise ValueError(f"{name} takes no argument {', '.join(map(repr, unknown))}; its hyperparameters are "
                         f"{', '.join(cls.hparam_names()) or 'none'} (and input_shape, latent_dim, seed).")
    if "variant" in kwargs and "variant" in fixed and kwargs["variant"] != fixed["variant"]:
        raise ValueError(f"{name} is DIPVAE(variant={fixed['variant']!r}); use the other name for the other variant.")
    specs = cls.hparam_specs()
    for key, value in kwargs.items():
        if key in specs:
            specs[key].check(value, name)  # before any conversion in __init__ can hide a bad value
    return cls(**{**fixed, **kwargs})


__all__ = ["AdaGVAE", "AdaMLVAE", "AnnealedVAE", "BetaTCVAE", "BetaVAE", "DIPVAE", "FactorVAE", "FusedAdam", "HParam",
           "InfoGAN", "InfoGANCR", "InfoWGANGP", "InfoWGANGPCR", "RepresentationModel", "VAE", "VAEOutputs", "WeakVAE",
           "get", "get_class", "hparams", "names"]
