"""Every notebook run in real JupyterLab, in headless Chromium driven by Playwright.

nbval proves the code runs in a kernel; this test sees what a learner sees: that no cell
shows an error, that every widget renders as a widget (not as its text fallback), that
Mermaid diagrams render as SVG and that math renders. It saves a screenshot of each
notebook in ``artifacts/browser/`` (not committed).

Needs Debian's ``chromium`` (``apt-get install chromium``) and ``pip install playwright``;
skips with the reason when either is missing (the ``browser`` and ``jupyterlab`` fixtures are
in ``conftest.py``). Run it with ``make browser``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ARTIFACTS = ROOT / "artifacts" / "browser"
RUN_TIMEOUT_S = int(os.environ.get("GAN_COURSE_BROWSER_TIMEOUT", "600"))

pytestmark = pytest.mark.browser


RUN_ALL = """async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.sessionContext.ready;
  await app.commands.execute('notebook:run-all-cells');
  const cells = [];
  for (const cell of panel.content.model.cells) {
    const item = {type: cell.type, source: cell.sharedModel.getSource()};
    if (cell.type === 'code') {
      item.count = cell.executionCount;
      item.outputs = cell.outputs.toJSON();
    }
    cells.push(item);
  }
  return cells;
}"""

DOM_REPORT = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = Array.from(panel.content.widgets);
  return cells.map((cell) => ({
    widgets: cell.node.querySelectorAll('.jupyter-widgets, .widget-container').length,
    widgetFallback: Array.from(cell.node.querySelectorAll('.jp-OutputArea-output pre'))
      .some((pre) => /^(interactive|[A-Z][A-Za-z]+(Slider|Box|Dropdown|Button|Output|Play))\\(/
        .test(pre.textContent.trim())),
    mermaidSvg: cell.node.querySelectorAll('.jp-RenderedMermaid svg, .jp-RenderedMermaid img')
      .length,
    mermaidFailed: cell.node.querySelectorAll('.jp-RenderedMermaid.jp-mod-warning').length,
    math: cell.node.querySelectorAll('mjx-container').length,
    mathErrors: cell.node.querySelectorAll('mjx-merror').length,
  }));
}"""


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_renders_in_jupyterlab(browser, jupyterlab, notebook):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(RUN_TIMEOUT_S * 1000)
    try:
        # ?reset: a fresh workspace, so only this notebook is open
        page.goto(f"{jupyterlab}/lab/tree/{notebook.name}?reset")
        page.wait_for_function(
            """(name) => {
              const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
              return w && w.context && w.context.path.endsWith(name) && w.content
                && w.content.model && w.content.widgets.length === w.content.model.cells.length;
            }""",
            arg=notebook.name,
            timeout=120_000,
        )
        cells = page.evaluate(RUN_ALL)
        page.wait_for_timeout(1500)  # let widget views and MathJax finish rendering
        dom = page.evaluate(DOM_REPORT)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        height = page.evaluate(
            """() => {
              const node = window.jupyterapp.shell.currentWidget.content.node;
              const outer = node.querySelector('.jp-WindowedPanel-outer') || node;
              return Math.max(outer.scrollHeight, node.scrollHeight);
            }"""
        )
        page.set_viewport_size({"width": 1280, "height": min(max(height + 200, 1000), 30000)})
        page.evaluate(
            """() => {
              const node = window.jupyterapp.shell.currentWidget.content.node;
              (node.querySelector('.jp-WindowedPanel-outer') || node).scrollTop = 0;
            }"""
        )
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / f"{notebook.stem}.png"), full_page=True)
    finally:
        page.close()

    assert len(cells) == len(dom)
    code = [c for c in cells if c["type"] == "code" and c["source"].strip()]
    assert all(c["count"] for c in code), "some cells did not run"
    for cell in code:
        errors = [o for o in cell["outputs"] if o.get("output_type") == "error"]
        assert not errors, f"error in a cell: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    for cell, view in zip(cells, dom):
        if cell["type"] == "code":
            wants_widget = any(
                "application/vnd.jupyter.widget-view+json" in o.get("data", {})
                for o in cell["outputs"]
            )
            assert not view["widgetFallback"], "a widget rendered as text"
            if wants_widget:
                assert view["widgets"] > 0, f"widget not rendered: {cell['source'][:80]!r}"
        elif "```mermaid" in cell["source"]:
            assert view["mermaidFailed"] == 0, "Mermaid diagram failed to render"
            assert view["mermaidSvg"] > 0, "Mermaid diagram not rendered as SVG"
        elif "$" in cell["source"]:
            assert view["mathErrors"] == 0, f"MathJax error in {cell['source'][:80]!r}"
    if any("$$" in c["source"] for c in cells if c["type"] == "markdown"):
        assert sum(v["math"] for v in dom) > 0, "math did not render"
