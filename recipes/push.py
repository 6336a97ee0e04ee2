r"""Uploads a preset to the Hugging Face Hub and pins the new commit in the weights manifest.

    python -m recipes.push --model=factorvae-dsprites --repo_id=org/factorvae-dsprites
    python -m recipes.push --model=factorvae-dsprites --repo_id=org/factorvae-dsprites --dry_run

The token comes from the usual huggingface_hub places (`HF_TOKEN`, `hf auth login`); it is never
printed. For a manifest name the entry's `hub` becomes `{repo_id, revision: <the new commit>}`.
"""

from __future__ import annotations

import sys

from absl import app, flags

FLAGS = flags.FLAGS


def define_flags():
    """Defines this recipe's flags (once; absl flags are global, so only the recipe being run defines them)."""
    if "repo_id" in FLAGS:
        return
    flags.DEFINE_string("model", None, "Manifest name or preset folder.")
    flags.DEFINE_string("repo_id", None, "Hub repository, org/name (default: the manifest entry's).")
    flags.DEFINE_string("revision", None, "Branch to push to (default: main).")
    flags.DEFINE_bool("create_pr", False, "Open a pull request instead of committing to the branch.")
    flags.DEFINE_bool("dry_run", False, "Print what would be uploaded; upload nothing.")


def push_and_pin(model: str, repo_id: str | None, *, revision=None, create_pr=False, dry_run=False) -> str | None:
    """Pushes the preset behind `model`; for a manifest name, pins the returned commit. Returns it."""
    from zoo import api, hub, manifest

    data = manifest.load_manifest()
    entry = data["models"].get(model)
    folder = api.resolve(model)
    repo_id = repo_id or ((entry or {}).get("hub") or {}).get("repo_id")
    if not repo_id:
        raise ValueError(f"no --repo_id given and {model!r} has no hub repository in the manifest.")
    commit = hub.push(folder, repo_id, revision=revision, create_pr=create_pr, dry_run=dry_run)
    if entry is not None and commit and not dry_run and not create_pr:
        manifest.set_entry(model, manifest.entry_from_preset(folder, hub={"repo_id": repo_id, "revision": commit}))
    return commit


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    if not FLAGS.model:
        print("error: --model is required (a manifest name or a preset folder).", file=sys.stderr)
        return 2
    try:
        commit = push_and_pin(FLAGS.model, FLAGS.repo_id, revision=FLAGS.revision, create_pr=FLAGS.create_pr,
                              dry_run=FLAGS.dry_run)
    except (ValueError, LookupError, FileNotFoundError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if commit and not FLAGS.dry_run:
        print(f"pushed {FLAGS.model}: commit {commit}")
    return 0


if __name__ == "__main__":
    define_flags()
    app.run(main)
