"""Candidate DCGAN recipes for ``benchmarks/quality.py``: networks, losses, regularisers, schedules.

Nothing here is part of the course package. A :class:`Recipe` declares one candidate in
one line of ``quality.py``'s table: the generator and discriminator (keyword arguments of
:func:`build_generator_variant` and :func:`build_discriminator_variant`; the defaults are
the course's networks, layer for layer), the loss, one-sided label smoothing, R1, ADA-style
adaptive augmentation, minibatch standard deviation, learning rates per network, a linear
decay over the last part of the budget, generator EMA and the batch size.
:func:`make_recipe_gan` builds it as a :class:`RecipeGAN`, a subclass of the course's
``gan_helpers.gan.GAN`` with the same alternating updates (a D step, then a G step on fresh
fakes scored by the updated D) and the same stateless latent draws; with every option off it
runs exactly the course's update.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from gan_helpers import losses
from gan_helpers.data import IMAGE_SHAPE
from gan_helpers.gan import GAN

LATENT_DIM = 100


# ----------------------------------------------------------------------------- networks


def _upsample(channels, mode, last=False):
    """7 -> 14 or 14 -> 28: a stride-2 transposed convolution, or nearest + 3x3 conv."""
    kwargs = dict(padding="same", use_bias=last)
    if last:
        kwargs.update(activation="tanh", dtype="float32")
    if mode == "transpose":
        return [layers.Conv2DTranspose(channels, 4, strides=2, **kwargs)]
    return [layers.UpSampling2D(), layers.Conv2D(channels, 3, **kwargs)]


def _bn_relu():
    return [layers.BatchNormalization(), layers.ReLU()]


def build_generator_variant(
    latent_dim=LATENT_DIM,
    c7=128,
    c14=64,
    extra14=0,
    c28=0,
    out="conv",
    upsample="transpose",
):
    """A DCGAN generator: Dense to 7x7xc7, up to 14x14xc14, up to 28x28, tanh.

    The defaults are ``gan_helpers.models.build_generator`` layer for layer (Dense to
    7x7x128, BN, ReLU; ConvT 64 k4 s2, BN, ReLU; ConvT 1 k4 s2, tanh).

    Args:
        latent_dim: Size of z.
        c7: Channels at 7x7.
        c14: Channels at 14x14.
        extra14: Extra 3x3 convolutions (c14 channels, BN, ReLU) at 14x14.
        c28: Channels at 28x28 before the output layer; 0 goes straight to one channel
            with the last up-sampling layer (the course's ConvT 1 k4 s2).
        out: With ``c28 > 0``: ``"conv"`` (a 3x3 convolution to one channel) or
            ``"separable"`` (a depthwise 3x3 + pointwise convolution to one channel).
        upsample: ``"transpose"`` (ConvT k4 s2) or ``"nearest"`` (UpSampling2D + Conv 3x3).
    """
    stack = [keras.Input(shape=(latent_dim,)), layers.Dense(7 * 7 * c7, use_bias=False)]
    stack += _bn_relu() + [layers.Reshape((7, 7, c7))]
    stack += _upsample(c14, upsample) + _bn_relu()
    for _ in range(extra14):
        stack += [layers.Conv2D(c14, 3, padding="same", use_bias=False)] + _bn_relu()
    if c28 == 0:
        stack += _upsample(1, upsample, last=True)
    else:
        stack += _upsample(c28, upsample) + _bn_relu()
        out_layer = layers.SeparableConv2D if out == "separable" else layers.Conv2D
        stack.append(out_layer(1, 3, padding="same", activation="tanh", dtype="float32"))
    return keras.Sequential(stack, name="generator")


@keras.saving.register_keras_serializable(package="benchmarks")
class MinibatchStdDev(layers.Layer):
    """Minibatch standard deviation (Karras et al., 2018), as in StyleGAN's discriminator.

    The batch is split into groups of ``group_size`` images; the standard deviation of
    every feature at every position over a group is averaged to one number per group, and
    appended as one more constant feature map to each image of that group. D can then see
    how varied a batch is (the real and the fake batches are scored in separate calls).
    """

    def __init__(self, group_size=4, **kwargs):
        super().__init__(**kwargs)
        self.group_size = group_size

    def call(self, inputs):
        shape = ops.shape(inputs)
        group = min(self.group_size, inputs.shape[0]) if inputs.shape[0] else self.group_size
        x = ops.reshape(inputs, (group, -1, shape[1], shape[2], shape[3]))
        x = x - ops.mean(x, axis=0, keepdims=True)
        x = ops.sqrt(ops.mean(ops.square(x), axis=0) + 1e-8)  # (batch / group, h, w, c)
        x = ops.mean(x, axis=(1, 2, 3), keepdims=True)  # (batch / group, 1, 1, 1)
        x = ops.tile(x, (group, shape[1], shape[2], 1))  # image i gets group i % (batch/group)
        return ops.concatenate([inputs, ops.cast(x, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}


def build_discriminator_variant(
    c14=64, c7=128, extra7=0, dropout=0.0, mbstd=0, spectral_norm=False, kernel=4
):
    """A DCGAN discriminator: two stride-2 convolutions (28 -> 14 -> 7), then Dense(1).

    The defaults are ``gan_helpers.models.build_discriminator`` layer for layer (Conv 64
    k4 s2, LeakyReLU 0.2; Conv 128 k4 s2, LeakyReLU 0.2; Flatten; Dense 1).

    Args:
        c14: Channels of the first convolution (output 14x14).
        c7: Channels of the second convolution (output 7x7).
        extra7: Extra 3x3 convolutions with c7 channels at 7x7 (a deeper D with a
            receptive field that covers the digit before the linear read-out).
        dropout: Dropout rate after every LeakyReLU (0: none).
        mbstd: Group size of a minibatch standard deviation layer before the last
            convolution at 7x7, or before Flatten when ``extra7 == 0`` (0: none).
        spectral_norm: Wrap every Conv2D and Dense in ``keras.layers.SpectralNormalization``.
        kernel: Kernel size of the two strided convolutions.
    """

    def wrap(layer):
        return layers.SpectralNormalization(layer) if spectral_norm else layer

    def act():
        return [layers.LeakyReLU(negative_slope=0.2)] + (
            [layers.Dropout(dropout)] if dropout else []
        )

    stack = [keras.Input(shape=IMAGE_SHAPE)]
    stack += [wrap(layers.Conv2D(c14, kernel, strides=2, padding="same"))] + act()
    stack += [wrap(layers.Conv2D(c7, kernel, strides=2, padding="same"))] + act()
    for index in range(extra7):
        if mbstd and index == extra7 - 1:
            stack.append(MinibatchStdDev(mbstd))
        stack += [wrap(layers.Conv2D(c7, 3, padding="same"))] + act()
    if mbstd and extra7 == 0:
        stack.append(MinibatchStdDev(mbstd))
    stack += [layers.Flatten(), wrap(layers.Dense(1, dtype="float32"))]
    return keras.Sequential(stack, name="discriminator")


# ----------------------------------------------------------------------------- recipes


@dataclass(frozen=True)
class Recipe:
    """One candidate: everything that differs from the course's recipe is one field.

    Attributes:
        about: One line saying what it is.
        generator: Keyword arguments of :func:`build_generator_variant`.
        discriminator: Keyword arguments of :func:`build_discriminator_variant`.
        loss: ``"nonsaturating"`` (the course's) or ``"hinge"``.
        label_smoothing: One-sided: D's real target becomes ``1 - label_smoothing``.
        r1_gamma: Weight gamma of R1, gamma / 2 * |grad_x D(x_real)|^2.
        r1_every: Lazy R1 (StyleGAN2): the penalty every k-th D step, weighted by k.
        ada_target: ADA's target for r_t = E[sign(D(x_real))] (0.6 in the paper); None: off.
        ada_images: Images over which the augmentation probability p can move from 0 to 1.
        ema_halflife: Generator EMA half-life in steps (0: off), ramped up as
            ``min(ema_halflife, ema_rampup * step)``; BatchNorm statistics of the averaged
            generator are re-estimated before it is scored.
        ema_rampup: See ``ema_halflife``.
        g_lr: Adam learning rate of the generator.
        d_lr: Adam learning rate of the discriminator.
        beta_1: Adam's beta_1 for both.
        batch_size: Real (and fake) images per step.
        decay_from: Start the linear learning-rate decay at this fraction of the budget
            (None: constant rates).
        decay_to: Factor of the rates at the end of the budget.
        update: ``"alternating"`` (the course's: D step, then G step on fresh fakes) or
            ``"simultaneous"`` (both gradients from one forward pass; cheaper per step).
    """

    about: str
    generator: dict = field(default_factory=dict)
    discriminator: dict = field(default_factory=dict)
    loss: str = "nonsaturating"
    label_smoothing: float = 0.0
    r1_gamma: float = 0.0
    r1_every: int = 1
    ada_target: float | None = None
    ada_images: int = 30_000
    ema_halflife: int = 0
    ema_rampup: float = 0.1
    g_lr: float = 8e-4
    d_lr: float = 8e-4
    beta_1: float = 0.5
    batch_size: int = 64
    decay_from: float | None = None
    decay_to: float = 0.0
    update: str = "alternating"

    def but(self, about, **changes):
        """A copy with some fields changed (``generator``/``discriminator`` are merged)."""
        for key in ("generator", "discriminator"):
            if key in changes:
                changes[key] = {**getattr(self, key), **changes[key]}
        return dataclasses.replace(self, about=about, **changes)

    def settings(self) -> str:
        """The fields that differ from the course's recipe, as one line."""
        default = Recipe("")
        parts = [
            f"{f.name}={getattr(self, f.name)}"
            for f in dataclasses.fields(self)
            if f.name != "about" and getattr(self, f.name) != getattr(default, f.name)
        ]
        return ", ".join(parts) or "the course's recipe"


class LateDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant rate, then a linear decay to ``final_factor`` times it over the last steps."""

    def __init__(self, rate, total_steps, start_fraction, final_factor):
        self.rate, self.total_steps = float(rate), int(total_steps)
        self.start_fraction, self.final_factor = float(start_fraction), float(final_factor)

    def __call__(self, step):
        start = self.start_fraction * self.total_steps
        span = max(self.total_steps - start, 1.0)
        progress = ops.clip((ops.cast(step, "float32") - start) / span, 0.0, 1.0)
        return self.rate * (1.0 - (1.0 - self.final_factor) * progress)

    def get_config(self):
        return {
            "rate": self.rate,
            "total_steps": self.total_steps,
            "start_fraction": self.start_fraction,
            "final_factor": self.final_factor,
        }


def _identity(batch):
    return tf.eye(3, batch_shape=[batch])


def _maybe(matrices, p, batch):
    """Each sample's matrix is kept with probability p, else the identity."""
    keep = tf.cast(tf.random.uniform([batch]) < p, tf.float32)[:, None, None]
    return keep * matrices + (1.0 - keep) * _identity(batch)


def _translate(tx, ty):
    one, zero = tf.ones_like(tx), tf.zeros_like(tx)
    rows = [tf.stack([one, zero, tx], -1), tf.stack([zero, one, ty], -1)]
    return tf.stack(rows + [tf.stack([zero, zero, one], -1)], 1)


def _scale(sx, sy):
    zero, one = tf.zeros_like(sx), tf.ones_like(sx)
    rows = [tf.stack([sx, zero, zero], -1), tf.stack([zero, sy, zero], -1)]
    return tf.stack(rows + [tf.stack([zero, zero, one], -1)], 1)


def _rotate(theta):
    c, s, zero, one = tf.cos(theta), tf.sin(theta), tf.zeros_like(theta), tf.ones_like(theta)
    rows = [tf.stack([c, -s, zero], -1), tf.stack([s, c, zero], -1)]
    return tf.stack(rows + [tf.stack([zero, zero, one], -1)], 1)


def ada_augment(images, p):
    """ADA's geometric and colour augmentations (Karras et al., 2020), each with probability p.

    Per image: integer translation by up to 1/8 of the size, isotropic scaling
    (log2-normal, sigma 0.2), rotation (any angle, with probability 1 - sqrt(1 - p), before
    and after the anisotropic scaling), anisotropic scaling (log2-normal, sigma 0.2),
    fractional translation (normal, sigma 1/8 of the size), brightness (+ normal, sigma
    0.2) and contrast (log2-normal, sigma 0.5). No flips or 90-degree rotations (digits
    are not symmetric) and no colour hue or saturation (grey images). Pixels that come from
    outside the image are background (-1). Differentiable in the images, so the generator
    learns through it. The distributions are symmetric, so the sampled matrix serves as
    the output-to-input map that ``affine_transform`` expects.
    """
    batch = tf.shape(images)[0]
    size = float(IMAGE_SHAPE[0])
    p = tf.cast(p, tf.float32)
    p_rot = 1.0 - tf.sqrt(1.0 - p)
    matrix = _identity(batch)

    def normal(stddev):
        return tf.random.normal([batch], stddev=stddev)

    shift = tf.round(tf.random.uniform([batch, 2], -0.125, 0.125) * size)
    iso, aniso = 2.0 ** normal(0.2), 2.0 ** normal(0.2)
    steps = [
        _maybe(_translate(shift[:, 0], shift[:, 1]), p, batch),
        _maybe(_scale(iso, iso), p, batch),
        _maybe(_rotate(tf.random.uniform([batch], -math.pi, math.pi)), p_rot, batch),
        _maybe(_scale(aniso, 1.0 / aniso), p, batch),
        _maybe(_rotate(tf.random.uniform([batch], -math.pi, math.pi)), p_rot, batch),
        _maybe(_translate(normal(0.125) * size, normal(0.125) * size), p, batch),
    ]
    for step in steps:
        matrix = tf.matmul(matrix, step)
    centre = (size - 1.0) / 2.0
    to_centre = _translate(tf.fill([batch], -centre), tf.fill([batch], -centre))
    back = _translate(tf.fill([batch], centre), tf.fill([batch], centre))
    matrix = back @ matrix @ to_centre
    flat = tf.reshape(matrix, [batch, 9])[:, :8] / matrix[:, 2:3, 2]
    out = ops.image.affine_transform(
        tf.cast(images, tf.float32),
        flat,
        interpolation="bilinear",
        fill_mode="constant",
        fill_value=-1.0,
    )
    keep_b = tf.cast(tf.random.uniform([batch]) < p, tf.float32)[:, None, None, None]
    out = out + keep_b * normal(0.2)[:, None, None, None]
    keep_c = tf.cast(tf.random.uniform([batch]) < p, tf.float32)[:, None, None, None]
    contrast = 2 ** (keep_c * normal(0.5)[:, None, None, None])
    mean = tf.reduce_mean(out, axis=[1, 2, 3], keepdims=True)
    return tf.cast((out - mean) * contrast + mean, images.dtype)


class RecipeGAN(GAN):
    """The course's ``GAN`` with a recipe's loss, regularisers, augmentation and EMA.

    The update is the course's alternating scheme: a D step on a real batch and fresh
    fakes, then a G step on fresh fakes scored by the updated D. With a default
    :class:`Recipe` it computes exactly what ``GAN.train_step`` computes.
    """

    def __init__(self, generator, discriminator, recipe: Recipe, *, seed):
        super().__init__(generator, discriminator, seed=seed)
        self.recipe = recipe
        self.d_steps = self.add_weight(
            shape=(), initializer="zeros", dtype="int64", trainable=False, name="d_steps"
        )
        self.ada_p = self.add_weight(
            shape=(), initializer="zeros", dtype="float32", trainable=False, name="ada_p"
        )
        self.real_sign = keras.metrics.Mean(name="real_sign")
        self.ema_generator = None
        if recipe.ema_halflife:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.real_sign]

    def _augment(self, images):
        if self.recipe.ada_target is None:
            return images
        return ada_augment(images, self.ada_p)

    def _discriminator_loss(self, real_images, fake_images):
        """D's loss (with R1 if any) and its parts, to be called inside D's tape."""
        recipe = self.recipe
        real_input = self._augment(real_images)
        real_logits = self.discriminator(real_input, training=True)
        fake_logits = self.discriminator(self._augment(fake_images), training=True)
        d_per_example = self.d_loss_fn(real_logits, fake_logits)
        d_loss = tf.nn.compute_average_loss(d_per_example)
        if recipe.r1_gamma:
            weight = 0.5 * recipe.r1_gamma * recipe.r1_every

            def penalty():
                return weight * tf.reduce_mean(losses.r1_penalty(self.discriminator, real_input))

            if recipe.r1_every == 1:
                d_loss += penalty()
            else:
                d_loss += tf.cond(
                    tf.equal(self.d_steps % recipe.r1_every, 0), penalty, lambda: tf.constant(0.0)
                )
        return d_loss, d_per_example, real_logits, fake_logits

    def train_step(self, data):
        real_images = data[0] if isinstance(data, (tuple, list)) else data
        self._check_batch(real_images)
        recipe = self.recipe
        batch_size = ops.shape(real_images)[0]
        d_weights = self.discriminator.trainable_variables
        g_weights = self.generator.trainable_variables
        if recipe.update == "simultaneous":  # both gradients from one forward pass
            with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
                fake_images = self.generator(self.sample_latent(batch_size), training=True)
                d_loss, d_per_example, real_logits, fake_logits = self._discriminator_loss(
                    real_images, fake_images
                )
                g_per_example = self.g_loss_fn(fake_logits)
                g_loss = tf.nn.compute_average_loss(g_per_example)
            self.d_optimizer.apply(d_tape.gradient(d_loss, d_weights), d_weights)
            self.g_optimizer.apply(g_tape.gradient(g_loss, g_weights), g_weights)
            self.d_steps.assign_add(1)
        else:  # the course's alternating scheme
            with tf.control_dependencies([real_images]):
                fake_images = self.generator(self.sample_latent(batch_size), training=True)
            with tf.GradientTape() as tape:
                d_loss, d_per_example, real_logits, _ = self._discriminator_loss(
                    real_images, fake_images
                )
            self.d_optimizer.apply(tape.gradient(d_loss, d_weights), d_weights)
            self.d_steps.assign_add(1)
            with tf.GradientTape() as tape:
                fake_images = self.generator(self.sample_latent(batch_size), training=True)
                fake_logits = self.discriminator(self._augment(fake_images), training=True)
                g_per_example = self.g_loss_fn(fake_logits)
                g_loss = tf.nn.compute_average_loss(g_per_example)
            self.g_optimizer.apply(tape.gradient(g_loss, g_weights), g_weights)

        real_sign = tf.reduce_mean(tf.sign(tf.cast(real_logits, tf.float32)))
        if recipe.ada_target is not None:  # ADA: p follows the sign of D on real images
            adjust = tf.sign(real_sign - recipe.ada_target) * tf.cast(batch_size, tf.float32)
            self.ada_p.assign(tf.clip_by_value(self.ada_p + adjust / recipe.ada_images, 0.0, 1.0))
        if self.ema_generator is not None:
            steps = tf.cast(self.d_steps, tf.float32)
            halflife = tf.maximum(
                tf.minimum(float(recipe.ema_halflife), recipe.ema_rampup * steps), 1.0
            )
            decay = tf.pow(0.5, 1.0 / halflife)
            for average, current in zip(self.ema_generator.trainable_variables, g_weights):
                average.assign(decay * average + (1.0 - decay) * current)

        self.d_loss_tracker.update_state(ops.mean(d_per_example))
        self.g_loss_tracker.update_state(ops.mean(g_per_example))
        self.real_sign.update_state(real_sign)
        return {m.name: m.result() for m in self.metrics}


def reestimate_batchnorm(generator, seed, num_images=2048):
    """Sets every BatchNormalization layer's moving statistics to those of one large batch.

    Runs the generator once in training mode on ``num_images`` latent vectors with each
    BN layer's momentum at 0, so the moving mean and variance become that batch's
    statistics, layer by layer. The weights are not changed.
    """
    norms = [layer for layer in generator.layers if isinstance(layer, layers.BatchNormalization)]
    if not norms:
        return generator
    momenta = [layer.momentum for layer in norms]
    latent_dim = generator.input_shape[-1]
    latent = np.random.default_rng(10_000 + seed).normal(size=(num_images, latent_dim))
    try:
        for layer in norms:
            layer.momentum = 0.0
        generator(latent.astype("float32"), training=True)
    finally:
        for layer, momentum in zip(norms, momenta):
            layer.momentum = momentum
    return generator


def make_recipe_gan(recipe: Recipe, seed: int, total_steps: int) -> RecipeGAN:
    """Builds and compiles a recipe; ``total_steps`` is the budget its decay is planned for."""
    keras.utils.set_random_seed(seed)
    generator = build_generator_variant(**recipe.generator)  # latent_dim may be among them
    discriminator = build_discriminator_variant(**recipe.discriminator)
    gan = RecipeGAN(generator, discriminator, recipe, seed=seed)

    def rate(value):
        if recipe.decay_from is None:
            return value
        return LateDecay(value, total_steps, recipe.decay_from, recipe.decay_to)

    if recipe.loss == "hinge":
        loss_fns = (losses.discriminator_loss_hinge, losses.generator_loss_wasserstein)
    elif recipe.label_smoothing:
        smoothing = recipe.label_smoothing

        def d_loss_fn(real_logits, fake_logits):
            return losses.discriminator_loss_smoothed(real_logits, fake_logits, smoothing)

        loss_fns = (d_loss_fn, losses.generator_loss_nonsaturating)
    else:
        loss_fns = (losses.discriminator_loss, losses.generator_loss_nonsaturating)
    gan.compile(
        keras.optimizers.Adam(rate(recipe.d_lr), beta_1=recipe.beta_1),
        keras.optimizers.Adam(rate(recipe.g_lr), beta_1=recipe.beta_1),
        *loss_fns,
    )
    return gan


def sampling_generator(gan: RecipeGAN, seed: int):
    """The generator to score: the EMA generator with re-estimated BN statistics, if any."""
    if gan.ema_generator is None:
        return gan.generator
    for average, current in zip(
        gan.ema_generator.non_trainable_variables, gan.generator.non_trainable_variables
    ):
        average.assign(current)
    return reestimate_batchnorm(gan.ema_generator, seed)
