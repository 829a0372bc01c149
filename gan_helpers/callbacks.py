"""Callbacks for ``GAN.fit``: an image monitor and a stop on NaN or infinite losses.

``ImageMonitor`` draws images from fixed latent vectors; ``StopOnNonFiniteLoss`` stops
training at the first batch whose losses are NaN or infinite.

For resumable training use Keras' own ``keras.callbacks.BackupAndRestore``: it saves
both networks, both optimizers' state, the latent-vector seed state and the epoch
(``tests/test_callbacks.py`` checks that a resumed run ends where an uninterrupted
one does).
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from gan_helpers.animation import tile
from gan_helpers.data import denormalize
from gan_helpers.plotting import show_images


class ImageMonitor(keras.callbacks.Callback):
    """Draws a grid of generated images every ``every`` epochs, from *fixed* latent vectors.

    The same latent vectors are used at every epoch, so the grids show how the
    generator's answer to one question changes, not new random samples. An epoch whose
    images are NaN or infinite (training diverged) gets a one-line note instead of a grid.

    Args:
        num_images: Images per grid.
        every: Draw after every ``every``-th epoch.
        seed: Seed of the fixed latent vectors.
        directory: If given, save each grid's pixels there as ``epoch_NNN.png`` (the
            frames of :func:`gan_helpers.animation.save_animation`); nothing is written
            otherwise.
        show: Display each grid in the notebook (``IPython.display``).

    Attributes:
        latent_vectors: The fixed ``(num_images, latent_dim)`` inputs.
        grids: ``{epoch: uint8 images}`` for every grid drawn.

    Example:
        >>> monitor = ImageMonitor(num_images=16, every=1)
        >>> gan.fit(dataset, epochs=3, callbacks=[monitor])  # doctest: +SKIP
    """

    def __init__(
        self,
        num_images: int = 16,
        every: int = 1,
        seed: int = 0,
        directory: str | Path | None = None,
        show: bool = True,
    ):
        super().__init__()
        for name, value in (("num_images", num_images), ("every", every)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive int.")
        self.num_images = num_images
        self.every = every
        self.seed = seed
        self.directory = None if directory is None else Path(directory)
        self.show = show
        self.latent_vectors = None
        self.grids: dict[int, np.ndarray] = {}

    def on_train_begin(self, logs=None):
        """Draws the fixed latent vectors on the first ``fit()``."""
        if self.latent_vectors is None:  # drawn once, then kept for every later fit()
            rng = np.random.default_rng(self.seed)
            shape = (self.num_images, self.model.latent_dim)
            self.latent_vectors = rng.standard_normal(shape).astype(np.float32)

    def on_epoch_end(self, epoch, logs=None):
        """Draws (and optionally saves and shows) the grid after every ``every``-th epoch."""
        if (epoch + 1) % self.every:
            return
        num_classes = getattr(self.model, "num_classes", None)
        if num_classes:  # a conditional GAN: digits 0, 1, 2, ... in reading order
            labels = np.arange(self.num_images, dtype=np.int32) % num_classes
            images = self.model.generator([self.latent_vectors, labels], training=False)[0]
        else:
            images = self.model.generator(self.latent_vectors, training=False)
        if not np.isfinite(images).all():  # training diverged: there is no picture to draw
            print(f"ImageMonitor: epoch {epoch + 1}: the generator returned NaN or Inf; no grid.")
            return
        pixels = denormalize(images)  # [-1, 1] -> uint8 [0, 255], the range stated below
        self.grids[epoch + 1] = pixels
        if self.directory is not None:  # the grid's pixels, one frame of an animation
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"epoch_{epoch + 1:03d}.png"
            Image.fromarray(tile(pixels)).save(path)
        if self.show:
            from IPython.display import display

            display(show_images(pixels, title=f"epoch {epoch + 1}", value_range=(0, 255)))


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stops training after the first batch whose logged losses are NaN or infinite.

    ``keras.callbacks.TerminateOnNaN`` watches only the ``loss`` entry, which a GAN does
    not log; this callback checks every entry (``d_loss``, ``g_loss``, ...). Weights
    updated by a non-finite loss are garbage, so do not save them: check
    :attr:`stopped_at` after ``fit()`` returns.

    Attributes:
        stopped_at: ``None``, or ``(epoch, batch, logs)`` of the first non-finite batch
            (0-based indices, as Keras passes them). Reset at the start of every ``fit()``.

    Example:
        >>> guard = StopOnNonFiniteLoss()
        >>> gan.fit(dataset, epochs=3, callbacks=[guard])  # doctest: +SKIP
        >>> guard.stopped_at is None  # doctest: +SKIP
        True
    """

    def __init__(self):
        super().__init__()
        self.stopped_at = None
        self._epoch = 0

    def on_train_begin(self, logs=None):
        """Forgets a stop recorded by an earlier ``fit()``."""
        self.stopped_at = None

    def on_epoch_begin(self, epoch, logs=None):
        """Remembers the epoch, for :attr:`stopped_at`."""
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        """Stops training if any logged value of this batch is NaN or infinite."""
        values = {name: float(value) for name, value in (logs or {}).items()}
        if self.stopped_at is None and not all(map(math.isfinite, values.values())):
            self.stopped_at = (self._epoch, batch, values)
            self.model.stop_training = True
