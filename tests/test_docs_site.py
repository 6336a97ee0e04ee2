"""The documentation site in a real browser: built with --strict, opened in headless Chromium.

Debian's `chromium` (`/usr/bin/chromium`, or $ZOO_CHROMIUM), driven by Playwright with that
browser (Playwright downloads none here). The site is built into a temporary folder and served from
127.0.0.1. On the gallery: every image loads (natural width > 0), the page logs no console error,
and clicking a column header sorts the score table; a full-page screenshot is left in
`out/docs_site/` for a person to look at. Without the browser, Playwright or MkDocs the test skips
and says which is missing, except under CI=true, where it fails (`.ci/run` installs the browser).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

# Real processes, wheels, browsers or many small trainings: `make test-slow` (run by CI after `make test`).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("ZOO_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "out" / "docs_site"


def _missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; or set ZOO_CHROMIUM)"
    for module, extra in (("playwright", "playwright"), ("mkdocs", "mkdocs")):
        try:
            __import__(module)
        except ImportError:
            return f"{extra} is not installed (pip install -e '.[docs]')"
    return None


def _require_browser():
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but the browser test cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built with --strict into a temporary folder, served on 127.0.0.1: its base URL."""
    _require_browser()
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                           cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _require_browser()
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 900})
        yield context
        context.close()


def _open(browser, url):
    """Opens `url` in a new tab, waits for every image; returns (page, console errors, failed requests)."""
    page = browser.new_page()
    errors, failed = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: failed.append(request.url))
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    page.wait_for_function("Array.from(document.images).every(image => image.complete)")
    return page, errors, failed


def _column(page, index: int) -> list[str]:
    return page.eval_on_selector_all(".zoo-sortable table tbody tr",
                                     f"rows => rows.map(row => row.cells[{index}].textContent.trim())")


def _mean(cell: str) -> float:
    """A score cell's value: "0.170", or the mean of "0.029 ± 0.015"."""
    return float(cell.split(" ± ")[0])


def test_gallery_in_chromium(site, browser):
    models = json.loads((ROOT / "weights_manifest.json").read_text())["models"]
    page, errors, failed = _open(browser, f"{site}/gallery.html")

    images = page.eval_on_selector_all("img", "images => images.map(i => [i.getAttribute('src'), i.naturalWidth])")
    assert images and all(width > 0 for _, width in images), f"images that did not load: {images}"
    shown = {Path(src).stem for src, _ in images if src.endswith(".gif")}
    assert shown == set(models), f"the gallery's GIFs {sorted(shown)} are not the manifest's models {sorted(models)}"
    assert sum(src.startswith("bench/population_") for src, _ in images) == 6

    # Sort by MIG: ascending, then descending; rows without a score ("-") last both ways.
    headers = page.eval_on_selector_all(".zoo-sortable table thead th", "cells => cells.map(c => c.textContent.trim())")
    mig = headers.index("MIG")
    before = _column(page, 0)
    page.click(f".zoo-sortable table thead th:nth-child({mig + 1})")
    ascending = _column(page, mig)
    # A name trained at several seeds shows "mean ± sd" and sorts by its mean.
    scored = [_mean(v) for v in ascending if v != "-"]
    assert scored == sorted(scored) and ascending[len(scored):] == ["-"] * (len(ascending) - len(scored))
    page.click(f".zoo-sortable table thead th:nth-child({mig + 1})")
    descending = _column(page, mig)
    assert [_mean(v) for v in descending if v != "-"] == sorted(scored, reverse=True)
    assert sorted(_column(page, 0)) == sorted(before) and _column(page, 0) != before  # rows moved, none lost

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "gallery.png"), full_page=True)
    assert not errors, f"console errors on the gallery: {errors}"
    assert not failed, f"requests that failed on the gallery: {failed}"


@pytest.mark.parametrize("path", ["index.html", "api/models.html", "weights/factorvae-dsprites/index.html",
                                  "bench/population.html"])
def test_pages_load_without_errors(site, browser, path):
    page, errors, failed = _open(browser, f"{site}/{path}")
    broken = page.eval_on_selector_all("img", "images => images.filter(i => i.naturalWidth === 0).map(i => i.src)")
    assert not broken, f"{path}: images that did not load: {broken}"
    assert not errors, f"{path}: console errors: {errors}"
    assert not failed, f"{path}: requests that failed: {failed}"
    if path == "index.html":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "index.png"))
    page.close()


def test_skips_or_fails_as_the_environment_says(monkeypatch):
    """Without the browser: a skip naming it, or under CI=true a failure."""
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but the browser test cannot run: no Chromium"):
        _require_browser()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="no Chromium at /nonexistent/chromium"):
        _require_browser()
