"""`python tools/nav.py --repo OWNER/REPO --ref REF` points the whole course at a fork."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_fork_command_rewrites_every_badge_and_install_cell(tmp_path):
    for name in ("tools", "notebooks"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("runs"))
    for name in ("course.json", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    nav = [sys.executable, str(tmp_path / "tools" / "nav.py")]
    subprocess.run(
        nav + ["--repo", "someone/gan-fork", "--ref", "workshop"], check=True, capture_output=True
    )
    assert json.loads((tmp_path / "course.json").read_text()) == {
        "repository": "someone/gan-fork",
        "ref": "workshop",
    }
    colab = "https://colab.research.google.com/github/someone/gan-fork/blob/workshop/notebooks/"
    modelscope = (
        "https://modelscope.cn/notebook/share/github/someone/gan-fork/blob/workshop/notebooks/"
    )
    install = '"gan-helpers @ git+https://github.com/someone/gan-fork@workshop"'
    notebooks = sorted((tmp_path / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for link in (colab + path.name, modelscope + path.name):
            assert link in nb.cells[0].source and link in nb.cells[-1].source
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert install in code, f"{path.name} has no install cell pointing at the fork"
        assert "gan-course-zh/gan-course" not in json.dumps(nb)
    readme = (tmp_path / "README.md").read_text()
    assert colab in readme and modelscope in readme
    course_map = readme.split("<!-- course-map -->")[1].split("<!-- /course-map -->")[0]
    assert "gan-course-zh/gan-course" not in course_map
    check = subprocess.run(nav + ["--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


@pytest.mark.slow
def test_fork_command_rejects_a_malformed_repository(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "nav.py"), "--check", "--repo", "not a repo"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "OWNER/REPO" in result.stderr
