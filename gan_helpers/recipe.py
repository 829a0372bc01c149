"""The course's DCGAN recipe: networks, optimizers, batch size and training budget.

Notebook 05 teaches it; notebook 06 (when it has no generator), ``python -m
gan_helpers.train`` and ``benchmarks/quality.py`` use it from here, so they all train
the same model. The budget is a number of steps, not of epochs: an online learner with
60,000 digits and an offline one with 5,000 do the same work and wait the same time.
"""

from __future__ import annotations

import keras

from gan_helpers import models
from gan_helpers.gan import GAN

LATENT_DIM = 100
BATCH_SIZE = 64
TRAIN_STEPS = 3_000
STEPS_PER_EPOCH = 100
LEARNING_RATE = 8e-4  # 4x DCGAN's 2e-4: better digits in the same steps (benchmarks/quality.py)
BETA_1 = 0.5


def make_gan(
    latent_dim=LATENT_DIM,
    learning_rate=LEARNING_RATE,
    beta_1=BETA_1,
    seed=0,
    update="alternating",
    **compile_kwargs,
):
    """Builds and compiles the course DCGAN: two networks, two Adam optimizers.

    Args:
        latent_dim: Size of the latent vectors.
        learning_rate: Adam's learning rate, the same for both networks.
        beta_1: Adam's first-moment decay (0.5 as in DCGAN; Keras' default 0.9 oscillates).
        seed: Seed of the latent vectors drawn during training.
        update: ``"alternating"`` (the course's) or ``"simultaneous"`` (see ``GAN``).
        **compile_kwargs: Passed to ``GAN.compile`` (e.g. ``jit_compile=True``).

    Returns:
        A compiled :class:`gan_helpers.gan.GAN`.

    Example:
        >>> gan = make_gan(seed=0)  # doctest: +SKIP
    """
    gan = GAN(
        models.build_generator(latent_dim), models.build_discriminator(), seed=seed, update=update
    )
    gan.compile(
        keras.optimizers.Adam(learning_rate, beta_1=beta_1),
        keras.optimizers.Adam(learning_rate, beta_1=beta_1),
        **compile_kwargs,
    )
    return gan
