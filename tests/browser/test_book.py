"""The offline HTML book (``make book``) as a reader sees it, in headless Chromium.

The built ``build/book/`` is served on 127.0.0.1 and every request to anywhere else is
blocked, as on a machine without internet access. Checked: every page loads with no failed
or blocked request and no console error; math is typeset by the local MathJax; the Mermaid
diagram of notebook 02 is an SVG; every image loads, and notebook 05 shows all its figures;
the search page finds Chinese and English words on the right pages, also a Chinese compound
that is not one word of the index (cut into indexed words by ``book/_static/course.js``).

The test (re)builds the book first when an input changed (``tools/book.py --if-stale``).
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "build" / "book"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = ["index"] + [path.stem for path in NOTEBOOKS]
# A query, and the page that teaches it: it must be among the results, and the results must
# be exactly the pages whose text contains the query (see test_search).
QUERIES = {
    "判别器": "02_concepts",
    "生成器": "02_concepts",
    "模式崩溃": "07_stabilization",
    "生成对抗网络": "02_concepts",
    "潜在向量": "03_gan_algorithm",
    "纳什均衡": None,  # not used anywhere in the course (yet): the search must find nothing
    "GAN": "index",
    "DCGAN": "05_dcgan_mnist",
}

pytestmark = pytest.mark.browser


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def book_url(browser):
    """The built book, (re)built if stale, served on loopback."""
    if sys.version_info < (3, 11):
        pytest.skip("the book needs Python 3.11 or newer (Sphinx 8.2)")
    pytest.importorskip("sphinx", reason='pip install -e ".[dev]"')
    subprocess.run([sys.executable, str(ROOT / "tools" / "book.py"), "--if-stale"], check=True)
    handler = functools.partial(QuietHandler, directory=str(BOOK))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(browser, book_url):
    """A page that may only talk to the book's server; it records every problem."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.problems = []

    def route(route):
        if route.request.url.startswith(book_url):
            route.continue_()
        else:
            page.problems.append(f"blocked request to {route.request.url}")
            route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda r: page.problems.append(f"failed request {r.url}"))
    page.on(
        "response",
        lambda r: r.status >= 400 and page.problems.append(f"HTTP {r.status} for {r.url}"),
    )
    page.on(
        "console",
        lambda m: m.type == "error" and page.problems.append(f"console error: {m.text}"),
    )
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    yield page
    context.close()


PAGE_REPORT = """() => ({
  math: document.querySelectorAll('span.math, div.math').length,
  typeset: document.querySelectorAll('mjx-container').length,
  mathErrors: document.querySelectorAll('mjx-merror').length,
  mermaid: document.querySelectorAll('pre.mermaid').length,
  mermaidSvg: document.querySelectorAll('pre.mermaid svg').length,
  images: Array.from(document.querySelectorAll('article img')).map(
    (img) => ({src: img.getAttribute('src'), width: img.naturalWidth})),
})"""


def settle(page):
    """Waits until MathJax has typeset the page and Mermaid has drawn its diagrams."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => !window.MathJax || (MathJax.startup && MathJax.startup.promise"
        " && (MathJax.startup.promise.then(() => window.__typeset = true), window.__typeset))"
    )
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('pre.mermaid'))"
        ".every((pre) => pre.querySelector('svg'))"
    )


def figure_count(notebook: Path) -> int:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    outputs = [output for cell in cells for output in cell.get("outputs", [])]
    return sum("image/png" in output.get("data", {}) for output in outputs)


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline(page, book_url, name):
    page.goto(f"{book_url}{name}.html")
    settle(page)
    report = page.evaluate(PAGE_REPORT)
    assert not page.problems, page.problems
    assert page.title(), "page has no title"
    if report["math"]:
        assert report["typeset"] >= report["math"], f"math not typeset: {report}"
        assert report["mathErrors"] == 0, "MathJax reported an error"
    assert report["mermaidSvg"] == report["mermaid"], "Mermaid diagram not drawn as SVG"
    broken = [image["src"] for image in report["images"] if image["width"] == 0]
    assert not broken, f"images that did not load: {broken}"
    if name == "02_concepts":
        assert report["mermaidSvg"] == 1, "the data-flow diagram of 02 is missing"
    if name == "04_math":
        assert report["typeset"] > 10, "04 is the maths notebook: expected its formulas"
    if name == "05_dcgan_mnist":
        expected = figure_count(ROOT / "notebooks" / f"{name}.ipynb")
        assert len(report["images"]) == expected > 0, "05 does not show all its figures"


def page_texts() -> dict[str, str]:
    """The visible text of each page's article, lowercased: the oracle for the search."""
    texts = {}
    for name in PAGES:
        source = (BOOK / f"{name}.html").read_text(encoding="utf-8")
        article = re.search(r'<article class="bd-article">(.*?)</article>', source, re.S)
        body = re.sub(r"<(script|style)\b.*?</\1>", " ", article[1], flags=re.S)
        texts[name] = html.unescape(re.sub(r"<[^>]+>", "", body)).lower()
    return texts


def search(page, book_url, query) -> set[str]:
    """The pages that the book's search page lists for ``query``."""
    page.goto(f"{book_url}search.html?q={quote(query)}")
    # Sphinx's searchtools.js writes its summary ("found N pages", or "did not match") last.
    summary = page.wait_for_function(
        "() => (document.querySelector('#search-results p.search-summary') || {})"
        ".textContent?.trim()"
    ).json_value()
    links = page.eval_on_selector_all(
        "#search-results ul.search li a", "(links) => links.map((a) => a.getAttribute('href'))"
    )
    assert not page.problems, page.problems
    # the summary is in Chinese too (course.js adds the sentence Sphinx 8.2 leaves English)
    if links:
        assert summary == f"搜索完成，匹配到 {len(links)} 页。", summary
    else:
        assert re.search("[\u4e00-\u9fff]", summary), summary  # "没有找到……"
    return {link.split(".html")[0] for link in links}


@pytest.mark.parametrize("query", QUERIES)
def test_search(page, book_url, query):
    found = search(page, book_url, query)
    texts = page_texts()
    containing = {name for name, text in texts.items() if query.lower() in text}
    if query.isascii():  # an English word is indexed as a word (or its stem), not a substring
        words = {n for n, text in texts.items() if query.lower() in re.findall(r"[a-z0-9_]+", text)}
        assert words <= found <= containing, (found, words, containing)
    else:
        assert found == containing, (
            f"search for {query!r} found {sorted(found)}; the pages containing it are "
            f"{sorted(containing)} (a Chinese term missing from the jieba dictionary finds nothing)"
        )
    if QUERIES[query]:
        assert QUERIES[query] in found


def test_search_cuts_a_chinese_compound_into_indexed_words(page, book_url):
    texts = page_texts()
    found = search(page, book_url, "对抗训练")  # not in the glossary: jieba indexes 对抗 / 训练
    containing = {name for name, text in texts.items() if "对抗训练" in text}
    both = {name for name, text in texts.items() if "对抗" in text and "训练" in text}
    assert containing and containing <= found <= both, (found, containing, both)
