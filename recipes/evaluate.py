r"""Scores a model with the disentanglement metrics; optionally writes the scores into its card and
the weights manifest.

    python -m recipes.evaluate --model=factorvae-dsprites --metrics=all
    python -m recipes.evaluate --model=runs/factorvae/preset --metrics=mig,dci --update_card

`--model` takes a manifest name, an `hf://org/repo[@rev]` address, a preset folder, or a training
run folder (its `preset/`). The dataset defaults to the one the model was trained on. The study's
settings (Locatello et al. 2019) are the defaults: 10,000 training and 5,000 test points.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from absl import app, flags

from recipes import _common

FLAGS = flags.FLAGS


def define_flags():
    """Defines this recipe's flags (once; absl flags are global, so only the recipe being run defines them)."""
    if "update_card" in FLAGS:
        return
    flags.DEFINE_string("model", "factorvae-dsprites", "Manifest name, hf:// address, preset folder or run folder.")
    flags.DEFINE_string("metrics", "all", "'all' or a comma list of metric functions (mig,dci,sap,...).")
    flags.DEFINE_string("dataset", None, "Dataset to score on (default: the model's training dataset).")
    flags.DEFINE_integer("num_train", 10000, "Points for training the metrics' classifiers (and MIG etc.).")
    flags.DEFINE_integer("num_test", 5000, "Held-out points.")
    flags.DEFINE_integer("seed", 0, "Seeds the sampling of every metric.")
    flags.DEFINE_string("dci_backend", "exact", "DCI backend: exact (the reference's) or fast.")
    flags.DEFINE_string("json", None, "Where to write the scores (default: out/eval/<model>.json).")
    flags.DEFINE_bool("update_card", False, "Write the scores into the preset's card and metadata and, for a "
                      "manifest model, into weights_manifest.json.")
    flags.DEFINE_string("add_to_zoo", None, "After scoring, copy the preset to weights/<NAME>/ and list it in "
                        "weights_manifest.json under NAME (implies --update_card).")


def resolve_model(spec: str):
    """`(model, preset folder, manifest name or None)` for any `--model` spelling."""
    import zoo
    from zoo import api, manifest, presets

    path = Path(spec)
    if (path / "run.json").is_file() and (path / "preset").is_dir():
        path = path / "preset"
        return presets.load_preset(path), path, None
    folder = api.resolve(spec)
    names = manifest.names(manifest.load_manifest())
    return zoo.load(spec), folder, (spec if spec in names else None)


def score(model, data, *, metrics, num_train, num_test, seed, dci_backend="exact") -> tuple[dict, dict]:
    """Runs `zoo.metrics.evaluate`; returns `(scores, settings)`."""
    import zoo.metrics

    chosen = zoo.metrics.ALL if metrics in ("all", None) else [m.strip() for m in metrics.split(",") if m.strip()]
    options = {"dci": {"backend": dci_backend}} if "dci" in chosen else None
    scores = zoo.metrics.evaluate(model.representation, data, metrics=chosen, seed=seed, num_train=num_train,
                                  num_test=num_test, metric_options=options)
    settings = {"metrics": list(chosen), "num_train": num_train, "num_test": num_test, "seed": seed,
                "dataset": data.name, "dci_backend": dci_backend,
                "reference": "google-research/disentanglement_lib definitions (Locatello et al. 2019)"}
    return scores, settings


def print_table(scores: dict, reference: dict | None = None, file=sys.stdout) -> None:
    """Prints `metric | value [| card]` rows (timings last)."""
    keys = sorted(k for k in scores if not _is_timing(k)) + sorted(k for k in scores if _is_timing(k))
    width = max(len(k) for k in keys) if keys else 10
    head = f"{'metric':<{width}}  {'value':>10}" + ("  {:>10}".format("card") if reference else "")
    print(head, file=file)
    print("-" * len(head), file=file)
    for key in keys:
        line = f"{key:<{width}}  {_fmt(scores[key]):>10}"
        if reference:
            line += f"  {_fmt(reference.get(key)):>10}"
        print(line, file=file)


def _is_timing(key: str) -> bool:
    return key.endswith("seconds") or key.startswith("timing.")


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    _common.quiet_tensorflow()
    import zoo.data
    import zoo.metrics
    from zoo import manifest, presets

    try:
        if FLAGS.num_train <= 0 or FLAGS.num_test <= 0:
            raise _common.UsageError("--num_train and --num_test must be positive.")
        if FLAGS.metrics != "all":
            unknown = [m for m in FLAGS.metrics.split(",") if m.strip() and m.strip() not in zoo.metrics.ALL]
            if unknown:
                raise _common.UsageError(f"unknown metric(s) {', '.join(unknown)}; choose from "
                                         f"{', '.join(zoo.metrics.ALL)} or 'all'.")
        model, folder, name = resolve_model(FLAGS.model)
    except (ValueError, LookupError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    meta = presets.read_metadata(folder)
    if FLAGS.add_to_zoo and meta.get("name") != FLAGS.add_to_zoo:
        print(f"error: the preset at {folder} is named {meta.get('name')!r} in its card, not {FLAGS.add_to_zoo!r}; "
              f"add it as {meta.get('name')!r}, or train with --name={FLAGS.add_to_zoo}.", file=sys.stderr)
        return 2
    dataset = FLAGS.dataset or meta.get("dataset", {}).get("name", "dsprites")
    data = zoo.data.load(dataset)
    start = time.time()
    scores, settings = score(model, data, metrics=FLAGS.metrics, num_train=FLAGS.num_train, num_test=FLAGS.num_test,
                             seed=FLAGS.seed, dci_backend=FLAGS.dci_backend)
    print(f"\n{name or folder} on {dataset} ({FLAGS.num_train} / {FLAGS.num_test} points, seed {FLAGS.seed}, "
          f"{time.time() - start:.0f} s):")
    print_table(scores, meta.get("scores") or None)
    out = Path(FLAGS.json or Path("out") / "eval" / f"{(name or folder.name)}.json")
    _common.write_json_atomic(out, {"model": name or str(folder), "scores": scores, "settings": settings})
    print(f"wrote {out}")
    if FLAGS.update_card or FLAGS.add_to_zoo:
        presets.update_scores(folder, scores, settings)
        if name is not None:
            # The card's bytes changed, so a pinned hub copy no longer matches the manifest's sha256:
            # unpin it until `recipes.push` uploads the new card and pins the new commit.
            stale = manifest.load_manifest()["models"][name].get("hub")
            manifest.set_entry(name, manifest.entry_from_preset(folder, hub=None))
            print(f"updated the card in {folder} and the manifest entry {name!r}"
                  + (f"; the hub copy {stale['repo_id']}@{stale['revision'][:8]} is now stale: run "
                     f"`python -m recipes.push --model={name}` to upload and pin the new card" if stale else ""))
        else:
            print(f"updated the card in {folder}")
    if FLAGS.add_to_zoo:
        target = add_to_zoo(folder, FLAGS.add_to_zoo)
        print(f"added {FLAGS.add_to_zoo!r} to the zoo: {target} and weights_manifest.json")
    return 0


def add_to_zoo(preset: Path, name: str) -> Path:
    """Copies a scored preset folder to `weights/<name>/` (atomically) and lists it in the manifest."""
    import shutil
    import tempfile

    from zoo import manifest, presets

    if presets.read_metadata(preset).get("name") != name:
        raise _common.UsageError(f"the preset at {preset} is named otherwise in its card; add it under that name.")
    root = manifest.root_of()
    target = root / "weights" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=target.parent))
    try:
        for path in sorted(preset.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                shutil.copy2(path, staging / path.name)
        old = target.with_name(f".{name}.old")
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    manifest.set_entry(name, manifest.entry_from_preset(target, root=root, hub=None))
    return target


if __name__ == "__main__":
    define_flags()
    app.run(main)
