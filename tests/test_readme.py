"""The front page (README.md): short, its two commands unchanged, every link leads somewhere, no issue numbers.

Its zoo table is checked against the manifest in tests/test_gallery.py (the gallery script writes both).
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "README.md").read_text()
COMMANDS = ("make demo    # creates .venv, installs, runs the main job on built-in defaults (no flags, no downloads)\n"
            "make test    # creates .venv, installs the test extras, runs the test suite\n")


def _links(text: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r'(?:href|src)="([^"]+)"', text)


def test_short_with_the_two_commands_unchanged():
    assert len(TEXT.splitlines()) <= 200
    assert COMMANDS in TEXT


def test_every_link_leads_to_a_file_of_the_repository():
    local = [link for link in _links(TEXT) if not re.match(r"[a-z]+:", link) and not link.startswith("#")]
    assert len(local) >= 20  # the docs pages, the gallery, the cards, CITATION.cff, LICENSE
    missing = [link for link in local if not (ROOT / link.split("#")[0]).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"
    anchors = [link.lstrip("#") for link in _links(TEXT) if link.startswith("#")]
    headings = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", TEXT, re.M)}
    assert set(anchors) <= headings, f"anchors without a heading: {set(anchors) - headings}"


def test_nothing_a_reader_outside_the_project_cannot_open():
    assert not re.search(r"\bissues? \d+|#\d+\b|/tmp/|\.\./shared", TEXT)
