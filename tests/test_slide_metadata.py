"""`python tools/slides.py` puts RISE slide metadata on the notebooks, and nothing else.

The browser check that the slides render is ``tests/browser/test_slides.py``.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes"}


def _slides(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, str(cwd / "tools" / "slides.py"), *args], capture_output=True, text=True
    )


def _types(nb):
    return [c.metadata.get("slideshow", {}).get("slide_type", "-") for c in nb.cells]


@pytest.mark.slow
def test_committed_notebooks_carry_the_slide_metadata():
    result = _slides("--check")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_each_deck_has_a_title_slide_and_one_slide_per_section(path):
    nb = nbformat.read(path, as_version=4)
    types = _types(nb)
    assert set(types) <= SLIDE_TYPES | {"-"}, set(types)
    assert types[0] == "slide" and types[-1] == "skip"  # title; closing navigation bar
    assert nb.metadata["rise"]["theme"] == "white"  # its font ships with RISE: works offline
    sections = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    slides = [c for c, t in zip(nb.cells, types) if t == "slide"]
    assert len(slides) == len(sections)  # every section but 准备 (notes), plus the title


@pytest.fixture
def course(tmp_path):
    """A throwaway copy of the tools and one small notebook with every kind of cell."""
    shutil.copytree(ROOT / "tools", tmp_path / "tools")
    (tmp_path / "notebooks").mkdir()
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        md("# 00 · 标题\n副标题\n\n<!-- nav -->\n[目录](../README.md)\n<!-- /nav -->"),
        md("导言"),
        md("## 准备\n\n运行时间"),
        md("## 环境设置"),
        code("# 在 Colab 中安装课程辅助包；本地已安装时跳过\nimport os"),
        md("设置单元之前的说明"),
        code('FAST = os.environ.get("GAN_COURSE_FAST") == "1"'),
        md("## 1. 第一节\n\n正文"),
        code("x = 1"),
        code("x + 1"),
        md("看什么"),
        md("### 1.1 小节"),
        code("print(x)"),
        md("<!-- nav -->\n[目录](../README.md)\n<!-- /nav -->"),
    ]
    cells[8].outputs = [nbformat.v4.new_output("stream", text="kept\n")]
    path = tmp_path / "notebooks" / "00_demo.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"rise": {"scroll": True}}), path)
    return tmp_path, path


@pytest.mark.slow
def test_rules_applied_to_every_kind_of_cell(course):
    root, path = course
    before = nbformat.read(path, as_version=4)
    assert _slides(cwd=root).returncode == 0
    nb = nbformat.read(path, as_version=4)
    assert _types(nb) == [
        "slide",  # title
        "-",  # introduction stays on the title slide
        "notes",  # 准备: speaker notes
        "slide",  # 环境设置
        "subslide",  # setup code: a vertical slide the right arrow skips
        "subslide",  # prose after code starts a step
        "-",  # code joins the prose above it
        "slide",  # numbered section
        "-",
        "subslide",  # code after code
        "subslide",
        "subslide",  # ### subsection
        "-",
        "skip",  # closing navigation bar
    ]
    assert [c.source for c in nb.cells] == [c.source for c in before.cells]
    assert nb.cells[8].outputs == before.cells[8].outputs
    assert "slideshow" not in nb.cells[1].metadata  # "-" is the default: left unwritten
    assert nb.metadata["rise"] == {"scroll": True, "theme": "white"}  # other settings kept


@pytest.mark.slow
def test_second_run_changes_nothing_and_check_sees_drift(course):
    root, path = course
    _slides(cwd=root)
    written = path.read_bytes()
    second = _slides(cwd=root)
    assert second.returncode == 0 and second.stdout == "" and path.read_bytes() == written
    assert _slides("--check", cwd=root).returncode == 0
    nb = json.loads(written)
    nb["cells"][7]["metadata"]["slideshow"] = {"slide_type": "fragment"}
    path.write_text(json.dumps(nb), encoding="utf-8")
    check = _slides("--check", cwd=root)
    assert check.returncode == 1 and "00_demo.ipynb" in check.stdout
    assert json.loads(path.read_text(encoding="utf-8")) == nb  # --check wrote nothing


@pytest.mark.slow
def test_outline_lists_slides_and_rejects_a_missing_file(course):
    root, path = course
    _slides(cwd=root)
    outline = _slides("--outline", str(path), cwd=root).stdout.splitlines()
    assert outline[0].startswith("# 00 · 标题") and "## 1. 第一节" in outline
    assert "    ### 1.1 小节" in outline and not any("准备" in line for line in outline)
    missing = _slides("--outline", str(root / "nope.ipynb"), cwd=root)
    assert missing.returncode == 2 and "not a notebook file" in missing.stderr


def test_the_workshop_guide_gives_the_slide_address_that_make_lab_serves():
    """``make lab`` roots JupyterLab at ``notebooks/``, so a deck is ``/rise/<file>``; the
    browser test opens it from a server rooted the same way."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lab_recipe = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert lab_recipe.rstrip().endswith(" notebooks"), lab_recipe
    guide = (ROOT / "docs" / "workshop.md").read_text(encoding="utf-8")
    assert "http://localhost:8888/rise/<文件名>" in guide
    assert "/rise/notebooks/" not in guide
    conftest = (ROOT / "tests" / "browser" / "conftest.py").read_text(encoding="utf-8")
    assert "--ServerApp.root_dir={root / 'notebooks'}" in conftest
