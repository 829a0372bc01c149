"""Every exercise check accepts its right answers, rejects wrong ones and never shows the answer."""

import re

import pytest

from gan_helpers import exercises

SIMPLE = [k for k in exercises.exercise_keys() if exercises.EXAMPLES[k].get("context") is None]


@pytest.mark.parametrize("key", SIMPLE)
def test_right_answers_pass_and_wrong_ones_fail(key, capsys):
    examples = exercises.EXAMPLES[key]
    assert examples["right"] and examples["wrong"], "each check needs right and wrong examples"
    for answer in examples["right"]:
        assert exercises.check(key, answer) is True, answer
    for answer in examples["wrong"]:
        assert exercises.check(key, answer) is False, answer
    out = capsys.readouterr().out
    assert "还不对" in out and "正确" in out


@pytest.mark.parametrize("key", SIMPLE)
def test_feedback_never_contains_a_right_answer(key, capsys):
    for answer in exercises.EXAMPLES[key]["wrong"]:
        exercises.check(key, answer)
    out = capsys.readouterr().out
    for right in exercises.EXAMPLES[key]["right"]:
        if isinstance(right, (int, float)) and not isinstance(right, bool):
            numbers = {float(n.replace(",", "")) for n in re.findall(r"-?\d[\d,]*\.?\d*", out)}
            assert float(right) not in numbers, f"feedback shows the answer {right}"
        else:
            assert repr(right) not in out and str(right) not in out


def test_no_answer_yet_is_not_right(capsys):
    assert exercises.check("03.core", None) is False
    assert "还没有作答" in capsys.readouterr().out


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(ValueError, match="No check for exercise '99.core'"):
        exercises.check("99.core", 1)


def test_a_malformed_answer_is_wrong_not_a_crash(capsys):
    assert exercises.check("03.core", "a lot") is False
    assert "格式不对" in capsys.readouterr().out


@pytest.mark.slow
def test_the_noise_fd_check_recomputes_the_answer(capsys):
    """06.core needs the notebook's objects; an untrained judge and generator will do here."""
    import keras

    from gan_helpers import data
    from gan_helpers.classifier import build_classifier, classifier_outputs
    from gan_helpers.evaluation import make_groups
    from gan_helpers.metrics import frechet_distance
    from gan_helpers.models import build_generator

    keras.utils.set_random_seed(0)
    judge, generator = build_classifier(), build_generator(100)
    images, labels = data.load_mnist_test()
    images = data.normalize(images[:600])
    features, probabilities = classifier_outputs(judge, images)
    held_out = {
        "images": images,
        "labels": labels[:600],
        "features": features,
        "probabilities": probabilities,
    }
    context = dict(generator=generator, classifier=judge, held_out=held_out, num_images=200)
    right = []
    for sigma in (0.1, 0.3, 0.5):
        reference, groups = make_groups(generator, judge, held_out, 200, sigma, 0)
        right.append(frechet_distance(reference, groups["noised"][0]))
    assert exercises.check("06.core", right, **context) is True
    assert exercises.check("06.core", [1.0, 2.0, 3.0], **context) is False
    assert exercises.check("06.core", right[::-1], **context) is False
    assert exercises.check("06.core", right[:2], **context) is False
    out = capsys.readouterr().out
    assert f"{right[1]:.1f}" not in out and f"{right[1]:.2f}" not in out
