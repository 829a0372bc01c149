"""Sphinx configuration of the course's offline HTML book.

Built by ``python tools/book.py`` (``make book``), which stages the sources this file is
applied to in ``build/book-src/``: the README as ``index.md``, the executed notebooks, the
jieba dictionary ``terms.txt`` and, in ``_static/``, the local Mermaid copy.
"""

from pathlib import Path

project = "生成对抗网络（GAN）入门"
author = "课程作者"
language = "zh_CN"

extensions = ["myst_nb", "sphinx-mathjax-offline"]
exclude_patterns = ["_static", "terms.txt"]

# The notebooks are committed executed: show their stored outputs, never run them.
nb_execution_mode = "off"
nb_render_markdown_format = "myst"
# ipywidgets would load its JavaScript from a CDN; tools/book.py replaces widget outputs.
nb_ipywidgets_js = {}
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = "生成对抗网络（GAN）入门"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_js_files = ["course.js"]
html_search_language = "zh"
# A fixed light mode: the figures and the diagram are drawn on white.
html_context = {"default_mode": "light"}
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "search_bar_text": "搜索本书……",
}


def use_staged_files(app, config):
    """Finds the staged jieba dictionary and Mermaid copy next to the sources."""
    source = Path(app.srcdir)
    config.html_search_options = {"dict": str(source / "terms.txt")}
    if (source / "_static").is_dir():
        config.html_static_path = [*config.html_static_path, str(source / "_static")]


def add_mermaid(app, pagename, templatename, context, doctree):
    """Loads Mermaid only on pages that have a diagram (it is 2.7 MB), if it was staged."""
    staged = (Path(app.srcdir) / "_static" / "mermaid.min.js").is_file()
    if staged and '<pre class="mermaid">' in context.get("body", ""):
        app.add_js_file("mermaid.min.js")
        app.add_js_file("mermaid-init.js")


def setup(app):
    """Registers the two hooks above (a conf.py may act as a small Sphinx extension)."""
    app.connect("config-inited", use_staged_files)
    app.connect("html-page-context", add_mermaid)
