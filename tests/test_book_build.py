"""The offline book (``tools/book.py``) without a browser: what the staging step rewrites,
that it leaves ``notebooks/`` alone, that the search dictionary covers the course glossary,
and that the whole book builds without a Sphinx warning. What a reader sees is checked in
headless Chromium by ``tests/browser/test_book.py``."""

import ast
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
LINK = re.compile(r"\]\(([^)\s]+)\)")
BOOK_PAGES = ["index", "search", *(p.stem for p in NOTEBOOKS)]


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    before = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in NOTEBOOKS}
    stage = tmp_path_factory.mktemp("book-src")
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "book.py"), "--stage-only", str(stage)], check=True
    )
    after = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in NOTEBOOKS}
    assert after == before, "staging modified notebooks/"
    return stage


def markdown_of(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_every_notebook_and_the_readme_are_staged_in_course_order(staged):
    assert sorted(p.name for p in staged.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    index = (staged / "index.md").read_text(encoding="utf-8")
    toctree = index[index.index("```{toctree}") :]
    assert re.findall(r"^\d\d_\w+$", toctree, re.M) == [p.stem for p in NOTEBOOKS]
    assert index.startswith("# "), "the README's title must stay the front page's H1"


def test_links_point_at_book_pages_or_github(staged):
    pages = [staged / "index.md", *(staged / p.name for p in NOTEBOOKS)]
    for page in pages:
        for target in LINK.findall(markdown_of(page)):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = target.split("#")[0]
            assert (staged / path).is_file(), f"{page.name}: link {target!r} has no page"
    assert "](../" not in "".join(markdown_of(p) for p in pages)


def test_nothing_is_loaded_from_outside(staged):
    text = "".join(markdown_of(p) for p in [staged / "index.md", *staged.glob("*.ipynb")])
    assert "colab-badge.svg" not in text, "Colab badges are images from outside"
    assert "在 Colab 中打开" in text
    assert not re.search(r"!\[[^\]]*\]\(https?:", text), "an image from outside"


def test_mermaid_blocks_become_html_for_the_local_mermaid(staged):
    for notebook in NOTEBOOKS:
        original, text = markdown_of(notebook), markdown_of(staged / notebook.name)
        assert "```mermaid" not in text
        assert text.count('<pre class="mermaid">') == original.count("```mermaid")
    assert '<pre class="mermaid">' in markdown_of(staged / "02_concepts.ipynb")


def test_widgets_get_a_static_note(staged):
    for notebook in NOTEBOOKS:

        def outputs(path):
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            return [o for c in cells for o in c.get("outputs", [])]

        widgets = sum(WIDGET_MIME in o.get("data", {}) for o in outputs(notebook))
        staged_outputs = outputs(staged / notebook.name)
        assert not any(WIDGET_MIME in o.get("data", {}) for o in staged_outputs)
        html = ["".join(o.get("data", {}).get("text/html", "")) for o in staged_outputs]
        notes = [text for text in html if "widget-fallback" in text]
        assert len(notes) == widgets, notebook.name


def glossary() -> list[tuple]:
    cells = json.loads((ROOT / "notebooks" / "09_summary_faq.ipynb").read_text("utf-8"))["cells"]
    source = next(
        "".join(c["source"]) for c in cells if "".join(c["source"]).startswith("GLOSSARY")
    )
    return ast.literal_eval(source.partition("=")[2].strip())


def test_search_dictionary_covers_the_glossary(staged):
    lines = (staged / "terms.txt").read_text(encoding="utf-8").splitlines()
    assert all(re.fullmatch(r"\S+ \d+ n", line) for line in lines), "jieba's 'word freq tag'"
    words = {line.split()[0] for line in lines}
    terms = [entry[0] for entry in glossary()]
    assert len(terms) >= 40
    for term in terms:
        for chinese in re.findall(r"[\u3400-\u9fff]{2,}", term):
            assert chinese in words, f"glossary term {term!r} is not in the search dictionary"
    assert {"判别器", "生成器", "模式崩溃", "生成对抗网络", "潜在向量"} <= words


@pytest.mark.slow
def test_book_builds_without_warnings():
    """``make test`` builds the book here (``-W``: a Sphinx warning fails it); every link
    between its pages, anchors included, must land."""
    if sys.version_info < (3, 11):
        pytest.skip("the book needs Python 3.11 or newer (Sphinx 8.2)")
    pytest.importorskip("sphinx", reason='pip install -e ".[dev]"')
    subprocess.run([sys.executable, str(ROOT / "tools" / "book.py"), "--if-stale"], check=True)
    book = ROOT / "build" / "book"
    pages = {name: (book / f"{name}.html").read_text("utf-8") for name in BOOK_PAGES}
    for name, page in pages.items():
        for target in re.findall(r'href="([^"#:]*\.html)(?:#([^"]*))?"', page):
            assert (book / target[0]).is_file(), f"{name}.html links to missing {target[0]}"
            if target[1] and target[0][:-5] in pages:
                assert f'id="{target[1]}"' in pages[target[0][:-5]], f"{name}.html: {target}"
