"""GAN losses computed from logits, one value per example.

The discriminator returns a logit l, and D(x) = sigmoid(l). Writing the logs with
softplus(t) = log(1 + e^t) keeps them finite for any logit:

    -log D(x)       = softplus(-l)
    -log(1 - D(x))  = softplus(l)

Every function returns a vector of per-example losses (shape ``(batch,)``); take
``keras.ops.mean`` for the batch loss. Returning per-example values lets the GAN
average over the *global* batch under ``tf.distribute``. Labels: real = 1, fake = 0.
"""

from __future__ import annotations

from keras import ops


def _as_logits(logits, name: str):
    logits = ops.convert_to_tensor(logits)
    if not ops.is_tensor(logits) or "float" not in str(logits.dtype):
        raise TypeError(f"{name} must hold floating-point logits; got dtype {logits.dtype}.")
    if len(logits.shape) == 2 and logits.shape[-1] == 1:
        logits = ops.squeeze(logits, axis=-1)
    if len(logits.shape) != 1:
        raise ValueError(
            f"{name} has shape {tuple(logits.shape)}; expected (batch,) or (batch, 1), "
            "one logit per example from a discriminator that ends in Dense(1)."
        )
    return ops.cast(logits, "float32")


def discriminator_loss(real_logits, fake_logits):
    """The discriminator's loss, per example.

    L_D = -log D(x) - log(1 - D(G(z))) = softplus(-real_logit) + softplus(fake_logit)

    Minimising it *raises* D on real data and *lowers* it on fakes (the article's
    version, -log D(G(z)), would reward D for calling fakes real).

    Args:
        real_logits: Logits on real images, shape ``(batch,)`` or ``(batch, 1)``.
        fake_logits: Logits on generated images, same shape.

    Returns:
        ``float32`` tensor of shape ``(batch,)``.

    Example:
        >>> float(discriminator_loss([[0.0]], [[0.0]])[0])  # 2 log 2
        1.3862943649291992
    """
    real_logits = _as_logits(real_logits, "real_logits")
    fake_logits = _as_logits(fake_logits, "fake_logits")
    if real_logits.shape[0] is not None and fake_logits.shape[0] is not None:
        if real_logits.shape[0] != fake_logits.shape[0]:
            raise ValueError(
                f"real_logits has {real_logits.shape[0]} examples but fake_logits has "
                f"{fake_logits.shape[0]}; generate as many fakes as there are real images."
            )
    return ops.softplus(-real_logits) + ops.softplus(fake_logits)


def generator_loss_minimax(fake_logits):
    """The minimax (saturating) generator loss of the original paper, per example.

    L_G = log(1 - D(G(z))) = -softplus(fake_logit)

    The generator minimises it. When D confidently rejects fakes (very negative
    logits) its gradient vanishes, which is why code uses the non-saturating loss.

    Args:
        fake_logits: Logits on generated images, ``(batch,)`` or ``(batch, 1)``.

    Returns:
        ``float32`` tensor of shape ``(batch,)``; values are negative.

    Example:
        >>> round(float(generator_loss_minimax([0.0])[0]), 4)  # log(1/2)
        -0.6931
    """
    return -ops.softplus(_as_logits(fake_logits, "fake_logits"))


def generator_loss_nonsaturating(fake_logits):
    """The non-saturating generator loss used in practice, per example.

    L_G = -log D(G(z)) = softplus(-fake_logit)

    Same fixed point as the minimax loss, but strong gradients exactly when D
    rejects the fakes (Goodfellow et al., 2014, section 3).

    Args:
        fake_logits: Logits on generated images, ``(batch,)`` or ``(batch, 1)``.

    Returns:
        ``float32`` tensor of shape ``(batch,)``.

    Example:
        >>> round(float(generator_loss_nonsaturating([0.0])[0]), 4)  # log 2
        0.6931
    """
    return ops.softplus(-_as_logits(fake_logits, "fake_logits"))
