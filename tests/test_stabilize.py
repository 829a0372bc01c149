import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_helpers.stabilize import ToyGAN, ToyGANConfig, d_losses, train_toy_gan
from gan_helpers.toy import make_grid, make_ring
from tests.conftest import snapshot

SMALL = ToyGANConfig(hidden=16, depth=2, batch_size=32, latent_dim=4)
VARIANTS = {
    "baseline": {},
    "label_smoothing": {"label_smoothing": 0.1},
    "instance_noise": {"instance_noise": 0.1},
    "r1": {"r1_gamma": 1.0},
    "spectral_norm": {"spectral_norm": True},
    "wgan-gp": {"loss": "wgan-gp", "n_critic": 2},
    "pack": {"pack": 2},
    "hinge": {"loss": "hinge"},
    "ttur": {"d_lr": 4e-3, "g_lr": 1e-3},
}


def _gan(**changes):
    return ToyGAN(dataclasses.replace(SMALL, **changes), make_ring(), seed=0)


def _changed(before, after):
    return [not np.array_equal(b, a) for b, a in zip(before, after)]


@pytest.mark.parametrize("changes", [{}, {"loss": "wgan-gp"}, {"spectral_norm": True}])
def test_each_update_moves_only_its_own_network(changes):
    gan = _gan(**changes)
    g_before, d_before = snapshot(gan.generator.variables), snapshot(gan.discriminator.variables)
    d_trainable = snapshot(gan.discriminator.trainable_variables)
    gan.discriminator_update(gan.sample_real(32))
    assert not any(_changed(g_before, snapshot(gan.generator.variables)))
    # every D weight moves, except the critic's output bias under WGAN-GP (zero gradient)
    moved = _changed(d_trainable, snapshot(gan.discriminator.trainable_variables))
    assert sum(moved) >= len(moved) - 1 and moved[0]
    d_before = snapshot(gan.discriminator.variables)  # with spectral norm: also u vectors
    gan.generator_update()
    assert not any(_changed(d_before, snapshot(gan.discriminator.variables)))
    assert all(_changed(g_before, snapshot(gan.generator.trainable_variables)))


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_variant_trains_with_finite_losses(name):
    gan = _gan(**VARIANTS[name])
    d_loss, g_loss = gan.train(tf.constant(3))
    assert np.isfinite(float(d_loss)) and np.isfinite(float(g_loss))
    assert int(gan.rounds.numpy()) == 3


@pytest.mark.parametrize("changes", [{"r1_gamma": 1.0}, {"loss": "wgan-gp"}])
def test_penalties_are_positive_and_finite(changes):
    gan = _gan(**changes)
    d_loss, penalty = gan.discriminator_update(gan.sample_real(32))
    assert 0 < float(penalty) < 1e6 and np.isfinite(float(d_loss))


def test_no_penalty_for_the_baseline():
    gan = _gan()
    assert float(gan.discriminator_update(gan.sample_real(32))[1]) == 0.0


def test_spectral_norm_wraps_every_dense_layer_of_d():
    gan = _gan(spectral_norm=True)
    wrapped = [la for la in gan.discriminator.layers if not isinstance(la, keras.layers.LeakyReLU)]
    assert len(wrapped) == 3
    assert all(isinstance(la, keras.layers.SpectralNormalization) for la in wrapped)
    plain = _gan().discriminator.layers
    assert not any(isinstance(la, keras.layers.SpectralNormalization) for la in plain)


def test_pack_two_feeds_d_half_as_many_rows_of_four():
    gan = _gan(pack=2)
    assert gan.discriminator.input_shape == (None, 4)
    assert tuple(gan.pack(gan.sample_real(32)).shape) == (16, 4)
    d_loss, _ = gan.discriminator_update(gan.sample_real(32))
    assert np.isfinite(float(d_loss))


def test_one_sided_label_smoothing_on_hand_made_logits():
    real, fake = tf.constant([2.0]), tf.constant([-1.0])
    softplus = lambda t: np.log1p(np.exp(t))  # noqa: E731
    plain = float(d_losses(SMALL, real, fake)[0])
    smooth = float(d_losses(dataclasses.replace(SMALL, label_smoothing=0.1), real, fake)[0])
    assert plain == pytest.approx(softplus(-2.0) + softplus(-1.0), rel=1e-5)
    # only the real target moves to 0.9; the fake target stays 0
    assert smooth == pytest.approx(0.9 * softplus(-2) + 0.1 * softplus(2) + softplus(-1), rel=1e-5)
    assert smooth > plain


def test_baseline_learns_to_tell_real_from_fake():
    gan = _gan()
    gan.train(tf.constant(300))
    real = tf.sigmoid(gan.discriminator(gan.sample_real(512))).numpy().mean()
    fake_points = gan.generator(tf.random.normal([512, 4], seed=1))
    fake = tf.sigmoid(gan.discriminator(fake_points)).numpy().mean()
    assert real > fake


def test_train_toy_gan_history():
    config = dataclasses.replace(SMALL, instance_noise=0.1, anneal_steps=10)
    history = train_toy_gan(config, make_grid(), steps=25, seed=1, eval_every=10, num_eval=200)
    assert history["step"] == [10, 20, 25]
    assert all(0 <= m <= 25 for m in history["modes"])
    assert all(0.0 <= q <= 1.0 for q in history["high_quality"])
    assert history["samples"].shape == (200, 2)


def test_bad_configs_raise_clear_errors():
    with pytest.raises(ValueError, match="loss='lsgan' is not known"):
        ToyGANConfig(loss="lsgan")
    with pytest.raises(ValueError, match="pack=3 does not divide batch_size=32"):
        dataclasses.replace(SMALL, pack=3)
    with pytest.raises(ValueError, match="r1_gamma=-1.0 is out of range"):
        ToyGANConfig(r1_gamma=-1.0)
    with pytest.raises(ValueError, match="label_smoothing=1.0 is out of range"):
        ToyGANConfig(label_smoothing=1.0)
    with pytest.raises(TypeError, match="pack=2.0 must be an int"):
        ToyGANConfig(pack=2.0)
    with pytest.raises(ValueError, match="d_lr=0 must be positive"):
        ToyGANConfig(d_lr=0)
    with pytest.raises(TypeError, match="must be a ToyGANConfig"):
        ToyGAN({"loss": "hinge"}, make_ring())
    with pytest.raises(ValueError, match="steps=0"):
        train_toy_gan(SMALL, make_ring(), steps=0)
