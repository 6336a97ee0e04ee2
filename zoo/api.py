"""`zoo.load`, `zoo.list_models`, `zoo.model_sources` and `zoo.model_card`: pretrained models by name, hub address or folder.

`zoo.load(name)` walks one way, each step in one place:

1. look up: a manifest entry (`zoo.manifest`), an `hf://org/repo[@revision]` address, or a folder;
2. fetch: a manifest entry's files come from, in order (`model_sources` says which serves each now),
     the weights in the repository (`<root>/weights/<name>/...`, beside the manifest; works offline;
       an installed package ships the manifest without weights and skips this),
     the Hugging Face cache at the entry's pinned revision,
     `huggingface_hub.hf_hub_download` at the pinned revision (only when HF_HUB_OFFLINE is unset);
   an address's from the cache or the hub (`zoo.hub`); a folder is where it is;
3. verify: a manifest entry's files against the manifest's sizes and sha256 (`resolve` does this
   much), a folder's or an address's against its own metadata.json, with `zoo.files`; a mismatch
   raises `IntegrityError` naming the file, both hashes and the fix, and nothing is built;
4. build: `zoo.presets.load_preset` rebuilds the model from its config and loads the weights.
"""

from __future__ import annotations

import os
from pathlib import Path

from zoo import cards, hub, keras_registration, manifest, presets, seed_rule
from zoo.files import verify_files


# `import zoo` registers the zoo's classes with Keras (once Keras is imported; zoo imports none), so
# that plain `keras.saving.load_model` reads a preset folder or an `hf://` copy.
keras_registration.register_with_keras()


class WeightsNotFoundError(FileNotFoundError):
    """No source holds a model's files; the message says what was tried."""


def list_models(*, available: bool = False, manifest_path: str | os.PathLike | None = None) -> list[str]:
    """Names of the pretrained models in the weights manifest.

    Args:
      available: only those `zoo.load` can get here and now (a source other than "none" in
        `model_sources`): an installed package whose models are on no hub lists none.
      manifest_path: another weights manifest (default: `zoo.manifest.default_manifest_path()`).
    """
    if not available:
        return manifest.names(manifest.load_manifest(manifest_path))
    return [name for name, source in model_sources(manifest_path=manifest_path).items() if source != "none"]


def model_sources(*, manifest_path: str | os.PathLike | None = None) -> dict[str, str]:
    """Where `zoo.load` would take each manifest model's files from now, in the order it tries them.

    "repository": the weights folder beside the manifest (a checkout; an installed package has none);
    "cache": the Hugging Face cache at the pinned revision; "hub": a download at the pinned revision
    (a hub copy is recorded and HF_HUB_OFFLINE is unset; whether the hub answers is not asked);
    "none": nothing here can serve it. Files are looked for, not read: their sha256 is checked when
    they are loaded.
    """
    data = manifest.load_manifest(manifest_path)
    return {name: _source(entry, manifest_path) for name, entry in data["models"].items()}


def seeds(name: str, *, manifest_path: str | os.PathLike | None = None) -> list[int]:
    """The training seeds of a manifest name, ascending: every seed of its setting that gave a model
    (failed ones are on its card, not here), those recorded by scores alone included.

    `zoo.load(name)` serves one of them, chosen by the rule in docs/seeds_rule.md (`zoo.seed_rule.choose_served`);
    an entry written before names had several seeds has one, its training seed.

    Example:
      >>> zoo.seeds("factorvae-dsprites")  # doctest: +SKIP
      [0]
    """
    return seed_rule.seeds_of(manifest.get_entry(manifest.load_manifest(manifest_path), name))


def load(name: str, *, seed: int | None = None, revision: str | None = None, compile: bool = False,
         manifest_path: str | os.PathLike | None = None):
    """Loads a pretrained model, ready for `model.representation(images)`.

    Args:
      name: a manifest name (`zoo.list_models()`), `"hf://org/repo[@revision]"`, or a preset folder.
      seed: for a manifest name, one of its training seeds (`zoo.seeds(name)`); None serves the one
        the rule in docs/seeds_rule.md picks (the median seed by MIG; by cluster accuracy for MNIST).
      revision: for `hf://` addresses, the branch, tag or commit (same as `@revision`); for a
        manifest name it may only repeat the pinned commit.
      compile: also compile the model with its default optimizers (to train it further).
      manifest_path: another weights manifest (default: `zoo.manifest.default_manifest_path()`).

    Returns:
      The Keras model, built from its config (no pickled code) with its weights loaded.

    Raises:
      zoo.manifest.UnknownModelError: the name is unknown (the message lists close matches).
      zoo.seed_rule.UnknownSeedError: `seed` is not one of the name's (the message lists them).
      zoo.seed_rule.SeedNotShippedError: the seed is recorded by its scores alone (weights over 10 MB);
        the message names the command that trains it again.
      zoo.files.IntegrityError (also `zoo.manifest.IntegrityError`): a file differs from its
        recorded sha256.
      WeightsNotFoundError: no source holds the files (the message says what was tried).

    Example:
      >>> model = zoo.load("factorvae-dsprites")  # doctest: +SKIP
      >>> model.representation(np.zeros((2, 64, 64, 1), np.float32)).shape  # doctest: +SKIP
      (2, 10)
    """
    if seed is not None:
        folder, verified = _fetch_seed(name, seed, revision, manifest_path), True
    else:
        folder, verified = _fetch(name, revision, manifest_path)
    return presets.load_preset(folder, compile=compile, verify=not verified)


def _fetch_seed(name: str, seed: int, revision: str | None, manifest_path) -> Path:
    """The verified local folder of one training seed of a manifest name; the served seed by `_fetch`,
    the others from the repository's weights folder (their files are not on any hub copy)."""
    if not isinstance(name, str):
        raise TypeError(f"seed= takes a manifest name (zoo.list_models()); got {type(name).__name__} {name!r}.")
    data = manifest.load_manifest(manifest_path)
    record = seed_rule.get_seed(data, name, seed)
    entry = data["models"][name]
    if seed == entry["training"]["seed"]:
        return _fetch(name, revision, manifest_path)[0]
    if revision is not None:
        raise ValueError(f"revision= pins the hub copy of {name!r}'s served seed; seed {seed} is not on the hub.")
    root = manifest.root_of(manifest_path)
    folder = root / manifest.preset_folder(record)
    missing = _missing_here(record, root)
    if manifest.is_packaged(manifest_path) or missing:
        raise WeightsNotFoundError(_not_found(f"{name} (seed {seed})", [
            f"the repository's weights folder ({folder}) lacks {', '.join(missing) or 'every file'}",
            "seeds other than the served one are not on the hub"],
            f"use a checkout of the zoo that holds {manifest.preset_folder(record)} (ZOO_MANIFEST naming its "
            f"weights_manifest.json), or rebuild it: {record.get('command') or 'see its card'}."))
    verify_files([(root / f["path"], f) for f in record["files"]], label=f"model {name!r} seed {seed}",
                 fix="Restore the file from git (`git checkout -- <file>` in the checkout).")
    return folder


def model_card(name: str, *, revision: str | None = None,
               manifest_path: str | os.PathLike | None = None) -> tuple[str, dict]:
    """(the model card's Markdown body, its YAML metadata as a dict: tags, model-index, ...)."""
    folder = resolve(name, revision=revision, manifest_path=manifest_path)
    card = folder / presets.CARD
    if not card.is_file():
        raise WeightsNotFoundError(f"{name!r} has no model card ({card}).")
    return cards.read_card(card)


def resolve(name: str, *, revision: str | None = None,
            manifest_path: str | os.PathLike | None = None) -> Path:
    """The local preset folder of a manifest name (its files verified against the manifest), `hf://`
    address (fetched) or folder."""
    return _fetch(name, revision, manifest_path)[0]


def _fetch(name: str, revision: str | None, manifest_path) -> tuple[Path, bool]:
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str):
        raise TypeError(f"name must be a manifest name, an 'hf://org/repo' address or a preset folder (a str or "
                        f"path); got {type(name).__name__} {name!r}.")
    if not name.strip():
        raise ValueError("name is empty: give a manifest name (zoo.list_models()), an 'hf://org/repo' address or a "
                         "preset folder.")
    if revision is not None and not isinstance(revision, str):
        raise TypeError(f"revision must be a commit or branch name (a str); got {type(revision).__name__}.")
    """`(local folder, whether its files were verified)`: look up, then fetch (and verify a manifest entry)."""
    if name.startswith(hub.HF_SCHEME):
        return _fetch_address(name, revision), False
    path = Path(name).expanduser()
    if _looks_like_path(name) and path.is_dir():
        return _local(path, revision), False
    data = manifest.load_manifest(manifest_path)
    if name in data["models"]:
        entry = data["models"][name]
        _check_pin(name, entry, revision)
        folder, records, label, fix = _fetch_entry(name, entry, manifest_path)
        verify_files(records, label=label, fix=fix)
        return folder, True
    if path.is_dir():
        return _local(path, revision), False
    message = manifest.unknown_name_message(name, manifest.names(data))
    where = Path(manifest_path or manifest.default_manifest_path())
    if not where.exists():
        message += (f" (There is no weights manifest at {where}: set ZOO_MANIFEST to a checkout's "
                    "weights_manifest.json, or reinstall the package, whose wheel ships one.)")
    raise manifest.UnknownModelError(message)


# ---------------------------------------------------------------------------- look up


def _looks_like_path(name: str) -> bool:
    return os.sep in name or "/" in name or name.startswith((".", "~"))


def _local(path: Path, revision: str | None) -> Path:
    if revision is not None:
        raise ValueError(f"revision={revision!r} makes no sense for the local folder {path}.")
    return path


def _check_pin(name: str, entry: dict, revision: str | None) -> None:
    pin = entry["hub"]
    if revision is not None and (pin is None or revision != pin["revision"]):
        pinned = f"pins {pin['repo_id']}@{pin['revision']}" if pin else "has no hub copy"
        raise ValueError(f"{name!r} {pinned}; its sha256 sums hold for that revision only. To load another "
                         f"revision, use zoo.load('hf://<org>/<repo>@{revision}').")


# ---------------------------------------------------------------------------- fetch


def _source(entry: dict, manifest_path) -> str:
    """The first source that holds every file of `entry` (see `model_sources`)."""
    if not manifest.is_packaged(manifest_path) and not _missing_here(entry, manifest.root_of(manifest_path)):
        return "repository"
    pin = entry["hub"]
    if pin is None:
        return "none"
    if all(p is not None for p in _cached(entry, pin)):
        return "cache"
    return "none" if hub.offline() else "hub"


def _missing_here(entry: dict, root: Path) -> list[str]:
    return [f["path"] for f in entry["files"] if not (root / f["path"]).is_file()]


def _cached(entry: dict, pin: dict) -> list[Path | None]:
    return [hub.cached_file(pin["repo_id"], manifest.hub_filename(entry, f["path"]), pin["revision"])
            for f in entry["files"]]


def _fetch_entry(name: str, entry: dict, manifest_path) -> tuple[Path, list, str, str]:
    """`(folder, [(local path, record)], label, fix)` from the first source that holds every file.

    An installed package ships the manifest and no weights, so its entries start at the cache; a
    manifest elsewhere (a checkout, or ZOO_MANIFEST) starts at the weights folder beside it.
    """
    files, root, pin = entry["files"], manifest.root_of(manifest_path), entry["hub"]
    folder = root / manifest.preset_folder(entry)
    tried = []
    if manifest.is_packaged(manifest_path):
        if pin is None:
            raise WeightsNotFoundError(
                f"Cannot find the files of model {name!r}: this installed package carries no weights (its manifest, "
                f"{manifest.default_manifest_path() if manifest_path is None else manifest_path}, lists them) and "
                f"the manifest records no hub copy of {name!r} (hub: null), so nothing was looked for. Fix: set "
                f"ZOO_MANIFEST to the weights_manifest.json of a checkout of the zoo that holds {folder.relative_to(root)}.")
    else:
        missing = _missing_here(entry, root)
        if not missing:
            return folder, [(root / f["path"], f) for f in files], f"model {name!r}", (
                "Restore the file from git (`git checkout -- <file>` in the checkout). If the weights changed on "
                "purpose, rewrite the manifest entry (zoo.manifest.entry_from_preset).")
        tried.append(f"the repository's weights folder ({folder}) lacks {', '.join(missing)}")
        if pin is None:
            raise WeightsNotFoundError(_not_found(name, tried + ["the manifest records no hub copy (hub: null)"],
                                                  f"restore {folder} (in a git checkout: `git checkout -- "
                                                  f"{folder.relative_to(root)}` in {root})."))

    repo_id, commit = pin["repo_id"], pin["revision"]
    repo_cache = Path(hub.cache_dir()) / f"models--{repo_id.replace('/', '--')}"
    cached = _cached(entry, pin)
    if all(p is not None for p in cached):
        return cached[0].parent, list(zip(cached, files)), f"model {name!r} (Hugging Face cache)", (
            f"Delete the damaged copy (the folder {repo_cache}, or `hf cache delete`) and run again online to "
            "download it afresh.")
    tried.append(f"the Hugging Face cache ({hub.cache_dir()}) lacks {repo_id}@{commit}")

    if hub.offline():
        raise WeightsNotFoundError(_not_found(name, tried + ["downloading is off (HF_HUB_OFFLINE is set)"],
                                              f"run once with HF_HUB_OFFLINE unset and network access, to download "
                                              f"{repo_id}@{commit} into the cache."))
    names = [manifest.hub_filename(entry, f["path"]) for f in files]
    try:
        fetched = [hub.download(repo_id, n, commit) for n in names]
    except Exception as e:
        raise WeightsNotFoundError(_not_found(name, tried + [
            f"downloading {repo_id}@{commit} from {hub.hub_endpoint()} failed: {type(e).__name__}: {e}"],
            f"make {hub.hub_endpoint()} reachable (HF_ENDPOINT names another) with {repo_id} at commit {commit}, "
            "the manifest's pin.")) from e
    return fetched[0].parent, list(zip(fetched, files)), f"model {name!r} (downloaded from {repo_id}@{commit})", (
        "The hub's copy differs from the manifest: the entry or the hub repository is wrong, so these weights must "
        f"not be used. Delete {repo_cache} and report it.")


def _not_found(name: str, tried: list[str], fix: str) -> str:
    return f"Cannot find the files of model {name!r}: " + "; ".join(tried) + f". Fix: {fix}"


def _fetch_address(uri: str, revision: str | None) -> Path:
    """The snapshot folder of an `hf://` address, every file its metadata.json lists fetched at one commit."""
    repo_id, at = hub.parse_uri(uri)
    if revision is not None and at is not None and revision != at:
        raise ValueError(f"{uri!r} names revision {at!r} but revision={revision!r} was passed.")
    revision = revision or at

    def fetch(filename, rev):
        try:
            return hub.download(repo_id, filename, rev)
        except Exception as e:
            where = "in the Hugging Face cache (HF_HUB_OFFLINE is set)" if hub.offline() else "on the hub"
            raise WeightsNotFoundError(f"Cannot get {filename} of {repo_id}@{rev or 'main'} {where}: "
                                       f"{type(e).__name__}: {e}") from e

    first = fetch(presets.METADATA, revision)
    # Pin the commit the first file came from (snapshots/<commit>/...) so every file is of one commit
    # even if the branch moves meanwhile.
    commit = first.parent.name
    wanted = set(presets.read_metadata(first.parent).get("files", {})) | {presets.CONFIG, presets.WEIGHTS}
    for filename in sorted(wanted):
        fetch(filename, commit)
    try:
        fetch(presets.CARD, commit)
    except WeightsNotFoundError:
        pass
    return first.parent
