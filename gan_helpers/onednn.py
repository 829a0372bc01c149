"""Keep a failing TensorFlow graph rewrite away from the GANs' training steps on oneDNN CPUs.

TensorFlow turns its oneDNN operations on by default on x86 Linux CPUs with
neural-network instructions (AVX512_VNNI, AVX_VNNI, AVX512_BF16 or AMX: Intel Cascade Lake,
Alder Lake and newer, AMD Zen 4 and newer) and off on other CPUs (``DefaultOneDnnPolicy``
in TensorFlow's ``tensorflow/core/util/port.cc``); ``TF_ENABLE_ONEDNN_OPTS=1`` or ``0``
overrides the default before TensorFlow starts.
With oneDNN on, Grappler's *remapper* (the pass that fuses operations) rewrites a
discriminator's ``Conv2D + BiasAdd + LeakyReLU`` in two stages: it first fuses
``Conv2D + BiasAdd`` into one ``_FusedConv2D`` node, then folds the ``LeakyRelu`` into
that node too, without noticing that the gradient ``LeakyReluGrad`` still reads the
pre-activation values the fused node no longer produces. The rewrite is refused
("remapper failed: INVALID_ARGUMENT: Mutation::Apply error: fanout '...LeakyReluGrad'
exist for missing node '...BiasAdd'"), TensorFlow prints that line on standard error and
runs the graph as it was before that remapper pass. Training is unaffected.

:func:`remapper_off_on_onednn` switches the remapper off while ``GAN.fit`` builds its
training function, only when oneDNN is on. The remapper's other rewrites of that function
are lost too; ``benchmarks/cpu_paths.py`` measured no difference in speed against letting
the rewrite fail (CPU time per step 190-196 ms against 193-219 ms over three rounds).

The course turns oneDNN on wherever TensorFlow has it, not only on the CPUs above: on an
AVX2-only CPU its float32 training step of the course DCGAN took about half the CPU time
of TensorFlow's default kernels (``benchmarks/cpu_paths.py``, ``benchmarks/README.md``).
Every notebook's setup cell, the course's commands (:func:`prefer_onednn`) and the tests
set ``TF_ENABLE_ONEDNN_OPTS=1`` before TensorFlow starts, unless it is already set:
``TF_ENABLE_ONEDNN_OPTS=0`` keeps TensorFlow's default kernels.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, MutableMapping

ENV_VAR = "TF_ENABLE_ONEDNN_OPTS"
REMAPPER = "remapping"


def prefer_onednn(environ: MutableMapping[str, str] = os.environ) -> str:
    """Asks TensorFlow for its oneDNN kernels, unless ``TF_ENABLE_ONEDNN_OPTS`` is set.

    TensorFlow reads the variable once, when it starts: call this before importing it.

    Returns:
        The value TensorFlow will see.

    Example:
        >>> prefer_onednn({})
        '1'
        >>> prefer_onednn({"TF_ENABLE_ONEDNN_OPTS": "0"})
        '0'
    """
    return environ.setdefault(ENV_VAR, "1")


def onednn_enabled() -> bool:
    """True if this TensorFlow process runs its oneDNN (formerly MKL) operations.

    Example:
        >>> isinstance(onednn_enabled(), bool)
        True
    """
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:  # a TensorFlow without this module: assume the portable kernels
        return False
    return bool(_pywrap_util_port.IsMklEnabled())


@contextlib.contextmanager
def remapper_off_on_onednn(enabled: bool | None = None) -> Iterator[bool]:
    """Switches Grappler's remapper off inside the block when oneDNN is on.

    TensorFlow optimises a ``tf.function`` when it first runs it, so the block must
    contain that first call (``GAN.fit`` wraps its whole training in it). The previous
    setting is restored afterwards; functions already optimised keep their graphs.

    Args:
        enabled: Whether oneDNN is on; ``None`` asks TensorFlow (:func:`onednn_enabled`).

    Yields:
        True if the remapper was switched off.

    Example:
        >>> with remapper_off_on_onednn(enabled=False) as switched_off:
        ...     switched_off
        False
    """
    if enabled is None:
        enabled = onednn_enabled()
    if not enabled:
        yield False
        return
    import tensorflow as tf

    before = tf.config.optimizer.get_experimental_options().get(REMAPPER, True)
    tf.config.optimizer.set_experimental_options({REMAPPER: False})
    try:
        yield True
    finally:
        tf.config.optimizer.set_experimental_options({REMAPPER: before})
