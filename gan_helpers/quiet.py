"""Hide the C++ start-up lines that TensorFlow prints while it is imported.

``TF_CPP_MIN_LOG_LEVEL=3`` silences TensorFlow's own logging once it is set up, but a
few lines ("All log messages before absl::InitializeLog() ...", "Could not find cuda
drivers ...", "oneDNN custom operations are on ...") are written straight to the
process's standard error *before* that, and in a notebook they appear (twice) under the
first cell. :func:`hide_native_logs` points file descriptor 2 at ``os.devnull`` for the
duration of a ``with`` block and restores it afterwards. An exception raised inside the
block still reaches you: it propagates after the descriptor is restored. In a Jupyter
kernel, Python's own ``sys.stderr`` (warnings, tracebacks) goes through IPython rather
than descriptor 2, so it is not hidden either; in a terminal it is, for the block only.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def hide_native_logs() -> Iterator[None]:
    """Discards what native code writes to standard error inside the block.

    Example:
        >>> with hide_native_logs():
        ...     import tensorflow as tf  # doctest: +SKIP
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (some embedded interpreters): nothing to hide
        yield
        return
    try:  # nested so that Ctrl-C between two steps still restores descriptor 2
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(devnull)
    finally:
        os.close(saved)
