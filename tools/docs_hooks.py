"""MkDocs hooks (mkdocs.yml `hooks:`): the model cards and their pictures become pages of the site.

The cards live beside the weights (`weights/<name>/README.md`, `traversal.png`, ...), outside
`docs/`, and are the registry's own files (their sha256 is in `weights_manifest.json`), so they are
not copied into `docs/`: each one the manifest lists is added to the site as it is, under
`weights/<name>/`, and its card to the navigation. Docs pages link them where they are in the
repository (`../weights/<name>/...` from `docs/`, so the links work on GitHub too); the hook points
those links at the site's copies, and `--strict` checks them like any other link.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs.structure.files import File, InclusionLevel

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "weights_manifest.json"
SHOWN = (".md", ".png", ".gif")  # the card and its pictures; not the weights or the JSON


def _model_files() -> list[str]:
    """Paths (relative to the repository root) of each listed model's card and pictures."""
    models = json.loads(MANIFEST.read_text())["models"]
    return sorted(entry["path"] for name in models for entry in models[name].get("files", [])
                  if entry["path"].endswith(SHOWN))


def on_config(config):
    # Labelled by the model's name: a served seed other than the first sits in weights/seeds/<name>/seed<N>/.
    models = json.loads(MANIFEST.read_text())["models"]
    cards = sorted((name, entry["path"]) for name in models for entry in models[name].get("files", [])
                   if entry["path"].endswith("/README.md"))
    nav = [item for item in config["nav"] if not (isinstance(item, dict) and "Model cards" in item)]
    nav.append({"Model cards": [{name: path} for name, path in cards]})
    config["nav"] = nav
    return config


def on_files(files, config):
    for path in _model_files():
        files.append(File.generated(config, path, abs_src_path=str(ROOT / path), inclusion=InclusionLevel.INCLUDED))
    return files


def on_page_markdown(markdown, page, config, files):
    # A page `depth` folders below docs/ reaches the repository's weights/ through depth + 1 "../";
    # the site holds them depth folders up.
    depth = page.file.src_uri.count("/")
    return re.sub(r"\]\(" + re.escape("../" * (depth + 1)) + "weights/", "](" + "../" * depth + "weights/", markdown)
