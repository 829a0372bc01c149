"""Runs notebooks top to bottom in a fresh kernel and saves them with their outputs.

This is the one way the stored outputs are made: ``make notebooks`` (full training)
or ``make notebooks FAST=1``. Nobody edits outputs by hand.

    python tools/execute.py                      # every notebook
    python tools/execute.py notebooks/00_setup.ipynb --fast
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path, fast: bool, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    env_before = os.environ.get("GAN_COURSE_FAST")
    if fast:
        os.environ["GAN_COURSE_FAST"] = "1"
    else:
        os.environ.pop("GAN_COURSE_FAST", None)
    start = time.perf_counter()
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    finally:
        if env_before is None:
            os.environ.pop("GAN_COURSE_FAST", None)
        else:
            os.environ["GAN_COURSE_FAST"] = env_before
    nb.metadata.pop("widgets", None)  # widget state is only useful with a live kernel
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--fast", action="store_true", help="set GAN_COURSE_FAST=1")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        seconds = execute(path.resolve(), args.fast, args.timeout)
        print(f"{path.name}: {seconds:.0f} s ({'FAST' if args.fast else 'full'})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
