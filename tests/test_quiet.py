import os
import subprocess
import sys

from gan_helpers.quiet import hide_native_logs


def test_hides_what_native_code_writes_to_fd_2_and_restores_it():
    code = (
        "import os\n"
        "from gan_helpers.quiet import hide_native_logs\n"
        "with hide_native_logs():\n"
        "    os.write(2, b'hidden\\n')\n"
        "os.write(2, b'shown\\n')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stderr == "shown\n"


def test_an_exception_inside_the_block_propagates_and_fd_2_is_restored():
    before = os.fstat(2)
    try:
        with hide_native_logs():
            raise KeyError("boom")
    except KeyError as exc:
        assert exc.args == ("boom",)
    after = os.fstat(2)
    assert (before.st_dev, before.st_ino) == (after.st_dev, after.st_ino)


def test_ctrl_c_right_after_the_redirection_still_restores_fd_2(monkeypatch):
    """Ctrl-C can land between any two statements; fd 2 must not stay on /dev/null, or the
    command's one-line error would vanish."""
    real_dup2 = os.dup2
    calls = []

    def dup2_then_interrupted(fd, fd2):
        real_dup2(fd, fd2)
        calls.append(fd)
        if len(calls) == 1:
            raise KeyboardInterrupt

    before = os.fstat(2)
    monkeypatch.setattr(os, "dup2", dup2_then_interrupted)
    try:
        with hide_native_logs():
            pass
    except KeyboardInterrupt:
        pass
    monkeypatch.undo()
    after = os.fstat(2)
    assert (before.st_dev, before.st_ino) == (after.st_dev, after.st_ino)
