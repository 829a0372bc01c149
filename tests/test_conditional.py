import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_helpers.callbacks import ImageMonitor
from gan_helpers.conditional import (
    ConditionalGAN,
    build_conditional_discriminator,
    build_conditional_generator,
)
from gan_helpers.models import build_discriminator, build_generator
from tests.conftest import snapshot


def _cgan(update="alternating"):
    keras.utils.set_random_seed(0)
    cgan = ConditionalGAN(
        build_conditional_generator(16), build_conditional_discriminator(), update=update, seed=1
    )
    cgan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
    return cgan


def _batch(n=8):
    images = tf.random.stateless_uniform((n, 28, 28, 1), seed=[1, 2], minval=-1.0, maxval=1.0)
    return images, tf.constant(np.arange(n) % 10, tf.int32)


def _changed(before, after):
    return [not np.array_equal(b, a) for b, a in zip(before, after)]


def test_builders_state_their_parameter_counts():
    assert build_conditional_generator().count_params() == 1_098_741
    assert build_conditional_discriminator().count_params() == 147_425
    assert _cgan().num_classes == 10


def test_discriminator_step_changes_no_generator_weight():
    cgan = _cgan()
    images, labels = _batch()
    g_before = snapshot(cgan.generator.trainable_variables)
    d_before = snapshot(cgan.discriminator.trainable_variables)
    from gan_helpers.gan import discriminator_step

    losses = discriminator_step(
        cgan.generator,
        cgan.discriminator,
        cgan.d_optimizer,
        cgan.d_loss_fn,
        [images, labels],
        [cgan.sample_latent(8), labels],
    )
    assert np.all(np.isfinite(losses))
    assert not any(_changed(g_before, snapshot(cgan.generator.trainable_variables)))
    assert all(_changed(d_before, snapshot(cgan.discriminator.trainable_variables)))


def test_generator_step_changes_no_discriminator_weight():
    cgan = _cgan()
    _, labels = _batch()
    from gan_helpers.gan import generator_step

    d_before = snapshot(cgan.discriminator.variables)
    g_before = snapshot(cgan.generator.trainable_variables)
    losses = generator_step(
        cgan.generator,
        cgan.discriminator,
        cgan.g_optimizer,
        cgan.g_loss_fn,
        [cgan.sample_latent(8), labels],
    )
    assert np.all(np.isfinite(losses))
    assert not any(_changed(d_before, snapshot(cgan.discriminator.variables)))
    assert all(_changed(g_before, snapshot(cgan.generator.trainable_variables)))


@pytest.mark.slow
@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_fit_on_labelled_batches_and_monitor_grid(update, tmp_path):
    cgan = _cgan(update)
    images, labels = _batch(32)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(16)
    monitor = ImageMonitor(num_images=10, directory=tmp_path, show=False)
    history = cgan.fit(dataset, epochs=2, verbose=0, callbacks=[monitor])
    assert np.all(np.isfinite(history.history["d_loss"] + history.history["g_loss"]))
    assert monitor.grids[2].shape == (10, 28, 28, 1)
    assert int(cgan.d_optimizer.iterations) == 4


def test_the_label_changes_the_image():
    cgan = _cgan()
    latent_vectors = np.zeros((2, 16), np.float32)
    images = cgan([latent_vectors, np.array([3, 7], np.int32)]).numpy()
    assert images.shape == (2, 28, 28, 1)
    assert not np.allclose(images[0], images[1])


def test_bad_networks_and_batches_give_clear_errors():
    with pytest.raises(ValueError, match=r"takes \[latent_vectors, labels\]"):
        ConditionalGAN(build_generator(16), build_conditional_discriminator())
    with pytest.raises(ValueError, match=r"takes \[images, labels\]"):
        ConditionalGAN(build_conditional_generator(16), build_discriminator())
    cgan = _cgan()
    images, _ = _batch(8)
    with pytest.raises(ValueError, match=r"needs batches of \(images, labels\)"):
        cgan.fit(tf.data.Dataset.from_tensor_slices(images).batch(4), epochs=1, verbose=0)
