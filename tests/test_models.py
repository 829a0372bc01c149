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


def test_mlp_seeds_fix_every_kernel_without_global_state():
    import keras

    seeds = [11, 12, 13]
    keras.utils.set_random_seed(1)
    first = models.build_mlp_generator(latent_dim=4, hidden=8, depth=2, seeds=seeds)
    keras.utils.set_random_seed(2)
    second = models.build_mlp_generator(latent_dim=4, hidden=8, depth=2, seeds=seeds)
    for a, b in zip(first.weights, second.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    other = models.build_mlp_generator(latent_dim=4, hidden=8, depth=2, seeds=[11, 12, 14])
    np.testing.assert_array_equal(first.weights[0].numpy(), other.weights[0].numpy())
    assert not np.array_equal(first.weights[-2].numpy(), other.weights[-2].numpy())
    # without seeds the builders follow Keras' global seed, as notebooks 03 and 10 expect
    keras.utils.set_random_seed(3)
    plain = models.build_mlp_discriminator(hidden=8, depth=2).weights[0].numpy()
    keras.utils.set_random_seed(3)
    np.testing.assert_array_equal(
        plain, models.build_mlp_discriminator(hidden=8, depth=2).weights[0].numpy()
    )


def test_mlp_discriminator_packs_and_wraps_every_dense_layer_in_spectral_norm():
    from keras import layers

    packed = models.build_mlp_discriminator(hidden=8, depth=2, pack=3)
    assert packed.input_shape == (None, 6) and packed.output_shape == (None, 1)
    normalized = models.build_mlp_discriminator(hidden=8, depth=2, spectral_norm=True)
    dense = [la for la in normalized.layers if not isinstance(la, layers.LeakyReLU)]
    assert len(dense) == 3
    assert all(isinstance(la, layers.SpectralNormalization) for la in dense)
    plain = models.build_mlp_discriminator(hidden=8, depth=2)
    assert not any(isinstance(la, layers.SpectralNormalization) for la in plain.layers)
    # same trainable weights; each wrapper adds one non-trainable vector u
    assert normalized.count_params() == plain.count_params() + 8 + 8 + 1
    assert len(normalized.trainable_weights) == len(plain.trainable_weights)


def test_bad_mlp_options_give_clear_errors():
    with pytest.raises(ValueError, match=r"seeds=\[1, 2\] does not fit depth=2; expected 3 ints"):
        models.build_mlp_generator(depth=2, seeds=[1, 2])
    with pytest.raises(ValueError, match="expected 4 ints"):
        models.build_mlp_discriminator(depth=3, seeds=[1, 2, 3, 4.0])
    with pytest.raises(ValueError, match="depth=0 must be a positive int"):
        models.build_mlp_generator(depth=0)
    with pytest.raises(ValueError, match="pack=0 must be a positive int"):
        models.build_mlp_discriminator(pack=0)
