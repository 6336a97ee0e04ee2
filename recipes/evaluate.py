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
from zoo import manifest, presets, registry
from zoo.files import write_json

from . import _common

FLAGS = flags.FLAGS
flags.DEFINE_string("model", "factorvae-dsprites", "Manifest name, hf:// address, preset folder or run folder.")
flags.DEFINE_string("metrics", "all", "'all' or a comma list of metric functions (mig,dci,sap,...).")
flags.DEFINE_string("dataset", None, "Dataset to score on (default: the model's training dataset).")
flags.DEFINE_integer("num_train", 10000, "Points for training the metrics' classifiers (and MIG etc.).")
flags.DEFINE_integer("num_test", 5000, "Held-out points.")
flags.DEFINE_integer("seed", 0, "Seeds the sampling of every metric.")
flags.DEFINE_enum("dci_backend", "exact", ["exact", "fast", "sklearn"], "DCI backend: exact (the reference's "
                  "trees), fast, or sklearn (the reference itself, slower).")
flags.DEFINE_string("json", None, "Where to write the scores (default: out/eval/<model>.json).")
flags.DEFINE_bool("update_card", False, "Write the scores into the preset's card and metadata and, for a "
                  "manifest model, into weights_manifest.json.")
flags.DEFINE_string("selection", None, "How the model was picked from the runs tried (e.g. 'the best training "
                    "accuracy of 4 seeds'), kept in its card; with --update_card or --add_to_zoo.")
flags.DEFINE_string("dataset_options", "", "k=v,... passed to zoo.data.load with --dataset (e.g. "
                    "source=file,path=...).")
flags.DEFINE_bool("new_score_settings", False, "With --update_card: a full scoring (every metric the card holds) "
                  "replaces the card's scores even at other --num_train, --num_test, --seed, --dataset or "
                  "--dci_backend than it records. Without it such an update is refused.")
flags.DEFINE_enum("precision", "float32", ["float32", "bfloat16"], "Encoding precision: float32 (the reference, "
                  "what cards record) or bfloat16 (the networks in bfloat16: faster on CPUs with AMX/AVX-512 BF16 "
                  "and on GPUs; never written into a card).")
flags.DEFINE_string("add_to_zoo", None, "After scoring, copy the preset to weights/<NAME>/ and list it in "
                    "weights_manifest.json under NAME (implies --update_card).")
flags.DEFINE_bool("as_seed", False, "With --add_to_zoo: add the preset as one more training seed of the existing "
                  "zoo name (its training seed is the preset's), refused unless it was trained with the name's "
                  "recipe (recipes.train --recipe_of=NAME --seed=N); the name then serves the seed its rule "
                  "picks (docs/seeds_rule.md). Weights over 10 MB are recorded by scores, config and command.")
flags.DEFINE_list("eval_seeds", [str(s) for s in registry.EXTRA_EVAL_SEEDS], "With --add_to_zoo: the "
                  "sampled scores (BetaVAE, FactorVAE; those among --metrics) are also scored at these further "
                  "evaluation seeds and kept with the seed's record, so its card tells their evaluation noise from "
                  "the training-seed spread; '' for none.")
flags.DEFINE_enum("seed_status", "ok", ["ok", "collapsed"], "With --as_seed: 'collapsed' marks a degenerate seed "
                  "(still scored and counted).")


def main(argv):
    _common.start(argv)
    update = bool(FLAGS.update_card or FLAGS.add_to_zoo)
    try:
        if FLAGS.num_train <= 0 or FLAGS.num_test <= 0:
            raise _common.UsageError("--num_train and --num_test must be positive.")
        if FLAGS.seed < 0:
            raise _common.UsageError(f"--seed must be a non-negative integer; got {FLAGS.seed}.")
        if not FLAGS.metrics.strip(" ,"):
            raise _common.UsageError("--metrics is empty: name the metrics (e.g. --metrics=mig,dci) or --metrics=all.")
        if FLAGS.metrics != "all":
            unknown = [m for m in FLAGS.metrics.split(",") if m.strip() and m.strip() not in zoo.metrics.ALL]
            if unknown:
                raise _common.UsageError(f"unknown metric(s) {', '.join(unknown)}; choose from "
                                         f"{', '.join(zoo.metrics.ALL)} or 'all'.")
            named = [m.strip() for m in FLAGS.metrics.split(",") if m.strip()]
            twice = sorted({m for m in named if named.count(m) > 1})
            if twice:
                raise _common.UsageError(f"--metrics names {', '.join(twice)} more than once; name each metric once.")
        if FLAGS.selection is not None and not update:
            raise _common.UsageError("--selection is written into the card: add --update_card or --add_to_zoo.")
        if FLAGS.new_score_settings and not update:
            raise _common.UsageError("--new_score_settings is about the card: add --update_card or --add_to_zoo.")
        if (FLAGS.as_seed or FLAGS.seed_status != "ok") and not FLAGS.add_to_zoo:
            raise _common.UsageError("--as_seed and --seed_status add a training seed to a zoo name: give "
                                     "--add_to_zoo=NAME.")
        if FLAGS.precision != "float32" and update:
            raise _common.UsageError(f"--precision={FLAGS.precision} scores are not the reference a card records: "
                                     "drop --update_card/--add_to_zoo, or score in float32.")
        try:
            eval_seeds = [int(s) for s in FLAGS.eval_seeds if s.strip()]
        except ValueError:
            raise _common.UsageError(f"--eval_seeds must be a comma list of evaluation seeds (integers >= 0), "
                                     f"e.g. --eval_seeds=1,2, or '' for none; got {','.join(FLAGS.eval_seeds)}.")
        if any(s < 0 for s in eval_seeds) or FLAGS.seed in eval_seeds or len(set(eval_seeds)) != len(eval_seeds):
            raise _common.UsageError(f"--eval_seeds={','.join(map(str, eval_seeds))}: each must be an integer >= 0, "
                                     f"named once, and differ from --seed={FLAGS.seed}.")
        if FLAGS.json is not None:
            _common.check_output_file(FLAGS.json, "--json")
        model, folder, name = registry.resolve_model(FLAGS.model)
        meta = presets.read_metadata(folder)
        if FLAGS.add_to_zoo and meta.get("name") != FLAGS.add_to_zoo:
            raise _common.UsageError(f"the preset at {folder} is named {meta.get('name')!r} in its card, not "
                                     f"{FLAGS.add_to_zoo!r}; add it as {meta.get('name')!r}, or train with "
                                     f"--name={FLAGS.add_to_zoo}.")
        data = _load_data(meta)
        out = _common.check_output_file(FLAGS.json or Path("out") / "eval" / f"{(name or folder.name)}.json",
                                        "--json")
        planned = registry.score_settings(metrics=FLAGS.metrics, num_train=FLAGS.num_train, num_test=FLAGS.num_test,
                                          seed=FLAGS.seed, dataset=data.name, dci_backend=FLAGS.dci_backend)
        if update:  # refused before the work, not after it
            registry.check_rescore(folder, planned, new_settings=FLAGS.new_score_settings)
        if FLAGS.as_seed:
            _check_seed(meta, planned)
    except (ValueError, LookupError, FileNotFoundError, TypeError) as e:
        return _common.fail(e)
    start = time.time()
    # With --add_to_zoo the evaluation seeds reuse the codes this scoring computes (one cache; the
    # registry leaves it aside for datasets with random images).
    cache = zoo.metrics.CodeCache() if FLAGS.add_to_zoo else None
    scores, settings = registry.score(model, data, metrics=FLAGS.metrics, num_train=FLAGS.num_train,
                                      num_test=FLAGS.num_test, seed=FLAGS.seed, dci_backend=FLAGS.dci_backend,
                                      precision=FLAGS.precision, code_cache=cache)
    print(f"\n{name or folder} on {data.name} ({FLAGS.num_train} / {FLAGS.num_test} points, seed {FLAGS.seed}, "
          f"{time.time() - start:.0f} s):")
    _common.print_table(scores, meta.get("scores") or None)
    write_json(out, {"model": name or str(folder), "scores": scores, "settings": settings}, sort_keys=True,
               allow_nan=True)
    print(f"wrote {out}")
    if update:
        stale = registry.rescore(folder, scores, settings, name, selection=FLAGS.selection,
                                 new_settings=FLAGS.new_score_settings)
        print(f"updated the card in {folder}" + (f" and the manifest entry {name!r}" if name else "")
              + (f"; the hub copy {stale['repo_id']}@{stale['revision'][:8]} is now stale: run "
                 f"`python -m recipes.push --model={name}` to upload and pin the new card" if stale else ""))
    eval_scores = {}
    if FLAGS.add_to_zoo:
        eval_scores = registry.score_eval_seeds(model, data, scores, settings, eval_seeds,
                                                code_cache=None if FLAGS.precision != "float32" else cache)
        for seed, sampled in eval_scores.items():
            print(f"evaluation seed {seed}: " + ", ".join(f"{k} {v:.4f}" for k, v in sorted(sampled.items())
                                                         if isinstance(v, float)))
    if FLAGS.add_to_zoo and FLAGS.as_seed:
        seed = presets.read_metadata(folder)["training"]["seed"]
        try:
            target = registry.add_to_zoo(folder, FLAGS.add_to_zoo, seed=seed, status=FLAGS.seed_status,
                                         eval_scores=eval_scores)
        except (ValueError, LookupError) as e:
            return _common.fail(e)
        print(f"added seed {seed} to {FLAGS.add_to_zoo!r}: " + (f"{target}" if target else "recorded by its scores, "
              "config and command (weights over 10 MB)") + f"; zoo.load({FLAGS.add_to_zoo!r}) serves seed "
              f"{manifest.load_manifest()['models'][FLAGS.add_to_zoo]['training']['seed']}.")
    elif FLAGS.add_to_zoo:
        target = registry.add_to_zoo(folder, FLAGS.add_to_zoo, eval_scores=eval_scores)
        print(f"added {FLAGS.add_to_zoo!r} to the zoo: {target} and weights_manifest.json")
    return 0


def _check_seed(meta: dict, planned: dict) -> None:
    """Before scoring: the preset is a run of the name's recipe, to be scored at the name's settings."""
    entry = manifest.get_entry(manifest.load_manifest(), FLAGS.add_to_zoo)
    differences = registry.recipe_differences(registry.recipe_of(entry), registry.recipe_of(meta))
    if differences:
        raise registry.RecipeMismatchError(f"the preset was not trained with {FLAGS.add_to_zoo!r}'s recipe: "
                                           + "; ".join(differences) + ". Train the seed with `"
                                           + registry.seed_command(FLAGS.add_to_zoo, meta["training"]["seed"]) + "`.")
    recorded = entry.get("score_settings") or {}
    differ = [f"--{k}={planned[k]}" for k in registry.COMPARED_SETTINGS if k in recorded and k != "dataset"
              and planned.get(k) != recorded[k]]
    if differ:
        raise _common.UsageError(f"{FLAGS.add_to_zoo!r}'s seeds are scored at "
                                 + ", ".join(f"--{k}={recorded[k]}" for k in registry.COMPARED_SETTINGS
                                             if k in recorded and k != "dataset")
                                 + f"; drop {', '.join(differ)}.")


def _load_data(meta: dict):
    """The dataset to score on (`--dataset`, default the model's own), checked against the model:
    it must have ground-truth factors and the image shape the model was trained on."""
    name = FLAGS.dataset or meta.get("dataset", {}).get("name", "dsprites")
    zoo.data.check_name(name)
    options = _common.parse_options(FLAGS.dataset_options, "--dataset_options")
    try:
        data = zoo.data.load(name, **options)
    except TypeError as e:
        raise _common.UsageError(f"dataset {name!r} does not take --dataset_options={FLAGS.dataset_options!r} "
                                 f"({e}); pass what its loader needs as --dataset_options=k=v,... (images: "
                                 "path=<folder>,size=<pixels>,channels=<1 or 3>; see zoo.data.load).") from None
    except (ValueError, LookupError, FileNotFoundError, OSError) as e:
        raise _common.UsageError(f"cannot load dataset {name!r}: {e}") from None
    if not isinstance(data, zoo.data.GroundTruthData):
        raise _common.UsageError(f"dataset {name!r} has no ground-truth factors, which the disentanglement metrics "
                                 "score against: choose a dataset with factors (the model's own by default).")
    trained = meta.get("dataset", {}).get("observation_shape")
    if trained and tuple(trained) != tuple(data.observation_shape):
        raise _common.UsageError(f"dataset {name!r} has {'x'.join(map(str, data.observation_shape))} images, but the "
                                 f"model was trained on {'x'.join(map(str, trained))} images: score it on a dataset "
                                 "of its image size (its own by default).")
    return data


def run():
    """`zoo-evaluate` where the zoo is installed (a console script); `python -m recipes.evaluate` in a checkout."""
    _common.run_app(main, __name__)


if __name__ == "__main__":
    run()
