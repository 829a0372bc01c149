"""Structure, links, hygiene and teaching-copy drift of every course notebook.

These read the committed ``.ipynb`` files; running them is nbval's job (see README).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CONFIG = json.loads((ROOT / "course.json").read_text(encoding="utf-8"))
REQUIRED_SECTIONS = ["## 学习目标", "## 准备", "## 环境设置", "## 小结", "## 练习", "## 延伸阅读"]
TEACHING_MARK = re.compile(r"^# 定义见 gan_helpers/(\w+)\.py", re.M)
MAX_BYTES = 3_000_000


def _read(path):
    return nbformat.read(path, as_version=4)


def _markdown(nb):
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def _headings(nb):
    headings = []
    for source in _markdown(nb):
        in_fence = False
        for line in source.splitlines():
            if line.startswith("```"):
                in_fence = not in_fence
            elif not in_fence and re.match(r"#{1,6} ", line):
                headings.append(line)
    return headings


ids = [p.name for p in NOTEBOOKS]


def test_there_are_notebooks_and_their_names_follow_the_pattern():
    assert NOTEBOOKS, "no notebooks found"
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_skeleton(path):
    nb = _read(path)
    headings = _headings(nb)
    h1 = [h for h in headings if h.startswith("# ")]
    assert len(h1) == 1, f"expected exactly one H1, found {h1}"
    assert nb.cells[0].source.startswith(f"# {path.name[:2]} · "), "H1 must be '# NN · 标题'"
    levels = [len(h.split(" ")[0]) for h in headings]
    for previous, current in zip(levels, levels[1:]):
        assert current <= previous + 1, f"heading level skipped in {headings}"
    for section in REQUIRED_SECTIONS:
        assert section in headings, f"missing section {section!r}"
    numbered = [h for h in headings if re.match(r"## \d+\. ", h)]
    assert numbered, "no numbered sections ('## 1. ...')"
    assert [int(h.split()[1][:-1]) for h in numbered] == list(range(1, len(numbered) + 1))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_settings_cell_and_setup(path):
    nb = _read(path)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    settings = [s for s in code if 'FAST = os.environ.get("GAN_COURSE_FAST") == "1"' in s]
    assert len(settings) == 1, "one settings cell with the FAST switch"
    for source in code:
        assert "sys.path" not in source, "no sys.path hacks: the package installs editable"
        assert not re.search(r"^\s*from \S+ import \*", source, re.M), "no star imports"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_navigation_and_badges_point_at_the_configured_repository(path):
    nb = _read(path)
    first, last = nb.cells[0].source, nb.cells[-1].source
    for cell in (first, last):
        assert "<!-- nav -->" in cell and "[目录](../README.md#课程目录)" in cell
    colab = (
        f"https://colab.research.google.com/github/{CONFIG['repository']}/blob/"
        f"{CONFIG['ref']}/notebooks/{path.name}"
    )
    assert colab in first and colab in last
    for source in (c.source for c in nb.cells if c.cell_type == "code"):
        for spec in re.findall(r"git\+https://github\.com/([^\"@]+)@([^\"]+)\"", source):
            assert spec == (CONFIG["repository"], CONFIG["ref"])


def test_navigation_script_has_nothing_to_change():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "nav.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_relative_links_resolve(path):
    nb = _read(path)
    for source in _markdown(nb):
        for target in re.findall(r"\]\(([^)\s]+)\)", source):
            assert not target.lower().split("#")[0].endswith(".pdf"), f"PDF link {target}"
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            file_part = target.split("#")[0]
            assert (path.parent / file_part).exists(), f"broken link {target}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_hygiene(path):
    assert path.stat().st_size < MAX_BYTES, "notebook too large: compress figures"
    nb = _read(path)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"not executed top to bottom in a fresh kernel: {counts}; run `make notebooks`"
    )
    machine_paths = {
        str(ROOT.parent),
        os.path.expanduser("~"),
        tempfile.gettempdir(),
        sys.prefix,
        "/usr/lib/python",
        "site-packages",
    }
    for cell in code:
        for output in cell.outputs:
            assert output.output_type != "error", f"stored error: {output.get('ename')}"
            text = json.dumps(output)
            for machine_path in machine_paths:
                assert machine_path not in text, f"output holds a machine path ({machine_path})"


def _definitions(tree):
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
    }


def _strip_docstrings(node):
    for child in ast.walk(node):
        body = getattr(child, "body", None)
        if (
            isinstance(child, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            child.body = body[1:] or [ast.Pass()]
    return ast.dump(node, include_attributes=False)


def _teaching_copies():
    for path in NOTEBOOKS:
        for cell in _read(path).cells:
            if cell.cell_type == "code" and (match := TEACHING_MARK.search(cell.source)):
                yield pytest.param(
                    path, match.group(1), cell.source, id=f"{path.name}:{match.group(1)}"
                )


COPIES = list(_teaching_copies())


@pytest.mark.parametrize(
    ("path", "module_name", "source"),
    COPIES
    or [pytest.param(None, None, None, marks=pytest.mark.skip(reason="no teaching copies yet"))],
)
def test_teaching_copies_match_the_package(path, module_name, source):
    module = importlib.import_module(f"gan_helpers.{module_name}")
    package_defs = _definitions(ast.parse(inspect.getsource(module)))
    notebook_defs = _definitions(ast.parse(source))
    assert notebook_defs, "a marked teaching copy must define something"
    for name, node in notebook_defs.items():
        assert name in package_defs, f"{name} is not in gan_helpers/{module_name}.py"
        assert _strip_docstrings(node) == _strip_docstrings(package_defs[name]), (
            f"{path.name}: {name} differs from gan_helpers/{module_name}.py:\n"
            + textwrap.indent(ast.unparse(node), "    ")
        )
