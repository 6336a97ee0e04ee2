"""Preset folders: one pretrained model as plain files, saved atomically and loaded without pickles.

A preset folder holds

    config.json        the model's Keras config (`keras.saving.serialize_keras_object`)
    model.weights.h5   the weights inference needs, in Keras's `.weights.h5` format: no
                       optimizer state, and none of the sub-networks the model's class lists
                       in `TRAINING_ONLY` (e.g. FactorVAE's discriminator), recorded as
                       `weights_left_out` in metadata.json
    metadata.json      objective, constructor config, dataset, training settings, library
                       versions, date, scores, and the size and sha256 of every other file
    README.md          the model card (`zoo.cards`)
    traversal.png ...  optional images shown in the card

`save_preset` writes everything into a temporary folder beside the target and then swaps it in, so
an interrupted save leaves the previous preset whole. `load_preset` checks the files against
metadata.json, rebuilds the model from config.json with Keras's safe mode (no pickled code, no
lambdas), creates its variables and loads the weights. A folder holding a single `model.keras`
archive instead is loaded with `keras.saving.load_model(..., safe_mode=True)`.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import shutil
from pathlib import Path
from typing import Any, Mapping

from zoo import cards, files
from zoo.keras_registration import import_models

CONFIG = "config.json"
WEIGHTS = "model.weights.h5"
METADATA = "metadata.json"
CARD = "README.md"
TRAVERSAL = "traversal.png"
KERAS_ARCHIVE = "model.keras"
REQUIRED = (CONFIG, WEIGHTS, METADATA)

# Keys Keras adds to every layer config; the rest are the objective's constructor arguments.
_BASE_CONFIG_KEYS = {"name", "trainable", "dtype"}


class PresetError(ValueError):
    """A preset folder is incomplete or inconsistent."""


def library_versions() -> dict[str, str]:
    import importlib.metadata as md

    versions = {"python": platform.python_version()}
    for dist in ("zoo", "tensorflow", "keras", "numpy", "h5py", "huggingface_hub"):
        try:
            versions[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    return versions


def constructor_config(model) -> dict:
    """The objective's own arguments from `model.get_config()` (Keras's name/dtype left out)."""
    return {k: v for k, v in _jsonable(model.get_config()).items() if k not in _BASE_CONFIG_KEYS}


def save_preset(model, directory: str | os.PathLike, *, objective: str | None = None,
                metadata: Mapping[str, Any] | None = None, scores: Mapping[str, float | None] | None = None,
                score_settings: Mapping[str, Any] | None = None, images: Mapping[str, Any] | None = None,
                name: str | None = None, repo_id: str | None = None) -> Path:
    """Writes `model` as a preset folder, atomically replacing any previous one.

    Args:
      model: a built zoo model (a registered Keras model with get_config).
      directory: the preset folder, e.g. `weights/factorvae-dsprites`.
      objective: the zoo.models registry name (default: `metadata["objective"]`, else the class
        name in snake case).
      metadata: dataset (`{"name", "variant", "source"}`), training (`{"steps", "batch_size",
        "seed", "optimizer", ...}`), description, and anything else worth recording.
      scores: the flat dict `zoo.metrics.evaluate` returns, e.g. `{"mig.mig": 0.2}`.
      score_settings: how the scores were computed (num_train, num_test, seed, ...).
      images: file name -> PNG bytes, a path to copy, or an image array `[H, W]`/`[H, W, C]`
        (uint8, or float in [0, 1]); `traversal.png` is shown in the card.
      name: the model's name in the zoo (default: the folder name).
      repo_id: the hub repository, shown in the card's loading instructions.

    Returns:
      The preset folder.
    """
    import keras

    directory = Path(directory)
    name = name or directory.name
    meta = dict(metadata or {})
    meta["name"] = name
    meta["objective"] = objective or meta.get("objective") or _snake(type(model).__name__)
    meta["class_name"] = keras.saving.get_registered_name(type(model))
    meta["config"] = constructor_config(model)
    if scores is not None:
        meta["scores"] = _clean_scores(scores)
    if score_settings is not None:
        meta["score_settings"] = _jsonable(dict(score_settings))
    meta.setdefault("scores", {})
    meta.setdefault("score_settings", {})
    meta.setdefault("training", {})
    meta["training"] = {**meta["training"], "versions": {**library_versions(),
                                                          **meta["training"].get("versions", {})}}
    meta.setdefault("date", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))

    _check_image_names(images)

    with files.staged_folder(directory) as tmp:
        config = _jsonable(keras.saving.serialize_keras_object(model))
        # A preset is for inference and fine-tuning with fresh optimizers: Keras would otherwise
        # compile the model on deserialization (the training settings are in metadata.json).
        config.pop("compile_config", None)
        files.write_json(tmp / CONFIG, config)
        meta["weights_left_out"] = save_inference_weights(model, tmp / WEIGHTS)
        for file_name, image in (images or {}).items():
            _write_image(image, tmp / file_name)
        meta["files"] = {p.name: dict(zip(("size", "sha256"), files.file_digest(p)))
                         for p in sorted(tmp.iterdir()) if p.is_file()}
        files.write_json(tmp / METADATA, _jsonable(meta))
        files.write_text(tmp / CARD, str(cards.make_card(_card_metadata(meta), repo_id=repo_id,
                                                         images=sorted(images or {}))))
    return directory


def update_scores(directory: str | os.PathLike, scores: Mapping[str, float | None],
                  score_settings: Mapping[str, Any] | None = None, *, repo_id: str | None = None,
                  images: Mapping[str, Any] | None = None, selection: str | None = None,
                  seed_spread: Mapping[str, Any] | None = None) -> Path:
    """Rewrites a preset's metadata.json and model card with new scores (atomically).

    `images` (file name -> PNG path or uint8 array) are added to (or replace) the preset's pictures;
    their sizes and sha256 join `files`, and the card shows them. `selection`, how the model was
    picked from the runs tried (e.g. "the best training-digit accuracy of 13 runs"), is kept in
    metadata.json and shown in the card's limits; None keeps the one recorded, "" removes it.
    `seed_spread`, the scores over the setting's training seeds (`zoo.seed_rule.seed_spread`), is the
    card's seed section; None keeps the one recorded, {} removes it.
    """
    directory = Path(directory)
    check_preset(directory)
    _check_image_names(images)
    meta = read_metadata(directory)
    meta["scores"] = _clean_scores(scores)
    if selection is not None:
        if selection.strip():
            meta["selection"] = " ".join(selection.split())
        else:
            meta.pop("selection", None)
    if score_settings is not None:
        meta["score_settings"] = _jsonable(dict(score_settings))
    if seed_spread is not None:
        if seed_spread:
            meta["seed_spread"] = _jsonable(dict(seed_spread))
        else:
            meta.pop("seed_spread", None)
    with files.staged_folder(directory) as tmp:
        for p in directory.iterdir():
            if p.is_file() and p.name not in (METADATA, CARD):
                shutil.copy2(p, tmp / p.name)
        for file_name, image in (images or {}).items():
            if isinstance(image, (str, os.PathLike)):
                shutil.copyfile(image, tmp / file_name)
            else:
                _write_image(image, tmp / file_name)
            meta.setdefault("files", {})[file_name] = dict(zip(("size", "sha256"), files.file_digest(tmp / file_name)))
        images = [n for n in meta.get("files", {}) if n.lower().endswith((".png", ".gif", ".jpg"))]
        files.write_json(tmp / METADATA, meta)
        files.write_text(tmp / CARD, str(cards.make_card(_card_metadata(meta), repo_id=repo_id, images=images)))
    return directory


def _check_image_names(images) -> None:
    for file_name in images or {}:
        if file_name in (CONFIG, WEIGHTS, METADATA, CARD) or "/" in file_name or file_name.startswith("."):
            raise ValueError(f"Bad image file name {file_name!r}: a plain name other than the preset's own files.")


def read_metadata(directory: str | os.PathLike) -> dict:
    path = Path(directory) / METADATA
    if not path.exists():
        raise PresetError(f"{directory} is not a preset folder: it has no {METADATA}.")
    return _read_json(path)


def _read_json(path: Path) -> dict:
    """A preset's JSON file (an object); otherwise a `PresetError` naming the file and the fix."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise PresetError(f"{path} is not valid JSON ({e}). Restore the file (from git, or the hub copy it came "
                          "from) or re-save the preset with zoo.presets.save_preset.") from None
    if not isinstance(data, dict):
        raise PresetError(f"{path} holds {type(data).__name__}, not a JSON object. Restore the file or re-save the "
                          "preset with zoo.presets.save_preset.")
    return data


def check_preset(directory: str | os.PathLike, *, required: tuple[str, ...] = (CONFIG, WEIGHTS)) -> dict:
    """Checks a preset folder's files against its metadata.json; returns the metadata.

    `required` are the files that must be there and recorded (a Keras archive preset: `model.keras`).

    Raises `PresetError` for a missing file and `zoo.files.IntegrityError` naming the file and
    both hashes for a changed one.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise PresetError(f"{directory} is not a folder.")
    missing = [f for f in (*required, METADATA) if not (directory / f).is_file()]
    if missing:
        raise PresetError(f"{directory} is not a complete preset folder: missing {', '.join(missing)} "
                          f"(a preset holds {', '.join(REQUIRED)} and {CARD}).")
    meta = read_metadata(directory)
    records = meta.get("files", {})
    if not isinstance(records, dict) or not all(isinstance(r, dict) and {"size", "sha256"} <= set(r)
                                                for r in records.values()):
        raise PresetError(f"{directory / METADATA}: 'files' must map each file name to its size and sha256; "
                          "re-save the preset with zoo.presets.save_preset.")
    for name in required:
        if name not in records:
            raise PresetError(f"{directory / METADATA} records no size and sha256 for {name}; "
                              "re-save the preset with zoo.presets.save_preset.")
    for file_name, rec in records.items():
        if not _inside(file_name):
            raise PresetError(f"{directory / METADATA} lists {file_name!r}, a path outside the preset folder; a preset "
                              "lists only its own files (plain names). Restore metadata.json or re-save the preset.")
        path = directory / file_name
        if not path.is_file():
            raise PresetError(f"{directory} lacks {file_name}, which its {METADATA} lists.")
        files.verify_file(path, size=rec["size"], sha256=rec["sha256"], label=f"preset file {file_name}",
                              fix=f"The folder no longer matches its {METADATA}: restore the file or re-save "
                                  "the preset.")
    return meta


def _inside(file_name: str) -> bool:
    """Whether `file_name` names a file inside the preset folder: relative, no `..`, no drive."""
    if not isinstance(file_name, str) or not file_name or "\\" in file_name or ":" in file_name:
        return False
    parts = file_name.split("/")
    return not file_name.startswith("/") and not any(p in ("", ".", "..") for p in parts)


def load_preset(directory: str | os.PathLike, *, compile: bool = False, verify: bool = True):
    """Builds the model of a preset folder and loads its weights.

    Args:
      directory: a folder written by `save_preset` (or one holding a `model.keras` archive).
      compile: also call `model.compile()` with the objective's default optimizers.
      verify: check every file against the sizes and sha256 in metadata.json first.

    Returns:
      The model, built, with its weights loaded: `model.representation(images)` works at once.
    """
    import keras

    if not isinstance(directory, (str, os.PathLike)):
        raise TypeError(f"directory must be a preset folder (a str or path); got {type(directory).__name__}.")
    directory = Path(directory)
    import_models()
    if not (directory / CONFIG).exists() and (directory / KERAS_ARCHIVE).is_file():
        # A bare Keras archive has nothing to be checked against; one in a preset (a folder with a
        # metadata.json) must be recorded there and match, whatever `verify` says.
        if (directory / METADATA).exists():
            check_preset(directory, required=(KERAS_ARCHIVE,))
        return keras.saving.load_model(str(directory / KERAS_ARCHIVE), compile=compile, safe_mode=True)
    if verify:
        meta = check_preset(directory)
    else:
        missing = [f for f in (CONFIG, WEIGHTS) if not (directory / f).is_file()]
        if missing:
            raise PresetError(f"{directory} is not a preset folder: missing {', '.join(missing)}.")
        meta = read_metadata(directory) if (directory / METADATA).is_file() else {}
    config = _read_json(directory / CONFIG)
    try:
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    except Exception as e:
        raise PresetError(f"Cannot build the model of {directory / CONFIG} (class "
                          f"{config.get('registered_name') or config.get('class_name')!r}): {e}") from e
    build(model, config)
    try:
        load_inference_weights(model, directory / WEIGHTS, meta.get("weights_left_out", []))
    except PresetError:
        raise
    except Exception as e:
        raise PresetError(f"{directory / WEIGHTS} does not fit the model built from {CONFIG}: {e}") from e
    if compile:
        model.compile()
    return model


def save_inference_weights(model, path: str | os.PathLike) -> list[str]:
    """Saves the weights inference needs; returns the names of the training-only parts left out.

    Optimizer state is never saved (a preset is for inference and fine-tuning with fresh
    optimizers), nor the sub-networks named in the class attribute `TRAINING_ONLY` (a tuple of
    attribute names), e.g. FactorVAE's total-correlation discriminator.
    """
    from keras.src.saving import saving_lib  # save_weights has no public way to skip objects

    left_out = [name for name in getattr(model, "TRAINING_ONLY", ()) if getattr(model, name, None) is not None]
    skip = _optimizers(model) + [getattr(model, name) for name in left_out]
    saving_lib.save_weights_only(model, str(path), objects_to_skip=skip)
    return left_out


def load_inference_weights(model, path: str | os.PathLike, left_out=()) -> None:
    """Loads weights written by `save_inference_weights`; the parts in `left_out` keep fresh values.

    Every other variable must be in the file with its shape (Keras raises otherwise).
    """
    from keras.src.saving import saving_lib

    allowed = tuple(getattr(model, "TRAINING_ONLY", ()))
    needed = [name for name in left_out if name not in allowed]
    if needed:
        raise PresetError(f"weights_left_out names {', '.join(map(repr, needed))}, which {type(model).__name__} needs "
                          f"for inference (it may leave out only {', '.join(map(repr, allowed)) or 'nothing'}): the "
                          "preset would load with freshly initialised weights there. Re-save the preset with "
                          "zoo.presets.save_preset.")
    missing = [name for name in left_out if getattr(model, name, None) is None]
    if missing:
        raise PresetError(f"{type(model).__name__} has no {', '.join(missing)}, which the weights file leaves out.")
    skip = _optimizers(model) + [getattr(model, name) for name in left_out]
    saving_lib.load_weights_only(model, str(path), objects_to_skip=skip)


def _optimizers(model) -> list:
    import keras

    found = [v for v in vars(model).values() if isinstance(v, keras.optimizers.Optimizer)]
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and all(optimizer is not o for o in found):
        found.append(optimizer)
    return found


def build(model, config: dict | None = None) -> None:
    """Creates every variable of a freshly built model, so that its weights can be loaded.

    Uses the model's own `build_for_inference()` when it has one (zoo objectives create every
    variable in `__init__` and keep it as a hook); otherwise runs one forward pass on zeros of
    `[1, *input_shape]` if deserialization left the model unbuilt.
    """
    import numpy as np

    if hasattr(model, "build_for_inference"):
        model.build_for_inference()
        return
    if model.built and model.weights:
        return
    inner = (config or {}).get("config", {})
    input_shape = inner.get("input_shape") or getattr(model, "input_shape", None)
    if not input_shape:
        raise PresetError(f"Cannot build {type(model).__name__}: its config gives no input_shape.")
    model(np.zeros((1, *input_shape), dtype="float32"))


# ---------------------------------------------------------------------------- helpers


def _card_metadata(meta: Mapping[str, Any]) -> dict:
    """`meta` for the card, its config completed with the options added after it was saved, at the
    values the model is rebuilt with (the objective's `LEGACY_HPARAMS`, e.g. InfoGAN's
    `noise_prior` "normal"), after its own keys; metadata.json keeps the config as saved."""
    objective = meta.get("objective")
    config = dict(meta.get("config") or {})
    try:
        import zoo.models

        completed = zoo.models.get_class(objective).complete_config(config) if isinstance(objective, str) else {}
    except (ImportError, ValueError):  # no objectives installed, or one this version does not know
        completed = {}
    return {**meta, "config": {**config, **completed}}  # the config's own order, the added keys after


def _clean_scores(scores: Mapping[str, Any]) -> dict:
    """Scores as Python floats; NaN/inf (an undefined metric) become None, which JSON can hold."""
    out = {}
    for key, value in scores.items():
        value = None if value is None else float(value)
        out[str(key)] = value if value is not None and math.isfinite(value) else None
    return out


def _write_image(image: Any, path: Path) -> None:
    if isinstance(image, (bytes, bytearray)):
        files.write_bytes(path, bytes(image))
    elif isinstance(image, (str, os.PathLike)):
        files.write_bytes(path, Path(image).read_bytes())
    else:
        array = files.to_uint8(image)
        if array.ndim == 3 and array.shape[-1] == 1:
            array = array[..., 0]
        files.write_png(path, array)


def _jsonable(obj: Any) -> Any:
    """Tuples -> lists, numpy scalars -> Python numbers, recursively (what json.dumps needs)."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "ndim", None) == 0:
        return obj.item()
    return obj


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
