import numpy as np
import pytest
import tensorflow as tf

from gan_helpers import losses


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


LOGITS = np.array([-3.0, -0.5, 0.0, 0.7, 2.5], np.float32)


def test_losses_match_their_formulas():
    real, fake = LOGITS, LOGITS[::-1].copy()
    d_expected = -np.log(_sigmoid(real)) - np.log(1 - _sigmoid(fake))
    np.testing.assert_allclose(losses.discriminator_loss(real, fake), d_expected, rtol=1e-5)
    np.testing.assert_allclose(
        losses.generator_loss_minimax(fake), np.log(1 - _sigmoid(fake)), rtol=1e-5
    )
    np.testing.assert_allclose(
        losses.generator_loss_nonsaturating(fake), -np.log(_sigmoid(fake)), rtol=1e-5
    )


def test_losses_accept_column_logits_and_return_per_example_float32():
    column = LOGITS[:, None]
    out = losses.discriminator_loss(column, column)
    assert tuple(out.shape) == (5,) and out.dtype == "float32"
    bf16 = tf.constant(LOGITS, tf.bfloat16)
    assert losses.generator_loss_nonsaturating(bf16).dtype == "float32"


def test_losses_are_finite_for_extreme_logits():
    extreme = np.array([-1e4, -80.0, 80.0, 1e4], np.float32)
    for value in (
        losses.discriminator_loss(extreme, extreme),
        losses.generator_loss_minimax(extreme),
        losses.generator_loss_nonsaturating(extreme),
    ):
        assert np.all(np.isfinite(value))


def test_minimax_loss_saturates_where_nonsaturating_does_not():
    # D confidently rejects the fakes: logit -8, D(G(z)) ~ 3e-4
    logit = tf.Variable([-8.0])
    grads = {}
    for name, fn in (
        ("minimax", losses.generator_loss_minimax),
        ("nonsaturating", losses.generator_loss_nonsaturating),
    ):
        with tf.GradientTape() as tape:
            loss = fn(logit)
        grads[name] = abs(float(tape.gradient(loss, logit)[0]))
    assert grads["minimax"] < 1e-3 and grads["nonsaturating"] > 0.99


def test_bad_logits_give_clear_errors():
    with pytest.raises(ValueError, match=r"shape \(2, 2\); expected \(batch,\) or \(batch, 1\)"):
        losses.generator_loss_nonsaturating(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="real_logits has 3 examples but fake_logits has 2"):
        losses.discriminator_loss(np.zeros(3, np.float32), np.zeros(2, np.float32))
    with pytest.raises(TypeError, match="floating-point logits"):
        losses.generator_loss_minimax(np.array([1, 2]))


# ---------- the stabilisers' losses (notebook 07) ----------


def _softplus(x):
    return np.log1p(np.exp(x))


def test_one_sided_label_smoothing_moves_only_the_real_target():
    real, fake = LOGITS, LOGITS[::-1].copy()
    smoothed = losses.discriminator_loss_smoothed(real, fake, label_smoothing=0.1)
    expected = 0.9 * _softplus(-real) + 0.1 * _softplus(real) + _softplus(fake)
    np.testing.assert_allclose(smoothed, expected, rtol=1e-5)
    # the same as the plain loss plus s * real_logit; the fake term is untouched
    plain = losses.discriminator_loss(real, fake)
    np.testing.assert_allclose(smoothed, plain + 0.1 * real, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(losses.discriminator_loss_smoothed(real, fake, 0.0), plain)
    # the real term is smallest at D(x) = 0.9, not at D(x) -> 1
    logits = np.linspace(-1, 8, 901, dtype=np.float32)
    real_term = losses.discriminator_loss_smoothed(logits, np.full_like(logits, -50), 0.1)
    best = float(_sigmoid(logits[int(np.argmin(real_term))]))
    assert best == pytest.approx(0.9, abs=0.002)


def test_hinge_and_wasserstein_losses_match_their_formulas():
    real, fake = LOGITS, LOGITS[::-1].copy()
    hinge = np.maximum(0, 1 - real) + np.maximum(0, 1 + fake)
    np.testing.assert_allclose(losses.discriminator_loss_hinge(real, fake), hinge, rtol=1e-6)
    np.testing.assert_allclose(losses.discriminator_loss_wasserstein(real, fake), fake - real)
    np.testing.assert_allclose(losses.generator_loss_wasserstein(fake[:, None]), -fake)
    # beyond the margins (real > 1, fake < -1) the hinge costs nothing
    assert float(losses.discriminator_loss_hinge([1.5], [-1.5])[0]) == 0.0


def test_new_losses_check_their_logits_like_the_others():
    bad = np.zeros((2, 2), np.float32)
    for loss in (
        losses.discriminator_loss_hinge,
        losses.discriminator_loss_wasserstein,
        losses.discriminator_loss_smoothed,
    ):
        with pytest.raises(ValueError, match="real_logits has 3 examples but fake_logits has 2"):
            loss(np.zeros(3, np.float32), np.zeros(2, np.float32))
        with pytest.raises(ValueError, match=r"expected \(batch,\) or \(batch, 1\)"):
            loss(bad, bad)
    with pytest.raises(TypeError, match="floating-point logits"):
        losses.generator_loss_wasserstein(np.array([1, 2]))
    for smoothing in (1.0, -0.1, True):
        with pytest.raises(ValueError, match="must lie in \\[0, 1\\)"):
            losses.discriminator_loss_smoothed(LOGITS, LOGITS, label_smoothing=smoothing)


def _squared_norm(samples, training=False):
    """D(x) = |x|^2 per example: grad_x D = 2x."""
    flat = tf.reshape(samples, (tf.shape(samples)[0], -1))
    return tf.reduce_sum(flat**2, axis=1, keepdims=True)


def test_penalties_are_per_example_functions_of_the_input_gradient():
    real = tf.constant([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]])
    fake = tf.zeros_like(real)
    # R1: |2x|^2 = 4 |x|^2 for each sample on its own
    np.testing.assert_allclose(losses.r1_penalty(_squared_norm, real), [4.0, 16.0, 100.0])
    # GP at x_hat = alpha * real: (|2 x_hat| - 1)^2
    alpha = tf.constant([[1.0], [0.5], [0.1]])
    norms = 2 * np.array([1.0, 1.0, 0.5])
    np.testing.assert_allclose(
        losses.gradient_penalty(_squared_norm, real, fake, alpha), (norms - 1) ** 2, atol=1e-6
    )
    # any rank: images (batch, 2, 2, 1)
    images = tf.reshape(tf.range(8, dtype=tf.float32), (2, 2, 2, 1))
    expected = 4 * np.sum(np.arange(8.0).reshape(2, 4) ** 2, axis=1)
    np.testing.assert_allclose(losses.r1_penalty(_squared_norm, images), expected)


def test_penalty_gradients_reach_the_discriminator_weights():
    import keras

    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    critic.layers[0].kernel.assign([[3.0], [4.0]])
    real = tf.constant([[1.0, 2.0], [-1.0, 0.5]])
    with tf.GradientTape(persistent=True) as tape:
        r1 = tf.reduce_mean(losses.r1_penalty(critic, real))
        gp = tf.reduce_mean(losses.gradient_penalty(critic, real, -real, tf.fill([2, 1], 0.3)))
    kernel = critic.layers[0].kernel
    # |w|^2 and (|w| - 1)^2 with |w| = 5: gradients 2w and 2 (5 - 1) w / 5
    np.testing.assert_allclose(tape.gradient(r1, kernel), [[6.0], [8.0]], rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(gp, kernel), [[4.8], [6.4]], rtol=1e-5)


def test_penalties_reject_bad_samples():
    real = tf.zeros((4, 2))
    with pytest.raises(ValueError, match=r"real_samples has shape \(4, 2\) but fake_samples"):
        losses.gradient_penalty(_squared_norm, real, tf.zeros((3, 2)), tf.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"expected a float batch of discriminator inputs"):
        losses.r1_penalty(_squared_norm, np.zeros((4, 2), np.int32))
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        losses.r1_penalty(_squared_norm, tf.zeros(4))
