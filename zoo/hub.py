"""The Hugging Face Hub: pushing presets, and finding their files in the cache or on the hub.

`push` uploads a preset folder and returns the commit to pin in the manifest. Reading follows
huggingface_hub's conventions: the cache is `$HF_HUB_CACHE` (else huggingface_hub's default,
`~/.cache/huggingface/hub`), laid out as `models--org--name/snapshots/<commit>/<file>` with
`refs/<branch>` holding a branch's commit, and nothing is fetched while `HF_HUB_OFFLINE=1`.
The token comes from the usual places (`HF_TOKEN`, then `hf auth login`'s token file) and is
never printed, logged or put in an error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from zoo import cards, presets
from zoo.files import file_digest

HF_SCHEME = "hf://"
_TRUE = {"1", "ON", "YES", "TRUE"}


class HubError(RuntimeError):
    """A hub operation failed; the message never contains the token."""


def offline() -> bool:
    """Whether HF_HUB_OFFLINE is set (read now, and as huggingface_hub read it at import)."""
    from huggingface_hub import constants

    env = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return env.upper() in _TRUE or constants.is_offline_mode()


def cache_dir() -> str:
    """The hub cache folder, with `$HF_HUB_CACHE` read at call time."""
    from huggingface_hub import constants

    env = os.environ.get("HF_HUB_CACHE")
    return os.path.expandvars(os.path.expanduser(env)) if env else constants.HF_HUB_CACHE


def parse_uri(uri: str) -> tuple[str, str | None]:
    """'hf://org/repo@rev' -> ('org/repo', 'rev'); the revision is None when absent."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if not uri.startswith(HF_SCHEME):
        raise ValueError(f"{uri!r} is not an 'hf://org/repo[@revision]' address.")
    repo_id, _, revision = uri[len(HF_SCHEME):].partition("@")
    repo_id = repo_id.strip("/")
    try:
        validate_repo_id(repo_id)
    except HFValidationError as e:
        raise ValueError(f"{uri!r}: bad repository id: {e}") from None
    if repo_id.count("/") != 1:
        raise ValueError(f"{uri!r}: expected 'hf://org/repo[@revision]'.")
    return repo_id, (revision or None)


def cached_file(repo_id: str, filename: str, revision: str | None) -> Path | None:
    """The file's path in the HF cache at `revision` (a commit or a branch), or None."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir(), revision=revision)
    return Path(found) if isinstance(found, str) else None


def hub_endpoint() -> str:
    """The hub's URL, with `$HF_ENDPOINT` read at call time."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def download(repo_id: str, filename: str, revision: str | None) -> Path:
    """`hf_hub_download` into the cache; only the cache is read while offline."""
    from huggingface_hub import hf_hub_download

    return Path(hf_hub_download(repo_id, filename, revision=revision, cache_dir=cache_dir(),
                                local_files_only=offline(), endpoint=hub_endpoint()))


# ---------------------------------------------------------------------------- push


def push(preset_dir: str | os.PathLike, repo_id: str, *, revision: str | None = None, create_pr: bool = False,
         dry_run: bool = False, private: bool | None = None, commit_message: str | None = None,
         token: str | None = None, endpoint: str | None = None) -> str | None:
    """Uploads a preset folder to a Hugging Face model repository; returns the new commit's sha.

    Creates the repository (and the `revision` branch) if needed and uploads the folder's files
    with `HfApi.upload_folder` in one commit, whose 40-hex sha the manifest then pins
    (`zoo.manifest.entry_from_preset(..., hub={"repo_id": ..., "revision": sha})`).

    Args:
      preset_dir: a folder written by `zoo.presets.save_preset`; checked against its metadata.json
        and its card parsed before anything is sent.
      repo_id: 'org/name'.
      revision: branch to commit to (default: main); created from main if missing.
      create_pr: open a pull request instead of committing to the branch (returns the PR's commit).
      dry_run: print what would be uploaded and return None; needs neither token nor network.
      private: visibility of a newly created repository (default: the hub's default).
      token: default: huggingface_hub's usual places (`HF_TOKEN`, the login token file).
      endpoint: another hub (default: `HF_ENDPOINT` or huggingface.co).

    Example:
      >>> sha = zoo.hub.push("weights/factorvae-dsprites", "me/factorvae-dsprites")  # doctest: +SKIP
    """
    from huggingface_hub import HfApi
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    preset_dir = Path(preset_dir)
    try:
        validate_repo_id(repo_id)
    except HFValidationError as e:
        raise ValueError(f"Bad repository id {repo_id!r}: {e}") from None
    if "/" not in repo_id:
        raise ValueError(f"Bad repository id {repo_id!r}: give 'org/name' so the manifest records where it is.")
    if create_pr and revision not in (None, "main"):
        raise ValueError("create_pr=True opens a pull request against main: leave revision unset.")
    meta = presets.check_preset(preset_dir)
    if not (preset_dir / presets.CARD).is_file():
        raise presets.PresetError(f"{preset_dir} has no model card ({presets.CARD}); re-save it with save_preset.")
    card_scores = cards.scores_from_card(preset_dir / presets.CARD)
    stale = {k for k, v in (meta.get("scores") or {}).items()
             if v is not None and cards.in_model_index(k) and card_scores.get(k) != v}
    if stale:
        raise presets.PresetError(f"{preset_dir / presets.CARD} disagrees with {presets.METADATA} on "
                                  f"{sorted(stale)}; rewrite the card with zoo.presets.update_scores.")
    files = [p for p in sorted(preset_dir.iterdir()) if p.is_file() and not p.name.startswith(".")]
    token_found = token is not None or _find_token() is not None
    message = commit_message or f"Upload {meta.get('name') or preset_dir.name} ({meta.get('objective')})"

    if dry_run:
        target = f"a pull request against {revision or 'main'}" if create_pr else f"branch {revision or 'main'}"
        print(f"Dry run: would create {repo_id} if needed and commit {len(files)} files to {target} "
              f"of {endpoint or hub_endpoint()}/{repo_id} with message {message!r}:")
        for p in files:
            size, sha = file_digest(p)
            print(f"  {p.name:24s} {size:>12,d} bytes  sha256 {sha}")
        print(f"Token: {'found' if token_found else 'NOT found: run `hf auth login` or set HF_TOKEN'}.")
        return None

    if offline():
        raise HubError("HF_HUB_OFFLINE is set: unset it to push (or use dry_run=True).")
    token = token or _find_token()
    if not token:
        raise HubError("No Hugging Face token: run `hf auth login` or set HF_TOKEN (a token with write access).")
    api = HfApi(endpoint=endpoint or hub_endpoint(), token=token)
    try:
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        if revision not in (None, "main"):
            api.create_branch(repo_id, branch=revision, repo_type="model", exist_ok=True)
        info = api.upload_folder(repo_id=repo_id, folder_path=str(preset_dir), repo_type="model",
                                 revision=revision, create_pr=create_pr, commit_message=message,
                                 ignore_patterns=[".*", "**/.*"])
    except Exception as e:
        raise HubError(f"Pushing {preset_dir} to {repo_id} failed: {type(e).__name__}: "
                       f"{_redact(str(e), token)}") from None
    sha = info.oid
    if not sha or not re.fullmatch(r"[0-9a-f]{40}", sha):
        raise HubError(f"The hub answered the upload to {repo_id} with no commit sha ({sha!r}).")
    where = f" (pull request {info.pr_url})" if getattr(info, "pr_url", None) else ""
    print(f"Pushed {preset_dir} to {repo_id} at commit {sha}{where}.")
    return sha


def _find_token() -> str | None:
    from huggingface_hub import get_token

    return get_token()


def _redact(text: str, token: str | None) -> str:
    if token:
        text = text.replace(token, "***")
    return re.sub(r"\bhf_[A-Za-z0-9]{10,}\b", "hf_***", text)
