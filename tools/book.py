"""Builds the offline HTML book of the course: ``make book`` (or ``python tools/book.py``).

The book is made from the *stored* outputs of the executed notebooks (nothing is executed)
and the README as its front page, with Sphinx, MyST-NB and sphinx-book-theme configured in
``book/conf.py``. Steps:

1. Stage a copy of ``README.md`` and ``notebooks/NN_*.ipynb`` in ``build/book-src/`` (the
   notebooks themselves are never modified) and rewrite what only works on GitHub or in
   JupyterLab: links to ``../README.md`` and between notebooks point at book pages, links to
   other files of the repository point at GitHub, Colab badge images become text links (no
   image from outside), Mermaid code blocks become ``<pre class="mermaid">`` (drawn as SVG by
   a local Mermaid copy), and ipywidgets outputs become a static note.
2. Write ``terms.txt``, the jieba user dictionary that lets the search find Chinese words,
   from the course glossary (``GLOSSARY`` in notebook 09): jieba splits words it does not
   know, and a query such as "判别器" then matches nothing.
3. Run Sphinx into ``build/book/``: plain static files (MathJax and Mermaid included) that
   work from any web server, an intranet or a USB stick.

No network is needed, except once per environment: Mermaid is published on npm only, so
setting up the environment (the Makefile runs ``--fetch-mermaid``), or else the first build,
fetches the pinned tarball with ``npm pack`` (hash checked) into
``<venv>/share/gan-course-book/``. Without npm the diagram is shown as its source text.

``--if-stale`` builds only when an input changed since the last build (the browser test
uses it); ``--stage-only DIR`` stages into DIR and stops (the structure test uses it).
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import html
import json
import logging
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import nbformat
from nav import BADGE, CONFIG, README, ROOT, notebook_paths

BOOK_CONF = ROOT / "book"
STAGE = ROOT / "build" / "book-src"
OUT = ROOT / "build" / "book"
FINGERPRINT = ".fingerprint"
GLOSSARY_NOTEBOOK = "09_summary_faq.ipynb"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
MERMAID_VERSION = "11.12.1"
MERMAID_INTEGRITY = (  # `npm view mermaid@11.12.1 dist.integrity`
    "sha512-UlIZrRariB11TY1RtTgUWp65tphtBv4CSq7vyS2ZZ2TgoMjs2nloq+wFqxiwcxlhHUvs7DPGgMjs2aeQxz5h9g=="
)
MERMAID_DIR = Path(sys.prefix) / "share" / "gan-course-book" / f"mermaid-{MERMAID_VERSION}"
# A jieba frequency well above that of the words a term is made of, so it stays one token.
TERM_FREQUENCY = 10_000

LINK = re.compile(r"(\]\()([^)\s]+)(\))")
BADGE_LINK = re.compile(r"\[!\[[^\]]*\]\(" + re.escape(BADGE) + r"\)\]\(([^)\s]+)\)")
MERMAID_FENCE = re.compile(r"^```mermaid[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
INDEX_NOTE = """
```{note}
这是课程的离线网页版：页面上的文字、图和输出都来自仓库里已经运行过的笔记本，
代码不能在网页上运行。想自己运行，请按下面“快速开始”在 JupyterLab 中打开课程，
或用每一节页面右上角的下载按钮取得这一节的 `.ipynb` 文件。
```
"""
WIDGET_NOTE = (
    '<div class="admonition note widget-fallback">'
    '<p class="admonition-title">交互控件（ipywidgets）</p>'
    "<p>在 JupyterLab 或 Colab 中运行这一节时，这里是一个可以拖动、点击的交互控件。"
    "网页版不运行代码，所以只显示这段说明：下载这一节的笔记本（.ipynb），运行上面的单元，"
    "就能自己操作。</p></div>"
)


def load_config() -> dict:
    return json.loads(CONFIG.read_text(encoding="utf-8"))


def github_url(config: dict, repo_path: str) -> str:
    kind = "tree" if (ROOT / repo_path).is_dir() else "blob"
    return f"https://github.com/{config['repository']}/{kind}/{config['ref']}/{repo_path}"


def rewrite_target(target: str, source_dir: str, pages: dict[str, str], config: dict) -> str:
    """Where a relative link of a staged page points in the book.

    ``source_dir`` is the page's folder in the repository ("" or "notebooks"); ``pages`` maps
    repository paths that are book pages to their staged names.
    """
    if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith(("#", "/")):
        return target
    path, hash_, anchor = target.partition("#")
    repo_path = posixpath.normpath(posixpath.join(source_dir, path))
    if repo_path in pages:
        return pages[repo_path] + hash_ + anchor
    if repo_path.startswith("..") or not (ROOT / repo_path).exists():
        raise ValueError(
            f"link {target!r} in {source_dir or '.'}/ points at {repo_path!r}, which is not in "
            "the repository; fix the link in the notebook or README"
        )
    return github_url(config, repo_path) + hash_ + anchor


def rewrite_markdown(text: str, source_dir: str, pages: dict[str, str], config: dict) -> str:
    """Badges become text links, links point into the book, Mermaid blocks become HTML."""
    text = BADGE_LINK.sub(r"[在 Colab 中打开](\1)", text)
    text = LINK.sub(lambda m: m[1] + rewrite_target(m[2], source_dir, pages, config) + m[3], text)
    return MERMAID_FENCE.sub(
        lambda m: f'<pre class="mermaid">\n{html.escape(m[1].rstrip(), quote=False)}\n</pre>',
        text,
    )


def static_widget_outputs(cell) -> None:
    """Replaces each widget view (which needs a kernel) by a note that says so."""
    for output in cell.get("outputs", []):
        if WIDGET_MIME in output.get("data", {}):
            output["data"] = {"text/html": WIDGET_NOTE}


def glossary_terms(notebook) -> list[str]:
    """The Chinese terms of the ``GLOSSARY`` list in the glossary notebook."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith("GLOSSARY = ["):
            entries = ast.literal_eval(cell.source.partition("=")[2].strip())
            return [entry[0] for entry in entries]
    raise ValueError(
        f"no code cell starting with 'GLOSSARY = [' in {GLOSSARY_NOTEBOOK}: the book's search "
        "dictionary is made from it; restore the cell or change GLOSSARY_NOTEBOOK in tools/book.py"
    )


def jieba_dictionary(terms: list[str]) -> str:
    """A jieba user dictionary: the Chinese parts of every term, one "word freq n" a line."""
    words = dict.fromkeys(run for term in terms for run in CJK_RUN.findall(term))
    return "".join(f"{word} {TERM_FREQUENCY} n\n" for word in words)


def stage(dest: Path) -> list[str]:
    """Writes the book's sources into ``dest``; returns the pages in course order."""
    config = load_config()
    paths = notebook_paths()
    if not paths:
        raise ValueError(f"no notebooks/NN_*.ipynb under {ROOT}: nothing to build")
    pages = {"README.md": "index.md"} | {f"notebooks/{p.name}": p.name for p in paths}
    dest.mkdir(parents=True, exist_ok=True)
    for stale in set(dest.glob("*.ipynb")) - {dest / p.name for p in paths}:
        stale.unlink()
    terms = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        if path.name == GLOSSARY_NOTEBOOK:
            terms = glossary_terms(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                cell.source = rewrite_markdown(cell.source, "notebooks", pages, config)
            static_widget_outputs(cell)
        (dest / path.name).write_text(nbformat.writes(notebook), encoding="utf-8")
    readme = rewrite_markdown(README.read_text(encoding="utf-8"), "", pages, config)
    title, _, body = readme.partition("\n")
    toctree = "\n".join(["", "```{toctree}", ":hidden:", ":caption: 课程", ""])
    toctree += "\n".join(p.stem for p in paths) + "\n```\n"
    index = title + "\n" + INDEX_NOTE + body.rstrip() + "\n" + toctree
    (dest / "index.md").write_text(index, encoding="utf-8")
    if not terms:
        raise ValueError(
            f"notebooks/{GLOSSARY_NOTEBOOK} not found: the book's search dictionary is made from "
            "its GLOSSARY; change GLOSSARY_NOTEBOOK in tools/book.py if the notebook was renamed"
        )
    (dest / "terms.txt").write_text(jieba_dictionary(terms), encoding="utf-8")
    return ["index"] + [p.stem for p in paths]


def mermaid_file() -> Path | None:
    """The local Mermaid copy, fetched once from npm (hash checked); None if impossible."""
    target = MERMAID_DIR / "mermaid.min.js"
    if target.exists():
        return target
    npm = shutil.which("npm")
    fallback = (
        "so the Mermaid diagram is shown as text; with Node.js, npm and the network, the next "
        f"build keeps mermaid {MERMAID_VERSION} in {MERMAID_DIR} for good"
    )
    if npm is None:
        print(f"warning: npm not found, {fallback}", file=sys.stderr)
        return None
    print(f"fetching mermaid {MERMAID_VERSION} from npm (once) ...")
    with tempfile.TemporaryDirectory() as tmp:
        pack = [npm, "pack", f"mermaid@{MERMAID_VERSION}", "--pack-destination", tmp]
        fetched = subprocess.run(
            [*pack, "--loglevel=error", "--fetch-retries=1", "--fetch-timeout=60000"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if fetched.returncode != 0:
            error = fetched.stderr.strip().splitlines()[:1] or ["no message"]
            print(f"warning: `npm pack` failed ({error[0]}), {fallback}", file=sys.stderr)
            return None
        tarball = Path(tmp) / f"mermaid-{MERMAID_VERSION}.tgz"
        digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if f"sha512-{digest}" != MERMAID_INTEGRITY:
            raise RuntimeError(
                f"{tarball.name} from npm has sha512-{digest}, expected {MERMAID_INTEGRITY}; "
                "do not use it (if the version was changed on purpose, update both constants)"
            )
        MERMAID_DIR.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as archive:
            for member, name in (("dist/mermaid.min.js", target.name), ("LICENSE", "LICENSE")):
                data = archive.extractfile(f"package/{member}").read()
                (MERMAID_DIR / name).write_bytes(data)
    return target


def fingerprint() -> str:
    """A hash of every input of the book: when it changes, the book is stale."""
    inputs = [README, CONFIG, Path(__file__), Path(__file__).with_name("nav.py"), *notebook_paths()]
    inputs += sorted(
        p for p in BOOK_CONF.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    mermaid = (MERMAID_DIR / "mermaid.min.js").exists()
    digest = hashlib.sha256(f"mermaid {MERMAID_VERSION} {mermaid}".encode())
    for path in inputs:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build(out: Path = OUT) -> float:
    """Stages and builds the book into ``out``; returns the seconds it took."""
    import jieba
    from sphinx.cmd.build import build_main

    start = time.monotonic()
    pages = stage(STAGE)
    mermaid = mermaid_file()
    static = STAGE / "_static"
    shutil.rmtree(static, ignore_errors=True)
    if mermaid is not None:
        static.mkdir(parents=True)
        shutil.copy2(mermaid, static / "mermaid.min.js")
        shutil.copy2(mermaid.with_name("LICENSE"), static / "mermaid-LICENSE.txt")
    shutil.rmtree(out, ignore_errors=True)
    jieba.setLogLevel(logging.WARNING)
    # -W: a warning (a broken link, a bad heading) fails the build instead of scrolling by.
    args = [
        "-b",
        "html",
        "-E",
        "-q",
        "-W",
        "--keep-going",
        "-c",
        str(BOOK_CONF),
        str(STAGE),
        str(out),
    ]
    if build_main(args) != 0:
        raise RuntimeError("sphinx-build failed: see its warnings above")
    # The download button offers each page's notebook: the original, not the staged copy.
    for path in notebook_paths():
        shutil.copy2(path, out / "_sources" / path.name)
    missing = [page for page in pages if not (out / f"{page}.html").exists()]
    if missing:
        raise RuntimeError(f"the build did not write {missing}")
    (out / FINGERPRINT).write_text(fingerprint())
    return time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-stale", action="store_true", help="build only if inputs changed")
    parser.add_argument("--stage-only", type=Path, metavar="DIR", help="only stage into DIR")
    parser.add_argument(
        "--fetch-mermaid",
        action="store_true",
        help="only fetch the local Mermaid copy (done when the environment is set up)",
    )
    args = parser.parse_args(argv)
    if args.fetch_mermaid:
        mermaid_file()
        return 0
    if args.stage_only:
        stage(args.stage_only)
        return 0
    if sys.version_info < (3, 11):
        parser.error("the book needs Python 3.11 or newer (Sphinx 8.2); this is " + sys.version)
    stamp = OUT / FINGERPRINT
    if args.if_stale and stamp.exists() and stamp.read_text() == fingerprint():
        print(f"{OUT.relative_to(ROOT)}/ is up to date")
        return 0
    seconds = build()
    print(f"built {OUT.relative_to(ROOT)}/index.html in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
