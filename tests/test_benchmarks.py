"""The benchmark scripts run and print their tables (tiny settings; speed is not asserted)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_script(*args: str, timeout: int = 600) -> str:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_train_step_prints_speed_table_with_ratios():
    out = run_script(
        "benchmarks/train_step.py",
        "--arch",
        "course",
        "--batch-size",
        "8",
        "--variants",
        "A",
        "B",
        "C",
        "--rounds",
        "1",
        "--seconds",
        "0.05",
    )
    assert "architecture=course  batch_size=8" in out
    rows = {}
    for line in out.splitlines():
        match = re.match(r"^(A|B|C)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", line)
        if match:
            rows[match[1]] = match.groups()[1:]
    assert set(rows) == {"A", "B", "C"}, out
    assert all(int(speed) > 0 for speed, *_ in rows.values())
    assert rows["A"][2] == "1.00" and rows["B"][3] == "1.00"  # each baseline against itself
    assert re.search(r"fit\(\) call overhead, s: C \d+\.\d\d", out)


def test_train_step_memory_runs_each_variant_in_its_own_process():
    out = run_script(
        "benchmarks/train_step.py",
        "--memory",
        "--arch",
        "course",
        "--batch-size",
        "8",
        "--variants",
        "B",
        "C",
    )
    peaks = dict(re.findall(r"^(B|C)\s+(\d+)  [+-]\d+$", out, flags=re.MULTILINE))
    assert re.search(r"^baseline\s+\d+  \(imports and data", out, flags=re.MULTILINE), out
    assert set(peaks) == {"B", "C"}, out
    # A process that imported TensorFlow and trained has a resident set well above 100 MiB.
    assert all(int(mib) > 100 for mib in peaks.values())


def test_course_times_runs_a_notebook_copy_and_reports_time_and_memory():
    notebook = ROOT / "notebooks" / "09_summary_faq.ipynb"
    before = notebook.read_bytes()
    out = run_script("benchmarks/course_times.py", "--mode", "fast", str(notebook))
    match = re.search(r"^09_summary_faq\.ipynb\s+fast\s+(\d+)\s+(\d+)$", out, re.MULTILINE)
    assert match, out
    assert int(match[2]) > 10  # MiB of the kernel that ran it
    assert re.search(r"^total\s+fast\s+\d+$", out, re.MULTILINE)
    assert notebook.read_bytes() == before  # it ran a copy, the committed notebook is untouched
