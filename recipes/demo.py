r"""The main job (`make demo`): a pretrained model from the zoo, scored and pictured, offline.

    python -m recipes.demo

1. Prints rendered dSprites' factors and writes a factor sweep (one row per factor) to
   `out/demo/factor_sweep.png`.
2. Loads `factorvae-dsprites` from the weights in the repository (sha256-checked, no network),
   scores it on rendered dSprites with quick settings, prints the scores beside the ones in its
   model card (computed with the study's full settings, so they differ by sampling), and writes its
   latent traversal (PNG and GIF) and reconstructions to `out/demo/`.
"""

from __future__ import annotations

import time
from pathlib import Path

from absl import flags

import zoo
import zoo.data
from zoo import manifest, registry, visualize
from zoo.data import sweep

from . import _common

FLAGS = flags.FLAGS
flags.DEFINE_string("demo_model", "factorvae-dsprites", "The zoo model to show.")
flags.DEFINE_string("out", "out/demo", "Output folder.")
flags.DEFINE_integer("num_train", 3000, "Points per metric (quick; the cards use 10,000).")
flags.DEFINE_integer("num_test", 1500, "Held-out points (quick; the cards use 5,000).")
flags.DEFINE_integer("seed", 0, "Seeds the evaluation.")
flags.DEFINE_string("metrics", "all", "'all' or a comma list of metric functions (a smoke run: mig,sap).")


def show_dataset(out: Path):
    data = zoo.data.load("dsprites")
    print(f"Dataset {data.name}: {data.num_observations:,} images {data.observation_shape}, factors:")
    for name, size, values in zip(data.factor_names, data.factor_sizes, data.factor_values):
        values = list(values)
        grid = ", ".join(f"{v:.3g}" for v in values) if size <= 6 else f"{values[0]:.3g} .. {values[-1]:.3g}"
        print(f"  {name:<12} {size:>3} values: {grid}")
    path = sweep.save_png(sweep.factor_sweep(data, rng=0), out / "factor_sweep.png")
    print(f"wrote {path} (one row per factor)")
    return data


def main(argv):
    _common.start(argv)
    try:
        if FLAGS.num_train <= 0 or FLAGS.num_test <= 0:
            raise _common.UsageError(f"--num_train and --num_test must be positive; got {FLAGS.num_train} and "
                                     f"{FLAGS.num_test}.")
        if FLAGS.seed < 0:
            raise _common.UsageError(f"--seed must be a non-negative integer; got {FLAGS.seed}.")
        _common.check_output_folder(FLAGS.out, "--out")
    except ValueError as e:
        return _common.fail(e)
    out = Path(FLAGS.out)
    data = show_dataset(out)
    name = FLAGS.demo_model
    if name not in zoo.list_models():
        print(f"\n{name} is not in weights_manifest.json yet (known: {', '.join(zoo.list_models()) or 'none'}); "
              "train it with `python -m recipes.train --model=factor_vae --gamma=40 --out=runs/factorvae`, then "
              "`python -m recipes.evaluate --model=runs/factorvae --update_card`.")
        return 0
    start = time.time()
    try:
        model = zoo.load(name)
    except zoo.api.WeightsNotFoundError as e:  # says what was tried and the one fix
        return _common.fail(e, 1)
    print(f"\nLoaded {name} ({type(model).__name__}, {model.latent_dim} latents) offline in "
          f"{time.time() - start:.1f} s.")
    scores, _ = registry.score(model, data, metrics=FLAGS.metrics, num_train=FLAGS.num_train,
                               num_test=FLAGS.num_test, seed=FLAGS.seed, dci_backend="fast")
    reference = manifest.load_manifest()["models"][name]["scores"]
    print(f"\nScores on rendered dSprites ({FLAGS.num_train} / {FLAGS.num_test} points, DCI fast backend) beside the "
          "card's (10,000 / 5,000 points):")
    _common.print_table(scores, reference)
    for path in visualize.write_pictures(model, data, out, seed=FLAGS.seed).values():
        print(f"wrote {path}")
    print(f"\nDone in {time.time() - start:.0f} s.")
    return 0


def run():
    """`zoo-demo` where the zoo is installed (a console script); `python -m recipes.demo` in a checkout."""
    _common.run_app(main, __name__)


if __name__ == "__main__":
    run()
