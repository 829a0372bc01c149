import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from gan_helpers.data import DataError
from gan_helpers.gan import GAN, discriminator_step, generator_step, simultaneous_step
from gan_helpers.models import (
    build_discriminator,
    build_generator,
    build_mlp_discriminator,
    build_mlp_generator,
)
from tests.conftest import snapshot


def _dcgan():
    keras.utils.set_random_seed(0)
    gan = GAN(build_generator(latent_dim=16), build_discriminator(), seed=3)
    gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
    return gan


def _real_images(n=8):
    return tf.random.stateless_uniform((n, 28, 28, 1), seed=[1, 2], minval=-1.0, maxval=1.0)


def _changed(before, after):
    return [not np.array_equal(b, a) for b, a in zip(before, after)]


def test_discriminator_step_changes_no_generator_weight():
    gan = _dcgan()
    g_before = snapshot(gan.generator.trainable_variables)
    d_before = snapshot(gan.discriminator.trainable_variables)
    d_loss = ops.mean(
        discriminator_step(
            gan.generator,
            gan.discriminator,
            gan.d_optimizer,
            gan.d_loss_fn,
            _real_images(),
            gan.sample_latent(8),
        )
    )
    assert np.isfinite(float(d_loss))
    assert not any(_changed(g_before, snapshot(gan.generator.trainable_variables)))
    assert all(_changed(d_before, snapshot(gan.discriminator.trainable_variables)))


def test_generator_step_changes_no_discriminator_weight():
    gan = _dcgan()
    d_before = snapshot(gan.discriminator.variables)  # trainable and not
    g_before = snapshot(gan.generator.trainable_variables)
    g_loss = ops.mean(
        generator_step(
            gan.generator, gan.discriminator, gan.g_optimizer, gan.g_loss_fn, gan.sample_latent(8)
        )
    )
    assert np.isfinite(float(g_loss))
    assert not any(_changed(d_before, snapshot(gan.discriminator.variables)))
    # every generator kernel moves (batch-norm betas/gammas too)
    assert all(_changed(g_before, snapshot(gan.generator.trainable_variables)))


def test_simultaneous_step_moves_each_network_by_its_own_loss(make_toy_gan, ring_points):
    gan = make_toy_gan(update="simultaneous")
    g_before = snapshot(gan.generator.trainable_variables)
    d_before = snapshot(gan.discriminator.trainable_variables)
    d_loss, g_loss = (
        ops.mean(loss)
        for loss in simultaneous_step(
            gan.generator,
            gan.discriminator,
            gan.d_optimizer,
            gan.g_optimizer,
            gan.d_loss_fn,
            gan.g_loss_fn,
            tf.constant(ring_points[:32]),
            gan.sample_latent(32),
        )
    )
    assert np.isfinite(float(d_loss)) and np.isfinite(float(g_loss))
    assert all(_changed(g_before, snapshot(gan.generator.trainable_variables)))
    assert all(_changed(d_before, snapshot(gan.discriminator.trainable_variables)))
    # each optimizer stepped exactly once
    assert int(gan.d_optimizer.iterations) == 1 and int(gan.g_optimizer.iterations) == 1


@pytest.mark.slow
@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_training_on_the_ring_teaches_d_to_score_real_above_fake(make_toy_gan, update):
    from gan_helpers.toy import make_ring

    points = make_ring().sample(4096, seed=1)
    gan = make_toy_gan(update=update)
    dataset = tf.data.Dataset.from_tensor_slices(points).batch(128, drop_remainder=True)
    history = gan.fit(dataset.repeat(10), epochs=1, verbose=0)  # 320 steps
    assert all(np.isfinite(history.history["d_loss"] + history.history["g_loss"]))
    real_logits = gan.discriminator(points[:512]).numpy()
    fake_logits = gan.discriminator(gan(tf.random.normal((512, gan.latent_dim)))).numpy()
    assert real_logits.mean() > fake_logits.mean()


@pytest.mark.slow
def test_fit_reports_both_losses_and_counts_steps(make_toy_gan, ring_points):
    gan = make_toy_gan()
    dataset = tf.data.Dataset.from_tensor_slices(ring_points).batch(32, drop_remainder=True)
    history = gan.fit(dataset, epochs=2, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    assert len(history.history["d_loss"]) == 2
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 16
    assert int(gan.latent_draws) == 32  # two draws per alternating step


class FixedLatentGAN(GAN):
    """Draws latent vectors by a fixed formula instead of a random generator.

    XLA compiles its own random-number kernels, which give other numbers than
    TensorFlow's for the same seed (max difference 3.2 in a 4x3 standard-normal draw,
    measured here), so a compiled and an eager step can only be compared on the same
    latent vectors.
    """

    def sample_latent(self, batch_size):
        draw = tf.cast(self.latent_draws.value, tf.float32)
        self.latent_draws.assign_add(1)
        grid = tf.reshape(
            tf.range(batch_size * self.latent_dim, dtype=tf.float32), (batch_size, self.latent_dim)
        )
        return tf.sin(grid * 0.37 + draw)


@pytest.mark.slow
@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_jit_compiled_step_matches_eager(make_toy_gan, ring_points, update):
    dataset = tf.data.Dataset.from_tensor_slices(ring_points).batch(64, drop_remainder=True)
    eager = make_toy_gan(
        update=update, sgd=True, compile_kwargs={"run_eagerly": True}, gan_class=FixedLatentGAN
    )
    xla = make_toy_gan(
        update=update, sgd=True, compile_kwargs={"jit_compile": True}, gan_class=FixedLatentGAN
    )
    # Keras silently falls back to jit_compile=False (with only a warning) when op
    # determinism is on or a layer cannot be compiled; then this test would compare eager
    # with plain tf.function and prove nothing about XLA.
    assert xla.jit_compile is True, "Keras turned XLA off; is op determinism enabled?"
    initial = snapshot(eager.variables)
    for a, b in zip(initial, xla.variables):
        np.testing.assert_array_equal(a, b.numpy())
    eager.fit(dataset, epochs=1, verbose=0)
    xla.fit(dataset, epochs=1, verbose=0)
    assert all(_changed(initial, snapshot(eager.variables))), "training did not move weights"
    for a, b in zip(eager.variables, xla.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5, err_msg=a.path)


@pytest.mark.slow
@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_mirrored_strategy_step_matches_single_device(make_toy_gan, ring_points, update):
    devices = tf.config.list_logical_devices("CPU")
    if len(devices) < 2:
        pytest.skip("needs two logical CPU devices (configured in conftest before TF starts)")
    global_batch = ring_points[:64]
    dataset = tf.data.Dataset.from_tensor_slices(global_batch).batch(64)
    single = make_toy_gan(update=update, sgd=True)
    strategy = tf.distribute.MirroredStrategy([d.name for d in devices[:2]])
    with strategy.scope():
        mirrored = make_toy_gan(update=update, sgd=True)
    mirrored.set_weights(single.get_weights())
    single.fit(dataset, epochs=1, verbose=0)
    mirrored.fit(dataset, epochs=1, verbose=0)
    assert strategy.num_replicas_in_sync == 2
    for a, b in zip(single.variables, mirrored.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5, err_msg=a.path)


@pytest.mark.slow
def test_mixed_bfloat16_trains_and_keeps_float32_variables(ring_points):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        keras.utils.set_random_seed(0)
        gan = GAN(build_mlp_generator(latent_dim=4, hidden=32), build_mlp_discriminator(hidden=32))
        gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
        dataset = tf.data.Dataset.from_tensor_slices(ring_points).batch(64, drop_remainder=True)
        history = gan.fit(dataset, epochs=1, verbose=0)
        hidden_layer = gan.generator.layers[0]
        assert hidden_layer.compute_dtype == "bfloat16"
        assert {v.dtype for v in gan.generator.trainable_variables} == {"float32"}
        assert {v.dtype for v in gan.discriminator.trainable_variables} == {"float32"}
        assert np.isfinite(history.history["d_loss"][0])
    finally:
        keras.config.set_dtype_policy(previous)


@pytest.mark.gpu
def test_step_on_gpu_with_mixed_float16(ring_points):
    if not tf.config.list_physical_devices("GPU"):
        pytest.skip("no GPU visible to TensorFlow; run `pytest -m gpu` on a Colab GPU runtime")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        gan = _dcgan()
        assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
        dataset = tf.data.Dataset.from_tensor_slices(_real_images(64)).batch(32)
        with tf.device("/GPU:0"):
            history = gan.fit(dataset, epochs=1, verbose=0)
        assert np.isfinite(history.history["g_loss"][0])
        assert {v.dtype for v in gan.generator.trainable_variables} == {"float32"}
    finally:
        keras.config.set_dtype_policy(previous)


@pytest.mark.gpu
def test_mirrored_strategy_over_all_gpus(ring_points):
    gpus = tf.config.list_physical_devices("GPU")
    if len(gpus) < 2:
        pytest.skip(f"needs two GPUs; TensorFlow sees {len(gpus)}")
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        gan = _dcgan()
    dataset = tf.data.Dataset.from_tensor_slices(_real_images(128)).batch(64)
    history = gan.fit(dataset, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])


def test_bad_networks_and_options_give_clear_errors():
    generator, discriminator = build_mlp_generator(latent_dim=4), build_mlp_discriminator()
    with pytest.raises(TypeError, match="generator must be a keras.Model"):
        GAN("generator", discriminator)
    with pytest.raises(ValueError, match="latent_dim=8 but the generator takes vectors of size 4"):
        GAN(generator, discriminator, latent_dim=8)
    with pytest.raises(ValueError, match=r"samples of shape \(2,\).*expects \(28, 28, 1\)"):
        GAN(generator, build_discriminator())
    with pytest.raises(ValueError, match="update='sometimes' is not known"):
        GAN(generator, discriminator, update="sometimes")
    gan = GAN(generator, discriminator)
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="same object"):
        gan.compile(shared, shared)
    with pytest.raises(TypeError, match="d_optimizer must be a keras.optimizers.Optimizer"):
        gan.compile("adam", keras.optimizers.Adam())


def test_bad_batches_give_clear_errors(make_toy_gan):
    gan = make_toy_gan()
    wrong_shape = tf.data.Dataset.from_tensor_slices(np.zeros((8, 3), np.float32)).batch(4)
    with pytest.raises(ValueError, match=r"batches of shape \(None, 3\).*expects \(batch, 2\)"):
        gan.fit(wrong_shape, epochs=1, verbose=0)
    gan = make_toy_gan()
    as_uint8 = tf.data.Dataset.from_tensor_slices(np.zeros((8, 2), np.uint8)).batch(4)
    with pytest.raises(TypeError, match="normalize"):
        gan.fit(as_uint8, epochs=1, verbose=0)


# --- GAN.fit refuses real data that would train silently on garbage -------------------------


def _tiny_image_gan():
    """A GAN on 4x4x1 images, small enough to trace in a second."""
    keras.utils.set_random_seed(0)
    generator = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(16, activation="tanh"),
            keras.layers.Reshape((4, 4, 1)),
        ]
    )
    discriminator = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    gan = GAN(generator, discriminator, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


def _all_state(gan):
    return snapshot([*gan.variables, *gan.d_optimizer.variables, *gan.g_optimizer.variables])


_PIXELS = np.random.default_rng(0).integers(0, 256, (32, 4, 4, 1)).astype(np.float32)
_WITH_NAN = _PIXELS / 127.5 - 1
_WITH_NAN[5, 1, 2, 0] = np.nan
_BAD_IMAGES = {
    "raw pixels in [0, 255]": (_PIXELS, r"values in \[0, 255\].*normalize\(images\)"),
    "pixels / 255 in [0, 1]": (_PIXELS / 255, r"look scaled to \[0, 1\].*normalize\(images\)"),
    "NaN": (_WITH_NAN, "1 NaN or infinite values"),
}


@pytest.mark.slow
def test_fit_refuses_unscaled_and_nan_images_before_anything_moves():
    gan = _tiny_image_gan()
    before = _all_state(gan)
    for images, message in _BAD_IMAGES.values():
        as_dataset = tf.data.Dataset.from_tensor_slices(images).batch(16)
        as_labelled = tf.data.Dataset.from_tensor_slices((images, np.zeros(32))).batch(16)
        for x in (images, as_dataset, as_labelled):
            with pytest.raises(DataError, match=message):
                gan.fit(x, epochs=1, batch_size=None if x is not images else 16, verbose=0)
    after = _all_state(gan)
    # not a weight, not an optimizer's step counter, not the latent-draw counter moved
    assert all(np.array_equal(b, a) for b, a in zip(before, after))
    assert int(gan.d_optimizer.iterations) == int(gan.latent_draws) == 0
    scaled = tf.data.Dataset.from_tensor_slices(_PIXELS / 127.5 - 1).batch(16)
    history = gan.fit(scaled, epochs=1, verbose=0)  # the same model then trains normally
    assert int(gan.d_optimizer.iterations) == 2 and np.isfinite(history.history["d_loss"][0])


def test_fit_refuses_nan_points_but_not_points_outside_the_image_range(make_toy_gan):
    gan = make_toy_gan()
    points = np.array([[2.0, 0.0], [0.0, -2.0], [np.inf, 0.0], [1.0, 1.0]], np.float32)
    with pytest.raises(DataError, match=r"samples of shape \(4, 2\) with 1 NaN or infinite"):
        gan.fit(points, batch_size=2, epochs=1, verbose=0)
    points[2] = [-2.0, 0.0]  # the ring has radius 2: points are not pixels, any finite value
    gan.fit(points, batch_size=2, epochs=0, verbose=0)  # passes the check (and trains 0 epochs)


@pytest.mark.slow
def test_dataset_check_leaves_the_data_order_and_the_results_unchanged(
    make_toy_gan, ring_points, op_determinism
):
    """The check runs inside the pipeline: peeking at a batch first would reshuffle.

    GAN.fit reads a finite dataset as endless passes, ``steps_per_epoch`` batches per
    epoch (Keras could not count the batches of the checked pipeline otherwise).
    """
    from gan_helpers.data import make_dataset

    checked, plain = make_toy_gan(), make_toy_gan()
    checked.fit(make_dataset(ring_points, 32, seed=5), epochs=2, verbose=0)
    keras.Model.fit(
        plain,
        make_dataset(ring_points, 32, seed=5).repeat(),
        epochs=2,
        steps_per_epoch=len(ring_points) // 32,
        shuffle=False,
        verbose=0,
    )
    for a, b in zip(checked.variables, plain.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)


def _scaled(n=64):
    return np.random.default_rng(1).integers(0, 256, (n, 4, 4, 1)).astype(np.float32) / 127.5 - 1


_LATER_BAD_BATCH = {
    "NaN": (lambda batch: np.where(np.arange(batch.size).reshape(batch.shape) == 7, np.nan, batch),
            "1 NaN or infinite values"),
    "raw pixels": (lambda batch: (batch + 1) * 127.5, r"values in \[0, 25\d\]"),
    "pixels / 255": (lambda batch: (batch + 1) / 2, r"look scaled to \[0, 1\]"),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(_LATER_BAD_BATCH))
def test_fit_stops_before_a_bad_later_batch_with_the_weights_of_the_good_ones(kind, op_determinism):
    spoil, message = _LATER_BAD_BATCH[kind]
    images = _scaled(64)  # four batches of 16; the third one goes bad
    spoiled = images.copy()
    spoiled[32:48] = spoil(images[32:48])
    gan, reference = _tiny_image_gan(), _tiny_image_gan()
    dataset = tf.data.Dataset.from_tensor_slices(spoiled).batch(16)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(DataError, match=rf"batch 3 of pass 1 over the data.*{message}"):
            gan.fit(dataset, epochs=2, verbose=0)
    assert not [w for w in caught if "ran out of data" in str(w.message)]
    reference.fit(tf.data.Dataset.from_tensor_slices(images[:32]).batch(16), epochs=1, verbose=0)
    assert int(gan.d_optimizer.iterations) == int(reference.d_optimizer.iterations) == 2
    for a, b in zip(_all_state(gan), _all_state(reference)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_fit_refuses_small_batches_of_images_scaled_to_unit_range():
    gan = _tiny_image_gan()
    before = _all_state(gan)
    unit = (_scaled(32) + 1) / 2  # under 16 images per batch: the NumPy check does not decide
    with pytest.raises(DataError, match=r"batch 1 of .* 8 images .* none below 0"):
        gan.fit(tf.data.Dataset.from_tensor_slices(unit).batch(8), epochs=1, verbose=0)
    assert all(np.array_equal(b, a) for b, a in zip(before, _all_state(gan)))


@pytest.mark.slow
def test_a_dataset_that_really_runs_out_still_gets_keras_warning():
    gan = _tiny_image_gan()
    with pytest.warns(UserWarning, match="ran out of data"):
        gan.fit(
            tf.data.Dataset.from_tensor_slices(_scaled(32)).batch(16),
            epochs=2,
            steps_per_epoch=3,
            verbose=0,
        )


def test_xla_is_off_by_default_even_where_keras_would_turn_it_on(monkeypatch):
    """Keras' jit_compile="auto" turns XLA on when a GPU is visible; GAN.compile does not."""
    gpu = tf.config.PhysicalDevice(name="/physical_device:GPU:0", device_type="GPU")
    real = tf.config.list_physical_devices

    def with_a_gpu(device_type=None):
        found = real(device_type)
        return found + [gpu] if device_type in (None, "GPU") else found

    monkeypatch.setattr(tf.config, "list_physical_devices", with_a_gpu)
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    plain.compile(optimizer="adam", loss="mse")
    assert plain.jit_compile is True  # what a Colab GPU learner would get from Keras
    gan = _tiny_image_gan()
    assert gan.jit_compile is False
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam(), jit_compile="auto")
    assert gan.jit_compile is True
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam(), jit_compile=True)
    assert gan.jit_compile is True
