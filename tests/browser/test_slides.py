"""A workshop notebook presented as live slides (jupyterlab-rise), in headless Chromium.

The course's JupyterLab (the ``jupyterlab`` fixture in ``conftest.py``) serves the
slideshow at ``/rise/<path>``; every request to anywhere but that server is blocked, as
in a classroom without internet access. Checked: reveal.js builds one horizontal slide per
``slide`` cell and one vertical slide per ``subslide`` cell, exactly as the metadata from
``tools/slides.py`` says; the first slide shows the notebook's title; the "准备" section
is a speaker note; MathJax typesets the formulas; the space bar moves to the next slide;
and nothing is fetched from outside except the Colab badge image in the title cell, which
falls back to its text. A screenshot is saved in ``artifacts/browser/`` (not committed).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "04_math.ipynb"  # in both workshop agendas; many formulas
ARTIFACTS = ROOT / "artifacts" / "browser"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
# RISE asks for optional per-notebook style sheets; without them the server answers 404.
OPTIONAL_CSS = {"rise.css", f"{NOTEBOOK.stem}.css"}
WAIT_MS = 120_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        importlib.util.find_spec("jupyterlab_rise") is None,
        reason="jupyterlab-rise not installed (pip install -e '.[dev]')",
    ),
]

DECK = """() => Array.from(document.querySelectorAll('.reveal .slides > section')).map(
  (section) => section.querySelectorAll(':scope > section').length)"""

REPORT = """(badge) => {
  const present = document.querySelector('.reveal .slides > section.present');
  return {
    presentText: present ? present.innerText : '',
    presentH1: present ? present.querySelectorAll('h1').length : 0,
    notes: Array.from(document.querySelectorAll('.reveal aside.notes')).map((a) => a.innerText),
    math: document.querySelectorAll('.reveal mjx-container').length,
    mathErrors: document.querySelectorAll('.reveal mjx-merror').length,
    badgeAlt: Array.from(document.querySelectorAll('.reveal img'))
      .filter((img) => img.getAttribute('src') === badge).map((img) => img.alt),
    theme: document.body.className,
  };
}"""


def _expected_deck(nb) -> list[int]:
    """For each horizontal slide, 1 + its number of sub-slides (how reveal.js nests them)."""
    deck = []
    for cell in nb.cells:
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind == "slide":
            deck.append(1)
        elif kind == "subslide":
            deck[-1] += 1
    return deck


def test_workshop_notebook_renders_as_offline_slides(browser, jupyterlab):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    title = nb.cells[0].source.splitlines()[0].removeprefix("# ").strip()
    blocked, failed = [], []

    def only_local(route):
        url = route.request.url
        if url.startswith(jupyterlab) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    def record_failure(response):
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route("**/*", only_local)
    page = context.new_page()
    page.on("response", record_failure)
    page.on("requestfailed", lambda request: failed.append(f"failed {request.url}"))
    try:
        page.goto(f"{jupyterlab}/rise/{NOTEBOOK.name}", timeout=WAIT_MS)
        page.wait_for_selector(".reveal .slides > section.present h1", timeout=WAIT_MS)
        page.wait_for_function(
            "() => document.querySelectorAll('.reveal mjx-container').length > 0",
            timeout=WAIT_MS,
        )
        deck = page.evaluate(DECK)
        report = page.evaluate(REPORT, BADGE)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"slides_{NOTEBOOK.stem}.png"))
        page.keyboard.press("Space")
        page.wait_for_function(
            "() => (document.querySelector('.reveal .slides > section.present') || {})"
            ".innerText.includes('学习目标')",
            timeout=WAIT_MS,
        )
    finally:
        context.close()

    assert deck == _expected_deck(nb), "the slides do not follow the notebook's slide metadata"
    assert title in report["presentText"] and report["presentH1"] == 1, report["presentText"]
    assert any(note.lstrip().startswith("## 准备") for note in report["notes"]), report["notes"]
    assert report["math"] > 0 and report["mathErrors"] == 0, report
    assert "theme-white" in report["theme"], report["theme"]
    # The only outside request is the title cell's Colab badge, shown as its alt text.
    assert set(blocked) <= {BADGE}, json.dumps(blocked, indent=1)
    assert report["badgeAlt"] and set(report["badgeAlt"]) == {"Open In Colab"}, report
    local_failures = [
        entry
        for entry in failed
        if not entry.endswith(BADGE)
        and entry.rsplit("/", 1)[-1] not in OPTIONAL_CSS  # RISE's optional style sheets
    ]
    assert not local_failures, json.dumps(local_failures, indent=1)
