"""Choose the dtype policy: ``mixed_bfloat16`` on CPUs with bfloat16 instructions.

Mixed precision computes layers in a 16-bit type and keeps the weights in float32. On a
CPU with bfloat16 instructions, ``mixed_bfloat16`` trains the course's DCGANs faster than
float32; how much faster is measured by ``benchmarks/train_step.py`` on your machine
(``benchmarks/bf16_layers.py`` shows why: convolutions gain, element-wise layers do
not; ``benchmarks/README.md`` records the last measurements). A CPU without bfloat16
instructions has to convert it in software, so it is not chosen there. bfloat16 keeps
float32's exponent range, so no loss scaling is needed. The one place to override the
choice is the environment variable ``GAN_COURSE_PRECISION`` (``float32``,
``mixed_bfloat16`` or ``mixed_float16``).
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

ENV_VAR = "GAN_COURSE_PRECISION"
POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


class SlowPrecisionWarning(UserWarning):
    """A dtype policy that this machine runs much more slowly than ``float32``."""


def cpu_supports_bf16(cpuinfo: str | None = None) -> bool:
    """True if the CPU advertises bfloat16 instructions (Linux ``/proc/cpuinfo`` flags).

    Example:
        >>> cpu_supports_bf16("flags : fpu avx512f avx512_bf16")
        True
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:  # not Linux: stay with float32
            return False
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    return any(flag in flags for flag in BF16_FLAGS)


def choose_policy(
    environ=os.environ, gpu_count: int | None = None, cpuinfo: str | None = None
) -> str:
    """The course's default dtype policy for this machine.

    ``GAN_COURSE_PRECISION`` wins if set. Otherwise: ``float32`` when a GPU is visible
    (on a GPU set ``GAN_COURSE_PRECISION=mixed_float16`` to try mixed precision; it is not
    the default because the course could not measure it on a GPU), ``mixed_bfloat16`` on a
    CPU with bfloat16 instructions, and ``float32`` on any other CPU.

    Raises:
        ValueError: If ``GAN_COURSE_PRECISION`` names an unknown policy.

    Example:
        >>> choose_policy({"GAN_COURSE_PRECISION": "float32"})
        'float32'
    """
    chosen = environ.get(ENV_VAR, "").strip()
    if chosen and chosen != "auto":
        if chosen not in POLICIES:
            raise ValueError(
                f"{ENV_VAR}={chosen!r} is not a policy; expected one of {POLICIES} or 'auto'."
            )
        return chosen
    if gpu_count is None:
        import tensorflow as tf

        gpu_count = len(tf.config.list_physical_devices("GPU"))
    if gpu_count:
        return "float32"
    return "mixed_bfloat16" if cpu_supports_bf16(cpuinfo) else "float32"


def warn_if_slow(
    policy: str, gpu_count: int | None = None, cpuinfo: str | None = None
) -> str | None:
    """Warns about a dtype policy this machine runs far more slowly than float32.

    Two cases, both only without a GPU: ``mixed_float16`` (TensorFlow's CPU kernels
    compute float16 slowly) and ``mixed_bfloat16`` on a CPU without bfloat16 instructions
    (TensorFlow emulates them). ``benchmarks/cpu_paths.py`` measures both (paths ``float16-cpu`` and
    ``onednn-bf16``). The course never chooses either by itself; ``GAN.compile`` calls
    this, so a policy set by hand is flagged.

    Args:
        policy: A dtype policy name, e.g. ``keras.config.dtype_policy().name``.
        gpu_count: Visible GPUs; ``None`` asks TensorFlow.
        cpuinfo: The text of ``/proc/cpuinfo``; ``None`` reads it.

    Returns:
        The warning's message, or None if there is nothing to warn about.

    Example:
        >>> warn_if_slow("float32", gpu_count=0) is None
        True
    """
    if policy not in ("mixed_float16", "mixed_bfloat16"):
        return None
    if policy == "mixed_bfloat16" and cpu_supports_bf16(cpuinfo):
        return None
    if gpu_count is None:
        import tensorflow as tf

        gpu_count = len(tf.config.list_physical_devices("GPU"))
    if gpu_count:
        return None
    if policy == "mixed_float16":
        why = "mixed_float16 without a GPU: TensorFlow's CPU kernels compute float16 slowly"
    else:
        why = "mixed_bfloat16 on a CPU without bfloat16 instructions: TensorFlow emulates them"
    message = (
        f"{why}, so training runs many times slower than in float32 "
        f"(benchmarks/cpu_paths.py). Use float32: set {ENV_VAR}=auto or unset it."
    )
    warnings.warn(message, SlowPrecisionWarning, stacklevel=_caller_outside_package())
    return message


def _caller_outside_package() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside ``gan_helpers``."""
    package = str(Path(__file__).parent)
    frame, level = sys._getframe(2), 2  # 1: warn_if_slow itself, 2: its caller
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level
