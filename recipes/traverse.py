r"""Latent traversals and reconstructions of a model, as PNG and an animated GIF.

    python -m recipes.traverse --model=factorvae-dsprites --out=out/traverse

Writes `<out>/<name>/traversal.png` (one row per latent, values -2..2, rows ordered by each
latent's KL to the prior, shown in the label), `traversal.gif` (all latents swept together, one
panel each) and `reconstructions.png` (inputs above their reconstructions).
"""

from __future__ import annotations

import sys
from pathlib import Path

from absl import app, flags

from recipes import _common

FLAGS = flags.FLAGS


def define_flags():
    """Defines this recipe's flags (once; absl flags are global, so only the recipe being run defines them)."""
    if "num_values" in FLAGS:
        return
    flags.DEFINE_string("model", "factorvae-dsprites", "Manifest name, hf:// address, preset folder or run folder.")
    flags.DEFINE_string("dataset", None, "Dataset for the images (default: the model's training dataset).")
    flags.DEFINE_string("out", "out/traverse", "Output folder.")
    flags.DEFINE_integer("seed", 0, "Picks the images.")
    flags.DEFINE_integer("num_values", 9, "Columns of the traversal grid.")
    flags.DEFINE_integer("num_reconstructions", 8, "Images in the reconstruction grid.")


def write_pictures(model, data, out: Path, *, seed=0, num_values=9, num_reconstructions=8) -> dict:
    """Writes the three pictures into `out`; returns `{kind: path}`."""
    from zoo import visualize

    images = data.sample_observations(max(num_reconstructions, 1), seed)
    return {
        "traversal": visualize.save_png(visualize.traversal_grid(model, data, seed=seed, num_values=num_values,
                                                                 image=images[0]), out / "traversal.png"),
        "gif": visualize.traversal_gif(model, images[0], out / "traversal.gif"),
        "reconstructions": visualize.save_png(visualize.reconstruction_grid(model, images[:num_reconstructions]),
                                              out / "reconstructions.png"),
    }


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    _common.quiet_tensorflow()
    import zoo.data
    from recipes.evaluate import resolve_model
    from zoo import presets

    try:
        model, folder, name = resolve_model(FLAGS.model)
    except (ValueError, LookupError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    dataset = FLAGS.dataset or presets.read_metadata(folder).get("dataset", {}).get("name", "dsprites")
    paths = write_pictures(model, zoo.data.load(dataset), Path(FLAGS.out) / (name or folder.name), seed=FLAGS.seed,
                           num_values=FLAGS.num_values, num_reconstructions=FLAGS.num_reconstructions)
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


if __name__ == "__main__":
    define_flags()
    app.run(main)
