"""dSprites and the colour, noise and scream variants of disentanglement_lib.

dSprites (Matthey, Higgins, Hassabis, Lerchner 2017; introduced with beta-VAE, Higgins et al.
2017) holds one 64x64 binary frame for every combination of five factors. The variants of
Locatello et al. (2019, disentanglement_lib `data/ground_truth/dsprites.py`) keep the same factors
and add nuisance randomness w, drawn from the rng passed in, on top of the binary sprite.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.data import dsprites_files, dsprites_render, files
from zoo.data.base import GroundTruthData, as_generator, check_count
from zoo.data.texture import swirl_texture

SOURCES = ("render", "file", "tfds")


class DSprites(GroundTruthData):
    """dSprites: shape (3), scale (6), orientation (40), posX (32), posY (32); 64x64x1 binary.

    Factor columns follow disentanglement_lib: DeepMind's file has a sixth, constant factor
    (color, one value) in front, which is not a column here. Because color is always 0,
    `index_of(factors)` is exactly the row of DeepMind's 737,280-image file: the bases
    `[245760, 40960, 1024, 32, 1]` are the file's `[737280, 245760, 40960, 1024, 32, 1]` without
    the color term.

    Sources:
      "render" (default): frames drawn on the fly by `dsprites_render` (fitted to real frames:
        squares and ellipses pixel-exact on all 128 reference frames, hearts about 0.986 IoU).
      "file": DeepMind's npz or hdf5 (`path=`), checked and looked up by index.
      "tfds": through tensorflow_datasets' `dsprites` builder (`data_dir=`), never downloading.

    Args:
      source: one of "render", "file", "tfds".
      path: for "file": the npz/hdf5 file or a folder holding it (default `$ZOO_DATA_DIR/dsprites`).
      data_dir: for "tfds": tensorflow_datasets' data folder.
      sha256, size: expected checksum and bytes of the file (default: the official ones for the
        hdf5; none are published for the npz, whose layout alone is then checked).
      verify: check size and sha256 ("file", and the manual file of "tfds").

    Example:
      >>> data = DSprites()
      >>> factors, images = data.sample(4, rng=0)
      >>> images.shape, images.dtype.name, data.index_of([[0, 0, 0, 0, 1]]).tolist()
      ((4, 64, 64, 1), 'float32', [1])
    """

    name = "dsprites"
    factor_names = ("shape", "scale", "orientation", "posX", "posY")
    factor_sizes = (3, 6, 40, 32, 32)
    observation_shape = (64, 64, 1)
    # Rendered, read from a file or from tfds, a frame is a function of its factors alone (the rng
    # is never touched); the variants below add nuisance randomness and set it back to False.
    deterministic_observations = True
    shape_names = ("square", "ellipse", "heart")

    def __init__(self, source: str = "render", path=None, *, data_dir=None, sha256: str | None = None,
                 size: int | None = None, verify: bool = True):
        self.factor_values = (np.arange(3), np.linspace(0.5, 1.0, 6), np.linspace(0.0, 2 * np.pi, 40),
                              np.linspace(0.0, 1.0, 32), np.linspace(0.0, 1.0, 32))
        files.check_source(self.name, source, SOURCES, path=path, data_dir=data_dir)
        self.source = source
        self._store = None
        if source == "file":
            self._store = dsprites_files.read_file(path, sha256=sha256, size=size, verify=verify)
        elif source == "tfds":
            self._store = dsprites_files.read_tfds(data_dir, sha256=sha256, size=size, verify=verify)

    def sample_factors(self, n: int, rng=None) -> np.ndarray:
        """Uniform over the grid; over the frames present when a partial file was loaded."""
        if self._store is None or self._store.complete:
            return super().sample_factors(n, rng)
        n = check_count(n, "n")
        rng = as_generator(rng)
        return self.factors_of(rng.choice(self._store.indices, size=n))

    def sprites(self, factors, out=None) -> np.ndarray:
        """Binary frames for factor classes `[n, 5]`: uint8 `[n, 64, 64]` 0/1, or drawn into `out`.

        Args:
          factors: `[n, 5]` class indices.
          out: optional zero-filled `[n, 64, 64]` or `[n, 64, 64, 1]` array of any numeric dtype.
        """
        factors = self.check_factors(factors)
        if self._store is not None:
            return self._store.lookup(self.index_of(factors), out=out)
        shape, scale, orientation, pos_x, pos_y = (v[f] for v, f in zip(self.factor_values, factors.T))
        return dsprites_render.render(shape, scale, orientation, pos_x, pos_y, out=out)

    def sample_observations_from_factors(self, factors, rng=None) -> np.ndarray:
        factors = self.check_factors(factors)
        return self.sprites(factors, out=np.zeros((len(factors), 64, 64, 1), np.float32))


class ColorDSprites(DSprites):
    """dSprites in colour: the sprite in 3 channels times one colour per image from U(0.5, 1)^3.

    The colour is nuisance (not a factor column), drawn from the rng passed in. Takes the same
    arguments as `DSprites`.
    """

    name = "color_dsprites"
    observation_shape = (64, 64, 3)
    deterministic_observations = False  # a random colour per image, drawn from the rng

    def sample_observations_from_factors(self, factors, rng=None) -> np.ndarray:
        rng = as_generator(rng)
        sprites = self.sprites(factors)
        color = rng.uniform(0.5, 1.0, (len(sprites), 3)).astype(np.float32)
        images = np.multiply(_channels(sprites), _row_of(color), dtype=np.float32)
        return images.reshape(-1, 64, 64, 3)


class NoisyDSprites(DSprites):
    """dSprites on noise: min(sprite + U(0, 1) noise per pixel and channel, 1), 3 channels.

    Takes the same arguments as `DSprites`.
    """

    name = "noisy_dsprites"
    observation_shape = (64, 64, 3)
    deterministic_observations = False  # random noise per pixel, drawn from the rng

    def sample_observations_from_factors(self, factors, rng=None) -> np.ndarray:
        rng = as_generator(rng)
        sprites = self.sprites(factors)
        noise = rng.random((len(sprites), 64, 64, 3), dtype=np.float32)
        # For a 0/1 sprite and noise in [0, 1), min(noise + sprite, 1) = max(noise, sprite).
        np.maximum(noise.reshape(-1, 64, 192), _channels(sprites), out=noise.reshape(-1, 64, 192))
        return noise


class ScreamDSprites(DSprites):
    """dSprites on a textured background, the sprite drawn by inverting it.

    Per image: a random 64x64 crop of a background texture, averaged with a random colour
    ((crop + U(0, 1)^3) / 2), and on the sprite's pixels 1 - background.

    disentanglement_lib crops The Scream (Munch, 1893). The painting is not available here, so the
    default background is a procedural texture (`texture.swirl_texture`: smooth coloured swirls
    from a fixed seed); scores on this variant are not comparable with the paper's. If you have
    the image, pass `background="path/to/scream.jpg"` to use it the way disentanglement_lib does
    (thumbnail fitted into 350 x 274 pixels).

    Args:
      background: None (procedural texture), an image path, or a float array `[H, W, 3]` in [0, 1]
        with H, W >= 64.
      **kwargs: as for `DSprites`.
    """

    name = "scream_dsprites"
    observation_shape = (64, 64, 3)
    deterministic_observations = False  # a random crop and colour per image, drawn from the rng

    def __init__(self, source: str = "render", path=None, *, background=None, **kwargs):
        super().__init__(source, path, **kwargs)
        self.background = _load_background(background)

    def sample_observations_from_factors(self, factors, rng=None) -> np.ndarray:
        rng = as_generator(rng)
        on = self.sprites(factors).view(bool)
        n = len(on)
        height, width, _ = self.background.shape
        top = rng.integers(0, height - 64 + 1, n)
        left = rng.integers(0, width - 64 + 1, n)
        color = rng.uniform(0.0, 1.0, (n, 3)).astype(np.float32)
        images = np.empty((n, 64, 64, 3), np.float32)
        # One block copy per crop: 15x faster than gathering all crops with fancy indexing.
        for i in range(n):
            images[i] = self.background[top[i]:top[i] + 64, left[i]:left[i] + 64]
        rows = images.reshape(n, 64, 192)
        rows += _row_of(color)
        rows *= np.float32(0.5)
        np.subtract(np.float32(1.0), rows, out=rows, where=_channels(on))
        return images


# Per-pixel RGB work is done on rows of 64 pixels x 3 channels ([n, 64, 192]): broadcasting a
# per-image colour over a trailing axis of length 3 makes numpy's inner loops 3 long, about 10x
# slower than these 192-long rows.

def _channels(sprites) -> np.ndarray:
    """`[n, 64, 64]` -> `[n, 64, 192]`, each pixel repeated for R, G, B."""
    return np.repeat(sprites, 3, axis=2)


def _row_of(color) -> np.ndarray:
    """`[n, 3]` colours -> `[n, 1, 192]`, one row of 64 pixels in that colour."""
    return np.tile(color, 64).reshape(len(color), 1, 192)


def _load_background(background) -> np.ndarray:
    if background is None:
        return swirl_texture()
    if isinstance(background, (str, Path)):
        from PIL import Image

        with Image.open(background) as image:
            image = image.convert("RGB")
            image.thumbnail((350, 274))
            background = np.asarray(image, np.float32) / 255.0
    background = np.asarray(background, np.float32)
    if background.ndim != 3 or background.shape[2] != 3 or min(background.shape[:2]) < 64:
        raise ValueError(f"background must be an RGB image of at least 64x64; got shape {background.shape}.")
    if background.min() < 0 or background.max() > 1:
        raise ValueError("background must hold values in [0, 1].")
    return background
