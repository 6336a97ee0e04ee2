"""Keeping the zoo: scoring a model, writing its scores into its card and the manifest, adding a
trained preset to the zoo, and pinning a hub copy.

Every step rewrites files through `zoo.files` (atomic), and the manifest entry is rebuilt from the
preset folder's files afterwards, so its sha256 sums always match what is on disk:

    model, folder, name = resolve_model("runs/factorvae")        # a run folder, preset, name or hf://
    scores, settings = score(model, zoo.data.load("dsprites"))    # zoo.metrics.evaluate, study sizes
    rescore(folder, scores, settings, name)                       # card, metadata.json (and manifest)
    note_selection("factorvae-dsprites", "...")                   # how it was picked, into its card
    add_to_zoo(folder, "factorvae-dsprites")                      # weights/<name>/ + manifest entry
    pin("factorvae-dsprites", "org/factorvae-dsprites")           # push to the hub, pin the commit
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import zoo.metrics
from zoo import api, hub, manifest, presets
from zoo.files import copy_folder
from zoo.runs.folder import PRESET, is_run

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
          dci_backend: str = "exact", precision: str = "float32") -> tuple[dict, dict]:
    """Runs `zoo.metrics.evaluate` on `model.representation`; returns `(scores, settings)`.

    Args:
      metrics: "all" (or None) or a comma list of metric functions ("mig,dci").
      num_train, num_test, seed: the sampling (the study's sizes by default).
      dci_backend: "exact" (the reference's gradient boosting), "fast" or "sklearn" (the reference itself).
      precision: encoding precision, "float32" (the reference) or "bfloat16" (recorded in the settings).

    Returns:
      The flat score dict and the settings that produced it (what a card records beside them).
    """
    settings = score_settings(metrics=metrics, num_train=num_train, num_test=num_test, seed=seed,
                              dataset=data.name, dci_backend=dci_backend)
    chosen = settings["metrics"]
    options = {"dci": {"backend": dci_backend}} if "dci" in chosen else None
    scores = zoo.metrics.evaluate(model.representation, data, metrics=chosen, seed=seed, num_train=num_train,
                                  num_test=num_test, metric_options=options, precision=precision)
    if precision != "float32":
        settings["precision"] = precision
    return scores, settings


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


def add_to_zoo(preset: Path, name: str, *, manifest_path=None) -> Path:
    """Copies a scored preset folder to `weights/<name>/` (atomically) and lists it in the manifest.

    Raises:
      ValueError: the preset is named otherwise in its card.
    """
    if presets.read_metadata(preset).get("name") != name:
        raise ValueError(f"the preset at {preset} is named otherwise in its card; add it under that name.")
    root = manifest.root_of(manifest_path)
    target = copy_folder(preset, root / "weights" / name)
    manifest.set_entry(name, manifest.entry_from_preset(target, root=root, hub=None), manifest_path)
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
