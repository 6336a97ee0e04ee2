"""Ground-truth datasets with known generative factors.

`load(name, **options)` builds a registered dataset; `names()` lists them.
"""

from __future__ import annotations

from typing import Callable

from zoo.data.base import GroundTruthData, as_generator, check_images
from zoo.names import did_you_mean

_REGISTRY: dict[str, Callable[..., GroundTruthData]] = {}


def register(name: str):
    """Class/function decorator adding a dataset factory to the registry under `name`."""
    def wrap(factory):
        _REGISTRY[name] = factory
        return factory
    return wrap


def names() -> list[str]:
    _ensure_builtin()
    return sorted(_REGISTRY)


def load(name: str, **options) -> GroundTruthData:
    """Builds the dataset registered as `name` (e.g. "dsprites", "color_dsprites", "tiny")."""
    _ensure_builtin()
    if name not in _REGISTRY:
        raise ValueError(f"Unknown dataset {name!r}.{did_you_mean(name, _REGISTRY)} Known datasets: {', '.join(sorted(_REGISTRY))}.")
    return _REGISTRY[name](**options)


_loaded = False


def _ensure_builtin():
    global _loaded
    if _loaded:
        return
    _loaded = True
    from zoo.data import dsprites, tiny
    register("tiny")(tiny.TinySprites)
    for cls in (dsprites.DSprites, dsprites.ColorDSprites, dsprites.NoisyDSprites, dsprites.ScreamDSprites):
        register(cls.name)(cls)


__all__ = ["GroundTruthData", "as_generator", "check_images", "load", "names", "register"]
