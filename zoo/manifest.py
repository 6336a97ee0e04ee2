"""The weights manifest: the registry of pretrained models and the sha256 of every file.

`weights_manifest.json` sits at the repository root and is plain data (code never hard-codes a
model's numbers). Its shape, checked by `zoo/weights_manifest.schema.json`:

    {"schema_version": 1,
     "models": {
       "factorvae-dsprites": {
         "description": "...",                               # optional
         "objective": "factor_vae",                          # zoo.models registry name
         "config": {"input_shape": [64, 64, 1], "latent_dim": 10, "gamma": 35.0},
         "dataset": {"name": "dsprites", "variant": null, "source": "rendered"},
         "training": {"steps": 30000, "batch_size": 64, "seed": 0,
                      "optimizer": {...}, "versions": {"tensorflow": "2.21.0", ...}},
         "files": [{"path": "weights/factorvae-dsprites/config.json", "size": 1234,
                    "sha256": "<64 hex>"}, ...],
         "hub": {"repo_id": "org/factorvae-dsprites", "revision": "<40 hex commit>"} or null,
         "scores": {"mig.mig": 0.21, "beta_vae_score.eval_accuracy": 0.84, ...},
         "score_settings": {"num_train": 10000, "num_test": 5000, "seed": 0, ...}}}}

Paths in `files` are POSIX paths relative to the folder that holds the manifest (the repository
root); the files of one entry form a preset folder (see `zoo.presets`), conventionally
`weights/<name>/`. On the Hugging Face Hub the same files sit at the root of `hub.repo_id`, i.e. at
their paths relative to the preset folder.

Where the manifest is found: the `manifest_path` argument, else `$ZOO_MANIFEST`, else
`weights_manifest.json` beside the `zoo` package folder (a source checkout or an editable
install), else the copy a wheel ships inside the package (`zoo/weights_manifest.json`, put there by
`setup.py`). An installed package has no `weights/` beside that copy, so its models come from the
Hugging Face cache or hub at their pinned revisions (`HF_HUB_OFFLINE=1`: the cache only); point
`$ZOO_MANIFEST` at a checkout's manifest to read that checkout's weights instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import re
from pathlib import Path
from typing import Any, Iterator

from zoo import presets
from zoo.files import IntegrityError, file_digest, folder_lock, write_json  # noqa: F401  (re-exported: zoo.load names it)
from zoo.names import did_you_mean

SCHEMA_VERSION = 1
MANIFEST_NAME = "weights_manifest.json"
SCHEMA_PATH = Path(__file__).with_name("weights_manifest.schema.json")

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# The statuses of a seed's record under "seeds" (`zoo.seed_rule`): failed means no model came out.
SEED_STATUSES = ("ok", "collapsed", "failed")


class ManifestError(ValueError):
    """The manifest is malformed or inconsistent."""


class UnknownModelError(LookupError):
    """A name that is neither in the manifest nor a path nor an `hf://` address."""


def empty_manifest() -> dict:
    return {"schema_version": SCHEMA_VERSION, "models": {}}


def default_manifest_path() -> Path:
    """`$ZOO_MANIFEST`, else `weights_manifest.json` in the folder above the `zoo` package (a
    checkout), else the copy an installed package ships beside this module."""
    env = os.environ.get("ZOO_MANIFEST")
    if env:
        return Path(env).expanduser()
    checkout = Path(__file__).resolve().parent.parent / MANIFEST_NAME
    packaged = Path(__file__).resolve().with_name(MANIFEST_NAME)
    return checkout if checkout.exists() or not packaged.exists() else packaged


def is_packaged(manifest_path: str | os.PathLike | None = None) -> bool:
    """Whether the manifest is the copy an installed package ships beside this module (no weights
    beside it, so its files can come only from the Hugging Face cache or hub)."""
    path = Path(manifest_path or default_manifest_path()).expanduser().resolve()
    return path == Path(__file__).resolve().with_name(MANIFEST_NAME)


def root_of(manifest_path: str | os.PathLike | None = None) -> Path:
    """The folder that paths in `files` are relative to: the one holding the manifest."""
    return Path(manifest_path or default_manifest_path()).resolve().parent


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def load_manifest(manifest_path: str | os.PathLike | None = None) -> dict:
    """Reads and validates the manifest; a missing file reads as an empty registry."""
    path = Path(manifest_path or default_manifest_path())
    if not path.exists():
        return empty_manifest()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ManifestError(f"{path} is not valid JSON ({e}). Restore it (`git checkout -- {path.name}` in a "
                            "checkout), or fix the JSON at that place.") from None
    validate_manifest(data, source=str(path))
    return data


def validate_manifest(data: Any, *, source: str = "manifest") -> None:
    """Checks `data` against the JSON schema, plus what a schema cannot say.

    The schema check uses `jsonschema` when it is installed (it is a test extra); otherwise the
    essential structure (names, files, hashes, hub pin) is checked by hand, so that a bad manifest
    never reaches the loader either way.
    """
    try:
        import jsonschema
    except ImportError:
        _check_essentials(data, source)
    else:
        validator = jsonschema.Draft202012Validator(schema())
        errors = list(validator.iter_errors(data))
        if errors:
            # The deepest error is the most specific (a bad path rather than "files" as a whole).
            depth = max(len(e.absolute_path) for e in errors)
            error = jsonschema.exceptions.best_match(e for e in errors if len(e.absolute_path) == depth)
            where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
            message = error.message if len(error.message) < 300 else error.message[:300] + "..."
            if error.validator == "contains":
                message = "the files must include the preset's config.json and model.weights.h5"
            raise ManifestError(f"{source}: at {where}: {message}"
                                + (f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""))
    for name, entry in data["models"].items():
        paths = [f["path"] for f in entry["files"]]
        if len(set(paths)) != len(paths):
            raise ManifestError(f"{source}: model {name!r} lists a file twice.")
        preset_folder(entry)  # all files of an entry must share one folder
        _check_seeds(name, entry, source)


def _check_seeds(name: str, entry: dict, source: str) -> None:
    """What the schema cannot say about an entry's other seeds (`zoo.seed_rule`): whole numbers other
    than the served seed, one preset folder each, a command for a seed without files, no scores for a
    failed seed."""
    served = entry["training"]["seed"]
    for key, record in (entry.get("seeds") or {}).items():
        where = f"{source}: model {name!r}, seed {key}"
        if not re.fullmatch(r"[0-9]+", str(key)) or int(key) == served:
            raise ManifestError(f"{where}: the keys of 'seeds' are the other training seeds, whole numbers other than "
                                f"the served seed {served}.")
        if not isinstance(record, dict) or not isinstance(record.get("training"), dict):
            raise ManifestError(f"{where}: a seed record is an object with at least its 'training'.")
        if record["training"].get("seed") != int(key):
            raise ManifestError(f"{where}: its training.seed is {record['training'].get('seed')!r}.")
        status = record.get("status", "ok")
        if status not in SEED_STATUSES:
            raise ManifestError(f"{where}: status {status!r} is none of {', '.join(SEED_STATUSES)}.")
        if status == "failed":
            continue
        if record.get("files"):
            paths = [f["path"] for f in record["files"]]
            if len(set(paths)) != len(paths):
                raise ManifestError(f"{where}: lists a file twice.")
            preset_folder(record)
        elif not record.get("command"):
            raise ManifestError(f"{where}: a seed without files (recorded by its scores alone) needs the 'command' "
                                "that rebuilds it.")


def _check_essentials(data: Any, source: str) -> None:
    def fail(msg):
        raise ManifestError(f"{source}: {msg}")

    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        fail(f"expected an object with schema_version {SCHEMA_VERSION}.")
    if not isinstance(data.get("models"), dict):
        fail("'models' must be an object.")
    for name, entry in data["models"].items():
        if not isinstance(entry, dict):
            fail(f"model {name!r} must be an object.")
        for key in ("objective", "config", "dataset", "training", "files", "hub", "scores", "score_settings"):
            if key not in entry:
                fail(f"model {name!r} lacks {key!r}.")
        files = entry["files"]
        if not isinstance(files, list) or not files:
            fail(f"model {name!r}: 'files' must be a non-empty list.")
        for f in files:
            if (not isinstance(f, dict) or not isinstance(f.get("path"), str) or not isinstance(f.get("size"), int)
                    or not isinstance(f.get("sha256"), str) or not _SHA256.match(f["sha256"])):
                fail(f"model {name!r}: every file needs 'path', an integer 'size' and a 64-hex 'sha256'; got {f!r}.")
            parts = f["path"].split("/")
            if f["path"].startswith("/") or "\\" in f["path"] or any(p in ("", ".", "..") for p in parts):
                fail(f"model {name!r}: file path {f['path']!r} must be relative to the repository root.")
        file_names = {posixpath.basename(f["path"]) for f in files}
        if not {"config.json", "model.weights.h5"} <= file_names:
            fail(f"model {name!r}: the files must include the preset's config.json and model.weights.h5.")
        hub = entry["hub"]
        if hub is not None and (not isinstance(hub, dict) or not isinstance(hub.get("repo_id"), str)
                                or not re.fullmatch(r"[0-9a-f]{40}", str(hub.get("revision")))):
            fail(f"model {name!r}: 'hub' must be null or {{'repo_id', 'revision': a 40-hex commit}}.")


def names(manifest: dict) -> list[str]:
    return sorted(manifest["models"])


def get_entry(manifest: dict, name: str) -> dict:
    """The entry for `name`; an unknown name raises listing the close matches and all models."""
    try:
        return manifest["models"][name]
    except KeyError:
        raise UnknownModelError(unknown_name_message(name, names(manifest))) from None


def unknown_name_message(name: str, known: list[str]) -> str:
    hint = did_you_mean(name, known)
    listing = ", ".join(known) if known else "(none yet: the manifest is empty)"
    return (f"Unknown model {name!r}: not in the weights manifest, not a preset folder and not an "
            f"'hf://org/repo[@revision]' address.{hint} zoo.list_models(): {listing}.")


def dataset_name(entry: dict) -> str:
    """The dataset a manifest entry's model was trained on (`dataset.name`; entries written before
    the field existed are dSprites models)."""
    return (entry.get("dataset") or {}).get("name", "dsprites")


def preset_folder(entry: dict) -> str:
    """The folder (relative to the root) holding all of an entry's files."""
    folders = {posixpath.dirname(f["path"]) for f in entry["files"]}
    if len(folders) != 1:
        raise ManifestError(f"the files of one model must share one preset folder; got {sorted(folders)}.")
    return folders.pop()


def hub_filename(entry: dict, path: str) -> str:
    """The path of a manifest file inside the entry's hub repository."""
    return posixpath.relpath(path, preset_folder(entry) or ".")


# ---------------------------------------------------------------------------- writing


def file_record(path: str | os.PathLike, root: str | os.PathLike) -> dict:
    """A `{"path", "size", "sha256"}` record for `path`, with the path relative to `root`."""
    size, sha = file_digest(path)
    rel = Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(root))).as_posix()
    return {"path": rel, "size": size, "sha256": sha}


def write_manifest(data: dict, manifest_path: str | os.PathLike | None = None) -> None:
    """Validates `data` and writes it atomically (models sorted by name)."""
    data = {"schema_version": data["schema_version"], "models": dict(sorted(data["models"].items()))}
    validate_manifest(data)
    write_json(manifest_path or default_manifest_path(), data)


def entry_from_preset(preset_dir: str | os.PathLike, *, root: str | os.PathLike | None = None,
                      hub: dict | None = None, description: str | None = None) -> dict:
    """Builds a manifest entry from a preset folder's metadata.json and its files' hashes.

    Args:
      preset_dir: a folder written by `zoo.presets.save_preset`, inside `root`.
      root: the repository root (default: the folder of the default manifest).
      hub: `{"repo_id", "revision"}` once pushed (see `zoo.hub.push`), else None.
    """
    preset_dir = Path(preset_dir)
    root = Path(root) if root is not None else root_of()
    meta = presets.read_metadata(preset_dir)
    files = [file_record(p, root) for p in sorted(preset_dir.iterdir())
             if p.is_file() and not p.name.startswith(".")]
    entry = {
        "objective": meta["objective"],
        "config": meta.get("config", {}),
        "dataset": meta.get("dataset", {}),
        "training": meta.get("training", {}),
        "files": files,
        "hub": hub,
        "scores": meta.get("scores", {}),
        "score_settings": meta.get("score_settings", {}),
    }
    if description or meta.get("description"):
        entry = {"description": description or meta["description"], **entry}
    return entry


def set_entry(name: str, entry: dict, manifest_path: str | os.PathLike | None = None) -> None:
    """Adds or replaces one model's entry (read, validate, atomic write, under `locked`)."""
    with locked(manifest_path):
        data = load_manifest(manifest_path)
        data["models"][name] = entry
        write_manifest(data, manifest_path)


@contextlib.contextmanager
def locked(manifest_path: str | os.PathLike | None = None) -> Iterator[None]:
    """Holds the manifest's write lock (`zoo.files.folder_lock` on the folder that holds it).

    Every change to the manifest reads it, changes it and writes it whole; two processes doing that
    at once (a seed being added while another model's evaluation seeds are recorded, each after
    minutes of scoring) would each write their own copy, and the later would silently drop the
    earlier's change. So a change reads the manifest only once it holds this lock, and writes it
    before letting go; scoring is done before taking it. Re-entrant within a process (a locked
    change may call `set_entry`).
    """
    with folder_lock(manifest_path or default_manifest_path()):
        yield
