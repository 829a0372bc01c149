import json
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_helpers import callbacks, plotting
from gan_helpers.animation import read_frames, tile
from gan_helpers.callbacks import ImageMonitor
from gan_helpers.gan import GAN
from gan_helpers.models import build_discriminator, build_generator


def _tiny_image_gan():
    keras.utils.set_random_seed(0)
    gan = GAN(build_generator(latent_dim=8), build_discriminator(), seed=1)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    return gan


def _images(n=16):
    return tf.data.Dataset.from_tensor_slices(
        np.random.default_rng(0).uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)
    ).batch(8)


@pytest.mark.slow
def test_monitor_uses_fixed_latent_vectors_and_saves_only_where_told(tmp_path):
    gan = _tiny_image_gan()
    monitor = ImageMonitor(num_images=4, every=2, directory=tmp_path / "grids", show=False)
    gan.fit(_images(), epochs=4, verbose=0, callbacks=[monitor])
    first = monitor.latent_vectors.copy()
    assert first.shape == (4, 8)
    assert sorted(monitor.grids) == [2, 4]
    assert monitor.grids[2].shape == (4, 28, 28, 1) and monitor.grids[2].dtype == np.uint8
    assert sorted(p.name for p in (tmp_path / "grids").iterdir()) == [
        "epoch_002.png",
        "epoch_004.png",
    ]
    gan.fit(_images(), epochs=1, verbose=0, callbacks=[monitor])  # a second fit keeps them
    np.testing.assert_array_equal(monitor.latent_vectors, first)
    # the saved file holds the grid's own pixels, ready to be a frame of an animation
    (epoch, saved), _ = read_frames(tmp_path / "grids")
    assert epoch == 2
    np.testing.assert_array_equal(saved, tile(monitor.grids[2]))


class _CollapsedGAN:
    """A stand-in model whose generator answers every latent vector with flat grey 0.5."""

    latent_dim = 4

    @staticmethod
    def generator(latent_vectors, training=False):
        return np.full((len(latent_vectors), 28, 28, 1), 0.5, np.float32)


def test_monitor_draws_a_grid_without_negative_values_on_the_generator_scale(monkeypatch):
    figures = []

    def recording_show_images(*args, **kwargs):
        figures.append(plotting.show_images(*args, **kwargs))
        return figures[-1]

    monkeypatch.setattr(callbacks, "show_images", recording_show_images)
    monkeypatch.setattr("IPython.display.display", lambda *args, **kwargs: None)
    monitor = ImageMonitor(num_images=2, show=True)
    monitor.set_model(_CollapsedGAN())
    monitor.on_train_begin()
    monitor.on_epoch_end(0)
    assert monitor.grids[1].min() == monitor.grids[1].max() == 191  # 0.5 in [-1, 1]
    # drawn 3/4 of the way to white, not as 0.5 (which a guessed [0, 1] range would give)
    np.testing.assert_allclose(figures[0].axes[0].images[0].get_array(), 191 / 255)


class _DivergedGAN(_CollapsedGAN):
    """A stand-in model whose generator returns NaN, as after a diverged training step."""

    @staticmethod
    def generator(latent_vectors, training=False):
        return np.full((len(latent_vectors), 28, 28, 1), np.nan, np.float32)


def test_monitor_draws_no_grid_of_nan_images_and_says_so(tmp_path, capsys):
    monitor = ImageMonitor(num_images=2, directory=tmp_path, show=False)
    monitor.set_model(_DivergedGAN())
    monitor.on_train_begin()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value encountered in cast"
        monitor.on_epoch_end(2)
    assert monitor.grids == {} and list(tmp_path.iterdir()) == []
    assert "epoch 3: the generator returned NaN or Inf; no grid" in capsys.readouterr().out


@pytest.mark.slow
def test_monitor_writes_nothing_without_a_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    gan = _tiny_image_gan()
    gan.fit(_images(), epochs=1, verbose=0, callbacks=[ImageMonitor(num_images=2, show=False)])
    assert list(tmp_path.iterdir()) == []


def test_monitor_rejects_bad_arguments():
    with pytest.raises(ValueError, match="every=0 must be a positive int"):
        ImageMonitor(every=0)


class _Interrupt(keras.callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt


@pytest.mark.slow
def test_backup_and_restore_resumes_exactly(make_toy_gan, ring_points, tmp_path, op_determinism):
    """Interrupted after epoch 2 and resumed == uninterrupted, weights and optimizer state."""

    def dataset():
        keras.utils.set_random_seed(0)
        points = tf.data.Dataset.from_tensor_slices(ring_points)
        return points.shuffle(len(ring_points), seed=5).batch(32, drop_remainder=True)

    reference = make_toy_gan()
    reference.fit(dataset(), epochs=4, verbose=0)

    backup = tmp_path / "backup"
    interrupted_data = dataset()  # one pipeline, so epoch 3 gets epoch 3's shuffle order
    first = make_toy_gan()
    with pytest.raises(KeyboardInterrupt):
        first.fit(
            interrupted_data,
            epochs=4,
            verbose=0,
            callbacks=[keras.callbacks.BackupAndRestore(backup), _Interrupt(2)],
        )
    assert "epoch" in json.loads((backup / "training_metadata.json").read_text())

    resumed = make_toy_gan(lr=0.5)  # fresh object, different settings: all must be restored
    history = resumed.fit(
        interrupted_data, epochs=4, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(backup)]
    )
    assert history.epoch == [2, 3]
    for name, a, b in (
        ("gan", reference.variables, resumed.variables),
        ("d_optimizer", reference.d_optimizer.variables, resumed.d_optimizer.variables),
        ("g_optimizer", reference.g_optimizer.variables, resumed.g_optimizer.variables),
    ):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=f"{name}: {x.path}")
    assert int(resumed.d_optimizer.iterations) == 4 * 8


@pytest.mark.slow
def test_stop_on_non_finite_loss_stops_after_the_first_bad_batch(make_toy_gan, ring_points):
    import math

    from gan_helpers.losses import discriminator_loss

    dataset = tf.data.Dataset.from_tensor_slices(ring_points).batch(32)  # 8 batches an epoch
    gan = make_toy_gan()

    def nan_from_step_3(real_logits, fake_logits):
        factor = tf.where(gan.d_optimizer.iterations >= 3, np.nan, 1.0)  # no NaN gradient before
        return discriminator_loss(real_logits, fake_logits) * factor

    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), d_loss_fn=nan_from_step_3)
    guard = callbacks.StopOnNonFiniteLoss()
    history = gan.fit(dataset, epochs=2, verbose=0, callbacks=[guard])
    epoch, batch, logs = guard.stopped_at  # batches 0-2 were finite and did not stop it
    assert (epoch, batch) == (0, 3) and math.isnan(logs["d_loss"])
    assert int(gan.d_optimizer.iterations) == 4 and history.epoch == [0]
    guard.on_train_begin()  # the next fit() starts afresh
    assert guard.stopped_at is None
