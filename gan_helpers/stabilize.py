"""Stabilisers for 2-D toy GANs, each a one-flag change of :class:`ToyGANConfig`.

``ToyGAN`` holds a small MLP generator and discriminator, their Adam optimizers and
compiled (``tf.function``) update steps written with two tapes, as in
:mod:`gan_helpers.gan`. Real samples are drawn inside the graph, so a whole chunk of
training runs without returning to Python. Labels: real = 1, fake = 0.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import partial

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gan_helpers.toy import GaussianMixture2D, mode_coverage

LOSSES = ("nonsaturating", "hinge", "wgan-gp")


@dataclass(frozen=True)
class ToyGANConfig:
    """Everything that defines one toy-GAN run; each stabiliser is one field.

    Attributes:
        loss: ``"nonsaturating"`` (baseline), ``"hinge"`` or ``"wgan-gp"``.
        label_smoothing: One-sided smoothing: real targets become ``1 - label_smoothing``.
        instance_noise: Std of Gaussian noise added to D's real and fake inputs,
            annealed linearly to 0 over ``anneal_steps`` rounds.
        r1_gamma: Weight gamma of the R1 penalty gamma/2 * |grad_x D(x_real)|^2.
        spectral_norm: Wrap every Dense layer of D in ``SpectralNormalization``.
        pack: PacGAN's m: D sees ``pack`` samples concatenated, shape ``(batch/m, 2m)``.
        d_lr: Learning rate of D's Adam (TTUR: make it differ from ``g_lr``).
        g_lr: Learning rate of G's Adam.
        n_critic: D updates per round.
        g_steps: G updates per round.
        gp_weight: lambda of the WGAN-GP gradient penalty.
        latent_dim: Size of z.
        batch_size: Real (and fake) samples per D update.
        hidden: Units per hidden layer of both MLPs.
        depth: Hidden layers of both MLPs.
        anneal_steps: Rounds over which the instance noise goes to 0.

    Example:
        >>> ToyGANConfig(loss="hinge").n_critic
        1
    """

    loss: str = "nonsaturating"
    label_smoothing: float = 0.0
    instance_noise: float = 0.0
    r1_gamma: float = 0.0
    spectral_norm: bool = False
    pack: int = 1
    d_lr: float = 1e-3
    g_lr: float = 1e-3
    n_critic: int = 1
    g_steps: int = 1
    gp_weight: float = 10.0
    latent_dim: int = 8
    batch_size: int = 256
    hidden: int = 64
    depth: int = 3
    anneal_steps: int = 1000

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss={self.loss!r} is not known; expected one of {LOSSES}.")
        for f in fields(self):
            value, is_int = getattr(self, f.name), f.type == "int"
            if is_int and (isinstance(value, bool) or not isinstance(value, int)):
                raise TypeError(f"{f.name}={value!r} must be an int, for example {f.default}.")
            if is_int or f.name.endswith("_lr"):
                if value <= 0:
                    raise ValueError(f"{f.name}={value} must be positive, e.g. {f.default}.")
            elif f.type == "float" and not 0 <= value < (1 if f.name == "label_smoothing" else 1e6):
                raise ValueError(
                    f"{f.name}={value} is out of range; use 0 to switch it off or a small "
                    f"positive value (label_smoothing < 1) to switch it on."
                )
        if self.batch_size % self.pack:
            raise ValueError(
                f"pack={self.pack} does not divide batch_size={self.batch_size}; PacGAN "
                f"groups the batch into packs of equal size. Use e.g. batch_size={self.pack * 64}."
            )


def build_toy_networks(config: ToyGANConfig, seed: int = 0):
    """The generator and discriminator MLPs of a config, seeded without global state.

    Returns:
        ``(generator, discriminator)``; D maps ``(batch, 2 * pack)`` to ``(batch, 1)`` logits.

    Example:
        >>> g, d = build_toy_networks(ToyGANConfig(pack=2))
        >>> d.input_shape
        (None, 4)
    """

    def dense(units, i, **kwargs):
        init = keras.initializers.GlorotUniform(seed=seed * 100 + i)
        return layers.Dense(units, kernel_initializer=init, **kwargs)

    g_stack = [keras.Input(shape=(config.latent_dim,))]
    g_stack += [dense(config.hidden, i, activation="relu") for i in range(config.depth)]
    generator = keras.Sequential([*g_stack, dense(2, 50)], name="generator")
    d_stack = [keras.Input(shape=(2 * config.pack,))]
    for i in range(config.depth + 1):
        layer = dense(config.hidden if i < config.depth else 1, 60 + i)
        d_stack.append(layers.SpectralNormalization(layer) if config.spectral_norm else layer)
        if i < config.depth:
            d_stack.append(layers.LeakyReLU(negative_slope=0.2))
    return generator, keras.Sequential(d_stack, name="discriminator")


def d_losses(config: ToyGANConfig, real_logits, fake_logits):
    """Per-example discriminator loss of ``config.loss`` (penalties excluded).

    Example:
        >>> cfg = ToyGANConfig(label_smoothing=0.1)
        >>> round(float(d_losses(cfg, tf.zeros(1), tf.zeros(1))[0]), 4)  # 2 log 2
        1.3863
    """
    real_logits, fake_logits = tf.reshape(real_logits, [-1]), tf.reshape(fake_logits, [-1])
    if config.loss == "hinge":
        return tf.nn.relu(1.0 - real_logits) + tf.nn.relu(1.0 + fake_logits)
    if config.loss == "wgan-gp":
        return fake_logits - real_logits
    target = 1.0 - config.label_smoothing
    real = target * tf.nn.softplus(-real_logits) + (1.0 - target) * tf.nn.softplus(real_logits)
    return real + tf.nn.softplus(fake_logits)


def g_losses(config: ToyGANConfig, fake_logits):
    """Per-example generator loss: -log D(G(z)), or -critic for hinge and WGAN-GP."""
    fake_logits = tf.reshape(fake_logits, [-1])
    if config.loss == "nonsaturating":
        return tf.nn.softplus(-fake_logits)
    return -fake_logits


class ToyGAN:
    """A 2-D GAN whose updates are compiled ``tf.function``s driven by a config.

    Args:
        config: The :class:`ToyGANConfig`.
        mixture: The target :class:`~gan_helpers.toy.GaussianMixture2D`.
        seed: Seeds the weights, the latent vectors and the real samples.

    Example:
        >>> gan = ToyGAN(ToyGANConfig(), make_ring(), seed=0)  # doctest: +SKIP
        >>> gan.train(100)  # doctest: +SKIP
    """

    def __init__(self, config: ToyGANConfig, mixture: GaussianMixture2D, seed: int = 0):
        if not isinstance(config, ToyGANConfig):
            raise TypeError(f"config must be a ToyGANConfig; got {type(config).__name__}.")
        self.config, self.mixture, self.seed = config, mixture, int(seed)
        self.generator, self.discriminator = build_toy_networks(config, self.seed)
        self.d_optimizer = keras.optimizers.Adam(config.d_lr, beta_1=0.5)
        self.g_optimizer = keras.optimizers.Adam(config.g_lr, beta_1=0.5)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.rng = tf.random.Generator.from_seed(self.seed)
        self.rounds = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.centers = tf.constant(mixture.centers, tf.float32)
        # TensorFlow counts retracing per code object, so the methods of many ToyGANs
        # would share one counter and warn; a partial is counted on its own.
        self.discriminator_update = tf.function(partial(ToyGAN._d_update, self))
        self.generator_update = tf.function(partial(ToyGAN._g_update, self))
        self.train = tf.function(partial(ToyGAN._train, self))

    def sample_real(self, n: int):
        """``n`` real samples drawn in the graph from the mixture."""
        modes = self.rng.uniform([n], 0, self.mixture.num_modes, dtype=tf.int32)
        noise = self.rng.normal([n, 2], stddev=self.mixture.std)
        return tf.gather(self.centers, modes) + noise

    def pack(self, points):
        """Concatenates ``pack`` consecutive samples: ``(n, 2) -> (n / pack, 2 * pack)``."""
        return tf.reshape(points, [-1, 2 * self.config.pack])

    def _input_gradient(self, points):
        with tf.GradientTape() as tape:
            tape.watch(points)
            total = tf.reduce_sum(self.discriminator(points, training=False))
        return tape.gradient(total, points)

    def _penalty(self, real, fake):
        cfg = self.config
        penalty = tf.constant(0.0)
        if cfg.loss == "wgan-gp":
            alpha = self.rng.uniform([tf.shape(real)[0], 1])
            grads = self._input_gradient(alpha * real + (1.0 - alpha) * fake)
            norms = tf.sqrt(tf.reduce_sum(grads**2, axis=1) + 1e-12)
            penalty += cfg.gp_weight * tf.reduce_mean((norms - 1.0) ** 2)
        if cfg.r1_gamma > 0:
            grads = self._input_gradient(real)
            penalty += 0.5 * cfg.r1_gamma * tf.reduce_mean(tf.reduce_sum(grads**2, axis=1))
        return penalty

    def _d_update(self, real_samples):
        cfg = self.config
        latent_vectors = self.rng.normal([tf.shape(real_samples)[0], cfg.latent_dim])
        fake_samples = self.generator(latent_vectors, training=True)
        if cfg.instance_noise > 0:
            progress = tf.cast(self.rounds, tf.float32) / float(cfg.anneal_steps)
            sigma = cfg.instance_noise * tf.maximum(0.0, 1.0 - progress)
            real_samples += self.rng.normal(tf.shape(real_samples), stddev=sigma)
            fake_samples += self.rng.normal(tf.shape(fake_samples), stddev=sigma)
        real, fake = self.pack(real_samples), self.pack(fake_samples)
        with tf.GradientTape() as tape:
            # One training-mode call: Keras' SpectralNormalization then writes W / sigma(W)
            # into D's kernels once per step; every other call of D uses training=False.
            logits = self.discriminator(tf.concat([real, fake], axis=0), training=True)
            real_logits, fake_logits = tf.split(logits, 2)
            penalty = self._penalty(real, fake)
            d_loss = tf.reduce_mean(d_losses(cfg, real_logits, fake_logits)) + penalty
        weights = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(d_loss, weights), weights)
        return d_loss, penalty

    def _g_update(self):
        latent_vectors = self.rng.normal([self.config.batch_size, self.config.latent_dim])
        with tf.GradientTape() as tape:
            fake_samples = self.generator(latent_vectors, training=True)
            fake_logits = self.discriminator(self.pack(fake_samples), training=False)
            g_loss = tf.reduce_mean(g_losses(self.config, fake_logits))
        weights = self.generator.trainable_variables
        self.g_optimizer.apply(tape.gradient(g_loss, weights), weights)
        return g_loss

    def _train(self, num_rounds):
        """``num_rounds`` rounds of n_critic D and g_steps G updates; mean (d_loss, g_loss)."""
        d_total, g_total = tf.constant(0.0), tf.constant(0.0)
        d_loss, g_loss = tf.constant(0.0), tf.constant(0.0)
        for _ in tf.range(num_rounds):
            for _ in range(self.config.n_critic):
                d_loss, _ = self._d_update(self.sample_real(self.config.batch_size))
            for _ in range(self.config.g_steps):
                g_loss = self._g_update()
            self.rounds.assign_add(1)
            d_total, g_total = d_total + d_loss, g_total + g_loss
        count = tf.cast(tf.maximum(num_rounds, 1), tf.float32)
        return d_total / count, g_total / count

    def generate(self, num_examples: int, seed: int = 1) -> np.ndarray:
        """Samples of G from fixed latent vectors, as a ``(num_examples, 2)`` NumPy array."""
        latent = np.random.default_rng(seed).normal(size=(num_examples, self.config.latent_dim))
        return self.generator(latent.astype(np.float32), training=False).numpy()


def train_toy_gan(
    config: ToyGANConfig,
    mixture: GaussianMixture2D,
    steps: int,
    seed: int = 0,
    eval_every: int = 100,
    num_eval: int = 2000,
) -> dict:
    """Trains a :class:`ToyGAN` for ``steps`` rounds, evaluating every ``eval_every``.

    Returns:
        A dict of lists: ``step``, ``d_loss``, ``g_loss`` (means since the last
        evaluation), ``modes`` (modes captured, 3-sigma rule) and ``high_quality``
        (share of samples within 3 sigma), plus ``"samples"``: the last evaluation's
        ``(num_eval, 2)`` generated points.

    Example:
        >>> history = train_toy_gan(ToyGANConfig(), make_ring(), 200)  # doctest: +SKIP
        >>> history["modes"][-1]  # doctest: +SKIP
    """
    if steps < 1 or eval_every < 1:
        raise ValueError(f"steps={steps}, eval_every={eval_every}; both must be >= 1.")
    gan = ToyGAN(config, mixture, seed)
    history = {key: [] for key in ("step", "d_loss", "g_loss", "modes", "high_quality")}
    done = 0
    while done < steps:
        chunk = min(eval_every, steps - done)
        d_loss, g_loss = gan.train(tf.constant(chunk))
        done += chunk
        samples = gan.generate(num_eval, seed=seed + 1)
        coverage = mode_coverage(samples, mixture)
        for key, value in zip(history, (done, float(d_loss), float(g_loss), *coverage[:2])):
            history[key].append(value)
    history["samples"] = samples
    return history
