"""A conditional GAN (Mirza & Osindero, 2014): choose the digit you want.

The generator takes ``[latent_vectors, labels]`` and returns ``[images, labels]`` -- it
passes the requested label through -- and the discriminator takes ``[images, labels]``.
With that convention the very same :func:`~gan_helpers.gan.discriminator_step` and
:func:`~gan_helpers.gan.generator_step` train it: a "sample" is simply an image
together with its label.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from gan_helpers.data import IMAGE_SHAPE
from gan_helpers.gan import GAN


def build_conditional_generator(latent_dim: int = 100, num_classes: int = 10) -> keras.Model:
    """The course DCGAN generator with a label embedding joined to the latent vector.

    With ``latent_dim=100`` and 10 classes it has 1,098,741 parameters.

    Returns:
        A ``keras.Model`` mapping ``[(batch, latent_dim), (batch,)]`` to
        ``[(batch, 28, 28, 1) images in [-1, 1], (batch,) labels]``.

    Example:
        >>> build_conditional_generator().output_shape
        [(None, 28, 28, 1), (None,)]
    """
    if latent_dim < 1 or num_classes < 2:
        raise ValueError(
            f"latent_dim={latent_dim}, num_classes={num_classes}; expected latent_dim >= 1 and "
            "num_classes >= 2."
        )
    latent_vectors = keras.Input(shape=(latent_dim,), name="latent_vectors")
    labels = keras.Input(shape=(), dtype="int32", name="labels")
    embedded = layers.Embedding(num_classes, 50)(labels)
    x = layers.Concatenate()([latent_vectors, embedded])
    x = layers.Dense(7 * 7 * 128, use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Reshape((7, 7, 128))(x)
    x = layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    images = layers.Conv2DTranspose(
        1, 4, strides=2, padding="same", activation="tanh", dtype="float32"
    )(x)
    passed_labels = layers.Identity()(labels)
    return keras.Model([latent_vectors, labels], [images, passed_labels], name="generator")


def build_conditional_discriminator(num_classes: int = 10) -> keras.Model:
    """The course DCGAN discriminator with the label embedded as an extra image channel.

    With 10 classes it has 147,425 parameters.

    Returns:
        A ``keras.Model`` mapping ``[(batch, 28, 28, 1), (batch,)]`` to ``(batch, 1)`` logits.

    Example:
        >>> build_conditional_discriminator().output_shape
        (None, 1)
    """
    if num_classes < 2:
        raise ValueError(f"num_classes={num_classes}; expected at least 2.")
    images = keras.Input(shape=IMAGE_SHAPE, name="images")
    labels = keras.Input(shape=(), dtype="int32", name="labels")
    label_plane = layers.Reshape(IMAGE_SHAPE)(layers.Embedding(num_classes, 28 * 28)(labels))
    x = layers.Concatenate()([images, label_plane])
    x = layers.LeakyReLU(negative_slope=0.2)(layers.Conv2D(64, 4, strides=2, padding="same")(x))
    x = layers.LeakyReLU(negative_slope=0.2)(layers.Conv2D(128, 4, strides=2, padding="same")(x))
    logits = layers.Dense(1, dtype="float32")(layers.Flatten()(x))
    return keras.Model([images, labels], logits, name="discriminator")


class ConditionalGAN(GAN):
    """A GAN whose generator and discriminator also see the class label.

    Trained with ``fit()`` on a dataset of ``(images, labels)`` batches, e.g.
    ``make_dataset(images, 128, labels=labels)``. Everything else (update schemes,
    distribution, mixed precision, checkpoints) works as for :class:`GAN`.

    Example:
        >>> cgan = ConditionalGAN(build_conditional_generator(),
        ...                       build_conditional_discriminator())  # doctest: +SKIP
        >>> images = cgan([latent_vectors, labels])  # doctest: +SKIP
    """

    def _check_shapes(self, generator, discriminator) -> int:
        if len(generator.inputs) != 2 or len(generator.outputs) != 2:
            raise ValueError(
                f"The generator has {len(generator.inputs)} inputs and {len(generator.outputs)} "
                "outputs; a conditional generator takes [latent_vectors, labels] and returns "
                "[images, labels]. Build it with build_conditional_generator()."
            )
        if len(discriminator.inputs) != 2:
            raise ValueError(
                f"The discriminator has {len(discriminator.inputs)} inputs; a conditional one "
                "takes [images, labels]. Build it with build_conditional_discriminator()."
            )
        made, expected = generator.output_shape[0][1:], discriminator.input_shape[0][1:]
        if tuple(made) != tuple(expected):
            raise ValueError(
                f"The generator makes images of shape {made} but the discriminator expects "
                f"{expected}; build them for the same data."
            )
        embeddings = [lay for lay in discriminator.layers if isinstance(lay, layers.Embedding)]
        self.num_classes = int(embeddings[0].input_dim) if embeddings else None
        return generator.input_shape[0][-1]

    def call(self, inputs, training=False):
        """Generates images: ``cgan([latent_vectors, labels])``."""
        return self.generator(inputs, training=training)[0]

    def train_step(self, data):
        """One training step on a batch of ``(real_images, labels)``."""
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError(
                "ConditionalGAN.fit needs batches of (images, labels); build the dataset with "
                "make_dataset(images, batch_size, labels=labels)."
            )
        real_images, labels = data[0], ops.cast(data[1], "int32")
        self._check_batch(real_images, tuple(self.discriminator.input_shape[0][1:]))
        batch_size = ops.shape(real_images)[0]
        return self._update([real_images, labels], lambda: [self.sample_latent(batch_size), labels])
