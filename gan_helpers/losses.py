"""GAN losses computed from logits, one value per example.

The discriminator returns a logit l, and D(x) = sigmoid(l). Writing the logs with
softplus(t) = log(1 + e^t) keeps them finite for any logit:

    -log D(x)       = softplus(-l)
    -log(1 - D(x))  = softplus(l)

Every function returns a vector of per-example losses (shape ``(batch,)``); take
``keras.ops.mean`` for the batch loss. Returning per-example values lets the GAN
average over the *global* batch under ``tf.distribute``. Labels: real = 1, fake = 0.

Beside the original GAN's losses, the stabilisers of notebook 07: one-sided label
smoothing, the hinge loss, the Wasserstein critic loss and two gradient penalties
(WGAN-GP's and R1). The penalties need the discriminator and its inputs, not only
logits; they too return one value per example, unweighted. Notebook 07 shows
``_input_gradient`` and ``r1_penalty`` (with ``_as_samples``) as teaching copies, and
tests/test_notebooks.py compares them with this file.
"""

from __future__ import annotations

import tensorflow as tf
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


def as_logit_pair(real_logits, fake_logits):
    """Checks a batch of real and fake logits and returns them as float32 vectors.

    Every discriminator loss here starts with this check (notebook 03 teaches it, 07 reuses
    it for its own loss).

    Args:
        real_logits: Logits on real images, shape ``(batch,)`` or ``(batch, 1)``.
        fake_logits: Logits on generated images, the same number of them.

    Returns:
        ``(real_logits, fake_logits)`` as float32 tensors of shape ``(batch,)``.

    Raises:
        TypeError: If the logits are not floating point.
        ValueError: If either is not one logit per example, or the two batches differ in size.

    Example:
        >>> real_logits, fake_logits = as_logit_pair([[2.0], [1.0]], [-1.0, 0.5])
        >>> tuple(real_logits.shape), fake_logits.dtype.name
        ((2,), 'float32')
    """
    real_logits = _as_logits(real_logits, "real_logits")
    fake_logits = _as_logits(fake_logits, "fake_logits")
    if real_logits.shape[0] is not None and fake_logits.shape[0] is not None:
        if real_logits.shape[0] != fake_logits.shape[0]:
            raise ValueError(
                f"real_logits has {real_logits.shape[0]} examples but fake_logits has "
                f"{fake_logits.shape[0]}; generate as many fakes as there are real images."
            )
    return real_logits, fake_logits


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
    real_logits, fake_logits = as_logit_pair(real_logits, fake_logits)
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


def discriminator_loss_smoothed(real_logits, fake_logits, label_smoothing: float = 0.1):
    """The discriminator's loss with one-sided label smoothing, per example.

    The real target becomes t = 1 - s (s = ``label_smoothing``); the fake target stays 0
    (Salimans et al., 2016):

    L_D = -t log D(x) - (1 - t) log(1 - D(x)) - log(1 - D(G(z)))
        = t softplus(-real_logit) + (1 - t) softplus(real_logit) + softplus(fake_logit)

    Since softplus(l) - softplus(-l) = l, this is :func:`discriminator_loss` plus
    s * real_logit: its minimum over a real logit lies at D(x) = 1 - s, so D is no longer
    rewarded for ever more confident logits on real data. Keras'
    ``BinaryCrossentropy(label_smoothing=s)`` is two-sided instead: it moves both
    targets towards 1/2 (1 -> 1 - s/2, 0 -> s/2).

    Args:
        real_logits: Logits on real samples, shape ``(batch,)`` or ``(batch, 1)``.
        fake_logits: Logits on generated samples, same shape.
        label_smoothing: s in [0, 1); 0 gives :func:`discriminator_loss`.

    Returns:
        ``float32`` tensor of shape ``(batch,)``.

    Example:
        >>> round(float(discriminator_loss_smoothed([2.0], [-1.0], 0.1)[0]), 5)
        0.64019
    """
    if isinstance(label_smoothing, bool) or not 0 <= label_smoothing < 1:
        raise ValueError(
            f"label_smoothing={label_smoothing!r} must lie in [0, 1); 0.1 (real target 0.9) "
            "is the usual value."
        )
    real_logits, fake_logits = as_logit_pair(real_logits, fake_logits)
    target = 1.0 - label_smoothing  # the real samples' target; the fakes' stays 0
    real_loss = target * ops.softplus(-real_logits) + (1.0 - target) * ops.softplus(real_logits)
    return real_loss + ops.softplus(fake_logits)


def discriminator_loss_hinge(real_logits, fake_logits):
    """The hinge loss of the discriminator, per example (Lim and Ye, 2017).

    L_D = max(0, 1 - D(x)) + max(0, 1 + D(G(z))), with D the raw logit. Real
    samples scored above 1 and fakes below -1 cost nothing. Pair it with
    :func:`generator_loss_wasserstein`.

    Args:
        real_logits: Logits on real samples, shape ``(batch,)`` or ``(batch, 1)``.
        fake_logits: Logits on generated samples, same shape.

    Returns:
        ``float32`` tensor of shape ``(batch,)``.

    Example:
        >>> discriminator_loss_hinge([2.0, 0.5], [-2.0, 0.0]).numpy().tolist()
        [0.0, 1.5]
    """
    real_logits, fake_logits = as_logit_pair(real_logits, fake_logits)
    return ops.relu(1.0 - real_logits) + ops.relu(1.0 + fake_logits)


def discriminator_loss_wasserstein(real_logits, fake_logits):
    """The Wasserstein critic's loss, per example: D(G(z)) - D(x) (Arjovsky et al., 2017).

    The critic's output is a score, not a probability. Without a Lipschitz constraint
    the loss has no lower bound; WGAN-GP adds ``gp_weight`` times the mean of
    :func:`gradient_penalty` (Gulrajani et al., 2017). Pair it with
    :func:`generator_loss_wasserstein`.

    Args:
        real_logits: Critic scores on real samples, ``(batch,)`` or ``(batch, 1)``.
        fake_logits: Critic scores on generated samples, same shape.

    Returns:
        ``float32`` tensor of shape ``(batch,)``.

    Example:
        >>> discriminator_loss_wasserstein([3.0], [1.0]).numpy().tolist()
        [-2.0]
    """
    real_logits, fake_logits = as_logit_pair(real_logits, fake_logits)
    return fake_logits - real_logits


def generator_loss_wasserstein(fake_logits):
    """The generator's loss against a critic, per example: -D(G(z)).

    Used with the Wasserstein critic and with the hinge loss: the generator raises
    the critic's score of its samples. Its gradient never saturates.

    Args:
        fake_logits: Critic scores on generated samples, ``(batch,)`` or ``(batch, 1)``.

    Returns:
        ``float32`` tensor of shape ``(batch,)``.

    Example:
        >>> generator_loss_wasserstein([[1.5], [-2.0]]).numpy().tolist()
        [-1.5, 2.0]
    """
    return -_as_logits(fake_logits, "fake_logits")


def _as_samples(samples, name: str):
    samples = tf.convert_to_tensor(samples)
    if not samples.dtype.is_floating or samples.shape.rank is None or samples.shape.rank < 2:
        raise ValueError(
            f"{name} has dtype {samples.dtype.name} and shape {tuple(samples.shape)}; expected "
            "a float batch of discriminator inputs, shape (batch, ...)."
        )
    return samples


def _input_gradient(discriminator, samples):
    """grad_x of D at each sample, D run in inference mode (it is not being updated here)."""
    with tf.GradientTape() as tape:
        tape.watch(samples)
        total = tf.reduce_sum(discriminator(samples, training=False))
    return tape.gradient(total, samples)


def gradient_penalty(discriminator, real_samples, fake_samples, alpha):
    """WGAN-GP's gradient penalty, per example: (||grad_x D(x_hat)|| - 1)^2.

    x_hat = alpha * x_real + (1 - alpha) * x_fake lies on the segment between a real and
    a fake sample (Gulrajani et al., 2017). Multiply the mean by lambda (10 in the paper)
    and add it to :func:`discriminator_loss_wasserstein` inside the discriminator's
    gradient tape, so that the penalty's gradient reaches D's weights.

    Args:
        discriminator: Maps samples to ``(batch, 1)`` scores.
        real_samples: ``(batch, ...)`` real inputs of D.
        fake_samples: Generated inputs of D, same shape.
        alpha: Mixing weights in [0, 1], one per example, shape ``(batch, 1, ...)``
            (broadcast over the sample's other axes), e.g. uniform random numbers.

    Returns:
        ``float32`` tensor of shape ``(batch,)``.

    Example:
        >>> import keras
        >>> critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> _ = critic.layers[0].kernel.assign([[3.0], [4.0]])  # grad_x D = (3, 4): norm 5
        >>> gradient_penalty(critic, [[0.0, 0.0]], [[1.0, 1.0]], [[0.5]]).numpy().tolist()
        [16.0]
    """
    real_samples = _as_samples(real_samples, "real_samples")
    fake_samples = _as_samples(fake_samples, "fake_samples")
    if real_samples.shape != fake_samples.shape:
        raise ValueError(
            f"real_samples has shape {tuple(real_samples.shape)} but fake_samples has "
            f"{tuple(fake_samples.shape)}; interpolate between equally many, equally shaped "
            "samples."
        )
    alpha = tf.cast(alpha, real_samples.dtype)
    grads = _input_gradient(discriminator, alpha * real_samples + (1.0 - alpha) * fake_samples)
    axes = list(range(1, real_samples.shape.rank))
    norms = tf.sqrt(tf.reduce_sum(grads**2, axis=axes) + 1e-12)
    return (norms - 1.0) ** 2


def r1_penalty(discriminator, real_samples):
    """The R1 penalty, per example: ||grad_x D(x_real)||^2 (Mescheder et al., 2018).

    It makes D flat on the data. Multiply the mean by gamma / 2 and add it to the
    discriminator's loss inside its gradient tape.

    Args:
        discriminator: Maps samples to ``(batch, 1)`` logits.
        real_samples: ``(batch, ...)`` real inputs of D.

    Returns:
        ``float32`` tensor of shape ``(batch,)``.

    Example:
        >>> import keras
        >>> linear = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> _ = linear.layers[0].kernel.assign([[3.0], [4.0]])
        >>> r1_penalty(linear, [[0.0, 0.0], [5.0, -1.0]]).numpy().tolist()
        [25.0, 25.0]
    """
    real_samples = _as_samples(real_samples, "real_samples")
    grads = _input_gradient(discriminator, real_samples)
    return tf.reduce_sum(grads**2, axis=list(range(1, real_samples.shape.rank)))
