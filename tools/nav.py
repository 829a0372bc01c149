"""Writes the navigation bars, Colab badges, ModelScope links and install cells of every
notebook, and the README course map, from the notebooks themselves and ``course.json``.

Run ``python tools/nav.py`` after adding or renaming a notebook; ``--check`` changes
nothing and exits 1 if something is out of date; ``--repo OWNER/REPO --ref BRANCH``
points everything (Colab, ModelScope, installs) at a fork first. Running it twice
changes nothing the second time.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CONFIG = ROOT / "course.json"
README = ROOT / "README.md"
NAV_START, NAV_END = "<!-- nav -->", "<!-- /nav -->"
MAP_START, MAP_END = "<!-- course-map -->", "<!-- /course-map -->"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
MODELSCOPE_LABEL = "在魔搭中打开"
INSTALL = re.compile(r'"gan-helpers @ git\+https://github\.com/[^"@]+@[^"]+"')


def notebook_paths() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def title_and_subtitle(nb) -> tuple[str, str]:
    lines = nb.cells[0].source.splitlines()
    title = lines[0].removeprefix("# ").strip()
    subtitle = next((ln.strip() for ln in lines[1:] if ln.strip() and not ln.startswith("<")), "")
    return title, subtitle


def github_path(config: dict, name: str) -> str:
    """``OWNER/REPO/blob/REF/notebooks/NAME``: how Colab and ModelScope name a notebook."""
    return f"{config['repository']}/blob/{config['ref']}/notebooks/{name}"


def colab_url(config: dict, name: str) -> str:
    return f"https://colab.research.google.com/github/{github_path(config, name)}"


def modelscope_url(config: dict, name: str) -> str:
    return f"https://modelscope.cn/notebook/share/github/{github_path(config, name)}"


def launch_links(config: dict, name: str) -> tuple[str, str]:
    """The Colab badge and the ModelScope link (plain text: no image to be blocked)."""
    colab = f"[![Open In Colab]({BADGE})]({colab_url(config, name)})"
    return colab, f"[{MODELSCOPE_LABEL}]({modelscope_url(config, name)})"


def nav_block(paths: list[Path], index: int, config: dict) -> str:
    parts = []
    if index > 0:
        parts.append(f"[← 上一节]({paths[index - 1].name})")
    parts.append("[目录](../README.md#课程目录)")
    if index + 1 < len(paths):
        parts.append(f"[下一节 →]({paths[index + 1].name})")
    colab, modelscope = launch_links(config, paths[index].name)
    return f"{NAV_START}\n{' · '.join(parts)} &nbsp; {colab} &nbsp; {modelscope}\n{NAV_END}"


def replace_block(text: str, start: str, end: str, block: str) -> str:
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    return text.rstrip() + "\n\n" + block


def install_spec(config: dict) -> str:
    return f'"gan-helpers @ git+https://github.com/{config["repository"]}@{config["ref"]}"'


def update_notebook(path: Path, block: str, config: dict, write: bool = True) -> bool:
    """Puts the navigation block and install spec in place; returns True if they changed."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    nb.cells[0].source = replace_block(nb.cells[0].source, NAV_START, NAV_END, block)
    last = nb.cells[-1]
    if last.cell_type == "markdown" and last.source.lstrip().startswith(NAV_START):
        last.source = block
    else:
        nb.cells.append(nbformat.v4.new_markdown_cell(block))
    for cell in nb.cells:
        if cell.cell_type == "code" and INSTALL.search(cell.source):
            cell.source = INSTALL.sub(install_spec(config), cell.source)
    after = nbformat.writes(nb)
    if write and after != before:
        path.write_text(after + ("" if after.endswith("\n") else "\n"), encoding="utf-8")
    return after != before


def course_map(paths: list[Path], config: dict) -> str:
    rows = ["| 编号 | 笔记本 | 内容 | Colab | 魔搭（ModelScope） |", "|---|---|---|---|---|"]
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        title, subtitle = title_and_subtitle(nb)
        number, _, name = title.partition(" · ")
        colab, modelscope = launch_links(config, path.name)
        rows.append(
            f"| {number} | [{name}](notebooks/{path.name}) | {subtitle} | {colab} | {modelscope} |"
        )
    return MAP_START + "\n" + "\n".join(rows) + "\n" + MAP_END


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    parser.add_argument("--repo", help="OWNER/REPO of a fork to point all links and installs at")
    parser.add_argument("--ref", help="branch or tag of that repository")
    args = parser.parse_args(argv)
    config = json.loads(CONFIG.read_text(encoding="utf-8"))
    if args.repo or args.ref:
        if args.repo and not re.fullmatch(r"[\w.-]+/[\w.-]+", args.repo):
            parser.error(f"--repo {args.repo!r} is not of the form OWNER/REPO")
        config.update({k: v for k, v in (("repository", args.repo), ("ref", args.ref)) if v})
        if not args.check:
            CONFIG.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    paths = notebook_paths()
    stale = []
    for index, path in enumerate(paths):
        block = nav_block(paths, index, config)
        if update_notebook(path, block, config, write=not args.check):
            if args.check:
                stale.append(path.name)
            else:
                print(f"updated {path.relative_to(ROOT)}")
    readme = README.read_text(encoding="utf-8")
    new_readme = replace_block(readme, MAP_START, MAP_END, course_map(paths, config))
    if new_readme != readme:
        if args.check:
            stale.append("README.md")
        else:
            README.write_text(new_readme, encoding="utf-8")
            print("updated README.md")
    if args.check and stale:
        print("out of date (run `python tools/nav.py`): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
