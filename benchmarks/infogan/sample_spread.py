"""How widely a generator's samples spread, next to the data's: a mode-collapse check for InfoGAN.

    .venv/bin/python -m benchmarks.infogan.sample_spread [--model=infogan-dsprites ...] [--n=256] [--seed=3]
        [--dataset=dsprites]

For each model (a zoo name or a preset folder) it draws `n` samples G(z, c) with z and c from their
priors, and for the same number of rendered frames of the model's dataset it reports, on the
binarised images (pixel > 0.5): the std of the sprite's area and of its centre's x and y (pixels),
and how many of the `n` images are distinct. A collapsed generator gives stds near 0 and a handful
of distinct images; dSprites frames give about 83 px, 9.5 px, 9.3 px and `n` distinct (n=256, seed 3).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from absl import flags

import zoo
import zoo.data
from benchmarks import _report

NAME = "sample_spread"
TITLE = "Sample spread of generators beside the data"
FLAGS = flags.FLAGS


def spread(images) -> dict:
    """Spread of binarised images `(N, H, W)` or `(N, H, W, 1)`: area and centre stds, distinct count."""
    images = np.asarray(images)
    if images.ndim == 4:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"spread needs images (N, H, W) or (N, H, W, 1); got shape {images.shape}.")
    on = images > 0.5
    area = on.sum(axis=(1, 2))
    rows, cols = np.mgrid[:on.shape[1], :on.shape[2]]
    weight = np.maximum(area, 1)
    centre_x = (on * cols).sum(axis=(1, 2)) / weight
    centre_y = (on * rows).sum(axis=(1, 2)) / weight
    return {"area_std": float(area.std()), "centre_x_std": float(centre_x.std()),
            "centre_y_std": float(centre_y.std()), "distinct": len({frame.tobytes() for frame in on}),
            "n": int(len(on))}


def _line(name: str, row: dict) -> str:
    return (f"{name:<28} area std {row['area_std']:6.1f}  centre-x std {row['centre_x_std']:5.1f}  "
            f"centre-y std {row['centre_y_std']:5.1f}  distinct {row['distinct']}/{row['n']}")


def run(quick: bool, out: Path, *, models=(), n: int = 256, seed: int | None = None,
        dataset: str = "dsprites") -> dict:
    """The spread of `n` samples of each model (default infogan-dsprites) and of `n` frames of `dataset`.

    Args:
      quick: unused (a few seconds a model).
      out: unused (the result is all this benchmark writes).
      models: zoo names or preset folders.
      n: samples per model, and frames of the data.
      seed: seeds the samples and the frames (default 3).
    """
    seed = 3 if seed is None else seed
    rows = []
    for name in models or ["infogan-dsprites"]:
        rows.append({"name": str(name), **spread(zoo.load(name).sample(n, seed=seed).numpy())})
        print(_line(rows[-1]["name"], rows[-1]))
    frames = zoo.data.load(dataset).sample_observations(n, np.random.default_rng(seed))
    rows.append({"name": f"{dataset} (data)", **spread(frames)})
    print(_line(rows[-1]["name"], rows[-1]))
    return {"n": n, "seed": seed, "dataset": dataset, "rows": rows}


def markdown(result: dict) -> str:
    return _report.markdown_table(
        ["samples of", "area std", "centre-x std", "centre-y std", "distinct"],
        [[r["name"], f"{r['area_std']:.1f}", f"{r['centre_x_std']:.1f}", f"{r['centre_y_std']:.1f}",
          f"{r['distinct']}/{r['n']}"] for r in result["rows"]])


def main(argv):
    _report.no_arguments(argv)
    _report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=FLAGS.out_dir, json_path=FLAGS.out,
                         models=FLAGS.model, n=FLAGS.n, seed=FLAGS.seed, dataset=FLAGS.dataset)
    return 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "model", "n", "seed", "dataset", "quick", "out_dir", "out")
