"""Datasets: ground truth with known generative factors, and your own images without them.

`load(name, **options)` builds a registered dataset; `names()` lists them. Ground truth:
dsprites and its variants (rendered, or DeepMind's files), shapes3d, mpi3d_toy,
mpi3d_realistic, mpi3d_real, smallnorb, cars3d (the real files, `source="file", path=...`).
Your own images: `load("images", path=FOLDER)`, `load("tfds:NAME", data_dir=...)`,
`from_array(x)`. See `zoo.data.base` for the two layers (`ObservationData`, `GroundTruthData`).
"""

from __future__ import annotations

from typing import Callable

from zoo.data.base import GroundTruthData, ObservationData, as_generator, check_images
from zoo.names import did_you_mean

_REGISTRY: dict[str, Callable[..., ObservationData]] = {}
TFDS_PREFIX = "tfds:"


def register(name: str):
    """Class/function decorator adding a dataset factory to the registry under `name`."""
    def wrap(factory):
        _REGISTRY[name] = factory
        return factory
    return wrap


def names() -> list[str]:
    _ensure_builtin()
    return sorted(_REGISTRY)


def check_name(name: str) -> str:
    """Returns `name` if `load` knows it (a registered name, or "tfds:<dataset>"); raises
    `ValueError` with the close names otherwise."""
    _ensure_builtin()
    if not isinstance(name, str):
        raise TypeError(f"name must be a dataset's name (a str, one of zoo.data.names(), or tfds:<name>); got "
                        f"{type(name).__name__} {name!r}.")
    if name in _REGISTRY or (name.startswith(TFDS_PREFIX) and len(name) > len(TFDS_PREFIX)):
        return name
    raise ValueError(f"Unknown dataset {name!r}.{did_you_mean(name, _REGISTRY)} Known datasets: "
                     f"{', '.join(sorted(_REGISTRY))}, and {TFDS_PREFIX}<name> for any prepared tensorflow_datasets "
                     "set with images.")


def load(name: str, **options) -> ObservationData:
    """Builds the dataset registered as `name` (e.g. "dsprites", "shapes3d", "images"), or the
    images of a prepared tensorflow_datasets set for "tfds:<dataset>" (options of
    `zoo.data.images.load_tfds`)."""
    check_name(name)
    if name.startswith(TFDS_PREFIX):
        from zoo.data import images

        return images.load_tfds(name[len(TFDS_PREFIX):], **options)
    return _REGISTRY[name](**options)


def from_array(x, name: str = "array") -> ObservationData:
    """A factor-less dataset of the images in `x` (`(N, H, W, C)` or `(N, H, W)`, uint8 or float in [0, 1])."""
    from zoo.data import images

    return images.from_array(x, name=name)


_loaded = False


def _ensure_builtin():
    global _loaded
    if _loaded:
        return
    _loaded = True
    from zoo.data import cars3d, dsprites, images, mnist, mpi3d, shapes3d, smallnorb, tiny
    register("tiny")(tiny.TinySprites)
    register("mnist")(mnist.MNIST)
    for cls in (dsprites.DSprites, dsprites.ColorDSprites, dsprites.NoisyDSprites, dsprites.ScreamDSprites,
                shapes3d.Shapes3D, mpi3d.MPI3DToy, mpi3d.MPI3DRealistic, mpi3d.MPI3DReal, smallnorb.SmallNORB,
                cars3d.Cars3D):
        register(cls.name)(cls)
    register("images")(images.load_folder)


__all__ = ["GroundTruthData", "ObservationData", "as_generator", "check_images", "check_name", "from_array", "load",
           "names", "register"]
