"""Generators and discriminators: the course DCGAN, the article's original, and 2-D MLPs.

Every discriminator returns a *logit* (no sigmoid); the losses apply the sigmoid in
a numerically stable way. Every image generator ends in ``tanh``, so images lie in
[-1, 1]. The last layer of each network computes in ``float32``, the usual rule
for mixed precision (Keras mixed-precision guide).
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
from keras import layers

from gan_helpers.data import IMAGE_SHAPE

GENERATOR_FILE = "generator.keras"  # what ``python -m gan_helpers.train`` saves


def _check_dim(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive int, for example 100.")
    return value


def build_generator(latent_dim: int = 100) -> keras.Model:
    """The course's DCGAN generator: latent vector -> 28x28x1 image in [-1, 1].

    Dense to 7x7x128, then two stride-2 transposed convolutions (7 -> 14 -> 28),
    with batch normalisation and ReLU as in Radford et al. (2016).
    With ``latent_dim=100`` it has 784,641 parameters (771,969 trainable).

    Args:
        latent_dim: Size of the latent vector z.

    Returns:
        A ``keras.Model`` mapping ``(batch, latent_dim)`` to ``(batch, 28, 28, 1)``.

    Example:
        >>> build_generator().output_shape
        (None, 28, 28, 1)
    """
    latent_dim = _check_dim(latent_dim, "latent_dim")
    return keras.Sequential(
        [
            keras.Input(shape=(latent_dim,)),
            layers.Dense(7 * 7 * 128, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Reshape((7, 7, 128)),
            layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(
                1, 4, strides=2, padding="same", activation="tanh", dtype="float32"
            ),
        ],
        name="generator",
    )


def build_discriminator() -> keras.Model:
    """The course's DCGAN discriminator: 28x28x1 image -> one logit.

    Two stride-2 convolutions (28 -> 14 -> 7) with LeakyReLU(0.2), then Dense(1).
    Striding instead of full-resolution convolutions keeps it cheap on a CPU.
    It has 138,561 parameters, all trainable.

    Returns:
        A ``keras.Model`` mapping ``(batch, 28, 28, 1)`` to ``(batch, 1)`` logits.

    Example:
        >>> build_discriminator().output_shape
        (None, 1)
    """
    return keras.Sequential(
        [
            keras.Input(shape=IMAGE_SHAPE),
            layers.Conv2D(64, 4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(128, 4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Flatten(),
            layers.Dense(1, dtype="float32"),
        ],
        name="discriminator",
    )


def build_article_generator(latent_dim: int = 100) -> keras.Model:
    """The source article's generator, with Keras 3 spellings (``negative_slope``, ``Input``).

    Dense to 7x7x128, then three 5x5 transposed convolutions with 128 filters (one at
    7x7, one up to 14x14, one up to 28x28), a final 5x5 convolution with ``tanh``.
    With ``latent_dim=100`` it has 1,867,393 parameters (1,866,625 trainable).

    Example:
        >>> build_article_generator().output_shape
        (None, 28, 28, 1)
    """
    latent_dim = _check_dim(latent_dim, "latent_dim")
    stack = [keras.Input(shape=(latent_dim,)), layers.Dense(128 * 7 * 7, activation="relu")]
    stack.append(layers.Reshape((7, 7, 128)))
    for strides in (1, 2, 2):
        stack += [
            layers.Conv2DTranspose(128, 5, strides=strides, padding="same"),
            layers.BatchNormalization(),
            layers.LeakyReLU(negative_slope=0.2),
        ]
    stack.append(layers.Conv2D(1, 5, activation="tanh", padding="same", dtype="float32"))
    return keras.Sequential(stack, name="article_generator")


def build_article_discriminator(logits: bool = True) -> keras.Model:
    """The source article's discriminator: two unstrided 3x3 convolutions with 128 filters.

    Every convolution runs at full 28x28 resolution, so it costs about 17.6 times
    the course discriminator's multiply-adds per image. It has 249,217 parameters.

    Args:
        logits: If True (for :class:`gan_helpers.gan.GAN`), end in ``Dense(1)``;
            if False, end in ``Dense(1, activation="sigmoid")`` exactly as the article.

    Example:
        >>> build_article_discriminator().output_shape
        (None, 1)
    """
    return keras.Sequential(
        [
            keras.Input(shape=IMAGE_SHAPE),
            layers.Conv2D(128, 3, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Dropout(0.3),
            layers.Conv2D(128, 3, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(1, activation=None if logits else "sigmoid", dtype="float32"),
        ],
        name="article_discriminator",
    )


def _mlp_dense(units: int, seeds, index: int, **kwargs) -> layers.Dense:
    """Dense layer ``index`` of an MLP; with ``seeds``, its kernel comes from ``seeds[index]``."""
    if seeds is not None:
        kwargs["kernel_initializer"] = keras.initializers.GlorotUniform(seed=seeds[index])
    return layers.Dense(units, **kwargs)


def _check_mlp(hidden, depth, seeds) -> None:
    _check_dim(hidden, "hidden")
    _check_dim(depth, "depth")
    if seeds is not None:
        seeds = list(seeds)
        if len(seeds) != depth + 1 or not all(
            isinstance(s, int) and not isinstance(s, bool) for s in seeds
        ):
            raise ValueError(
                f"seeds={seeds!r} does not fit depth={depth}; expected {depth + 1} ints, one per "
                "Dense layer from input to output, or None to use Keras' global seed."
            )


def build_mlp_generator(
    latent_dim: int = 8, hidden: int = 128, depth: int = 3, *, seeds: list[int] | None = None
) -> keras.Model:
    """A small MLP generator for 2-D toy data: ``(batch, latent_dim)`` -> ``(batch, 2)``.

    ``depth`` hidden ReLU layers of ``hidden`` units, then a linear 2-D output.
    With the defaults it has 34,434 parameters.

    Args:
        latent_dim: Size of the latent vector z.
        hidden: Units per hidden layer.
        depth: Number of hidden layers.
        seeds: ``depth + 1`` ints, one per Dense layer from input to output: each
            kernel is drawn by ``GlorotUniform(seed)`` without touching global random
            state. ``None`` draws from Keras' global seed (``keras.utils.set_random_seed``).

    Example:
        >>> build_mlp_generator().output_shape
        (None, 2)
    """
    latent_dim = _check_dim(latent_dim, "latent_dim")
    _check_mlp(hidden, depth, seeds)
    stack = [keras.Input(shape=(latent_dim,))]
    stack += [_mlp_dense(hidden, seeds, i, activation="relu") for i in range(depth)]
    stack.append(_mlp_dense(2, seeds, depth, dtype="float32"))
    return keras.Sequential(stack, name="generator")


def build_mlp_discriminator(
    hidden: int = 128,
    depth: int = 3,
    *,
    pack: int = 1,
    spectral_norm: bool = False,
    seeds: list[int] | None = None,
) -> keras.Model:
    """A small MLP discriminator for 2-D toy data: ``(batch, 2 * pack)`` -> ``(batch, 1)`` logits.

    ``depth`` hidden LeakyReLU(0.2) layers of ``hidden`` units. With the defaults it
    has 33,537 parameters.

    Args:
        hidden: Units per hidden layer.
        depth: Number of hidden layers.
        pack: PacGAN's m (Lin et al., 2018): D scores ``pack`` samples at once, given
            side by side as one row of ``2 * pack`` numbers.
        spectral_norm: Wrap every Dense layer in ``keras.layers.SpectralNormalization``
            (Miyato et al., 2018). Each wrapper adds a non-trainable vector u, drawn
            from Keras' global seed (the layer takes no seed).
        seeds: As for :func:`build_mlp_generator`.

    Example:
        >>> build_mlp_discriminator().output_shape
        (None, 1)
        >>> build_mlp_discriminator(pack=2).input_shape
        (None, 4)
    """
    _check_mlp(hidden, depth, seeds)
    pack = _check_dim(pack, "pack")

    def wrap(layer):
        return layers.SpectralNormalization(layer) if spectral_norm else layer

    stack = [keras.Input(shape=(2 * pack,))]
    for i in range(depth):
        stack += [wrap(_mlp_dense(hidden, seeds, i)), layers.LeakyReLU(negative_slope=0.2)]
    stack.append(wrap(_mlp_dense(1, seeds, depth, dtype="float32")))
    return keras.Sequential(stack, name="discriminator")


def load_generator(path: str | os.PathLike, latent_dim: int | None = None) -> keras.Model:
    """Loads a generator saved in Keras' ``.keras`` format (``generator.save(...)``).

    This is also how to load what ``python -m gan_helpers.train`` trained: pass its
    output folder, which holds ``generator.keras``.

    Args:
        path: The ``.keras`` file, or a training folder that holds ``generator.keras``.
        latent_dim: If given, check that the generator takes vectors of this size.

    Returns:
        The generator, a ``keras.Model``.

    Raises:
        FileNotFoundError: If there is no such file.
        ValueError: If the file is corrupt or ``latent_dim`` does not match.

    Example:
        >>> generator = load_generator("runs/dcgan")  # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir():
        path = path / GENERATOR_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"No generator at {path}. Train one with `python -m gan_helpers.train --output "
            f"{path.parent}` or fix the path."
        )
    try:
        generator = keras.models.load_model(path, compile=False)
    except Exception as exc:  # zipfile, h5py and Keras raise many types for a damaged file
        raise ValueError(
            f"Could not load the generator {path} ({type(exc).__name__}: {str(exc)[:200]}); "
            "the file is corrupt or not a Keras model. Train it again."
        ) from exc
    if latent_dim is not None and generator.input_shape[-1] != latent_dim:
        raise ValueError(
            f"The generator in {path} takes latent vectors of size {generator.input_shape[-1]}, "
            f"not latent_dim={latent_dim}; set latent_dim to {generator.input_shape[-1]}."
        )
    return generator
