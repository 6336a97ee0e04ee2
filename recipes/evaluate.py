r"""Scores a model with the disentanglement metrics; optionally writes the scores into its card and
the weights manifest.

    python -m recipes.evaluate --model=factorvae-dsprites --metrics=all
    python -m recipes.evaluate --model=runs/factorvae/preset --metrics=mig,dci --update_card

`--model` takes a manifest name, an `hf://org/repo[@rev]` address, a preset folder, or a training
run folder (its `preset/`). The dataset defaults to the one the model was trained on. The study's
settings (Locatello et al. 2019) are the defaults: 10,000 training and 5,000 test points. Scoring,
the card and manifest updates and adding to the zoo are `zoo.registry`'s.
"""

from __future__ import annotations

import time
from pathlib import Path

from absl import flags

import zoo.data
import zoo.metrics
from zoo import presets, registry
from zoo.files import write_json

from . import _common

FLAGS = flags.FLAGS
flags.DEFINE_string("model", "factorvae-dsprites", "Manifest name, hf:// address, preset folder or run folder.")
flags.DEFINE_string("metrics", "all", "'all' or a comma list of metric functions (mig,dci,sap,...).")
flags.DEFINE_string("dataset", None, "Dataset to score on (default: the model's training dataset).")
flags.DEFINE_integer("num_train", 10000, "Points for training the metrics' classifiers (and MIG etc.).")
flags.DEFINE_integer("num_test", 5000, "Held-out points.")
flags.DEFINE_integer("seed", 0, "Seeds the sampling of every metric.")
flags.DEFINE_string("dci_backend", "exact", "DCI backend: exact (the reference's trees), fast, or sklearn (the reference itself, slower).")
flags.DEFINE_string("json", None, "Where to write the scores (default: out/eval/<model>.json).")
flags.DEFINE_bool("update_card", False, "Write the scores into the preset's card and metadata and, for a "
                  "manifest model, into weights_manifest.json.")
flags.DEFINE_string("selection", None, "How the model was picked from the runs tried (e.g. 'the best training "
                    "accuracy of 4 seeds'), kept in its card; with --update_card or --add_to_zoo.")
flags.DEFINE_string("add_to_zoo", None, "After scoring, copy the preset to weights/<NAME>/ and list it in "
                    "weights_manifest.json under NAME (implies --update_card).")


def main(argv):
    _common.start(argv)
    try:
        if FLAGS.num_train <= 0 or FLAGS.num_test <= 0:
            raise _common.UsageError("--num_train and --num_test must be positive.")
        if FLAGS.metrics != "all":
            unknown = [m for m in FLAGS.metrics.split(",") if m.strip() and m.strip() not in zoo.metrics.ALL]
            if unknown:
                raise _common.UsageError(f"unknown metric(s) {', '.join(unknown)}; choose from "
                                         f"{', '.join(zoo.metrics.ALL)} or 'all'.")
        if FLAGS.selection is not None and not (FLAGS.update_card or FLAGS.add_to_zoo):
            raise _common.UsageError("--selection is written into the card: add --update_card or --add_to_zoo.")
        model, folder, name = registry.resolve_model(FLAGS.model)
    except (ValueError, LookupError, FileNotFoundError) as e:
        return _common.fail(e)
    meta = presets.read_metadata(folder)
    if FLAGS.add_to_zoo and meta.get("name") != FLAGS.add_to_zoo:
        return _common.fail(f"the preset at {folder} is named {meta.get('name')!r} in its card, not "
                            f"{FLAGS.add_to_zoo!r}; add it as {meta.get('name')!r}, or train with "
                            f"--name={FLAGS.add_to_zoo}.")
    dataset = FLAGS.dataset or meta.get("dataset", {}).get("name", "dsprites")
    start = time.time()
    scores, settings = registry.score(model, zoo.data.load(dataset), metrics=FLAGS.metrics, num_train=FLAGS.num_train,
                                      num_test=FLAGS.num_test, seed=FLAGS.seed, dci_backend=FLAGS.dci_backend)
    print(f"\n{name or folder} on {dataset} ({FLAGS.num_train} / {FLAGS.num_test} points, seed {FLAGS.seed}, "
          f"{time.time() - start:.0f} s):")
    _common.print_table(scores, meta.get("scores") or None)
    out = Path(FLAGS.json or Path("out") / "eval" / f"{(name or folder.name)}.json")
    write_json(out, {"model": name or str(folder), "scores": scores, "settings": settings}, sort_keys=True,
               allow_nan=True)
    print(f"wrote {out}")
    if FLAGS.update_card or FLAGS.add_to_zoo:
        stale = registry.rescore(folder, scores, settings, name, selection=FLAGS.selection)
        print(f"updated the card in {folder}" + (f" and the manifest entry {name!r}" if name else "")
              + (f"; the hub copy {stale['repo_id']}@{stale['revision'][:8]} is now stale: run "
                 f"`python -m recipes.push --model={name}` to upload and pin the new card" if stale else ""))
    if FLAGS.add_to_zoo:
        target = registry.add_to_zoo(folder, FLAGS.add_to_zoo)
        print(f"added {FLAGS.add_to_zoo!r} to the zoo: {target} and weights_manifest.json")
    return 0


def run():
    """`zoo-evaluate` where the zoo is installed (a console script); `python -m recipes.evaluate` in a checkout."""
    _common.run_app(main, __name__)


if __name__ == "__main__":
    run()
