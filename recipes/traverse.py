r"""Latent traversals and reconstructions of a model, as PNG and an animated GIF.

    python -m recipes.traverse --model=factorvae-dsprites --out=out/traverse

Writes `<out>/<name>/traversal.png` (one row per latent, values -2..2, rows ordered by each
latent's KL to the prior, shown in the label), `traversal.gif` (all latents swept together, one
panel each) and `reconstructions.png` (inputs above their reconstructions), with
`zoo.visualize.write_pictures`.
"""

from __future__ import annotations

from pathlib import Path

from absl import flags

import zoo.data
from zoo import presets, registry, visualize

from . import _common

FLAGS = flags.FLAGS
flags.DEFINE_string("model", "factorvae-dsprites", "Manifest name, hf:// address, preset folder or run folder.")
flags.DEFINE_string("dataset", None, "Dataset for the images (default: the model's training dataset).")
flags.DEFINE_string("out", "out/traverse", "Output folder.")
flags.DEFINE_integer("seed", 0, "Picks the images.")
flags.DEFINE_integer("num_values", 9, "Columns of the traversal grid.")
flags.DEFINE_integer("num_reconstructions", 8, "Images in the reconstruction grid.")


def main(argv):
    _common.start(argv)
    try:
        model, folder, name = registry.resolve_model(FLAGS.model)
    except (ValueError, LookupError, FileNotFoundError) as e:
        return _common.fail(e)
    dataset = FLAGS.dataset or presets.read_metadata(folder).get("dataset", {}).get("name", "dsprites")
    paths = visualize.write_pictures(model, zoo.data.load(dataset), Path(FLAGS.out) / (name or folder.name),
                                     seed=FLAGS.seed, num_values=FLAGS.num_values,
                                     num_reconstructions=FLAGS.num_reconstructions)
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


def run():
    """`zoo-traverse` where the zoo is installed (a console script); `python -m recipes.traverse` in a checkout."""
    _common.run_app(main, __name__)


if __name__ == "__main__":
    run()
