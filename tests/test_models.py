import re

import numpy as np
import pytest

from gan_helpers import models

BUILDERS = [
    models.build_generator,
    models.build_discriminator,
    models.build_article_generator,
    models.build_article_discriminator,
    models.build_mlp_generator,
    models.build_mlp_discriminator,
]


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_docstring_states_the_true_parameter_count(builder):
    model = builder()
    stated = re.search(r"has ([\d,]+) parameters", builder.__doc__)
    assert stated, f"{builder.__name__} docstring does not state its parameter count"
    assert int(stated.group(1).replace(",", "")) == model.count_params()
    trainable = re.search(r"\(([\d,]+) trainable\)", builder.__doc__)
    if trainable:
        count = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        assert int(trainable.group(1).replace(",", "")) == count


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_docstring_states_the_true_output_shape(builder):
    stated = re.search(r">>> \w+\(\)\.output_shape\n\s+(\(.*\))", builder.__doc__)
    assert stated and stated.group(1) == str(builder().output_shape)


def test_generators_make_images_in_tanh_range():
    generator = models.build_generator(latent_dim=10)
    images = generator(np.random.default_rng(0).normal(size=(4, 10)) * 10).numpy()
    assert images.shape == (4, 28, 28, 1) and images.min() >= -1 and images.max() <= 1


def test_discriminators_return_logits_unless_asked_for_the_article_sigmoid():
    assert models.build_discriminator().layers[-1].activation.__name__ == "linear"
    assert models.build_article_discriminator().layers[-1].activation.__name__ == "linear"
    article = models.build_article_discriminator(logits=False)
    assert article.layers[-1].activation.__name__ == "sigmoid"


def test_bad_sizes_give_clear_errors():
    with pytest.raises(ValueError, match="latent_dim=0 must be a positive int"):
        models.build_generator(latent_dim=0)
    with pytest.raises(ValueError, match="hidden=2.5 must be a positive int"):
        models.build_mlp_discriminator(hidden=2.5)
