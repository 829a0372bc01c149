"""``GAN(keras.Model)``: a generator and a discriminator trained together with ``fit()``.

The same class runs on a CPU, one GPU, several GPUs under ``tf.distribute``, with
``jit_compile=True`` and under mixed precision. Labels: real = 1, fake = 0
(keras-io's GAN examples use the opposite convention; the losses are the same up
to that relabelling). The discriminator returns logits.

Two update schemes:

* ``"alternating"`` (default): a discriminator step, then a generator step on fresh
  fakes scored by the *updated* discriminator -- Algorithm 1 of Goodfellow et al.
  (2014) with k = 1, and what keras-io does. It is the algorithm the course teaches.
* ``"simultaneous"``: both gradients from one forward pass, as in the TensorFlow
  DCGAN tutorial. It skips one generator pass and one discriminator pass on fakes,
  so each step is cheaper; the generator then follows the discriminator of the
  step before.
"""

from __future__ import annotations

import contextlib
import warnings

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gan_helpers.data import _RANGE_TOLERANCE as RANGE_TOLERANCE
from gan_helpers.data import DataError, check_normalized
from gan_helpers.losses import discriminator_loss, generator_loss_nonsaturating
from gan_helpers.onednn import remapper_off_on_onednn
from gan_helpers.precision import warn_if_slow

UPDATE_SCHEMES = ("alternating", "simultaneous")


def discriminator_step(
    generator, discriminator, d_optimizer, d_loss_fn, real_images, latent_vectors
):
    """One discriminator update; only the discriminator's trainable weights move.

    The generator runs with ``training=True`` (as in its own step), so its
    BatchNormalization moving statistics, which are not trainable, are updated here too.

    Args:
        generator: Makes the fake images (its weights are not updated here).
        discriminator: The network being updated.
        d_optimizer: The discriminator's optimizer.
        d_loss_fn: ``(real_logits, fake_logits) -> per-example losses``.
        real_images: A batch of real samples.
        latent_vectors: One latent vector per real sample.

    Returns:
        The per-example discriminator losses.
    """
    fake_images = generator(latent_vectors, training=True)
    with tf.GradientTape() as tape:
        real_logits = discriminator(real_images, training=True)
        fake_logits = discriminator(fake_images, training=True)
        per_example = d_loss_fn(real_logits, fake_logits)
        d_loss = tf.nn.compute_average_loss(per_example)
        scaled_loss = d_optimizer.scale_loss(d_loss)
    weights = discriminator.trainable_variables
    d_optimizer.apply(tape.gradient(scaled_loss, weights), weights)
    return per_example


def generator_step(generator, discriminator, g_optimizer, g_loss_fn, latent_vectors):
    """One generator update through the discriminator; only the generator's trainable weights move.

    Args:
        generator: The network being updated.
        discriminator: Scores the fakes (its weights are not updated here).
        g_optimizer: The generator's optimizer.
        g_loss_fn: ``fake_logits -> per-example losses``.
        latent_vectors: A batch of latent vectors.

    Returns:
        The per-example generator losses.
    """
    with tf.GradientTape() as tape:
        fake_images = generator(latent_vectors, training=True)
        fake_logits = discriminator(fake_images, training=True)
        per_example = g_loss_fn(fake_logits)
        g_loss = tf.nn.compute_average_loss(per_example)
        scaled_loss = g_optimizer.scale_loss(g_loss)
    weights = generator.trainable_variables
    g_optimizer.apply(tape.gradient(scaled_loss, weights), weights)
    return per_example


def simultaneous_step(
    generator,
    discriminator,
    d_optimizer,
    g_optimizer,
    d_loss_fn,
    g_loss_fn,
    real_images,
    latent_vectors,
):
    """Both updates from one forward pass (the TensorFlow DCGAN tutorial's scheme).

    Returns:
        ``(d_per_example, g_per_example)``, the per-example losses.
    """
    with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
        fake_images = generator(latent_vectors, training=True)
        real_logits = discriminator(real_images, training=True)
        fake_logits = discriminator(fake_images, training=True)
        d_per_example = d_loss_fn(real_logits, fake_logits)
        g_per_example = g_loss_fn(fake_logits)
        d_scaled = d_optimizer.scale_loss(tf.nn.compute_average_loss(d_per_example))
        g_scaled = g_optimizer.scale_loss(tf.nn.compute_average_loss(g_per_example))
    d_weights = discriminator.trainable_variables
    g_weights = generator.trainable_variables
    d_optimizer.apply(d_tape.gradient(d_scaled, d_weights), d_weights)
    g_optimizer.apply(g_tape.gradient(g_scaled, g_weights), g_weights)
    return d_per_example, g_per_example


def _checked_batches(dataset, problems: list, model, repeat: bool):
    """``dataset`` ending just before the first batch of real samples that fails the check.

    Every batch is checked inside the input pipeline with a few reductions (finite; images
    within [-1, 1] and with some value below 0), so a bad batch never reaches the training
    step: nothing moves. The first bad batch is described by
    :func:`gan_helpers.data.check_normalized` in ``problems``, ``model.stop_training`` is
    set and the data end there, without a TensorFlow error (whose C++ log lines would bury
    the one-line message that ``GAN.fit`` then raises). With ``repeat``, the checked
    batches follow one another over endless passes of ``dataset`` (``GAN.fit`` then gives
    Keras the number of batches per pass, which ``take_while`` hides).
    """
    per_pass = int(dataset.cardinality()) if repeat else None

    def real_samples(element):
        return element[0] if isinstance(element, (tuple, list)) else element

    def describe(index, samples):
        index, samples = int(index), samples.numpy()
        if per_pass:
            index, passes = index % per_pass, index // per_pass
            where = f"GAN.fit (batch {index + 1} of pass {passes + 1} over the data)"
        else:
            where = f"GAN.fit (batch {index + 1} of the data)"
        try:
            check_normalized(samples, where)
            raise DataError(  # a small batch: check_normalized tests the sign from 16 on
                f"{where} got {len(samples):,} images with values in [{samples.min():g}, "
                f"{samples.max():g}] and none below 0: they look scaled to [0, 1] (x / 255), "
                "not [-1, 1]. Scale the raw pixels with gan_helpers.data.normalize(images)."
            )
        except (DataError, TypeError) as exc:
            problems.append(exc)
        model.stop_training = True
        return False

    def healthy(index, element):
        samples = real_samples(element)
        if not isinstance(samples, tf.Tensor) or not samples.dtype.is_floating:
            return tf.constant(True)  # _check_batch explains wrong types when it traces
        values = tf.cast(samples, tf.float32)  # NumPy has no bfloat16
        ok = tf.reduce_all(tf.math.is_finite(values))
        if values.shape.rank is not None and values.shape.rank >= 3:  # (batch, H, W[, C])
            low, high = tf.reduce_min(values), tf.reduce_max(values)
            in_range = tf.logical_and(low >= -1 - RANGE_TOLERANCE, high <= 1 + RANGE_TOLERANCE)
            ok = tf.logical_and(ok, tf.logical_and(in_range, low < 0))
        return tf.cond(
            ok,
            lambda: tf.constant(True),
            lambda: tf.py_function(describe, [index, values], tf.bool),
        )

    if repeat:
        dataset = dataset.repeat()
    return dataset.enumerate().take_while(healthy).map(lambda index, element: element)


@contextlib.contextmanager
def _without_our_end_of_data_warning(problems: list):
    """Hides Keras' "Your input ran out of data" warning when a bad batch ended the data.

    Every other warning, and that one when the data really ran out, is shown as usual.
    """
    with warnings.catch_warnings():
        show = warnings.showwarning

        def showwarning(message, *args, **kwargs):
            if problems and str(message).startswith("Your input ran out of data"):
                return
            show(message, *args, **kwargs)

        warnings.showwarning = showwarning
        yield


def _check_network(network, role: str) -> None:
    if not isinstance(network, keras.Model):
        raise TypeError(
            f"{role} must be a keras.Model; got {type(network).__name__}. "
            f"Build it with gan_helpers.models.build_{role}()."
        )
    if not network.built or not network.inputs:
        raise ValueError(
            f"{role} {network.name!r} has no input shape yet; start it with "
            "keras.Input(shape=...) so the GAN can check the shapes."
        )


class GAN(keras.Model):
    """A generator and a discriminator, trained against each other by ``fit()``.

    Args:
        generator: Maps ``(batch, latent_dim)`` to samples.
        discriminator: Maps samples to ``(batch, 1)`` logits.
        latent_dim: Size of z; by default read from the generator's input.
        update: ``"alternating"`` (default) or ``"simultaneous"``; see the module doc.
        seed: Seed of the latent vectors drawn during training.

    Example:
        >>> gan = GAN(build_generator(), build_discriminator())  # doctest: +SKIP
        >>> gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5),
        ...             keras.optimizers.Adam(2e-4, beta_1=0.5))  # doctest: +SKIP
        >>> history = gan.fit(dataset, epochs=5)  # doctest: +SKIP
    """

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim=None,
        *,
        update="alternating",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if keras.backend.backend() != "tensorflow":
            raise RuntimeError(
                f"GAN needs the TensorFlow backend; Keras uses {keras.backend.backend()!r}. "
                "Set KERAS_BACKEND=tensorflow before importing keras."
            )
        _check_network(generator, "generator")
        _check_network(discriminator, "discriminator")
        input_dim = self._check_shapes(generator, discriminator)
        if latent_dim is not None and latent_dim != input_dim:
            raise ValueError(
                f"latent_dim={latent_dim} but the generator takes vectors of size {input_dim}; "
                f"pass latent_dim={input_dim} or rebuild the generator."
            )
        if update not in UPDATE_SCHEMES:
            raise ValueError(f"update={update!r} is not known; expected one of {UPDATE_SCHEMES}.")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(input_dim)
        self.update = update
        if seed is None:  # follows keras.utils.set_random_seed through NumPy's global state
            seed = int(np.random.randint(0, 2**31 - 1))
        self.seed = int(seed)
        # How many latent batches have been drawn. It is a model variable, so checkpoints
        # save it and a resumed run draws exactly the latent vectors it would have drawn.
        self.latent_draws = self.add_weight(
            shape=(),
            initializer="zeros",
            dtype="int64",
            trainable=False,
            name="latent_draws",
            aggregation="only_first_replica",
        )
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True  # both networks are built; fit() under a strategy needs this

    def _check_shapes(self, generator, discriminator) -> int:
        """Checks that the networks fit together; returns the latent size."""
        if tuple(generator.output_shape[1:]) != tuple(discriminator.input_shape[1:]):
            raise ValueError(
                f"The generator makes samples of shape {generator.output_shape[1:]} but the "
                f"discriminator expects {discriminator.input_shape[1:]}; build them for the "
                "same data."
            )
        return generator.input_shape[-1]

    @property
    def metrics(self):
        """The loss trackers; Keras resets them at the start of every epoch."""
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(
        self,
        d_optimizer,
        g_optimizer,
        d_loss_fn=discriminator_loss,
        g_loss_fn=generator_loss_nonsaturating,
        jit_compile=False,
        **kwargs,
    ):
        """Sets the two optimizers and the two losses.

        Args:
            d_optimizer: Optimizer of the discriminator.
            g_optimizer: Optimizer of the generator (a different object).
            d_loss_fn: ``(real_logits, fake_logits) -> per-example losses``.
            g_loss_fn: ``fake_logits -> per-example losses``.
            jit_compile: Compile the training step with XLA. False by default on every
                device. (Keras' own default, ``"auto"``, turns XLA on whenever a GPU is
                visible and no distribution strategy is active; XLA was slower on the
                course's CPUs and its compile time and memory on a GPU are unmeasured
                here.) Pass True, or ``"auto"`` for Keras' behaviour.
            **kwargs: Passed to ``keras.Model.compile`` (e.g. ``steps_per_execution``).
        """
        for name, opt in (("d_optimizer", d_optimizer), ("g_optimizer", g_optimizer)):
            if not isinstance(opt, keras.optimizers.Optimizer):
                raise TypeError(
                    f"{name} must be a keras.optimizers.Optimizer; got {type(opt).__name__}. "
                    "Pass e.g. keras.optimizers.Adam(2e-4, beta_1=0.5)."
                )
        if d_optimizer is g_optimizer:
            raise ValueError(
                "d_optimizer and g_optimizer are the same object; each network needs its own "
                "optimizer (its own moment estimates and step counter). Create two."
            )
        for name, fn in (("d_loss_fn", d_loss_fn), ("g_loss_fn", g_loss_fn)):
            if not callable(fn):
                raise TypeError(f"{name} must be callable; got {fn!r}.")
        super().compile(optimizer=None, jit_compile=jit_compile, **kwargs)
        warn_if_slow(keras.config.dtype_policy().name)
        if keras.config.dtype_policy().name == "mixed_float16":
            # float16 gradients underflow without loss scaling (Keras mixed-precision guide).
            d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer)
            g_optimizer = keras.optimizers.LossScaleOptimizer(g_optimizer)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.d_loss_fn = d_loss_fn
        self.g_loss_fn = g_loss_fn
        # Build the optimizers' slots now: under MirroredStrategy, building them lazily
        # inside the first distributed step fails.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def fit(self, x=None, *args, shuffle=False, **kwargs):
        """``keras.Model.fit`` that first checks the real data, with ``shuffle=False`` by default.

        The real samples must pass ``gan_helpers.data.check_normalized`` (finite, and
        images in [-1, 1]: not raw [0, 255] pixels, not pixels divided by 255) before any
        weight moves. A NumPy array or tensor ``x`` is checked in full before training
        starts. A ``tf.data.Dataset`` is checked batch by batch inside the input pipeline
        (a few reductions per batch, no extra batch drawn, the shuffle order unchanged):
        training stops before the first bad batch reaches the step, so the weights keep
        the values they had after the last good batch, and ``fit`` raises the error.
        Other inputs (Python generators, ``keras.utils.PyDataset``) are not checked.

        On a CPU where TensorFlow runs its oneDNN kernels, Grappler's remapper is switched
        off while the training function is built (:mod:`gan_helpers.onednn` explains why).

        A ``tf.data`` pipeline shuffles itself (see ``gan_helpers.data.make_dataset``);
        Keras ignores ``shuffle`` for it but warns when it is left at True.

        Raises:
            gan_helpers.data.DataError: If the real samples hold NaN or infinite values,
                or images are not scaled to [-1, 1]; the message says how to fix it.
        """
        problems = []
        if isinstance(x, tf.data.Dataset):
            batches = int(x.cardinality())
            repeat = not args and kwargs.get("steps_per_epoch") is None and batches > 0
            if repeat:  # a finite dataset: keep Keras' epochs of one pass each
                kwargs["steps_per_epoch"] = batches
            x = _checked_batches(x, problems, self, repeat)
        elif isinstance(x, (np.ndarray, tf.Tensor)):
            check_normalized(np.asarray(x), "GAN.fit")
        with remapper_off_on_onednn(), _without_our_end_of_data_warning(problems):
            history = super().fit(x, *args, shuffle=shuffle, **kwargs)
        if problems:
            raise problems[0]
        return history

    def call(self, latent_vectors, training=False):
        """Generates samples from latent vectors: ``gan(z)`` is ``gan.generator(z)``."""
        return self.generator(latent_vectors, training=training)

    def sample_latent(self, batch_size):
        """Draws this replica's standard-normal latent vectors, ``(batch_size, latent_dim)``.

        The draw is stateless, keyed by ``(seed, latent_draws)``: a resumed run repeats
        the uninterrupted run's draws (a ``keras.random.SeedGenerator`` would not, as
        Keras does not save its state with the weights). Under a distribution strategy
        every replica draws the same global batch and keeps its own slice, so replicas
        never share latent vectors and the result equals a single-device draw.
        """
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        shape = (batch_size * replicas, self.latent_dim)
        draw = tf.identity(self.latent_draws.value)
        self.latent_draws.assign_add(1)
        seed = tf.stack([tf.constant(self.seed, tf.int64), draw])
        latent_vectors = tf.random.stateless_normal(shape, seed=seed, alg="philox")
        if replicas == 1:
            return latent_vectors
        start = tf.distribute.get_replica_context().replica_id_in_sync_group * batch_size
        return latent_vectors[start : start + batch_size]

    def _check_batch(self, real_images, expected=None):
        expected = expected or tuple(self.discriminator.input_shape[1:])
        if tuple(real_images.shape[1:]) != expected:
            raise ValueError(
                f"GAN.fit got batches of shape {tuple(real_images.shape)}; the discriminator "
                f"expects (batch, {', '.join(map(str, expected))}). Reshape the data or "
                "rebuild the networks."
            )
        if not real_images.dtype.is_floating:
            raise TypeError(
                f"GAN.fit got {real_images.dtype.name} images; expected floats in [-1, 1]. "
                "Call gan_helpers.data.normalize(images) first."
            )

    def train_step(self, data):
        """One training step on a batch of real samples (``fit()`` calls it)."""
        real_images = data[0] if isinstance(data, (tuple, list)) else data
        self._check_batch(real_images)
        batch_size = ops.shape(real_images)[0]
        return self._update(real_images, lambda: self.sample_latent(batch_size))

    def _update(self, real, draw_generator_input):
        """Updates both networks with the configured scheme and tracks the batch losses.

        Args:
            real: What the discriminator sees as real (a batch, or ``[images, labels]``).
            draw_generator_input: Returns a fresh generator input on each call.
        """
        # Nothing moves, not even a counter, before the real batch has arrived: when the
        # input ends (after the last batch, or before a batch that fails GAN.fit's check),
        # the parts of the step that do not need the batch (the generator's update, the
        # latent-draw counter) would otherwise still run.
        with tf.control_dependencies(tf.nest.flatten(real)):
            if self.update == "alternating":
                d_per_example = discriminator_step(
                    self.generator,
                    self.discriminator,
                    self.d_optimizer,
                    self.d_loss_fn,
                    real,
                    draw_generator_input(),
                )
                g_per_example = generator_step(
                    self.generator,
                    self.discriminator,
                    self.g_optimizer,
                    self.g_loss_fn,
                    draw_generator_input(),
                )
            else:
                d_per_example, g_per_example = simultaneous_step(
                    self.generator,
                    self.discriminator,
                    self.d_optimizer,
                    self.g_optimizer,
                    self.d_loss_fn,
                    self.g_loss_fn,
                    real,
                    draw_generator_input(),
                )
            self.d_loss_tracker.update_state(ops.mean(d_per_example))
            self.g_loss_tracker.update_state(ops.mean(g_per_example))
            return {m.name: m.result() for m in self.metrics}
