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
        if FLAGS.num_values < 2:
            raise _common.UsageError(f"--num_values must be at least 2 (a traversal's columns); got "
                                     f"{FLAGS.num_values}.")
        if FLAGS.num_reconstructions < 1:
            raise _common.UsageError(f"--num_reconstructions must be at least 1; got {FLAGS.num_reconstructions}.")
        if FLAGS.seed < 0:
            raise _common.UsageError(f"--seed must be a non-negative integer; got {FLAGS.seed}.")
        _common.check_output_folder(FLAGS.out, "--out")
        model, folder, name = registry.resolve_model(FLAGS.model)
        meta = presets.read_metadata(folder)
        dataset = FLAGS.dataset or meta.get("dataset", {}).get("name", "dsprites")
        data = zoo.data.load(dataset)
        trained = meta.get("dataset", {}).get("observation_shape")
        if trained and tuple(trained) != tuple(data.observation_shape):
            raise _common.UsageError(f"--dataset={dataset} has {'x'.join(map(str, data.observation_shape))} images, "
                                     f"but the model takes {'x'.join(map(str, trained))}: choose a dataset of its "
                                     "image size (its own by default).")
    except (ValueError, LookupError, FileNotFoundError, TypeError) as e:
        return _common.fail(e)
    paths = visualize.write_pictures(model, data, Path(FLAGS.out) / (name or folder.name), seed=FLAGS.seed,
                                     num_values=FLAGS.num_values, num_reconstructions=FLAGS.num_reconstructions)
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


def run():
    """`zoo-traverse` where the zoo is installed (a console script); `python -m recipes.traverse` in a checkout."""
    _common.run_app(main, __name__)


if __name__ == "__main__":
    run()
