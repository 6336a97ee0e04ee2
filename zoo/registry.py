"""Keeping the zoo: scoring a model, writing its scores into its card and the manifest, adding a
trained preset to the zoo, and pinning a hub copy.

Every step rewrites files through `zoo.files` (atomic), and the manifest entry is rebuilt from the
preset folder's files afterwards, so its sha256 sums always match what is on disk:

    model, folder, name = resolve_model("runs/factorvae")        # a run folder, preset, name or hf://
    scores, settings = score(model, zoo.data.load("dsprites"))    # zoo.metrics.evaluate, study sizes
    rescore(folder, scores, settings, name)                       # card, metadata.json (and manifest)
    note_selection("factorvae-dsprites", "...")                   # how it was picked, into its card
    add_to_zoo(folder, "factorvae-dsprites")                      # weights/<name>/ + manifest entry
    add_to_zoo(run_preset, "factorvae-dsprites", seed=2)          # another training seed of that name
    record_eval_seeds("factorvae-dsprites", data, seed=0)         # its sampled scores at eval seeds 1, 2
    pin("factorvae-dsprites", "org/factorvae-dsprites")           # push to the hub, pin the commit
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import zoo.metrics
from zoo import api, hub, manifest, presets, seed_rule
from zoo.files import copy_folder
from zoo.runs.folder import PRESET, is_run
from zoo.runs.settings import recipe_differences, recipe_of

REFERENCE = "google-research/disentanglement_lib definitions (Locatello et al. 2019)"


def resolve_model(spec: str, *, manifest_path=None):
    """`(model, preset folder, manifest name or None)` for a manifest name, `hf://` address, preset
    folder or finished training-run folder (its `preset/`); the files are verified before building."""
    if not isinstance(spec, (str, os.PathLike)):
        raise TypeError(f"model must be a manifest name, an hf:// address, a preset folder or a run folder (a str or "
                        f"path); got {type(spec).__name__}.")
    path = Path(spec)
    folder = path / PRESET if is_run(path) else api.resolve(spec, manifest_path=manifest_path)
    names = manifest.names(manifest.load_manifest(manifest_path))
    return presets.load_preset(folder), folder, (spec if spec in names else None)


def score(model, data, *, metrics: str | None = "all", num_train: int = 10000, num_test: int = 5000, seed: int = 0,
          dci_backend: str = "exact", precision: str = "float32", code_cache=None) -> tuple[dict, dict]:
    """Runs `zoo.metrics.evaluate` on `model.representation`; returns `(scores, settings)`.

    Args:
      metrics: "all" (or None) or a comma list of metric functions ("mig,dci").
      num_train, num_test, seed: the sampling (the study's sizes by default).
      dci_backend: "exact" (the reference's gradient boosting), "fast" or "sklearn" (the reference itself).
      precision: encoding precision, "float32" (the reference) or "bfloat16" (recorded in the settings).
      code_cache: a `zoo.metrics.CodeCache` to read and keep the codes in (`score_eval_seeds` can then reuse
        them); None encodes afresh, as does a dataset with random images (no code table), which ignores it.

    Returns:
      The flat score dict and the settings that produced it (what a card records beside them).
    """
    settings = score_settings(metrics=metrics, num_train=num_train, num_test=num_test, seed=seed,
                              dataset=data.name, dci_backend=dci_backend)
    chosen = settings["metrics"]
    options = {"dci": {"backend": dci_backend}} if "dci" in chosen else None
    scores = zoo.metrics.evaluate(model.representation, data, metrics=chosen, seed=seed, num_train=num_train,
                                  num_test=num_test, metric_options=options, precision=precision,
                                  code_cache=code_cache if _deterministic(data) else None)
    if precision != "float32":
        settings["precision"] = precision
    return scores, settings


def _deterministic(data) -> bool:
    """Whether `data`'s images are functions of its factors (the code table and its cache apply)."""
    return bool(getattr(data, "deterministic_observations", False))


# The scores that draw their own points (issue 31): a seed added to the zoo is also scored at these
# further evaluation seeds, so that its card can tell their evaluation noise from the training-seed spread.
SAMPLED_METRICS = ("beta_vae_score", "factor_vae_score")
EXTRA_EVAL_SEEDS = (1, 2)


def score_eval_seeds(model, data, scores: Mapping[str, Any], settings: Mapping[str, Any],
                     seeds=EXTRA_EVAL_SEEDS, code_cache=None) -> dict[str, dict]:
    """The sampled scores (`SAMPLED_METRICS`, those among `settings["metrics"]`) at the scoring's own
    evaluation seed, read from `scores`, and at each of `seeds`, at the same sizes and dataset:
    `{"<evaluation seed>": flat scores}`, a manifest record's `eval_scores`. {} when nothing sampled
    was scored or no seed is given.

    On a deterministic dataset the seeds share one `zoo.metrics.CodeCache` (`code_cache`, e.g. the one
    `score` filled; a new one otherwise), so each distinct image is encoded once over all of them."""
    chosen = [m for m in SAMPLED_METRICS if m in settings["metrics"]]
    seeds = [int(s) for s in seeds]
    if not chosen or not seeds:
        return {}
    if settings["seed"] in seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"the further evaluation seeds {seeds} must differ from each other and from the "
                         f"scoring's own seed {settings['seed']}.")
    out = {str(settings["seed"]): {k: scores[k] for k in scores if k.split(".", 1)[0] in chosen}}
    if not _deterministic(data):
        code_cache = None  # random images: no code table to keep
    elif code_cache is None:
        code_cache = zoo.metrics.CodeCache()
    for seed in seeds:
        result = zoo.metrics.evaluate(model.representation, data, metrics=chosen, seed=seed,
                                      num_train=settings["num_train"], num_test=settings["num_test"],
                                      code_cache=code_cache)
        out[str(seed)] = {k: v for k, v in result.items() if not k.startswith("timing.")}
    return out


def score_settings(*, metrics: str | None = "all", num_train: int = 10000, num_test: int = 5000, seed: int = 0,
                   dataset: str = "dsprites", dci_backend: str = "exact") -> dict:
    """The settings `score` records beside its scores, known before any scoring (so `check_rescore`
    can refuse a card update before the work starts)."""
    if metrics is not None and not isinstance(metrics, str):
        raise TypeError(f"metrics must be 'all' or a comma list of metric names; got {type(metrics).__name__}.")
    chosen = zoo.metrics.ALL if metrics in ("all", None) else [m.strip() for m in metrics.split(",") if m.strip()]
    if not chosen:
        raise ValueError("metrics is empty: name at least one metric (e.g. 'mig,dci') or 'all'.")
    return {"metrics": list(chosen), "num_train": num_train, "num_test": num_test, "seed": seed,
            "dataset": dataset, "dci_backend": dci_backend, "reference": REFERENCE}


class ScoreSettingsError(ValueError):
    """A card's scores would be replaced by a partial scoring, or one at other settings than recorded."""


# The settings that make two scorings comparable; `dci_backend` only where DCI is scored.
COMPARED_SETTINGS = ("num_train", "num_test", "seed", "dataset")


def check_rescore(folder: Path, settings: Mapping[str, Any] | None, scores: Mapping[str, Any] | None = None, *,
                  new_settings: bool = False) -> None:
    """Refuses to replace a card's scores by anything but a full scoring at its recorded settings.

    A card's scores may be replaced only when nothing is lost: every score it holds (timings aside)
    is scored again (`scores`' keys, or before scoring the metrics named in `settings`), at the
    `num_train`, `num_test`, `seed`, `dataset` and (with DCI) `dci_backend` it records.
    `new_settings=True` accepts other settings for a full scoring (a card moved to new settings as a
    whole). A card without scores takes any scoring.

    Raises:
      ScoreSettingsError: naming what would be lost or what differs, and the fix.
    """
    meta = presets.read_metadata(folder)
    old = sorted(k for k in (meta.get("scores") or {}) if not k.startswith("timing."))
    if not old:
        return
    recorded = meta.get("score_settings") or {}
    settings = recorded if settings is None else settings
    if scores is not None:
        lost = [k for k in old if k not in scores]
    else:
        chosen = set(settings.get("metrics") or ())
        lost = [k for k in old if k.split(".")[0] not in chosen]
    problems = []
    if lost:
        problems.append(f"it would drop {len(lost)} of the card's {len(old)} scores ({', '.join(lost[:5])}"
                        + (", ..." if len(lost) > 5 else "") + ")")
    keys = COMPARED_SETTINGS + (("dci_backend",) if "dci" in (settings.get("metrics") or ()) else ())
    differ = [f"{k}={settings[k]!r} where the card has {recorded[k]!r}" for k in keys
              if not new_settings and k in recorded and k in settings and recorded[k] != settings[k]]
    if differ:
        problems.append("it is at other settings: " + ", ".join(differ))
    if problems:
        metrics = sorted({k.split(".")[0] for k in old})
        raise ScoreSettingsError(
            f"refusing to replace the scores in {folder / presets.CARD}: {'; '.join(problems)}. A card's scores are "
            f"replaced only by a full scoring at its recorded settings: score at least {','.join(metrics)}"
            + "".join(f" --{k}={recorded[k]}" for k in keys if k in recorded and k != "dataset")
            + (f" on {recorded['dataset']}" if "dataset" in recorded else "")
            + " (add --new_score_settings to move a full scoring to new settings), or leave out --update_card "
            "to keep these scores in the --json file only.")


def rescore(folder: Path, scores: Mapping[str, Any], settings: Mapping[str, Any] | None, name: str | None = None, *,
            manifest_path=None, images: Mapping[str, Any] | None = None, selection: str | None = None,
            new_settings: bool = False) -> dict | None:
    """Writes `scores` into a preset's card and metadata.json and, for a manifest model, its entry.

    Only a full scoring at the card's recorded settings replaces its scores (`check_rescore`; with
    `new_settings=True` a full scoring at other settings): a partial one raises `ScoreSettingsError`
    and nothing is written. The files are replaced atomically, so the previous card is whole until
    the new one is in place.

    The card's bytes change, so a pinned hub copy no longer matches the manifest's sha256: the
    entry is unpinned until `pin` uploads the new card. Returns the stale pin (`{"repo_id",
    "revision"}`) or None. `images` join the preset's pictures, and `selection` (how the model was
    picked) is recorded, as in `presets.update_scores`; `settings` None keeps those recorded.
    """
    check_rescore(folder, settings, scores, new_settings=new_settings)
    presets.update_scores(folder, scores, settings, images=images, selection=selection)
    if name is None:
        return None
    with manifest.locked(manifest_path):
        stale = manifest.load_manifest(manifest_path)["models"][name].get("hub")
        manifest.set_entry(name, manifest.entry_from_preset(folder, root=manifest.root_of(manifest_path), hub=None),
                           manifest_path)
    return stale


def note_selection(model: str, selection: str, *, manifest_path=None) -> dict | None:
    """Records how `model` (a manifest name or preset folder) was picked from the runs tried, in its
    metadata.json and card (and manifest entry); its scores stay. Returns the stale pin, as `rescore`."""
    folder = Path(api.resolve(model, manifest_path=manifest_path))
    name = model if model in manifest.names(manifest.load_manifest(manifest_path)) else None
    return rescore(folder, presets.read_metadata(folder).get("scores") or {}, None, name, manifest_path=manifest_path,
                   selection=selection)


def add_to_zoo(preset: Path, name: str, *, seed: int | None = None, status: str = "ok",
               eval_scores: Mapping[str, Mapping[str, Any]] | None = None, manifest_path=None) -> Path | None:
    """Copies a scored preset folder to `weights/<name>/` (atomically) and lists it in the manifest;
    with `seed`, adds it as another training seed of the existing name `name` (`add_seed`).
    `eval_scores` (`score_eval_seeds`) are kept with the seed's record.

    Raises:
      ValueError: the preset is named otherwise in its card; or, without `seed`, the name already
        has several training seeds (replacing it would drop them).
    """
    if seed is not None:
        return add_seed(preset, name, seed, status=status, eval_scores=eval_scores, manifest_path=manifest_path)
    if presets.read_metadata(preset).get("name") != name:
        raise ValueError(f"the preset at {preset} is named otherwise in its card; add it under that name.")
    with manifest.locked(manifest_path):
        existing = manifest.load_manifest(manifest_path)["models"].get(name)
        if existing is not None and existing.get("seeds"):
            raise ValueError(f"{name!r} has {len(seed_rule.seed_records(existing))} training seeds; replacing the "
                             "entry would drop them. Add the preset as one more seed (seed=N, recipes.evaluate "
                             "--as_seed).")
        root = manifest.root_of(manifest_path)
        target = copy_folder(preset, root / "weights" / name)
        entry = manifest.entry_from_preset(target, root=root, hub=None)
        if eval_scores:
            entry["eval_scores"] = {str(k): dict(v) for k, v in eval_scores.items()}
        manifest.set_entry(name, entry, manifest_path)
    return target


def pin(model: str, repo_id: str | None, *, revision=None, create_pr=False, dry_run=False,
        manifest_path=None) -> str | None:
    """Pushes the preset behind `model` to the hub; for a manifest name, pins the returned commit.

    Returns the new commit (None for a dry run).
    """
    entry = manifest.load_manifest(manifest_path)["models"].get(model)
    folder = api.resolve(model, manifest_path=manifest_path)
    repo_id = repo_id or ((entry or {}).get("hub") or {}).get("repo_id")
    if not repo_id:
        raise ValueError(f"no --repo_id given and {model!r} has no hub repository in the manifest.")
    commit = hub.push(folder, repo_id, revision=revision, create_pr=create_pr, dry_run=dry_run)
    if entry is not None and commit and not dry_run and not create_pr:
        manifest.set_entry(model, manifest.entry_from_preset(folder, root=manifest.root_of(manifest_path),
                                                             hub={"repo_id": repo_id, "revision": commit}),
                           manifest_path)
    return commit


# ---------------------------------------------------------------------------- training seeds


class RecipeMismatchError(ValueError):
    """A run offered as a seed of a zoo name was not trained with the name's recipe."""


def seed_command(name: str, seed: int) -> str:
    """The command that trains training seed `seed` of zoo name `name` with its recorded recipe."""
    return (f"python -m recipes.train --recipe_of={name} --seed={seed} --progress=false "
            f"--out=runs/seeds/{name}/seed{seed}")


def add_seed(preset: Path, name: str, seed: int, *, status: str = "ok",
             eval_scores: Mapping[str, Mapping[str, Any]] | None = None, manifest_path=None) -> Path | None:
    """Adds a scored preset as training seed `seed` of the zoo name `name`, and serves the rule's seed.

    The preset must be named `name`, trained at `seed` (a seed the name does not have yet) with
    exactly the name's recorded recipe (`zoo.runs.settings.recipe_of`: objective, hyperparameters,
    steps of each run of the chain, batch, optimizers with their rates, betas and epsilon, data),
    and scored at the name's score settings (num_train, num_test, evaluation seed, dataset). Its
    weights are copied to `weights/seeds/<name>/seed<seed>/` unless they exceed 10 MB
    (`zoo.seed_rule.MAX_SHIPPED_WEIGHTS`): then it is recorded by its scores, config and training
    command alone. The entry is then arranged so that its own fields are the seed the rule in
    docs/seeds_rule.md serves (`zoo.seed_rule.choose_served`), and the served seed's card gets the
    seed section (`zoo.seed_rule.seed_spread`); a hub pin is dropped (the card changed).

    Args:
      status: "ok" or "collapsed" (a degenerate model, still scored and counted).
      eval_scores: `{evaluation seed: flat scores}` at other evaluation seeds (the sampled scores'
        noise), shown in the card's seed section.

    Returns:
      The seed's folder, or None for a seed recorded by its scores alone.

    Raises:
      RecipeMismatchError: naming every difference from the recorded recipe.
      ValueError: a wrong name, seed or status, or scores at other settings.
    """
    with manifest.locked(manifest_path):
        return _add_seed(Path(preset), name, seed, status, eval_scores, manifest_path)


def _add_seed(preset: Path, name: str, seed: int, status: str, eval_scores, manifest_path) -> Path | None:
    data = manifest.load_manifest(manifest_path)
    entry = manifest.get_entry(data, name)
    meta = presets.read_metadata(preset)
    if meta.get("name") != name:
        raise ValueError(f"the preset at {preset} is named {meta.get('name')!r} in its card, not {name!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a training seed (an int >= 0); got {seed!r}.")
    if (meta.get("training") or {}).get("seed") != seed:
        raise ValueError(f"the preset at {preset} was trained at seed {(meta.get('training') or {}).get('seed')!r}, "
                         f"not {seed}; add it as that seed.")
    if status not in ("ok", "collapsed"):
        raise ValueError(f"status must be 'ok' or 'collapsed' for a seed with a model; got {status!r} "
                         "(a seed that gave no model: add_failed_seed).")
    records = seed_rule.seed_records(entry)
    if seed in records:
        raise ValueError(f"{name!r} has training seed {seed} already ({records[seed]['status']}); seeds are never "
                         "replaced (every seed ever trained is reported). Train another seed.")
    differences = recipe_differences(recipe_of(entry), recipe_of(meta))
    if differences:
        raise RecipeMismatchError(f"the preset at {preset} was not trained with {name!r}'s recipe: "
                                  + "; ".join(differences) + f". Train the seed with `{seed_command(name, seed)}`.")
    _check_seed_scores(entry, meta, name, preset)
    root = manifest.root_of(manifest_path)
    record = {"status": status, "config": meta.get("config", {}), "training": meta.get("training", {}),
              "scores": meta.get("scores", {}), "score_settings": meta.get("score_settings", {}),
              "command": seed_command(name, seed)}
    if eval_scores:
        record["eval_scores"] = {str(k): dict(v) for k, v in eval_scores.items()}
    target = None
    if (Path(preset) / presets.WEIGHTS).stat().st_size <= seed_rule.MAX_SHIPPED_WEIGHTS:
        target = copy_folder(preset, root / seed_rule.seed_folder(name, seed))
        record["files"] = _folder_files(target, root)
    records[seed] = record
    _store_seeds(name, entry, records, data, manifest_path)
    return target


def record_eval_seeds(name: str, data, seed: int | None = None, *, seeds=EXTRA_EVAL_SEEDS,
                      manifest_path=None) -> dict[str, dict]:
    """Scores a zoo seed's sampled scores at further evaluation seeds (`score_eval_seeds`, at the seed's
    recorded sizes) and keeps them as its record's `eval_scores`: for the seeds added before
    `recipes.evaluate --add_to_zoo` did this itself. With several seeds, the served card's seed section
    is rewritten (its evaluation-seed sd column).

    Args:
      data: the dataset the seed was scored on (`zoo.data.load` of the entry's dataset: the registry
        does not load data itself).
      seed: the training seed (default: the served one); it must be shipped (its weights in the zoo).

    Returns:
      The `eval_scores` recorded.
    """
    entry = manifest.get_entry(manifest.load_manifest(manifest_path), name)
    records = seed_rule.seed_records(entry)
    seed = int(entry["training"]["seed"]) if seed is None else seed
    if seed not in records or not seed_rule.is_shipped(records[seed]):
        raise seed_rule.UnknownSeedError(f"{name!r} has no shipped training seed {seed}; its shipped seeds: "
                                         f"{[s for s, r in records.items() if seed_rule.is_shipped(r)]}.")
    record = records[seed]
    settings = record.get("score_settings") or {}
    if "metrics" not in settings:
        raise ValueError(f"{name!r} seed {seed} records no score settings to score its evaluation seeds at.")
    model = api.load(name, seed=seed, manifest_path=manifest_path)
    eval_scores = score_eval_seeds(model, data, record.get("scores") or {}, settings, seeds)
    if not eval_scores:
        return {}
    # Scoring took minutes: the manifest is read again under its lock, so that what others wrote
    # meanwhile (another model, another seed of this one) stays.
    with manifest.locked(manifest_path):
        manifest_data = manifest.load_manifest(manifest_path)
        entry = manifest.get_entry(manifest_data, name)
        records = seed_rule.seed_records(entry)
        if seed not in records or records[seed].get("scores") != record.get("scores"):
            raise ValueError(f"{name!r} seed {seed} changed while its evaluation seeds were scored (its record "
                             "is gone or rescored); score them again.")
        records[seed] = {**records[seed], "eval_scores": eval_scores}
        if len(records) > 1:
            _store_seeds(name, entry, records, manifest_data, manifest_path)
        else:
            manifest_data["models"][name] = {**entry, "eval_scores": eval_scores}
            manifest.write_manifest(manifest_data, manifest_path)
    return eval_scores


def add_failed_seed(name: str, seed: int, reason: str, *, manifest_path=None) -> None:
    """Records training seed `seed` of `name` as failed (no model came out: `reason`, e.g. a NaN loss at
    step 12,000): it has no scores, but the card counts it among the seeds ever trained."""
    with manifest.locked(manifest_path):
        _add_failed_seed(name, seed, reason, manifest_path)


def _add_failed_seed(name: str, seed: int, reason: str, manifest_path) -> None:
    data = manifest.load_manifest(manifest_path)
    entry = manifest.get_entry(data, name)
    records = seed_rule.seed_records(entry)
    if seed in records:
        raise ValueError(f"{name!r} has training seed {seed} already ({records[seed]['status']}).")
    if not reason or not reason.strip():
        raise ValueError("say why the seed failed (reason), for the card.")
    training = {k: v for k, v in entry["training"].items() if k != "versions"}
    records[seed] = {"status": "failed", "training": {**training, "seed": seed, "failure": " ".join(reason.split())},
                     "command": seed_command(name, seed)}
    _store_seeds(name, entry, records, data, manifest_path)


def _check_seed_scores(entry: dict, meta: dict, name: str, preset: Path) -> None:
    """A new seed is scored like the name's served seed: the rule's score, every score the entry has,
    at its num_train, num_test, evaluation seed and dataset."""
    recorded, settings = entry.get("score_settings") or {}, meta.get("score_settings") or {}
    scores = meta.get("scores") or {}
    missing = [k for k in entry.get("scores") or {} if not k.startswith("timing.") and k not in scores]
    differ = [f"{k}={settings.get(k)!r} where {name!r} has {recorded[k]!r}" for k in COMPARED_SETTINGS
              if k in recorded and settings.get(k) != recorded[k]]
    if missing or differ:
        raise ValueError(f"the preset at {preset} is not scored as {name!r}'s seeds are: "
                         + "; ".join(([f"it lacks {', '.join(missing[:5])}" + (", ..." if len(missing) > 5 else "")]
                                      if missing else []) + differ)
                         + ". Score it with recipes.evaluate --update_card at the name's settings first.")


def _folder_files(folder: Path, root: Path) -> list[dict]:
    return [manifest.file_record(p, root) for p in sorted(Path(folder).iterdir())
            if p.is_file() and not p.name.startswith(".")]


def _store_seeds(name: str, entry: dict, records: dict, data: dict, manifest_path) -> None:
    """Arranges the entry so the rule's seed is served, writes the seed section into the served
    seed's card (and takes it out of a card no longer served), and writes the manifest. The caller
    holds `manifest.locked` and read `data` under it."""
    root = manifest.root_of(manifest_path)
    before = int(entry["training"]["seed"])
    arranged = seed_rule.arrange_seeds(entry, records)
    served = int(arranged["training"]["seed"])
    if served != before and seed_rule.is_shipped(records[before]):
        old = root / manifest.preset_folder(records[before])
        presets.update_scores(old, presets.read_metadata(old).get("scores") or {}, None, seed_spread={})
        records[before]["files"] = _folder_files(old, root)
        arranged = seed_rule.arrange_seeds(entry, records)
    folder = root / manifest.preset_folder(arranged)
    presets.update_scores(folder, presets.read_metadata(folder).get("scores") or {}, None,
                          seed_spread=seed_rule.seed_spread(arranged, name) or {})
    arranged["files"] = _folder_files(folder, root)
    arranged["hub"] = None  # the served card changed: a hub copy no longer matches until `pin` uploads it
    data["models"][name] = arranged
    manifest.write_manifest(data, manifest_path)
