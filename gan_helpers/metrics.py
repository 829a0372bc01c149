"""Sample-quality metrics built on the features of the course's MNIST classifier.

Image metrics use the small CNN of :mod:`gan_helpers.classifier` instead of Inception,
so nothing is downloaded: the classifier score (an Inception-score analogue), the Fréchet distance
(FID analogue), the kernel distance (KID analogue), k-NN precision and recall, and a
histogram of predicted classes. Their values depend on this network and on the number
of samples, so compare them only within the course and at equal N. For 2-D samples,
:func:`grid_js_divergence` gives GAN Lab's divergence curve (drawn by notebook 07's
playground), beside :func:`gan_helpers.toy.mode_coverage`. Every function takes NumPy
arrays (features, probabilities or points) and the module imports only NumPy, not
TensorFlow: compute the features first with :func:`gan_helpers.classifier.classifier_outputs`.
"""

from __future__ import annotations

import warnings

import numpy as np

NUM_CLASSES = 10


def _check_probabilities(probabilities, where: str) -> np.ndarray:
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or len(probabilities) == 0:
        raise ValueError(
            f"{where} got an array of shape {probabilities.shape}; expected (N, num_classes) "
            "probabilities, the second output of classifier_outputs."
        )
    sums = probabilities.sum(axis=1)
    if probabilities.min() < 0 or not np.allclose(sums, 1.0, atol=1e-3):
        raise ValueError(
            f"{where} got rows summing to [{sums.min():g}, {sums.max():g}] with minimum "
            f"{probabilities.min():g}; expected probabilities. Apply a softmax to logits."
        )
    return probabilities


def _kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """KL(p || q) along the last axis, with 0 log 0 = 0; q > 0 wherever p > 0."""
    log_p = np.log(p, out=np.zeros_like(p), where=p > 0)
    log_q = np.log(q, out=np.zeros_like(q * p), where=p > 0)
    return np.sum(p * (log_p - log_q), axis=-1)


def classifier_score(probabilities: np.ndarray) -> float:
    """The Inception-score analogue exp(E_x KL(p(y|x) || p(y))), p(y) the mean prediction.

    It lies between 1 (every image gets the same prediction) and the number of classes
    (confident predictions, spread evenly). It grows with N: compare at equal N.

    Example:
        >>> round(classifier_score(np.eye(10)), 6)  # one confident prediction per class
        10.0
    """
    p_yx = _check_probabilities(probabilities, "classifier_score")
    p_y = p_yx.mean(axis=0, keepdims=True)
    return float(np.exp(_kl(p_yx, p_y).mean()))


def class_histogram(probabilities: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Counts of predicted classes (argmax): mode dropping shows as empty bins.

    Example:
        >>> class_histogram(np.eye(3)[[0, 0, 2]], num_classes=3)
        array([2, 0, 1])
    """
    probabilities = _check_probabilities(probabilities, "class_histogram")
    if probabilities.shape[1] != num_classes:
        raise ValueError(
            f"class_histogram got {probabilities.shape[1]} columns but num_classes="
            f"{num_classes}; pass num_classes={probabilities.shape[1]}."
        )
    return np.bincount(probabilities.argmax(axis=1), minlength=num_classes)


def confident_share(probabilities: np.ndarray, threshold: float = 0.9) -> float:
    """Share of images whose most likely class has probability >= ``threshold``.

    A sample the classifier is sure about looks like one particular digit; a blot or two
    digits drawn over each other does not. Unlike the classifier score it does not
    reward an even spread of classes.

    Example:
        >>> confident_share(np.array([[0.95, 0.05], [0.6, 0.4]]))
        0.5
    """
    probabilities = _check_probabilities(probabilities, "confident_share")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold={threshold} must lie in (0, 1], e.g. 0.9.")
    return float(np.mean(probabilities.max(axis=1) >= threshold))


def _check_features(features_a, features_b, where: str) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{where} got feature arrays of shapes {a.shape} and {b.shape}; expected "
            "(N, d) and (M, d) with the same d, e.g. both from classifier_outputs."
        )
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError(f"{where} got NaN or infinite features; check the images.")
    return a, b


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (the FID formula).

    ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)). The trace of the square root
    equals the sum of square roots of the eigenvalues of the symmetric matrix
    S_a^(1/2) S_b S_a^(1/2), computed with ``eigh`` and clipped at 0. Warns when a set
    has no more samples than features (its covariance is then singular).

    Example:
        >>> x = np.random.default_rng(0).normal(size=(500, 4))
        >>> round(frechet_distance(x, x + 1), 6)
        4.0
    """
    a, b = _check_features(features_a, features_b, "frechet_distance")
    if min(len(a), len(b)) < 2:
        raise ValueError(
            f"frechet_distance got {len(a)} and {len(b)} samples; a covariance needs at least "
            "2 per set (use thousands for a stable estimate)."
        )
    if min(len(a), len(b)) <= a.shape[1]:
        warnings.warn(
            f"frechet_distance got {len(a)} and {len(b)} samples of {a.shape[1]} features: "
            "with N <= d the covariance is singular and the distance is strongly biased. "
            "Use many more samples than features.",
            RuntimeWarning,
            stacklevel=2,
        )
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    values, vectors = np.linalg.eigh(cov_a)
    sqrt_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = sqrt_a @ cov_b @ sqrt_a
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    mean_term = float(np.sum((a.mean(axis=0) - b.mean(axis=0)) ** 2))
    return max(0.0, mean_term + float(np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt))


def kernel_inception_distance(
    features_a: np.ndarray,
    features_b: np.ndarray,
    num_subsets: int = 10,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """Unbiased squared MMD with kernel (x.y / d + 1)^3, averaged over random subsets.

    The KID of Bińkowski et al. (ICLR 2018). Each subset draws ``subset_size`` samples
    (fewer if a set is smaller) from each set without replacement. The estimate is
    unbiased, so it can be slightly negative when both sets share one distribution.

    Returns:
        ``(mean, standard_error)`` over the subsets. Subsets overlap, so the standard
        error is approximate; it is ``nan`` when both sets are no larger than
        ``subset_size``, as every subset then holds all the samples.

    Example:
        >>> a = np.random.default_rng(0).normal(size=(4000, 8))
        >>> mean, standard_error = kernel_inception_distance(a[:2000], a[2000:] + 1)
        >>> round(mean), standard_error < 0.5
        (8, True)
    """
    a, b = _check_features(features_a, features_b, "kernel_inception_distance")
    m = min(subset_size, len(a), len(b))
    if num_subsets < 2 or m < 2:
        raise ValueError(
            f"kernel_inception_distance got num_subsets={num_subsets}, subset_size="
            f"{subset_size} and sets of {len(a)} and {len(b)} samples; expected "
            "num_subsets >= 2 and at least 2 samples per subset."
        )
    rng = np.random.default_rng(seed)
    dim = a.shape[1]
    estimates = []
    for _ in range(num_subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        k_xx, k_yy = (x @ x.T / dim + 1) ** 3, (y @ y.T / dim + 1) ** 3
        k_xy = (x @ y.T / dim + 1) ** 3
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
        estimates.append(within - 2 * k_xy.mean())
    if m == len(a) == len(b):
        return float(np.mean(estimates)), float("nan")
    return float(np.mean(estimates)), float(np.std(estimates, ddof=1) / np.sqrt(num_subsets))


def _squared_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    squared = (x**2).sum(axis=1)[:, None] + (y**2).sum(axis=1)[None, :] - 2 * x @ y.T
    return np.clip(squared, 0, None)


def _knn_radii(x: np.ndarray, k: int, block_size: int) -> np.ndarray:
    """Squared distance from each point to its k-th nearest neighbour, itself excluded."""
    radii = [
        np.partition(_squared_distances(x[i : i + block_size], x), k, axis=1)[:, k]
        for i in range(0, len(x), block_size)
    ]
    return np.concatenate(radii)


def _share_inside(points: np.ndarray, centres: np.ndarray, radii, block_size: int) -> float:
    inside = [
        np.any(_squared_distances(points[i : i + block_size], centres) <= radii, axis=1)
        for i in range(0, len(points), block_size)
    ]
    return float(np.concatenate(inside).mean())


def precision_recall(
    real_features: np.ndarray, fake_features: np.ndarray, k: int = 3, block_size: int = 1000
) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al., NeurIPS 2019).

    Each sample gets a ball reaching its ``k``-th nearest neighbour in its own set; the
    union of balls is that set's manifold. Precision is the share of fake samples inside
    the real manifold (quality), recall the share of real samples inside the fake
    manifold (coverage). Distances are computed ``block_size`` rows at a time, so memory
    stays near ``block_size * max(N, M) * 8`` bytes.

    Example:
        >>> x = np.random.default_rng(0).normal(size=(200, 8))
        >>> precision_recall(x, x)
        (1.0, 1.0)
    """
    real, fake = _check_features(real_features, fake_features, "precision_recall")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1 or min(len(real), len(fake)) <= k:
        raise ValueError(
            f"precision_recall got k={k!r} with {len(real)} real and {len(fake)} fake samples; "
            "expected a positive int k smaller than both set sizes (k=3 is the usual choice)."
        )
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"block_size={block_size!r} must be a positive int, e.g. 1000.")
    real_radii = _knn_radii(real, k, block_size)
    fake_radii = _knn_radii(fake, k, block_size)
    precision = _share_inside(fake, real, real_radii[None, :], block_size)
    recall = _share_inside(real, fake, fake_radii[None, :], block_size)
    return precision, recall


def _grid_histogram(samples, limits, bins: int) -> np.ndarray:
    clipped = np.clip(samples, limits[0], limits[1])
    counts, _, _ = np.histogram2d(clipped[:, 0], clipped[:, 1], bins=bins, range=[limits] * 2)
    return counts / len(samples)


def grid_js_divergence(
    real_samples: np.ndarray,
    fake_samples: np.ndarray,
    bins: int = 30,
    limits: tuple[float, float] | None = None,
    eps: float = 1e-4,
) -> float:
    """Jensen-Shannon divergence between grid histograms of 2-D samples, GAN Lab's chart.

    Both sets are binned on a ``bins`` x ``bins`` grid over the square
    ``limits`` x ``limits``; points outside count in the border cells. Each cell's
    share gets ``eps`` added, then each histogram is renormalised (GAN Lab adds ``eps``
    without renormalising and uses log2), so the result is a true JS divergence in
    nats: 0 for equal histograms, at most log 2 (about 0.693), a little less than
    log 2 for disjoint sets because of ``eps``.

    Args:
        real_samples: ``(N, 2)`` points.
        fake_samples: ``(M, 2)`` points.
        bins: Cells per axis.
        limits: ``(low, high)`` for both axes; ``None`` uses the square spanning the
            real samples, widened by 10 % on each side.
        eps: Added to every cell's share before renormalising.

    Example:
        >>> points = np.random.default_rng(0).normal(size=(1000, 2))
        >>> grid_js_divergence(points, points)
        0.0
        >>> round(grid_js_divergence(points, points + 100, eps=0), 4)  # disjoint: log 2
        0.6931
    """
    real, fake = np.asarray(real_samples, np.float64), np.asarray(fake_samples, np.float64)
    for points in (real, fake):
        if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
            raise ValueError(
                f"grid_js_divergence got samples of shapes {real.shape} and {fake.shape}; "
                "expected 2-D points, (N, 2) and (M, 2), with N, M > 0."
            )
    real, fake = _check_features(real, fake, "grid_js_divergence")
    if limits is None:
        low, high = float(real.min()), float(real.max())
        margin = 0.1 * (high - low) or 1.0
        limits = (low - margin, high + margin)
    if len(limits) != 2 or not limits[0] < limits[1] or bins < 1 or eps < 0:
        raise ValueError(
            f"grid_js_divergence got limits={limits}, bins={bins}, eps={eps}; expected "
            "limits=(low, high) with low < high, bins >= 1 and eps >= 0."
        )
    p = _grid_histogram(real, limits, bins).ravel() + eps
    q = _grid_histogram(fake, limits, bins).ravel() + eps
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    return max(0.0, float((_kl(p, m) + _kl(q, m)) / 2))
