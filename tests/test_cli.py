"""What the commands share (gan_helpers.cli): Ctrl-C that always wins, advice by cause."""

import errno
import os
import signal
import time

import pytest

from gan_helpers.cli import interrupt_guard, os_error_fix


def _press_ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(1)  # the handler runs here, between two bytecodes


def test_ctrl_c_turned_into_another_error_still_ends_the_block_as_an_interrupt():
    """NumPy interrupted while it imports datetime from C raises an ImportError instead."""
    with pytest.raises(KeyboardInterrupt) as raised, interrupt_guard():
        try:
            _press_ctrl_c()
        except KeyboardInterrupt:
            raise ImportError('PyCapsule_Import could not import module "datetime"') from None
    assert isinstance(raised.value.__cause__, ImportError)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_swallowed_inside_the_block_still_ends_it_as_an_interrupt():
    """doctor reports a module that fails to import as a failed check, and goes on."""
    with pytest.raises(KeyboardInterrupt), interrupt_guard():
        try:
            _press_ctrl_c()
        except KeyboardInterrupt:
            pass


def test_without_ctrl_c_errors_pass_unchanged():
    with pytest.raises(ImportError, match="no module"), interrupt_guard():
        raise ImportError("no module")
    with interrupt_guard():
        pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (errno.ENOSPC, "Free some space on the disk that holds runs/a."),
        (errno.EROFS, "runs/a is on a read-only disk: make it writable"),
        (errno.EACCES, "You lack permission for runs/a: give yourself access (e.g. chmod u+rwX"),
        (errno.EPERM, "You lack permission for runs/a"),
        (errno.EEXIST, "A file or folder of that name is in the way at runs/a"),
        (errno.ENOTDIR, "in the way at runs/a: move or rename it."),
        (errno.EIO, "Fix the cause above and run the command again."),
    ],
)
def test_the_advice_follows_the_cause_not_a_guess_of_a_full_disk(code, expected):
    advice = os_error_fix(OSError(code, os.strerror(code), "runs/a/checkpoint.json"), "runs/a")
    assert advice.startswith(expected) or expected in advice
    assert ("space" in advice) == (code == errno.ENOSPC)
