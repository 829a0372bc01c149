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
    github = f"{CONFIG['repository']}/blob/{CONFIG['ref']}/notebooks/{path.name}"
    colab = f"](https://colab.research.google.com/github/{github})"
    modelscope = f"[在魔搭中打开](https://modelscope.cn/notebook/share/github/{github})"
    for link in (colab, modelscope):
        assert link in first and link in last, f"{link} missing from a navigation bar"
    for source in (c.source for c in nb.cells if c.cell_type == "code"):
        for spec in re.findall(r"git\+https://github\.com/([^\"@]+)@([^\"]+)\"", source):
            assert spec == (CONFIG["repository"], CONFIG["ref"])


@pytest.mark.slow
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


# ---------------------------------------------------------------------------------------------
# Teaching copies: code cells that show package code. The rules, and why:
#
# 1. The mark opens the cell. A teaching copy is a code cell whose *first line* is
#    ``# 定义见 gan_helpers/<module>.py``, optionally followed by an excerpt note
#    ``（节选：GAN.__init__、compile、metrics）``. The mark text anywhere else in a code cell, or a
#    first line that starts like a mark but does not match it, fails: such a cell would
#    otherwise escape the comparison silently.
# 2. Every marked cell is compared, each as its own test with a unique id
#    (``notebook:module:names``), so two copies from one module in one notebook both count.
# 3. A copy holds only imports, definitions and UPPER_CASE constants. Each top-level def/class
#    must equal the package's (syntax trees, docstrings removed); each constant must exist at
#    the top level of the package module with an equal value; each import must also be in the
#    package module (the copy may need it to run, e.g. ``show_images`` in ``ImageMonitor``).
# 4. Excerpts. A cell whose mark has ``节选`` may show a class with only some of its methods:
#    the class's bases, keywords and decorators must match, every method shown must equal the
#    package method of the same name, the excerpt note must list exactly the methods shown,
#    and at least one class must really be partial. Without ``节选`` a class must match in full.
#    The excerpted class is incomplete, so the first later cell that uses its name must
#    re-import it from the package (``from gan_helpers.gan import GAN``).
# 5. No unmarked shadowing. An unmarked cell must not define (def/class at the top level, or
#    assign at the top level) a name that the notebook imports from ``gan_helpers``
#    (``from gan_helpers.gan import GAN`` then ``class GAN`` in a cell): the learner would run
#    the notebook's version while believing it is the package's. Nor may it def/class a name
#    that is public at the top level of a ``gan_helpers`` module the notebook imports (by
#    ``from gan_helpers import models`` or ``from gan_helpers.models import ...``), unless the
#    cell's first line is a comment starting with ``# 原文``: such a cell shows the source
#    article's code as written (05's article ``build_generator()``), which the prose contrasts
#    with the package's, and it is reached by its bare name while the package's is reached as
#    ``models.build_generator``. Marked cells are checked by rules 3 and 4 instead.
# ---------------------------------------------------------------------------------------------
MARK_TEXT = "定义见 gan_helpers/"
TEACHING_MARK = re.compile(
    r"# 定义见 gan_helpers/(?P<module>\w+)\.py(?:（节选：(?P<excerpt>[^）]+)）)?"
)
ARTICLE_PREFIX = "# 原文"
CONSTANT_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _parse(source):
    """Parses a code cell, with IPython magics and shell escapes turned into comments."""
    lines = [
        "#" + line if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n")
    ]
    return ast.parse("\n".join(lines))


def _mark(source):
    """The teaching-copy mark on the cell's first line, or None."""
    return TEACHING_MARK.fullmatch(source.split("\n", 1)[0].rstrip())


def _code_cells(nb):
    return [(index, cell.source) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]


def _strip_docstrings(node):
    """``ast.dump`` of ``node`` without docstrings (they are Chinese in the notebooks)."""
    for child in ast.walk(node):
        body = getattr(child, "body", None)
        if (
            isinstance(child, DEFINITIONS)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            child.body = body[1:] or [ast.Pass()]
    return ast.dump(node, include_attributes=False)


def _constant(node):
    """``(name, value)`` of a top-level ``NAME = value`` with an UPPER_CASE name, else None."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        target, value = node.target, node.value
    else:
        return None
    if isinstance(target, ast.Name) and CONSTANT_NAME.fullmatch(target.id):
        return target.id, value
    return None


def _imports(tree):
    """``{(module or None, name, asname)}`` for the top-level imports of a module."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            found |= {(node.module, a.name, a.asname) for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {(None, a.name, a.asname) for a in node.names}
    return found


def _package_tree(module_name):
    module = importlib.import_module(f"gan_helpers.{module_name}")
    return ast.parse(inspect.getsource(module))


def _package_constants(module_name):
    """``{name: value node}`` of a module's UPPER_CASE constants, with those it imports from
    another ``gan_helpers`` module (one definition, e.g. ``data.IMAGE_SHAPE`` in ``models``)."""
    tree = _package_tree(module_name)
    constants = dict(filter(None, map(_constant, tree.body)))
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gan_helpers."):
            source = _package_constants(node.module.removeprefix("gan_helpers."))
            for alias in node.names:
                if alias.name in source:
                    constants[alias.asname or alias.name] = source[alias.name]
    return constants


def _public_definitions(module_name):
    return {
        node.name
        for node in _package_tree(module_name).body
        if isinstance(node, DEFINITIONS) and not node.name.startswith("_")
    }


def misplaced_marks(sources):
    """Problems with where and how teaching-copy marks are written (rule 1)."""
    problems = []
    for label, source in sources:
        lines = source.split("\n")
        if MARK_TEXT in lines[0] and not _mark(source):
            problems.append(
                f"{label}: the first line {lines[0]!r} is not a teaching-copy mark; write "
                "'# 定义见 gan_helpers/<module>.py' (optionally followed by '（节选：…）')"
            )
        for number, line in enumerate(lines[1:], start=2):
            if MARK_TEXT in line:
                problems.append(
                    f"{label}: line {number} holds the teaching-copy mark {line.strip()!r}; "
                    "the mark must be the cell's first line: split the cell or move the mark up"
                )
    return problems


def _compare_class(node, package_node, partial):
    """Problems of a class copy; returns ``(problems, methods shown, is it partial)``."""
    shown, problems = [], []
    if not partial:
        if _strip_docstrings(node) != _strip_docstrings(package_node):
            problems.append(f"class {node.name} differs from the package")
        return problems, shown, False
    header = ("bases", "keywords", "decorator_list")
    if any(
        [ast.dump(n) for n in getattr(node, field)]
        != [ast.dump(n) for n in getattr(package_node, field)]
        for field in header
    ):
        problems.append(f"class {node.name}: bases, keywords or decorators differ from the package")
    package_methods = {n.name: n for n in package_node.body if isinstance(n, FUNCTIONS)}
    body = node.body[1:] if ast.get_docstring(node) is not None else node.body
    for item in body:
        if not isinstance(item, FUNCTIONS):
            problems.append(
                f"class {node.name}: an excerpt holds only methods, not {ast.unparse(item)!r}"
            )
        elif item.name not in package_methods:
            problems.append(f"{node.name}.{item.name} is not a method of the package's {node.name}")
        else:
            shown.append(item.name)
            if _strip_docstrings(item) != _strip_docstrings(package_methods[item.name]):
                problems.append(
                    f"{node.name}.{item.name} differs from the package:\n"
                    + textwrap.indent(ast.unparse(item), "    ")
                )
    missing = [name for name in package_methods if name not in shown]
    return problems, shown, bool(missing)


def compare_copy(module_name, source):
    """Problems of a marked teaching copy against ``gan_helpers/<module_name>.py`` (rules 3, 4)."""
    mark = _mark(source)
    assert mark and mark["module"] == module_name, "compare_copy needs a marked cell"
    excerpt = mark["excerpt"]
    package = _package_tree(module_name)
    package_defs = {n.name: n for n in package.body if isinstance(n, DEFINITIONS)}
    package_constants = _package_constants(module_name)
    package_imports = _imports(package)
    where = f"gan_helpers/{module_name}.py"
    tree = _parse(source)
    problems, shown, partial_classes, defined = [], [], [], []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if _imports(ast.Module(body=[node], type_ignores=[])) - package_imports:
                problems.append(f"{ast.unparse(node)!r}: {where} has no such import")
        elif constant := _constant(node):
            name, value = constant
            defined.append(name)
            if name not in package_constants:
                problems.append(f"constant {name} is not at the top level of {where}")
            elif ast.dump(value) != ast.dump(package_constants[name]):
                problems.append(
                    f"constant {name} = {ast.unparse(value)} differs from {where}: "
                    f"{name} = {ast.unparse(package_constants[name])}"
                )
        elif isinstance(node, DEFINITIONS):
            defined.append(node.name)
            if node.name not in package_defs:
                problems.append(f"{node.name} is not defined at the top level of {where}")
            elif isinstance(node, ast.ClassDef) and isinstance(
                package_defs[node.name], ast.ClassDef
            ):
                found, methods, partial = _compare_class(
                    node, package_defs[node.name], excerpt is not None
                )
                problems += [f"{p} ({where})" for p in found]
                shown += methods
                if partial:
                    partial_classes.append(node.name)
            elif _strip_docstrings(node) != _strip_docstrings(package_defs[node.name]):
                problems.append(
                    f"{node.name} differs from {where}:\n"
                    + textwrap.indent(ast.unparse(node), "    ")
                )
        else:
            problems.append(
                f"line {node.lineno}: {ast.unparse(node).splitlines()[0]!r} does not belong in a "
                "teaching copy (only imports, definitions and UPPER_CASE constants); give it its "
                "own cell"
            )
    if not defined:
        problems.append("a marked teaching copy must define something")
    if excerpt is not None:
        listed = {
            name.strip().split(".")[-1] for name in re.split(r"[、,，]", excerpt) if name.strip()
        }
        if not partial_classes:
            problems.append("the mark says 节选 but no class in the cell is partial: drop 节选")
        elif listed != set(shown):
            problems.append(
                f"the excerpt note lists {sorted(listed)} but the cell shows {sorted(shown)}"
            )
    return problems


def _gan_helpers_imports(sources):
    """``(bare names -> module, modules)`` that the cells import from ``gan_helpers``."""
    names, modules = {}, set()
    for _, source in sources:
        for node in ast.walk(_parse(source)):
            if isinstance(node, ast.ImportFrom) and node.module == "gan_helpers":
                modules |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "gan_helpers."
            ):
                modules.add(node.module.split(".")[1])
                names |= {a.asname or a.name: node.module for a in node.names}.items()
            elif isinstance(node, ast.Import):
                modules |= {
                    a.name.split(".")[1] for a in node.names if a.name.startswith("gan_helpers.")
                }
    return dict(names), modules


def _bound_names(node):
    """Names a top-level definition or assignment binds."""
    if isinstance(node, DEFINITIONS):
        return [node.name]
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return [n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)]


def shadowing_problems(sources):
    """Unmarked definitions that shadow package names, and unrestored excerpts (rules 4, 5).

    ``sources`` are ``(label, source)`` pairs of one notebook's code cells, in order.
    """
    imported, modules = _gan_helpers_imports(sources)
    package_names = {}
    for module_name in sorted(modules):
        try:
            package_names |= dict.fromkeys(_public_definitions(module_name), module_name)
        except (ImportError, OSError):
            continue  # a module that does not exist fails the notebook's own run instead
    problems = []
    for position, (label, source) in enumerate(sources):
        mark = _mark(source)
        tree = _parse(source)
        if mark is None:
            for node in tree.body:
                if not isinstance(node, (*DEFINITIONS, ast.Assign, ast.AnnAssign, ast.AugAssign)):
                    continue
                for name in _bound_names(node):
                    if name in imported:
                        problems.append(
                            f"{label}: defines {name}, which the notebook imports from "
                            f"{imported[name]}; mark the cell as a teaching copy or rename it"
                        )
                    elif (
                        isinstance(node, DEFINITIONS)
                        and name in package_names
                        and not source.startswith(ARTICLE_PREFIX)
                    ):
                        problems.append(
                            f"{label}: defines {name}, also defined in "
                            f"gan_helpers/{package_names[name]}.py; mark it as a teaching copy, "
                            "rename it, or (for the source article's own code) open the cell "
                            f"with a '{ARTICLE_PREFIX}…' comment"
                        )
        elif mark["excerpt"] is not None:
            module = f"gan_helpers.{mark['module']}"
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    problems += _excerpt_restored(node.name, module, label, sources[position + 1 :])
    return problems


def _excerpt_restored(name, module, label, later):
    """The first later cell that mentions an excerpted class must re-import it from ``module``.

    A later excerpt of the same class (the class shown in two cells) passes the duty on.
    """
    for later_label, source in later:
        mark = _mark(source)
        if mark and mark["excerpt"] is not None and f"gan_helpers.{mark['module']}" == module:
            continue
        tree = _parse(source)
        if any(
            isinstance(node, ast.ImportFrom)
            and node.module == module
            and any(a.name == name and a.asname in (None, name) for a in node.names)
            for node in tree.body
        ):
            return []
        if any(
            (isinstance(node, ast.Name) and node.id == name)
            or (isinstance(node, DEFINITIONS) and node.name == name)
            for node in ast.walk(tree)
        ):
            return [
                f"{later_label}: uses {name}, which is still the excerpt of {label}; re-import "
                f"the full class first (from {module} import {name})"
            ]
    return []


def _notebook_sources(path, nb=None):
    nb = nb or _read(path)
    return [(f"{path.name} cell {index}", source) for index, source in _code_cells(nb)]


def _copy_params(path, nb):
    """One test parameter per marked cell of a notebook, with ids unique within it."""
    seen = {}
    for index, source in _code_cells(nb):
        if mark := _mark(source):
            try:
                names = [n.name for n in _parse(source).body if isinstance(n, DEFINITIONS)]
            except SyntaxError:
                names = []
            base = f"{path.name}:{mark['module']}:{'+'.join(names) or f'cell{index}'}"
            seen[base] = seen.get(base, 0) + 1
            unique = base if seen[base] == 1 else f"{base}#{seen[base]}"
            yield pytest.param(path, mark["module"], source, id=unique)


def _teaching_copies():
    for path in NOTEBOOKS:
        yield from _copy_params(path, _read(path))


COPIES = list(_teaching_copies())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_teaching_copy_marks_open_their_cells(path):
    problems = misplaced_marks(_notebook_sources(path))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("path", "module_name", "source"),
    COPIES
    or [pytest.param(None, None, None, marks=pytest.mark.skip(reason="no teaching copies yet"))],
)
def test_teaching_copies_match_the_package(path, module_name, source):
    problems = compare_copy(module_name, source)
    assert not problems, f"{path.name}, copy of gan_helpers/{module_name}.py:\n" + "\n".join(
        problems
    )


def test_07_shows_how_a_gradient_penalty_is_computed():
    """07 teaches the one new TensorFlow technique of its stabilisers, the input gradient of D
    inside D's tape, as teaching copies of ``losses._input_gradient`` and ``losses.r1_penalty``.
    The drift test above compares them with the package; this one keeps them from vanishing."""
    shown = set()
    for param in COPIES:
        path, module_name, source = param.values
        if path is not None and path.name == "07_stabilization.ipynb" and module_name == "losses":
            shown |= {node.name for node in _parse(source).body if isinstance(node, DEFINITIONS)}
    missing = {"_input_gradient", "r1_penalty"} - shown
    assert not missing, f"07 no longer shows {sorted(missing)} as teaching copies of losses.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_unmarked_definition_shadows_the_package(path):
    problems = shadowing_problems(_notebook_sources(path))
    assert not problems, "\n".join(problems)


# The checkers above must be able to fail: feed them small synthetic cells.
_MARK = "# 定义见 gan_helpers/models.py"
_IMAGE_SHAPE = "IMAGE_SHAPE = (28, 28, 1)"
_GAN_EXCERPT = "# 定义见 gan_helpers/gan.py（节选：GAN.metrics）"
_METRICS = (
    "class GAN(keras.Model):\n"
    "    @property\n"
    "    def metrics(self):\n"
    '        """损失的跟踪器。"""\n'
    "        return [self.d_loss_tracker, self.g_loss_tracker]\n"
)


def _cells(*sources):
    return [(f"cell {index}", source) for index, source in enumerate(sources)]


def _package_source(module_name, name):
    node = next(n for n in _package_tree(module_name).body if getattr(n, "name", None) == name)
    return ast.unparse(node)


def test_checker_accepts_a_faithful_copy_and_excerpt():
    generator = _package_source("models", "build_generator")
    assert compare_copy("models", f"{_MARK}\n{_IMAGE_SHAPE}\n\n\n{generator}\n") == []
    assert compare_copy("gan", f"{_GAN_EXCERPT}\n{_METRICS}") == []
    excerpt_then_import = _cells(f"{_GAN_EXCERPT}\n{_METRICS}", "from gan_helpers.gan import GAN")
    assert shadowing_problems(excerpt_then_import) == []


def test_checker_flags_a_mark_that_does_not_open_the_cell():
    problems = misplaced_marks(_cells(f"import keras\n{_MARK}\ndef f():\n    pass"))
    assert len(problems) == 1 and "line 2" in problems[0]
    assert misplaced_marks(_cells("# 定义见 gan_helpers/models.py 里的函数")), "malformed mark"
    assert misplaced_marks(_cells(f"{_MARK}\nx = 1")) == []


def test_checker_flags_drift_constants_and_stray_statements():
    generator = _package_source("models", "build_generator").replace("128", "256")
    assert any("differs" in p for p in compare_copy("models", f"{_MARK}\n{generator}"))
    wrong_shape = compare_copy("models", f"{_MARK}\nIMAGE_SHAPE = (32, 32, 3)")
    assert any("IMAGE_SHAPE" in p for p in wrong_shape)
    assert any("not at the top level" in p for p in compare_copy("models", f"{_MARK}\nSIZE = 3"))
    assert any("does not belong" in p for p in compare_copy("models", f"{_MARK}\nprint(1)"))
    assert any("no such import" in p for p in compare_copy("models", f"{_MARK}\nimport sqlite3"))


def test_checker_compares_partial_classes_only_with_the_excerpt_mark():
    full_mark = _GAN_EXCERPT.split("（")[0]
    assert any("differs" in p for p in compare_copy("gan", f"{full_mark}\n{_METRICS}"))
    assert any(
        "lists" in p for p in compare_copy("gan", f"{_GAN_EXCERPT[:-1]}、compile）\n{_METRICS}")
    )
    changed = _METRICS.replace("g_loss_tracker]", "g_loss_tracker, self.x]")
    assert any(
        "GAN.metrics differs" in p for p in compare_copy("gan", f"{_GAN_EXCERPT}\n{changed}")
    )
    based = _METRICS.replace("keras.Model", "keras.Layer")
    assert any("bases" in p for p in compare_copy("gan", f"{_GAN_EXCERPT}\n{based}"))


def test_checker_flags_shadowing_and_unrestored_excerpts():
    imported = "from gan_helpers.gan import GAN"
    problems = shadowing_problems(_cells(imported, "class GAN:\n    pass"))
    assert len(problems) == 1 and "imports from gan_helpers.gan" in problems[0]
    module = "from gan_helpers import models"
    problems = shadowing_problems(_cells(module, "def build_generator():\n    pass"))
    assert len(problems) == 1 and "gan_helpers/models.py" in problems[0]
    article = "# 原文：生成器\ndef build_generator():\n    pass"
    assert shadowing_problems(_cells(module, article)) == []
    assert shadowing_problems(_cells(module, "def build_things():\n    pass")) == []
    two_excerpts = _cells(f"{_GAN_EXCERPT}\n{_METRICS}", f"{_GAN_EXCERPT}\n{_METRICS}", imported)
    assert shadowing_problems([*two_excerpts, ("cell 3", "gan = GAN(1, 2)")]) == []
    used_too_early = _cells(f"{_GAN_EXCERPT}\n{_METRICS}", "gan = GAN(1, 2)", imported)
    problems = shadowing_problems(used_too_early)
    assert len(problems) == 1 and "re-import" in problems[0]


def test_every_marked_cell_is_a_separate_copy_with_its_own_id():
    generator = _package_source("models", "build_generator")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(f"{_MARK}\n{generator}"),
        nbformat.v4.new_markdown_cell(_MARK),
        nbformat.v4.new_code_cell(f"{_MARK}\n{_IMAGE_SHAPE}"),
        nbformat.v4.new_code_cell(f"{_MARK}\n{generator}"),
        nbformat.v4.new_code_cell("import keras"),
    ]
    params = list(_copy_params(Path("99_x.ipynb"), nb))
    assert [p.id for p in params] == [
        "99_x.ipynb:models:build_generator",
        "99_x.ipynb:models:cell2",
        "99_x.ipynb:models:build_generator#2",
    ]
