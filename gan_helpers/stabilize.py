"""Stabilisers for 2-D toy GANs, each a one-field change of :class:`ToyGANConfig`.

``ToyGAN`` is the course's stack at toy scale: the MLPs of :mod:`gan_helpers.models`,
the losses and penalties of :mod:`gan_helpers.losses`, and for the generator the
update step of :mod:`gan_helpers.gan`. The discriminator's update is its own, because
the stabilisers live there: instance noise on D's inputs (G's update sees the same
noise, so G trains against the noised distributions), PacGAN's packing, one
training-mode call of D on real and fake samples together (Keras'
``SpectralNormalization`` rewrites D's kernels on every such call) and the gradient
penalties inside D's tape. One training round (``n_critic`` D updates, then ``g_steps``
G updates) is compiled with ``tf.function``; the experiment (:func:`train_toy_gan`)
and the playground (:mod:`gan_helpers.playground`) both run it. Real samples are
drawn inside the graph, so many rounds run without returning to Python.
Labels: real = 1, fake = 0.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import partial

import keras
import numpy as np
import tensorflow as tf

from gan_helpers import losses
from gan_helpers.gan import generator_step
from gan_helpers.metrics import grid_js_divergence
from gan_helpers.models import build_mlp_discriminator, build_mlp_generator
from gan_helpers.toy import GaussianMixture2D, mode_coverage

LOSSES = ("nonsaturating", "hinge", "wgan-gp")
HISTORY_KEYS = ("step", "d_loss", "g_loss", "modes", "high_quality", "js_divergence")
RETUNABLE = ("d_lr", "g_lr", "n_critic", "g_steps")  # fields a running ToyGAN can change


@dataclass(frozen=True)
class ToyGANConfig:
    """Everything that defines one toy-GAN run; each stabiliser is one field.

    Attributes:
        loss: ``"nonsaturating"`` (baseline), ``"hinge"`` or ``"wgan-gp"``.
        label_smoothing: One-sided smoothing: real targets become ``1 - label_smoothing``
            (non-saturating loss only).
        instance_noise: Std of Gaussian noise added to every input of D (real and fake
            samples in D's update, fake samples in G's update), annealed linearly to 0
            over ``anneal_steps`` rounds.
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
        if self.label_smoothing and self.loss != "nonsaturating":
            raise ValueError(
                f"label_smoothing={self.label_smoothing} has no effect with loss={self.loss!r}: "
                "it smooths the targets of the non-saturating loss. Set one of the two."
            )
        if self.batch_size % self.pack:
            raise ValueError(
                f"pack={self.pack} does not divide batch_size={self.batch_size}; PacGAN "
                f"groups the batch into packs of equal size. Use e.g. batch_size={self.pack * 64}."
            )


def loss_functions(config: ToyGANConfig) -> tuple[Callable, Callable]:
    """The ``(d_loss_fn, g_loss_fn)`` of :mod:`gan_helpers.losses` that ``config.loss`` names.

    Penalties are not included: :class:`ToyGAN` adds them in D's update.

    Example:
        >>> [f.__name__ for f in loss_functions(ToyGANConfig(loss="hinge"))]
        ['discriminator_loss_hinge', 'generator_loss_wasserstein']
    """
    if config.loss == "hinge":
        return losses.discriminator_loss_hinge, losses.generator_loss_wasserstein
    if config.loss == "wgan-gp":
        return losses.discriminator_loss_wasserstein, losses.generator_loss_wasserstein
    smoothed = partial(losses.discriminator_loss_smoothed, label_smoothing=config.label_smoothing)
    return smoothed, losses.generator_loss_nonsaturating


class ToyGAN:
    """A 2-D GAN whose training round is a compiled ``tf.function`` driven by a config.

    Args:
        config: The :class:`ToyGANConfig`.
        mixture: The target :class:`~gan_helpers.toy.GaussianMixture2D`.
        seed: Seeds the weights, the latent vectors and the real samples.

    Example:
        >>> from gan_helpers.toy import make_ring
        >>> gan = ToyGAN(ToyGANConfig(hidden=16, batch_size=32), make_ring(), seed=0)
        >>> d_loss, g_loss = gan.train(tf.constant(5))
        >>> int(gan.rounds.numpy()), int(gan.d_optimizer.iterations.numpy())
        (5, 5)
    """

    def __init__(self, config: ToyGANConfig, mixture: GaussianMixture2D, seed: int = 0):
        if not isinstance(config, ToyGANConfig):
            raise TypeError(f"config must be a ToyGANConfig; got {type(config).__name__}.")
        self.config, self.mixture, self.seed = config, mixture, int(seed)
        # One seed per Dense layer; G's and D's never coincide (for depth < 50).
        base, depth = 100 * self.seed, config.depth
        self.generator = build_mlp_generator(
            config.latent_dim,
            config.hidden,
            depth,
            seeds=[base + i for i in range(depth)] + [base + 50],
        )
        self.discriminator = build_mlp_discriminator(
            config.hidden,
            config.depth,
            pack=config.pack,
            spectral_norm=config.spectral_norm,
            seeds=[base + 60 + i for i in range(depth + 1)],
        )
        self.d_loss_fn, self.g_loss_fn = loss_functions(config)
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
        self._train_rounds = tf.function(partial(ToyGAN._train, self))

    def retune(self, **changes) -> None:
        """Changes learning rates or update counts between rounds, keeping the weights.

        Only the fields in ``RETUNABLE`` can change; ``config`` always describes the
        next round. Learning rates are assigned to the optimizers; the update counts
        are read by :meth:`train` on every call.

        Example:
            >>> from gan_helpers.toy import make_ring
            >>> gan = ToyGAN(ToyGANConfig(hidden=16, batch_size=32), make_ring())
            >>> gan.retune(n_critic=5, g_lr=1e-2)
            >>> gan.config.n_critic, round(float(gan.g_optimizer.learning_rate.numpy()), 6)
            (5, 0.01)
        """
        fixed = sorted(set(changes) - set(RETUNABLE))
        if fixed:
            raise ValueError(
                f"retune got {fixed}; a running ToyGAN can change only {RETUNABLE}. "
                "Build a new ToyGAN for the other fields."
            )
        self.config = dataclasses.replace(self.config, **changes)
        self.d_optimizer.learning_rate.assign(self.config.d_lr)
        self.g_optimizer.learning_rate.assign(self.config.g_lr)

    def sample_real(self, n: int):
        """``n`` real samples drawn in the graph from the mixture."""
        modes = self.rng.uniform([n], 0, self.mixture.num_modes, dtype=tf.int32)
        noise = self.rng.normal([n, 2], stddev=self.mixture.std)
        return tf.gather(self.centers, modes) + noise

    def pack(self, points):
        """Concatenates ``pack`` consecutive samples: ``(n, 2) -> (n / pack, 2 * pack)``."""
        return tf.reshape(points, [-1, 2 * self.config.pack])

    def packed_discriminator(self, samples, training: bool = False):
        """D as G's update sees it: packs the samples, always in inference mode.

        :func:`gan_helpers.gan.generator_step` calls D with ``training=True``; here
        that would let ``SpectralNormalization`` rewrite D's kernels during G's update.
        """
        return self.discriminator(self.pack(samples), training=False)

    def instance_noise_std(self):
        """The instance noise's std in the current round: ``instance_noise``, annealed to 0.

        Example:
            >>> from gan_helpers.toy import make_ring
            >>> config = ToyGANConfig(instance_noise=0.1, anneal_steps=4, hidden=16, batch_size=32)
            >>> gan = ToyGAN(config, make_ring())
            >>> _ = gan.rounds.assign(1)
            >>> round(float(gan.instance_noise_std()), 3)
            0.075
        """
        progress = tf.cast(self.rounds, tf.float32) / float(self.config.anneal_steps)
        return self.config.instance_noise * tf.maximum(0.0, 1.0 - progress)

    def noisy_discriminator(self, samples, training: bool = False):
        """D as G's update sees it under instance noise: noise first, then packing.

        Instance noise (Sønderby et al. 2017; Arjovsky and Bottou 2017) replaces both
        distributions by their convolutions with a Gaussian, so G is trained against
        D's verdict on noised fakes, not on clean ones.
        """
        noise = self.rng.normal(tf.shape(samples), stddev=self.instance_noise_std())
        return self.packed_discriminator(samples + noise, training=training)

    def _penalty(self, real, fake):
        cfg = self.config
        penalty = tf.constant(0.0)
        if cfg.loss == "wgan-gp":
            alpha = self.rng.uniform([tf.shape(real)[0], 1])
            gp = losses.gradient_penalty(self.discriminator, real, fake, alpha)
            penalty += cfg.gp_weight * tf.reduce_mean(gp)
        if cfg.r1_gamma > 0:
            r1 = losses.r1_penalty(self.discriminator, real)
            penalty += 0.5 * cfg.r1_gamma * tf.reduce_mean(r1)
        return penalty

    def _d_update(self, real_samples):
        cfg = self.config
        latent_vectors = self.rng.normal([tf.shape(real_samples)[0], cfg.latent_dim])
        fake_samples = self.generator(latent_vectors, training=True)
        if cfg.instance_noise > 0:
            sigma = self.instance_noise_std()
            real_samples += self.rng.normal(tf.shape(real_samples), stddev=sigma)
            fake_samples += self.rng.normal(tf.shape(fake_samples), stddev=sigma)
        real, fake = self.pack(real_samples), self.pack(fake_samples)
        with tf.GradientTape() as tape:
            # One training-mode call: Keras' SpectralNormalization then writes W / sigma(W)
            # into D's kernels once per step; every other call of D uses training=False.
            logits = self.discriminator(tf.concat([real, fake], axis=0), training=True)
            real_logits, fake_logits = tf.split(logits, 2)
            penalty = self._penalty(real, fake)
            d_loss = tf.reduce_mean(self.d_loss_fn(real_logits, fake_logits)) + penalty
        weights = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(d_loss, weights), weights)
        return d_loss, penalty

    def _g_update(self):
        latent_vectors = self.rng.normal([self.config.batch_size, self.config.latent_dim])
        noisy = self.config.instance_noise > 0
        per_example = generator_step(
            self.generator,
            self.noisy_discriminator if noisy else self.packed_discriminator,
            self.g_optimizer,
            self.g_loss_fn,
            latent_vectors,
        )
        return tf.reduce_mean(per_example)

    def train(self, num_rounds):
        """Trains ``num_rounds`` rounds; returns the mean ``(d_loss, g_loss)`` over them.

        A round is ``config.n_critic`` D updates on fresh real samples, then
        ``config.g_steps`` G updates. The rounds run in one compiled graph: pass
        ``num_rounds`` as a tensor, ``tf.constant(100)``, so that other numbers of
        rounds reuse it.
        """
        n_critic, g_steps = _update_count(self.config.n_critic), _update_count(self.config.g_steps)
        return self._train_rounds(num_rounds, n_critic, g_steps)

    def _train(self, num_rounds, n_critic, g_steps):
        d_total, g_total = tf.constant(0.0), tf.constant(0.0)
        d_loss, g_loss = tf.constant(0.0), tf.constant(0.0)
        for _ in tf.range(num_rounds):
            for _ in range(n_critic):  # AutoGraph: a while loop if n_critic is a tensor
                d_loss, _penalty = self._d_update(self.sample_real(self.config.batch_size))
            for _ in range(g_steps):
                g_loss = self._g_update()
            self.rounds.assign_add(1)
            d_total, g_total = d_total + d_loss, g_total + g_loss
        count = tf.cast(tf.maximum(num_rounds, 1), tf.float32)
        return d_total / count, g_total / count

    def generate(self, num_examples: int, seed: int = 1) -> np.ndarray:
        """Samples of G from fixed latent vectors, as a ``(num_examples, 2)`` NumPy array."""
        latent = np.random.default_rng(seed).normal(size=(num_examples, self.config.latent_dim))
        return self.generator(latent.astype(np.float32), training=False).numpy()


def _update_count(count: int):
    """How :meth:`ToyGAN.train` passes an update count to its compiled rounds.

    1 stays a Python int, so the update is written into the graph once, without a loop
    (a one-step while loop would make every round about a fifth slower). Larger
    counts become tensors and run in a while loop: one graph serves every count, so
    the playground's sliders never wait for more than four compilations.
    """
    return count if count == 1 else tf.constant(count)


def new_history() -> dict:
    """An empty training history: one list per key of ``HISTORY_KEYS``."""
    return {key: [] for key in HISTORY_KEYS}


def record_evaluation(
    history: dict, gan: ToyGAN, d_loss, g_loss, num_eval: int, seed: int
) -> np.ndarray:
    """Evaluates ``gan`` and appends one row to ``history``; returns the generated samples.

    The row holds the rounds trained so far, the given losses, the modes captured and
    the high-quality share (:func:`~gan_helpers.toy.mode_coverage`, 3-sigma rule) and
    the JS divergence between grid histograms of ``num_eval`` real and generated
    samples (:func:`~gan_helpers.metrics.grid_js_divergence`, GAN Lab's curve). Real
    samples and latent vectors are drawn from ``seed``, the same at every evaluation.

    Example:
        >>> from gan_helpers.toy import make_ring
        >>> history = new_history()
        >>> gan = ToyGAN(ToyGANConfig(hidden=16, batch_size=32), make_ring())
        >>> record_evaluation(history, gan, 1.4, 0.7, num_eval=100, seed=1).shape
        (100, 2)
        >>> history["step"], history["modes"]
        ([0], [0])
    """
    samples = gan.generate(num_eval, seed=seed)
    coverage = mode_coverage(samples, gan.mixture)
    divergence = grid_js_divergence(gan.mixture.sample(num_eval, seed=seed), samples)
    row = (int(gan.rounds.numpy()), float(d_loss), float(g_loss), *coverage[:2], divergence)
    for key, value in zip(HISTORY_KEYS, row):
        history[key].append(value)
    return samples


def train_toy_gan(
    config: ToyGANConfig,
    mixture: GaussianMixture2D,
    steps: int,
    seed: int = 0,
    eval_every: int = 100,
    num_eval: int = 2000,
    keep_samples: bool = False,
) -> dict:
    """Trains a :class:`ToyGAN` for ``steps`` rounds, evaluating every ``eval_every``.

    Returns:
        A dict of lists, keyed by ``HISTORY_KEYS`` (see :func:`record_evaluation`;
        ``d_loss`` and ``g_loss`` are means since the last evaluation), plus
        ``"samples"``: the last evaluation's ``(num_eval, 2)`` generated points, and
        with ``keep_samples=True`` also ``"all_samples"``: every evaluation's points.

    Example:
        >>> from gan_helpers.toy import make_ring
        >>> config = ToyGANConfig(hidden=16, batch_size=32)
        >>> history = train_toy_gan(config, make_ring(), 20, eval_every=10, num_eval=100)
        >>> history["step"], history["samples"].shape
        ([10, 20], (100, 2))
    """
    if steps < 1 or eval_every < 1:
        raise ValueError(f"steps={steps}, eval_every={eval_every}; both must be >= 1.")
    gan = ToyGAN(config, mixture, seed)
    history, all_samples = new_history(), []
    done = 0
    while done < steps:
        chunk = min(eval_every, steps - done)
        d_loss, g_loss = gan.train(tf.constant(chunk))
        done += chunk
        all_samples.append(record_evaluation(history, gan, d_loss, g_loss, num_eval, seed + 1))
    history["samples"] = all_samples[-1]
    if keep_samples:
        history["all_samples"] = all_samples
    return history


def summarize(runs: list[dict], key: str, last: int = 1) -> tuple[float, float]:
    """Mean and sample standard deviation over seeds of one metric of :func:`train_toy_gan`.

    Each run (one seed) contributes one value: the mean of its last ``last`` evaluations
    of ``key``. The spread is the sample standard deviation (``ddof=1``), the usual
    estimate from a few seeds (NumPy's default, ``ddof=0``, is about 18 % smaller at
    three seeds). With one run it is undefined and returned as NaN. Three seeds show
    how much runs vary; they are too few for a significance test.

    Example:
        >>> runs = [{"modes": [6, 8]}, {"modes": [8, 8]}, {"modes": [2, 5]}]
        >>> mean, std = summarize(runs, "modes")
        >>> round(mean, 2), round(std, 2)
        (7.0, 1.73)
        >>> summarize(runs[:1], "modes", last=2)
        (7.0, nan)
    """
    if not runs or last < 1:
        raise ValueError(
            f"summarize got {len(runs)} runs and last={last}; it needs at least one run "
            "and last >= 1 evaluations per run."
        )
    values = [np.mean(run[key][-last:]) for run in runs]
    spread = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
    return float(np.mean(values)), spread
