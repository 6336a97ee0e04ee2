"""Pictures of what a model learned: latent traversals, reconstructions, animated traversals.

`write_pictures(model, data, out)` writes all three (what `recipes.traverse` and `recipes.demo` show).

A traversal (Higgins et al. 2017, fig. 7) encodes one image, then sweeps one latent at a time over
`[-2, 2]` while the others stay at the posterior mean; one row per latent, ordered by the latent's
average KL to the prior (the informative latents first), each row labelled with that KL.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from zoo.data import as_generator
from zoo.data.base import check_count
from zoo.data.sweep import save_png
from zoo.files import to_uint8, write_bytes


def latent_kl(model, images) -> np.ndarray | None:
    """Average KL(q(z_j|x) || N(0, 1)) of each latent over `images`, `[latent_dim]`; None when the
    model's encoder is not a Gaussian posterior (InfoGAN's Q)."""
    dist = model.encode(model._checked(images))
    try:
        mean, std = np.asarray(dist.mean()), np.asarray(dist.stddev())
    except NotImplementedError:
        return None
    if mean.shape != std.shape or mean.ndim != 2:
        return None
    var = np.square(std)
    # Closed-form Gaussian KL per dimension: 0.5 (mu^2 + s^2 - 1 - log s^2).
    return np.mean(0.5 * (np.square(mean) + var - 1.0 - np.log(np.maximum(var, 1e-12))), axis=0)


def traversal(model, image, *, values=np.linspace(-2.0, 2.0, 9)) -> tuple[np.ndarray, np.ndarray]:
    """Decodes a sweep of each latent around `image`'s posterior mean.

    Args:
      model: a zoo model (encode_mean, decode).
      image: one image `[H, W, C]`.
      values: the values each latent takes in turn.

    Returns:
      `frames [latent_dim, len(values), H, W, C]` in [0, 1] and the code `[latent_dim]` swept around.
    """
    code = np.asarray(model.encode_mean(model._checked(image[None])))[0]
    d = code.shape[0]
    codes = np.repeat(code[None, None], len(values), axis=1).repeat(d, axis=0)   # [d, n, d]
    for j in range(d):
        codes[j, :, j] = values
    frames = np.asarray(model.decode(codes.reshape(d * len(values), d).astype(np.float32)))
    return frames.reshape(d, len(values), *frames.shape[1:]), code


def _tile(frames: np.ndarray, pad: int = 2) -> np.ndarray:
    """`[rows, cols, H, W, C]` in [0, 1] -> one uint8 image `[rows*(H+pad)+pad, ..., 3]`."""
    rows, cols, h, w, c = frames.shape
    if c == 1:
        frames = np.repeat(frames, 3, axis=-1)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), 255, np.uint8)
    for r in range(rows):
        for k in range(cols):
            y, x = pad + r * (h + pad), pad + k * (w + pad)
            grid[y:y + h, x:x + w] = to_uint8(frames[r, k])
    return grid


def _label_rows(grid: np.ndarray, labels: list[str], row_height: int, width: int = 70) -> np.ndarray:
    from PIL import Image, ImageDraw

    canvas = Image.new("RGB", (grid.shape[1] + width, grid.shape[0]), "white")
    canvas.paste(Image.fromarray(grid), (width, 0))
    draw = ImageDraw.Draw(canvas)
    for r, text in enumerate(labels):
        draw.text((3, 2 + r * row_height + row_height // 2 - 6), text, fill=(0, 0, 0))
    return np.asarray(canvas)


def traversal_grid(model, data, *, seed: int = 0, num_values: int = 9, num_kl_images: int = 256,
                   image=None) -> np.ndarray:
    """A labelled traversal picture (uint8 `[H, W, 3]`): one row per latent, most informative first.

    Args:
      model: a zoo model.
      data: a ground-truth dataset to draw the image (and the KL estimate's images) from.
      seed: picks the images.
      num_values: columns, evenly spaced over [-2, 2].
      num_kl_images: images used to estimate each latent's KL.
      image: the image to traverse around (default: one drawn from `data`).
    """
    num_values = check_count(num_values, "num_values", minimum=2)  # one value is no traversal
    rng = as_generator(seed)
    images = data.sample_observations(num_kl_images, rng)
    image = images[0] if image is None else image
    frames, _ = traversal(model, image, values=np.linspace(-2.0, 2.0, num_values))
    kl = latent_kl(model, images)
    order = np.argsort(-kl, kind="stable") if kl is not None else np.arange(len(frames))
    labels = [f"z{j} KL {kl[j]:.2f}" if kl is not None else f"c{j}" for j in order]
    grid = _tile(frames[order])
    return _label_rows(grid, labels, row_height=frames.shape[2] + 2)


def reconstruction_grid(model, images) -> np.ndarray:
    """Inputs (top row) above their reconstructions (bottom row), uint8 `[H, W, 3]`."""
    recon = np.asarray(model.reconstruct(images))
    return _tile(np.stack([np.asarray(images, np.float32), recon]))


def traversal_gif(model, image, path, *, num_values: int = 21, duration_ms: int = 80, latents=None) -> Path:
    """An animated traversal: frame t shows every latent at value t, side by side, back and forth.

    Args:
      model: a zoo model (encode_mean, decode).
      image: one image `[H, W, C]` to traverse around.
      path: the GIF file to write (atomically).
      num_values: values from -2 to 2 (the animation runs through them and back).
      duration_ms: how long each frame shows.
      latents: which latents, in which order, left to right (default: all, in index order); e.g.
        the most informative first, as `traversal_grid` orders its rows.
    """
    from PIL import Image

    values = np.linspace(-2.0, 2.0, num_values)
    frames, _ = traversal(model, image, values=values)               # [d, n, H, W, C]
    if latents is not None:
        frames = frames[np.asarray(latents, dtype=int)]
    strip = [_tile(frames[:, t][None]) for t in range(num_values)]   # one row of d images per t
    seq = strip + strip[-2:0:-1]
    buf = io.BytesIO()
    Image.fromarray(seq[0]).save(buf, format="GIF", save_all=True, append_images=[Image.fromarray(f) for f in seq[1:]],
                                 duration=duration_ms, loop=0)
    return write_bytes(path, buf.getvalue())


def write_pictures(model, data, out, *, seed=0, num_values=9, num_reconstructions=8) -> dict:
    """Writes `traversal.png`, `traversal.gif` and `reconstructions.png` into `out`; returns `{kind: path}`.

    Args:
      model: a zoo model.
      data: the dataset the images come from.
      out: the folder (created).
      seed: picks the images; the first is the one traversed.
      num_values: columns of the traversal grid.
      num_reconstructions: images in the reconstruction grid.
    """
    out = Path(out)
    num_values = check_count(num_values, "num_values", minimum=2)
    num_reconstructions = check_count(num_reconstructions, "num_reconstructions", minimum=1)
    images = data.sample_observations(num_reconstructions, seed)
    # Both grids before any file: a failure leaves no half-written set of pictures.
    traversal_picture = traversal_grid(model, data, seed=seed, num_values=num_values, image=images[0])
    reconstructions = reconstruction_grid(model, images)
    return {
        "traversal": save_png(traversal_picture, out / "traversal.png"),
        "gif": traversal_gif(model, images[0], out / "traversal.gif"),
        "reconstructions": save_png(reconstructions, out / "reconstructions.png"),
    }


def code_sweep_grid(model, code: int, *, num_values: int = 10, num_rows: int = 10, low: float = -2.0,
                    high: float = 2.0, seed: int = 0) -> np.ndarray:
    """InfoGAN's code-manipulation picture (Chen et al. 2016, fig. 2), uint8 `[H, W, 3]`.

    One code varies from left to right while the noise and the other codes stay fixed along the
    row. Codes are numbered as in the paper: `c1` is the categorical code (when the model has
    one), then the continuous codes `c2, c3, ...`.

      - code 1 (categorical): one column per class; rows are `num_rows` random draws of the noise
        and the continuous codes (U(-1, 1)), as in fig. 2a.
      - a continuous code: `num_values` columns evenly spaced over `[low, high]` (the paper sweeps
        -2 to 2, beyond the prior's [-1, 1]); one row per class of c1 (or `num_rows` rows without a
        categorical code), each with its own noise draw, the other continuous codes at 0 (fig. 2c, d).

    Args:
      model: an InfoGAN (`num_categorical`, `num_continuous`, `noise_dim`, `decode(codes, noise)`).
      code: 1-based code number.
      num_values: columns of a continuous code's sweep.
      low: the sweep's first value.
      high: the sweep's last value.
      num_rows: rows of the categorical picture (and of a continuous one without a categorical code).
      seed: the noise and code draws.
    """
    k, m = int(model.num_categorical), int(model.num_continuous)
    first_continuous = 2 if k else 1
    if not 1 <= code < first_continuous + m:
        raise ValueError(f"code must be one of c1..c{first_continuous + m - 1} for a model with {k} categorical "
                         f"classes and {m} continuous codes; got {code}.")
    rng = as_generator(seed)
    categorical = k and code == 1
    rows = num_rows if categorical or not k else k
    cols = k if categorical else num_values
    noise = np.repeat(model.draw_noise(rng, (rows, 1, model.noise_dim)), cols, axis=1)
    continuous = np.zeros((rows, cols, m), np.float32)
    classes = np.zeros((rows, cols), np.int64)
    if categorical:
        continuous[:] = rng.uniform(-1.0, 1.0, (rows, 1, m))
        classes[:] = np.arange(k)[None, :]
    else:
        if k:
            classes[:] = np.arange(k)[:, None]
        continuous[:, :, code - first_continuous] = np.linspace(low, high, num_values)[None, :]
    onehot = np.eye(k, dtype=np.float32)[classes] if k else np.zeros((rows, cols, 0), np.float32)
    codes = np.concatenate([onehot, continuous], axis=2).reshape(rows * cols, k + m)
    frames = np.asarray(model.decode(codes, noise=noise.reshape(rows * cols, -1)))
    grid = _tile(frames.reshape(rows, cols, *frames.shape[1:]))
    if categorical or not k:
        return grid
    return _label_rows(grid, [f"c1={j}" for j in range(k)], row_height=frames.shape[1] + 2, width=40)
