import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_helpers import losses
from gan_helpers.stabilize import (
    HISTORY_KEYS,
    ToyGAN,
    ToyGANConfig,
    loss_functions,
    new_history,
    record_evaluation,
    summarize,
    train_toy_gan,
)
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


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, marks=pytest.mark.slow),
        pytest.param({"loss": "wgan-gp"}, marks=pytest.mark.slow),
        {"spectral_norm": True},  # the subtle case: SpectralNormalization writes D's kernels
    ],
)
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


# Each variant compiles its own round (about 1.5 s of CPU); `make unit` covers the compiled
# round through the retune and train_toy_gan tests.
@pytest.mark.slow
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


def test_instance_noise_reaches_g_update_and_anneals_to_zero():
    # G trains against the noised distributions (Sonderby et al.; Arjovsky and Bottou):
    # with the same seed, weights and latent vectors, only the noise in G's view differs.
    clean, noisy = _gan(), _gan(instance_noise=0.5, anneal_steps=4)
    clean.generator_update()
    noisy.generator_update()
    assert any(_changed(snapshot(clean.generator.weights), snapshot(noisy.generator.weights)))
    # once annealed, the noise has std 0 and G's update equals the noise-free one
    clean, annealed = _gan(), _gan(instance_noise=0.5, anneal_steps=4)
    annealed.rounds.assign(4)
    assert float(annealed.instance_noise_std()) == 0.0
    clean.generator_update()
    annealed.generator_update()
    for a, b in zip(snapshot(clean.generator.weights), snapshot(annealed.generator.weights)):
        np.testing.assert_array_equal(a, b)
    annealed.rounds.assign(1)
    assert float(annealed.instance_noise_std()) == pytest.approx(0.375)


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


def test_each_loss_name_picks_its_functions_from_losses_py():
    real, fake = tf.constant([2.0, -0.5]), tf.constant([-1.0, 0.3])
    d_fn, g_fn = loss_functions(SMALL)
    np.testing.assert_array_equal(d_fn(real, fake), losses.discriminator_loss(real, fake))
    assert g_fn is losses.generator_loss_nonsaturating
    d_fn, _ = loss_functions(dataclasses.replace(SMALL, label_smoothing=0.1))
    smoothed = losses.discriminator_loss_smoothed(real, fake, label_smoothing=0.1)
    np.testing.assert_array_equal(d_fn(real, fake), smoothed)
    assert loss_functions(dataclasses.replace(SMALL, loss="hinge")) == (
        losses.discriminator_loss_hinge,
        losses.generator_loss_wasserstein,
    )
    assert loss_functions(dataclasses.replace(SMALL, loss="wgan-gp")) == (
        losses.discriminator_loss_wasserstein,
        losses.generator_loss_wasserstein,
    )


def test_networks_come_from_the_mlp_builders_seeded_without_global_state():
    keras.utils.set_random_seed(1)
    first = _gan(pack=2)
    keras.utils.set_random_seed(2)
    second = _gan(pack=2)
    for a, b in zip(snapshot(first.generator.weights), snapshot(second.generator.weights)):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(snapshot(first.discriminator.weights), snapshot(second.discriminator.weights)):
        np.testing.assert_array_equal(a, b)
    other_seed = ToyGAN(SMALL, make_ring(), seed=1)
    assert not np.array_equal(first.generator.weights[0], other_seed.generator.weights[0])
    assert first.discriminator.input_shape == (None, 4)


@pytest.mark.slow
def test_a_round_follows_n_critic_and_g_steps_and_retune_changes_them_in_place():
    gan = _gan()
    gan.train(tf.constant(1))
    assert int(gan.d_optimizer.iterations.numpy()) == int(gan.g_optimizer.iterations.numpy()) == 1
    weights = gan.generator.weights[0]
    gan.retune(n_critic=3, g_steps=2, d_lr=4e-3)
    assert gan.config.n_critic == 3 and gan.config.d_lr == 4e-3
    assert float(gan.d_optimizer.learning_rate.numpy()) == pytest.approx(4e-3)
    gan.train(tf.constant(1))  # compiles the round for (3, 2): the weights carry on
    assert int(gan.d_optimizer.iterations.numpy()) == 1 + 3
    assert int(gan.g_optimizer.iterations.numpy()) == 1 + 2
    assert gan.generator.weights[0] is weights
    with pytest.raises(ValueError, match=r"retune got \['loss'\]; a running ToyGAN can change"):
        gan.retune(loss="hinge")
    with pytest.raises(ValueError, match="n_critic=0 must be positive"):
        gan.retune(n_critic=0)


@pytest.mark.slow
def test_same_seed_same_training_run():
    runs = []
    for _ in range(2):
        gan = _gan(instance_noise=0.1, r1_gamma=1.0)
        losses_ = gan.train(tf.constant(5))
        runs.append((snapshot(gan.generator.weights), [float(v) for v in losses_]))
    assert runs[0][1] == runs[1][1]
    for a, b in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(a, b)


def test_record_appends_one_evaluation_row():
    gan = _gan()
    history = new_history()
    assert tuple(history) == HISTORY_KEYS
    before = gan.generate(300, seed=1)
    samples = record_evaluation(history, gan, 1.25, 0.5, num_eval=300, seed=1)
    np.testing.assert_array_equal(samples, before)  # the evaluation's fixed latent vectors
    gan.rounds.assign_add(2)  # as if two rounds had been trained
    record_evaluation(history, gan, 1.0, 0.75, num_eval=300, seed=1)
    assert history["step"] == [0, 2] and history["d_loss"] == [1.25, 1.0]
    assert history["g_loss"] == [0.5, 0.75]
    assert all(0 <= m <= 8 for m in history["modes"])
    assert all(0 < js <= np.log(2) for js in history["js_divergence"])
    # an untrained G puts its samples near the origin, far from the ring: high divergence
    assert history["js_divergence"][0] > 0.5


@pytest.mark.slow
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
    assert set(history) == {*HISTORY_KEYS, "samples"}
    assert all(0 <= js <= np.log(2) for js in history["js_divergence"])
    assert all(0 <= m <= 25 for m in history["modes"])
    assert all(0.0 <= q <= 1.0 for q in history["high_quality"])
    assert history["samples"].shape == (200, 2)
    assert "all_samples" not in history


def test_train_toy_gan_can_keep_every_evaluations_samples():
    history = train_toy_gan(
        SMALL, make_ring(), steps=20, eval_every=10, num_eval=50, keep_samples=True
    )
    assert len(history["all_samples"]) == len(history["step"]) == 2
    assert all(samples.shape == (50, 2) for samples in history["all_samples"])
    np.testing.assert_array_equal(history["all_samples"][-1], history["samples"])
    assert not np.array_equal(history["all_samples"][0], history["all_samples"][1])


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
    with pytest.raises(ValueError, match="label_smoothing=0.1 has no effect with loss='hinge'"):
        ToyGANConfig(loss="hinge", label_smoothing=0.1)
    with pytest.raises(TypeError, match="must be a ToyGANConfig"):
        ToyGAN({"loss": "hinge"}, make_ring())
    with pytest.raises(ValueError, match="steps=0"):
        train_toy_gan(SMALL, make_ring(), steps=0)


def test_summarize_reports_the_sample_std_over_seeds():
    # final modes 8, 0 and 8 over three seeds: one seed far behind the others
    runs = [{"modes": [8, 8]}, {"modes": [6, 0]}, {"modes": [4, 8]}]
    mean, std = summarize(runs, "modes")
    assert mean == pytest.approx(16 / 3)
    assert std == pytest.approx(np.std([8, 0, 8], ddof=1)) == pytest.approx(4.6188, abs=1e-4)
    assert std > np.std([8, 0, 8])  # ddof=0 would understate the spread of three seeds
    mean3, std3 = summarize(runs, "modes", last=2)  # per-run means 8, 3, 6
    assert (mean3, std3) == (pytest.approx(17 / 3), pytest.approx(np.std([8, 3, 6], ddof=1)))


def test_summarize_of_one_run_has_no_spread_and_bad_arguments_raise():
    mean, std = summarize([{"high_quality": [0.1, 0.3]}], "high_quality", last=2)
    assert mean == pytest.approx(0.2) and np.isnan(std)
    with pytest.raises(ValueError, match="summarize got 0 runs"):
        summarize([], "modes")
    with pytest.raises(ValueError, match="last=0"):
        summarize([{"modes": [1]}], "modes", last=0)
