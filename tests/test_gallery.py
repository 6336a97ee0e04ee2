"""The committed gallery (docs/gallery.md, docs/gallery/*.gif) is what `python -m tools.gallery` makes today.

The page is regenerated from the manifest and compared; the GIFs are not regenerated (that needs
every model): each must exist, match the sha256 recorded for it, and show the weights the manifest
lists now.
"""

import copy
import json

from tools import gallery
from zoo.manifest import load_manifest


def _manifest():
    return load_manifest(gallery.ROOT / "weights_manifest.json")


def test_committed_page_is_current():
    assert gallery.PAGE.read_text() == gallery.page(_manifest()), (
        "docs/gallery.md is not what the manifest gives today; run: python -m tools.gallery")


def test_every_model_has_a_tile_and_a_current_gif():
    manifest = _manifest()
    text = gallery.PAGE.read_text()
    for name in manifest["models"]:
        assert f"(gallery/{name}.gif)" in text and f'zoo.load("{name}")' in text
        assert (gallery.GIF_DIR / f"{name}.gif").stat().st_size > 0
    assert gallery.stale_gifs(manifest) == [], "stale GIFs; run: python -m tools.gallery --gifs"
    index = json.loads(gallery.GIF_INDEX.read_text())
    assert sorted(index) == sorted(manifest["models"])


def test_a_changed_model_shows_as_stale_and_changes_the_page():
    manifest = copy.deepcopy(_manifest())
    name = "factorvae-dsprites"
    entry = manifest["models"][name]
    weights = next(r for r in entry["files"] if r["path"].endswith(gallery.WEIGHTS))
    weights["sha256"] = "0" * 64
    assert gallery.stale_gifs(manifest) == [name]

    entry["scores"]["mig.mig"] = 0.4321
    page = gallery.page(manifest)
    assert page != gallery.page(_manifest()) and "MIG 0.432" in page


def test_readme_zoo_table_is_current():
    readme = gallery.README.read_text()
    assert readme == gallery.with_readme_table(readme, _manifest()), (
        "README.md's zoo table is not what the manifest gives today; run: python -m tools.gallery")
