"""Ground-truth datasets with known generative factors.

`load(name, **options)` builds a registered dataset; `names()` lists them.
"""

from __future__ import annotations

import difflib
from typing import Callable

from zoo.data.base import GroundTruthData, as_generator, check_images

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
    """Builds the dataset registered as `name` (e.g. "dsprites", "color_dsprites", "mnist", "tiny")."""
    _ensure_builtin()
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, _REGISTRY, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"Unknown dataset {name!r}.{hint} Known datasets: {', '.join(sorted(_REGISTRY))}.")
    return _REGISTRY[name](**options)


_loaded = False


def _ensure_builtin():
    global _loaded
    if _loaded:
        return
    _loaded = True
    from zoo.data import dsprites, mnist, tiny
    register("tiny")(tiny.TinySprites)
    register("mnist")(mnist.MNIST)
    for cls in (dsprites.DSprites, dsprites.ColorDSprites, dsprites.NoisyDSprites, dsprites.ScreamDSprites):
        register(cls.name)(cls)


__all__ = ["GroundTruthData", "as_generator", "check_images", "load", "names", "register"]
