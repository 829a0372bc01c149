"""What the course's commands (``train``, ``prefetch``, ``doctor``) share: one-line errors.

A mistyped option gets one line that names the problem and points to ``--help``, instead
of argparse's usage block. TensorFlow writes a few start-up lines straight to standard
error while it is imported; :func:`import_keras_quietly` hides them, so that they cannot
bury a command's own one-line message. Ctrl-C is one line too (:func:`interrupted`,
status 130), whenever it comes, and a file that cannot be read or written is explained
by its cause (:func:`os_error_fix`), so that a permission problem is not taken for a full
disk or a damaged file.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import sys
from collections.abc import Iterator

EXIT_USAGE = 2  # a bad command line (argparse's own convention)
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, what a shell reports
_NO_SPACE = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG)
_NO_PERMISSION = (errno.EACCES, errno.EPERM)
_IN_THE_WAY = (errno.EEXIST, errno.EISDIR, errno.ENOTDIR)


class Parser(argparse.ArgumentParser):
    """An argument parser that reports a bad command line on one line.

    Below, standard error gets ``error: argument --steps: invalid int value: 'many'. See
    `demo --help`.`` and the process would exit with status 2.

    Example:
        >>> parser = Parser(prog="demo")
        >>> _ = parser.add_argument("--steps", type=int)
        >>> parser.parse_args(["--steps", "many"])
        Traceback (most recent call last):
        ...
        SystemExit: 2
    """

    def error(self, message):
        """Prints ``error: <message>`` and exits with status 2 (argparse prints usage too)."""
        self.exit(EXIT_USAGE, f"error: {message.rstrip('.')}. See `{self.prog} --help`.\n")


@contextlib.contextmanager
def interrupt_guard() -> Iterator[None]:
    """Makes Ctrl-C inside the block end it with ``KeyboardInterrupt``, whatever caught it.

    Code run inside may swallow the ``KeyboardInterrupt`` or turn it into another error:
    NumPy, interrupted while it imports ``datetime`` from C, raises an ``ImportError``, and
    ``doctor`` reports a module that fails to import as a failed check. Here the signal
    itself is recorded, so the block still ends with ``KeyboardInterrupt``. Outside the
    main thread, or when Ctrl-C is ignored (a background job), nothing changes.
    """
    pressed: list[int] = []

    def on_ctrl_c(signum, frame):
        pressed.append(signum)
        raise KeyboardInterrupt

    try:
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            raise ValueError("Ctrl-C is ignored or handled elsewhere")
        previous = signal.signal(signal.SIGINT, on_ctrl_c)
    except ValueError:  # not the main thread, or not Python's default handler
        yield
        return
    try:
        yield
    except Exception as exc:
        if pressed:
            raise KeyboardInterrupt from exc
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


def import_keras_quietly():
    """Imports Keras (and TensorFlow) without TensorFlow's start-up lines on standard error.

    It also asks for TensorFlow's oneDNN kernels first, as every notebook does
    (:func:`gan_helpers.onednn.prefer_onednn`). Ctrl-C during the import (it takes
    seconds) raises ``KeyboardInterrupt``, also when the library it interrupted turned it
    into an ``ImportError`` (:func:`interrupt_guard`); the commands turn it into one line
    with :func:`interrupted`.

    Returns:
        The ``keras`` module.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from gan_helpers.onednn import prefer_onednn
    from gan_helpers.quiet import hide_native_logs

    prefer_onednn()

    with interrupt_guard(), hide_native_logs():
        import keras
        import tensorflow as tf

        tf.config.list_physical_devices()  # device discovery prints too ("cuInit ...")
    return keras


def interrupted(consequence: str) -> int:
    """Reports Ctrl-C on one line of standard error; returns the exit status 130.

    Args:
        consequence: What the interruption left behind and what to do next.

    Example:
        >>> interrupted("nothing was written")  # doctest: +SKIP
        130
    """
    print(f"error: interrupted (Ctrl-C); {consequence}", file=sys.stderr)
    return EXIT_INTERRUPTED


def os_error_fix(exc: OSError, path: str | os.PathLike | None = None) -> str:
    """What to do about a file that could not be read or written, judged by its cause.

    Args:
        exc: The error (its ``errno`` tells a full disk from a permission problem).
        path: The file or folder to name; default ``exc.filename``.

    Returns:
        One sentence, ending with a full stop.

    Example:
        >>> os_error_fix(PermissionError(errno.EACCES, "Permission denied", "a.npz"))[:44]
        'You lack permission for a.npz: give yourself'
        >>> os_error_fix(OSError(errno.ENOSPC, "No space left on device"), "runs")
        'Free some space on the disk that holds runs.'
    """
    where = os.fspath(path if path is not None else exc.filename or "the file")
    if exc.errno in _NO_SPACE:
        return f"Free some space on the disk that holds {where}."
    if exc.errno == errno.EROFS:
        return f"{where} is on a read-only disk: make it writable, or copy it to a writable one."
    if exc.errno in _NO_PERMISSION:
        return (
            f"You lack permission for {where}: give yourself access (e.g. chmod u+rwX "
            f"{where!r}) or run as its owner."
        )
    if exc.errno in _IN_THE_WAY:
        return f"A file or folder of that name is in the way at {where}: move or rename it."
    return "Fix the cause above and run the command again."
