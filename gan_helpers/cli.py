"""What the course's commands (``train``, ``prefetch``, ``doctor``) share: one-line errors.

A mistyped option gets one line that names the problem and points to ``--help``, instead
of argparse's usage block. TensorFlow writes a few start-up lines straight to standard
error while it is imported; :func:`import_keras_quietly` hides them, so that they cannot
bury a command's own one-line message.
"""

from __future__ import annotations

import argparse
import os

EXIT_USAGE = 2  # a bad command line (argparse's own convention)


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


def import_keras_quietly():
    """Imports Keras (and TensorFlow) without TensorFlow's start-up lines on standard error.

    Returns:
        The ``keras`` module.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from gan_helpers.quiet import hide_native_logs

    with hide_native_logs():
        import keras
        import tensorflow as tf

        tf.config.list_physical_devices()  # device discovery prints too ("cuInit ...")
    return keras
