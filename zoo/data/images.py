"""Your own images, without factors: a folder, a numpy array, or a tensorflow_datasets set.

All three give an `ImageArray`, an `ObservationData` (see `zoo.data.base`): `as_tf_dataset` to
train on, `sample_observations` / `sample` for pictures and the KL trace, no factors (so the
supervised metrics refuse it and point at the unsupervised scores).

    zoo.data.load("images", path="faces/", size=64, channels=3)    # PNG / JPEG files
    zoo.data.load("tfds:celeb_a", data_dir="~/tfds", split="train")  # a prepared tfds set
    zoo.data.from_array(x)                                          # uint8 or [0, 1] float

Files and tfds images are brought to `size` x `size` the usual way (torchvision's Resize +
CenterCrop): scaled so the shorter side is `size` (Lanczos), then the centre cut out. They are
decoded once, when the dataset is built, and held as uint8 (N x size x size x channels bytes:
50,000 images of 64x64x3 take 614 MB); training draws from them uniformly with replacement, like
the ground-truth sets.
"""

from __future__ import annotations

import concurrent.futures
import os
from pathlib import Path

import numpy as np

from zoo.data import files
from zoo.data.base import ObservationData, as_generator, check_count, image_problem

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


class ImageArray(ObservationData):
    """Images in memory, `(N, H, W, C)` uint8 (0..255) or float (0..1), C = 1 or 3.

    Args:
      images: the array (kept as is, not copied: uint8 is scaled per batch, so it stays 4x smaller
        than float32).
      name: what the dataset is called in messages, cards and presets.

    Example:
      >>> data = ImageArray(np.zeros((10, 16, 16, 1), np.uint8))
      >>> data.observation_shape, data.num_factors, data.sample_observations(3, rng=0).shape
      ((16, 16, 1), 0, (3, 16, 16, 1))
    """

    def __init__(self, images, name: str = "array"):
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[..., None]
        if images.ndim != 4 or images.shape[-1] not in (1, 3) or min(images.shape) < 1:
            raise ValueError(f"images must be an array (N, H, W, C) with C = 1 or 3 (or (N, H, W) greyscale) and N >= 1; "
                             f"got shape {images.shape}.")
        if images.dtype != np.uint8 and not np.issubdtype(images.dtype, np.floating):
            raise ValueError(f"images must be uint8 (0..255) or float (0..1); got dtype {images.dtype}.")
        problem = image_problem(images)  # the zoo's one image rule (zoo.data.check_images)
        if problem:
            raise ValueError(f"images: {problem}")
        self.images = images
        self.name = name
        self.observation_shape = tuple(int(d) for d in images.shape[1:])

    @property
    def num_images(self) -> int:
        return len(self.images)

    def sample_observations(self, n: int, rng=None) -> np.ndarray:
        """`n` images drawn uniformly with replacement: float32 `(n, H, W, C)` in [0, 1]."""
        rng = as_generator(rng)
        picked = self.images[rng.integers(0, len(self.images), size=check_count(n, "n"))]
        if picked.dtype == np.uint8:
            return picked.astype(np.float32) / 255.0
        return picked.astype(np.float32, copy=False)


def from_array(x, name: str = "array") -> ImageArray:
    """A factor-less dataset of the images in `x` (`(N, H, W, C)` or `(N, H, W)`, uint8 or float in [0, 1])."""
    return ImageArray(x, name=name)


def fit_image(image, size: int, channels: int) -> np.ndarray:
    """A PIL image -> uint8 `(size, size, channels)`: shorter side scaled to `size` (Lanczos), centre cut out.

    Photos are turned upright first (their EXIF orientation).
    """
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(image)
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        # 16-bit greyscale (PNG opens as I;16 or I): scaled to 8 bits, where convert("L") would clip at 255.
        wide = np.asarray(image, np.float64)
        image = Image.fromarray(np.clip(np.round(wide * (255.0 / 65535.0)), 0, 255).astype(np.uint8), "L")
    image = image.convert("L" if channels == 1 else "RGB")
    fitted = ImageOps.fit(image, (size, size), method=Image.LANCZOS, centering=(0.5, 0.5))
    return np.asarray(fitted, np.uint8).reshape(size, size, channels)


def _whole(value, name: str, minimum: int) -> int:
    """A whole number from an int, an integral float or the text of one (`--dataset_options` give text);
    a fraction (size=2.7) or a number below `minimum` is refused, naming the option."""
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ValueError(f"{name} must be a whole number >= {minimum}; got {value!r}.") from None
    return check_count(value, name, minimum=minimum)


def _size_and_channels(size, channels):
    size, channels = _whole(size, "size", 1), _whole(channels, "channels", 1)
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (greyscale) or 3 (RGB); got {channels}.")
    return size, channels


def load_folder(path, size=64, channels=3, *, recursive=True, max_images=None, name: str = "images") -> ImageArray:
    """Every PNG / JPEG under `path` (sorted by path; subfolders too unless `recursive=False`), each
    brought to `size` x `size` x `channels` by `fit_image`.

    Args:
      path: the folder.
      size: side of the square images (the zoo's networks take multiples of 16; 64 is the field's).
      channels: 1 (greyscale) or 3 (RGB); colour files are converted either way.
      recursive: look in subfolders.
      max_images: read at most this many (the first in sorted order).
      name: the dataset's name in messages, cards and presets.

    Raises:
      FileNotFoundError: no such folder, or no image in it.
      files.DatasetFileError: a file that cannot be decoded (named, with what to do).
    """
    size, channels = _size_and_channels(size, channels)
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"images: folder not found: {folder}.")
    walk = folder.rglob("*") if files.as_bool(recursive) else folder.iterdir()
    paths = sorted(p for p in walk if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if max_images is not None:  # -1 would drop the last image
        paths = paths[:_whole(max_images, "max_images", 1)]
    if not paths:
        raise FileNotFoundError(f"images: no {'/'.join(s[1:].upper() for s in IMAGE_SUFFIXES)} files in {folder}"
                                + (" or its subfolders." if files.as_bool(recursive) else "."))

    def read(p):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(p) as image:
                return fit_image(image, size, channels)
        except Image.DecompressionBombError as error:
            raise files.DatasetFileError(f"images: {p} is larger than Pillow decodes by default ({error}). Shrink the "
                                         "file, or raise PIL.Image.MAX_IMAGE_PIXELS if you trust it.") from error
        except (UnidentifiedImageError, OSError, ValueError) as error:
            raise files.DatasetFileError(f"images: cannot read {p} ({type(error).__name__}: {error}). Remove or "
                                         "replace the file.") from error

    out = np.empty((len(paths), size, size, channels), np.uint8)
    # PIL decodes and resizes without the GIL, so a few threads go several times faster.
    workers = min(8, os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for i, image in enumerate(pool.map(read, paths)):
            out[i] = image
    data = ImageArray(out, name=name)
    data.paths = paths
    return data


def load_tfds(dataset: str, data_dir=None, split: str = "train", size=64, channels=None, *, image_key=None,
              max_images=None) -> ImageArray:
    """The images of a prepared tensorflow_datasets set (never downloading), brought to `size` x `size`.

    Args:
      dataset: the tfds name, e.g. "celeb_a", "cars196", "mnist".
      data_dir: tensorflow_datasets' data folder.
      split: a split or slice, e.g. "train", "train[:10%]", "train+test".
      size: side of the square images.
      channels: 1 or 3 (default: the image feature's own, 3 if it does not say).
      image_key: the image feature, when the set has more than one (default: "image", or the only one).
      max_images: read at most this many.
    """
    import tensorflow_datasets as tfds
    from PIL import Image

    builder = files.prepared_builder(dataset, data_dir)
    features = builder.info.features
    keys = [k for k, f in features.items() if isinstance(f, tfds.features.Image)]
    if image_key is None:
        if not keys:
            raise ValueError(f"tfds:{dataset} has no image feature (its features: {', '.join(features.keys())}).")
        image_key = "image" if "image" in keys else keys[0] if len(keys) == 1 else None
        if image_key is None:
            raise ValueError(f"tfds:{dataset} has several image features ({', '.join(keys)}); pass image_key=.")
    elif image_key not in keys:
        raise ValueError(f"tfds:{dataset} has no image feature {image_key!r}; its image features: "
                         f"{', '.join(keys) or 'none'}.")
    if channels is None:
        own = features[image_key].shape[-1]
        channels = own if own in (1, 3) else 3
    size, channels = _size_and_channels(size, channels)
    ds = builder.as_dataset(split=split, shuffle_files=False)
    if max_images is not None:  # take(-1) would take them all
        ds = ds.take(_whole(max_images, "max_images", 1))
    images = []
    for example in tfds.as_numpy(ds):
        array = np.asarray(example[image_key])
        if array.ndim == 3 and array.shape[-1] == 1:
            array = array[..., 0]
        images.append(fit_image(Image.fromarray(array), size, channels))
    if not images:
        raise ValueError(f"tfds:{dataset} split {split!r} in {builder.data_dir} holds no examples.")
    return ImageArray(np.stack(images), name=f"tfds:{dataset}")
