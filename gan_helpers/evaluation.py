"""Notebook 06's evaluation protocol: score a generator against the shared held-out digits.

A fixed judge (the course classifier, see
:func:`gan_helpers.classifier.load_or_train_course_classifier`) turns images into features
and class probabilities; the held-out digits are the MNIST
test split shipped in the package (:func:`gan_helpers.data.load_mnist_test`). For each
seed, :func:`make_groups` draws a reference set of N held-out digits and groups of N images
(the generator, other real digits, real digits 0-4 only, noised real digits and, when
given, the digits the generator learned from), and :func:`evaluate` scores each group
against the reference. ``benchmarks/quality.py`` uses
the same functions, so its numbers and notebook 06's table are comparable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gan_helpers import metrics
from gan_helpers.classifier import classifier_outputs

if TYPE_CHECKING:
    import keras


def generate(generator: keras.Model, num_images: int, seed: int, batch_size: int = 500):
    """Draws ``num_images`` fake images from standard-normal latent vectors.

    Args:
        generator: Maps ``(batch, latent_dim)`` to images in [-1, 1].
        num_images: How many images.
        seed: Seed of the latent vectors: the same seed gives the same images.
        batch_size: Latent vectors per forward pass.

    Returns:
        ``float32`` images of shape ``(num_images, 28, 28, 1)``, clipped to [-1, 1].

    Example:
        >>> fake_images = generate(generator, 2000, seed=0)  # doctest: +SKIP
    """
    latent_dim = generator.input_shape[-1]
    latent_vectors = np.random.default_rng(seed).normal(size=(num_images, latent_dim))
    batches = [
        generator(latent_vectors[i : i + batch_size].astype("float32"), training=False)
        for i in range(0, num_images, batch_size)
    ]
    return np.clip(np.concatenate([np.asarray(b, dtype="float32") for b in batches]), -1.0, 1.0)


def make_groups(generator, classifier, held_out, num_images, noise_std, seed, training=None):
    """A reference set and the groups to score against it, as (features, probabilities).

    Args:
        generator: The generator to evaluate.
        classifier: The judge (see :mod:`gan_helpers.classifier`).
        held_out: A dict with the held-out ``"images"``, ``"labels"``, ``"features"`` and
            ``"probabilities"`` (the last two from :func:`classifier_outputs`).
        num_images: N, the size of the reference set and of every group.
        noise_std: Standard deviation of the noise of the "noised" group.
        seed: Draws the reference, the groups' digits and the generator's latent vectors.
        training: Optional dict with the ``"features"`` and ``"probabilities"`` of the
            digits the generator learned from; adds the group "training digits".

    Returns:
        ``(reference_features, groups)``; ``groups`` maps "generator", "real floor",
        "digits 0-4", "noised" and (with ``training``) "training digits" to
        ``(features, probabilities)``. No group shares a digit with the reference; the
        groups may share digits with one another ("noised" is "real floor" with noise).
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(held_out["labels"]))
    reference, rest = order[:num_images], order[num_images:]
    low_digits = rest[held_out["labels"][rest] < 5][:num_images]
    noise = noise_std * rng.normal(size=(num_images, 28, 28, 1))
    noised = np.clip(held_out["images"][rest[:num_images]] + noise, -1, 1).astype("float32")
    features, probabilities = held_out["features"], held_out["probabilities"]
    groups = {
        "generator": classifier_outputs(classifier, generate(generator, num_images, seed)),
        "real floor": (features[rest[:num_images]], probabilities[rest[:num_images]]),
        "digits 0-4": (features[low_digits], probabilities[low_digits]),
        "noised": classifier_outputs(classifier, noised),
    }
    if training is not None:
        pick = np.random.default_rng([seed, 1]).permutation(len(training["features"]))
        pick = pick[:num_images]
        groups["training digits"] = (training["features"][pick], training["probabilities"][pick])
    return features[reference], groups


def evaluate(reference_features, features, probabilities):
    """The metrics of one group against the reference features, as a dict."""
    kid, kid_error = metrics.kernel_inception_distance(
        reference_features, features, subset_size=len(features) // 2
    )
    precision, recall = metrics.precision_recall(reference_features, features, k=3)
    return {
        "classifier score": metrics.classifier_score(probabilities),
        "confident": metrics.confident_share(probabilities, threshold=0.9),
        "FD": metrics.frechet_distance(reference_features, features),
        "KID": kid,
        "precision": precision,
        "recall": recall,
        "KID s.e.": kid_error,
    }
