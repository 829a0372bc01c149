"""Wall time and peak memory of every notebook, FAST and full, on this machine.

    python benchmarks/course_times.py                 # every notebook, FAST then full
    python benchmarks/course_times.py --mode fast notebooks/03_gan_algorithm.ipynb

Each notebook is copied to a temporary folder and executed there in a fresh kernel by
``tools/execute.py`` in its own process, so the committed notebooks are not touched; the
peak memory is the largest resident set of that process and its kernel.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import resource, subprocess, sys
subprocess.run([sys.executable, {execute!r}, {notebook!r}] + {flags!r}, check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run_one(notebook: Path, fast: bool) -> tuple[float, float]:
    """Executes a copy of ``notebook``; returns (seconds, peak MiB of the largest process)."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "notebooks" / notebook.name
        copy.parent.mkdir()
        shutil.copy(notebook, copy)
        images = notebook.parent / "images"
        if images.exists():
            shutil.copytree(images, copy.parent / "images")
        code = _CHILD.format(
            execute=str(ROOT / "tools" / "execute.py"),
            notebook=str(copy),
            flags=["--fast"] if fast else [],
        )
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        seconds = time.perf_counter() - start
    return seconds, int(out.stdout.strip().splitlines()[-1]) / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--mode", choices=["fast", "full", "both"], default="both")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    modes = ["fast", "full"] if args.mode == "both" else [args.mode]
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    print(f"{'notebook':28s} {'mode':5s} {'seconds':>8s} {'peak MiB':>9s}")
    totals = dict.fromkeys(modes, 0.0)
    for path in paths:
        for mode in modes:
            seconds, peak = run_one(path.resolve(), fast=mode == "fast")
            totals[mode] += seconds
            print(f"{path.name:28s} {mode:5s} {seconds:8.0f} {peak:9.0f}", flush=True)
    for mode, total in totals.items():
        print(f"{'total':28s} {mode:5s} {total:8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
