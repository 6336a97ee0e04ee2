r"""Uploads a preset to the Hugging Face Hub and pins the new commit in the weights manifest.

    python -m recipes.push --model=factorvae-dsprites --repo_id=org/factorvae-dsprites
    python -m recipes.push --model=factorvae-dsprites --repo_id=org/factorvae-dsprites --dry_run

The token comes from the usual huggingface_hub places (`HF_TOKEN`, `hf auth login`); it is never
printed. For a manifest name the entry's `hub` becomes `{repo_id, revision: <the new commit>}`
(`zoo.registry.pin`).
"""

from __future__ import annotations

from absl import flags

from zoo import registry

from . import _common

FLAGS = flags.FLAGS
flags.DEFINE_string("model", None, "Manifest name or preset folder.")
flags.DEFINE_string("repo_id", None, "Hub repository, org/name (default: the manifest entry's).")
flags.DEFINE_string("revision", None, "Branch to push to (default: main).")
flags.DEFINE_bool("create_pr", False, "Open a pull request instead of committing to the branch.")
flags.DEFINE_bool("dry_run", False, "Print what would be uploaded; upload nothing.")


def main(argv):
    _common.start(argv)
    if not FLAGS.model:
        return _common.fail("--model is required (a manifest name or a preset folder).")
    try:
        commit = registry.pin(FLAGS.model, FLAGS.repo_id, revision=FLAGS.revision, create_pr=FLAGS.create_pr,
                              dry_run=FLAGS.dry_run)
    except (ValueError, LookupError, FileNotFoundError, RuntimeError) as e:
        return _common.fail(e)
    if commit and not FLAGS.dry_run:
        print(f"pushed {FLAGS.model}: commit {commit}")
    return 0


def run():
    """`zoo-push` where the zoo is installed (a console script); `python -m recipes.push` in a checkout."""
    _common.run_app(main, __name__)


if __name__ == "__main__":
    run()
