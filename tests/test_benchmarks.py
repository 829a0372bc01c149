"""The benchmark scripts run and print their tables (tiny settings; speed is not asserted)."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # each runs a benchmark script in a fresh process


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


def smoke_args(tmp_path: Path) -> list[str]:
    """The tiny settings both quality scripts share in their smoke tests."""
    return [
        "--steps",
        "20",
        "--points",
        "2",
        "--num-samples",
        "200",
        "--seeds",
        "0",
        "--judge-epochs",
        "1",
        "--classifier",
        str(tmp_path / "judge.keras"),
        "--timing-rounds",
        "1",
        "--timing-seconds",
        "0.05",
        "--log",
        str(tmp_path / "rows.jsonl"),
    ]


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
    speeds = {name: int(speed) for name, (speed, *_) in rows.items()}
    assert all(speed > 0 for speed in speeds.values())
    for name, (_, _, vs_a, vs_b) in rows.items():  # speeds are printed rounded to 1 image/s
        for baseline, ratio in (("A", vs_a), ("B", vs_b)):
            expected = speeds[name] / speeds[baseline]
            assert abs(float(ratio) - expected) <= 0.006 + 1.5 * expected / speeds[baseline], out
    assert re.search(r"fit\(\) call overhead, s: C \d+\.\d\d", out)


def test_speed_table_ratios_are_against_the_baselines_of_the_same_run(capsys):
    spec = importlib.util.spec_from_file_location("train_step", ROOT / "benchmarks/train_step.py")
    train_step = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_step)
    print_table = train_step.print_table
    medians = {"A": 100.0, "B": 50.0, "C": 150.0}
    print_table("course", 8, medians, {"A": 1.0, "B": 2.0, "C": 3.0})
    rows = {ln.split()[0]: ln.split()[1:] for ln in capsys.readouterr().out.splitlines()[2:]}
    assert rows["C"] == ["150", "3.0", "1.50", "3.00"]
    assert rows["B"][2:] == ["0.50", "1.00"] and rows["A"][2:] == ["1.00", "2.00"]


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


def test_quality_prints_timing_floors_curve_final_table_targets_and_ratios(tmp_path):
    out = run_script(
        "-m",
        "benchmarks.quality",
        *smoke_args(tmp_path),
    )
    quality = importlib.import_module("benchmarks.quality")
    names = list(quality.DEFAULT_CANDIDATES)
    assert names[0] == "course"
    # seconds per step relative to the course default, converted to idle seconds
    for name in names:
        assert re.search(
            rf"^{re.escape(name)}\s+[\d.]+x course per step \(CPU time; wall [\d.]+x\) = "
            r"[\d.]+ idle s/step",
            out,
            re.MULTILINE,
        ), out
    curve = re.findall(
        r"^(\S+)\s+seed 0  step\s+(\d+)  idle\s+[\d.]+ min  wall\s+[\d.]+ min  "
        r"classifier score ([\d.]+)  confident ([\d.]+)  FD ([\d.]+)  FD/floor ([\d.]+)  "
        r"FD/train ([\d.]+)  precision ([\d.]+)  recall ([\d.]+)",
        out,
        flags=re.MULTILINE,
    )
    assert [(name, step) for name, step, *_ in curve] == [
        (name, step) for name in names for step in ("10", "20")
    ], out
    for _, _, score, confident, fd, fd_floor, fd_train, precision, recall in curve:
        assert 1.0 <= float(score) <= 10.0
        assert 0.0 <= float(confident) <= 1.0 and 0.0 <= float(precision) <= 1.0
        assert 0.0 <= float(recall) <= 1.0 and float(fd) > 0
        assert float(fd_floor) > 0 and float(fd_train) > 0
    # both floors, against the same reference
    for group in ("real floor", "training digits"):
        assert re.search(rf"^{group}\s+[\d.]+\s+[\d.]+\s+[\d.]+", out, re.MULTILINE), out
    # one seed: values without "± 0"
    row = re.search(r"^course\s+20\s+[\d.]+\s+(.*)$", out, flags=re.MULTILINE)
    assert row and "±" not in row[1], out
    assert "targets (issue 22): classifier score >= 8.5" in out
    assert "FD/train <= 3.0" in out
    assert re.search(r"^judge accuracy on the 10,000 held-out test digits: [\d.]+%$", out, re.M)
    assert re.search(r"^course\s+classifier score 1\.00  confident", out, re.MULTILINE), out
    rows = (tmp_path / "rows.jsonl").read_text().splitlines()
    assert len(rows) == 2 * len(names)
    report = run_script("-m", "benchmarks.quality", "--report", str(tmp_path / "rows.jsonl"))
    assert re.search(r"^course\s+20\s+[\d.]+\s+", report, flags=re.MULTILINE), report


def test_quality_mean_sd_uses_the_sample_std_and_no_plus_minus_for_one_value():
    quality = importlib.import_module("benchmarks.quality")
    assert quality.mean_sd([1.0, 2.0, 3.0]) == "2.000 ± 1.000"  # ddof=1; np.std gives 0.816
    assert quality.mean_sd([0.5]) == "0.500"


def test_conditional_limit_prints_its_curve_and_the_requested_digit_share(tmp_path):
    out = run_script(
        "-m",
        "benchmarks.conditional_limit",
        *smoke_args(tmp_path),
        "--save-dir",
        str(tmp_path / "models"),
    )
    assert (tmp_path / "models" / "conditional_seed0.keras").exists()
    assert (tmp_path / "models" / "conditional_seed0_D.keras").exists()
    assert re.search(
        r"^conditional: [\d.]+x the course's CPU time per step \[[\d., ]+\] = [\d.]+ idle s/step; "
        r"20 steps = [\d.]+ idle minutes$",
        out,
        re.MULTILINE,
    ), out
    curve = re.findall(
        r"^conditional seed 0  step\s+(\d+)  .*classifier score ([\d.]+)  confident ([\d.]+)  "
        r".*requested digit ([\d.]+)$",
        out,
        flags=re.MULTILINE,
    )
    assert [step for step, *_ in curve] == ["10", "20"], out
    for _, score, confident, requested in curve:
        assert 1.0 <= float(score) <= 10.0
        assert 0.0 <= float(confident) <= 1.0 and 0.0 <= float(requested) <= 1.0
    rows = (tmp_path / "rows.jsonl").read_text().splitlines()
    assert len(rows) == 2
    report = run_script("-m", "benchmarks.quality", "--report", str(tmp_path / "rows.jsonl"))
    assert re.search(r"^conditional\s+20\s+[\d.]+\s+", report, flags=re.MULTILINE), report


def test_conditional_limit_draws_each_class_equally_often_from_the_latent_vector():
    import numpy as np

    limit = importlib.import_module("benchmarks.conditional_limit")
    latent_vectors = np.random.default_rng(0).normal(size=(100_000, 100)).astype("float32")
    labels = np.asarray(limit.labels_from_latent(latent_vectors))
    shares = np.bincount(labels, minlength=10) / len(labels)
    assert labels.min() == 0 and labels.max() == 9
    np.testing.assert_allclose(shares, 0.1, atol=0.004)
    # the wrapped generator is the conditional one, given those labels
    from gan_helpers.conditional import build_conditional_generator

    conditional = build_conditional_generator()
    wrapped = limit.as_unconditional(conditional)
    some = latent_vectors[:8]
    expected = conditional([some, labels[:8]], training=False)[0]
    np.testing.assert_allclose(wrapped(some, training=False), expected, atol=1e-6)


def test_conditional_limit_shuffled_labels_keep_the_class_counts_and_lose_the_images():
    import numpy as np

    limit = importlib.import_module("benchmarks.conditional_limit")
    labels = np.repeat(np.arange(10), 500)
    assert limit.training_labels(labels, shuffle=False) is labels
    shuffled = limit.training_labels(labels, shuffle=True)
    np.testing.assert_array_equal(np.bincount(shuffled), np.bincount(labels))
    assert 0.05 < np.mean(shuffled == labels) < 0.15  # about 1 in 10 by chance
    np.testing.assert_array_equal(shuffled, limit.training_labels(labels, shuffle=True))
