"""Puts RISE slide metadata (``metadata.slideshow.slide_type``) on every notebook cell.

Presenting a notebook with jupyterlab-rise (see ``docs/workshop.md``) then gives a deck:
the title and every ``##`` section start a slide; ``###`` subsections, each step of
"prose, then its code" and the setup code start sub-slides (reveal.js' vertical
slides, which the right arrow skips); ``## 准备`` becomes speaker notes; the closing
navigation bar is skipped. The rules below are the whole spec: they read only the cells,
so re-executed notebooks (new outputs, same sources) get the same slides. Each notebook's
``metadata.rise`` picks the reveal.js theme "white", whose font ships with RISE: the
default theme ("simple") fetches its fonts from Google, which fails offline and may hang
in mainland China.

    python tools/slides.py              # write the metadata (nothing changes on a re-run)
    python tools/slides.py --check      # change nothing; exit 1 if a notebook is stale
    python tools/slides.py --outline notebooks/04_math.ipynb   # print the deck's slides

Run it after ``tools/nav.py`` (which may add a navigation cell). Only metadata changes
(each cell's ``slideshow``, the notebook's ``rise``): sources and outputs are left alone.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
from nav import NAV_START, ROOT, notebook_paths

SETUP_MARK = "# 在 Colab 中安装课程辅助包"
# Sections whose heading cell gets a fixed type (and sets the type of nothing else).
HEADING_TYPES = {"## 准备": "notes"}
# Notebook-level RISE settings (they override the user's); other keys are left alone.
RISE_SETTINGS = {"theme": "white"}


def slide_types(cells: list) -> list[str]:
    """The slide type of each cell, from its own source and the cell before it."""
    types = []
    for index, cell in enumerate(cells):
        source = cell.source.lstrip()
        previous = cells[index - 1].cell_type if index else None
        if index == 0:
            kind = "slide"
        elif source.startswith(NAV_START):
            kind = "skip"
        elif cell.cell_type == "markdown" and source.startswith("## "):
            kind = HEADING_TYPES.get(source.splitlines()[0].strip(), "slide")
        elif cell.cell_type == "markdown" and source.startswith("### "):
            kind = "subslide"
        elif cell.cell_type == "code" and source.startswith(SETUP_MARK):
            kind = "subslide"
        else:  # prose after code starts a new step; code joins the prose above it
            kind = "subslide" if previous == "code" else "-"
        types.append(kind)
    return types


def apply(path: Path, write: bool = True) -> bool:
    """Sets the slide types of one notebook; returns True if any changed."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    nb.metadata["rise"] = {**nb.metadata.get("rise", {}), **RISE_SETTINGS}
    for cell, kind in zip(nb.cells, slide_types(nb.cells), strict=True):
        slideshow = cell.metadata.pop("slideshow", {})
        slideshow.pop("slide_type", None)
        if kind != "-":  # "-" (stay on the current slide) is the default: leave it unwritten
            slideshow["slide_type"] = kind
        if slideshow:
            cell.metadata["slideshow"] = slideshow
    after = nbformat.writes(nb)
    if write and after != before:
        path.write_text(after + ("" if after.endswith("\n") else "\n"), encoding="utf-8")
    return after != before


def outline(path: Path) -> str:
    """One line per slide (and indented sub-slide): what a presenter will step through."""
    nb = nbformat.read(path, as_version=4)
    lines = []
    for cell in nb.cells:
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind in ("slide", "subslide"):
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            indent = "" if kind == "slide" else "    "
            lines.append(f"{indent}{re.sub(r'<[^>]+>', '', first)[:80]}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    parser.add_argument("--outline", type=Path, metavar="NOTEBOOK", help="print its slides")
    args = parser.parse_args(argv)
    if args.outline:
        if not args.outline.is_file():
            parser.error(f"--outline {args.outline} is not a notebook file; pass a .ipynb path")
        print(outline(args.outline))
        return 0
    stale = []
    for path in notebook_paths():
        if apply(path, write=not args.check):
            stale.append(path.name)
            if not args.check:
                print(f"updated {path.relative_to(ROOT)}")
    if args.check and stale:
        print("slide metadata out of date (run `python tools/slides.py`): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
