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
