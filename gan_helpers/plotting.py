"""Figures: image grids, loss curves and 2-D samples. Every function returns a ``Figure``.

Each figure is closed in ``pyplot`` before it is returned, so a notebook shows it once
(when it is the cell's value or passed to ``display``) and a long training run does not
pile up open figures. Labels are ASCII so they render without a CJK font.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure


def _new_figure(figsize) -> Figure:
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    plt.close(fig)
    return fig


def _to_display(images, value_range: tuple[float, float] | None = None) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(
            f"show_images got an array of shape {images.shape}; expected (N, H, W) or "
            "(N, H, W, 1) grey-scale images."
        )
    if images.size == 0:
        raise ValueError("show_images got no images; pass at least one.")
    if value_range is None:  # a guess: wrong for a grid that happens to avoid negatives
        if images.min() < 0:  # a tanh generator's [-1, 1]
            value_range = (-1.0, 1.0)
        elif images.max() > 1.0:  # raw pixels
            value_range = (0.0, 255.0)
        else:
            value_range = (0.0, 1.0)
    low, high = value_range
    if not high > low:
        raise ValueError(
            f"show_images got value_range={value_range!r}; expected (low, high) with low < "
            "high, e.g. (-1, 1) for generator output or (0, 255) for pixels."
        )
    return np.clip((images - low) / (high - low), 0.0, 1.0)


def show_images(
    images,
    ncols: int | None = None,
    titles=None,
    title: str | None = None,
    scale: float = 1.0,
    value_range: tuple[float, float] | None = None,
) -> Figure:
    """Draws grey-scale images in a grid.

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, 1)``, in [-1, 1], [0, 1] or [0, 255].
        ncols: Columns of the grid; default about sqrt(N).
        titles: Optional N short (ASCII) strings, one above each image.
        title: Optional title of the whole figure.
        scale: Inches per image.
        value_range: ``(low, high)``: the values drawn black and white, e.g. ``(-1, 1)``
            for generator output or ``(0, 255)`` for pixels. Default: guessed from the
            values (negative values mean [-1, 1], values above 1 mean [0, 255], else
            [0, 1]); pass it whenever the range is known, since a [-1, 1] grid without
            negative values would be guessed as [0, 1].

    Returns:
        The ``Figure``.

    Example:
        >>> fig = show_images(np.zeros((16, 28, 28)), value_range=(-1, 1))
        >>> len(fig.axes)
        16
    """
    images = _to_display(images, value_range)
    count = len(images)
    ncols = ncols or math.ceil(math.sqrt(count))
    nrows = math.ceil(count / ncols)
    fig = _new_figure((ncols * scale, nrows * scale + (0.3 if title else 0)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < count:
            ax.imshow(images[index], cmap="gray", vmin=0.0, vmax=1.0)
            if titles is not None:
                ax.set_title(str(titles[index]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout(pad=0.2)
    return fig


def plot_losses(history, title: str | None = None) -> Figure:
    """Plots ``d_loss`` and ``g_loss`` per epoch (or per step) from a training history.

    Args:
        history: A ``keras.callbacks.History`` or its ``.history`` dict.
        title: Optional title.

    Returns:
        The ``Figure``.

    Example:
        >>> fig = plot_losses({"d_loss": [1.3, 1.1], "g_loss": [0.8, 1.0]})
    """
    logs = getattr(history, "history", history)
    missing = [key for key in ("d_loss", "g_loss") if key not in logs]
    if missing:
        raise ValueError(
            f"plot_losses found no {missing} in the history (keys: {sorted(logs)}); pass "
            "the History returned by GAN.fit."
        )
    fig = _new_figure((6, 3.5))
    ax = fig.subplots()
    for key in ("d_loss", "g_loss"):
        values = np.asarray(logs[key], dtype=float)
        ax.plot(
            np.arange(1, len(values) + 1),
            values,
            marker="o" if len(values) < 30 else None,
            label=key,
        )
    ax.axhline(2 * math.log(2), color="tab:blue", lw=0.8, ls="--", label="d_loss if D = 1/2")
    ax.axhline(math.log(2), color="tab:orange", lw=0.8, ls="--", label="g_loss if D = 1/2")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_samples_2d(
    real_samples,
    fake_samples=None,
    centers=None,
    title: str | None = None,
    limit: float | None = None,
) -> Figure:
    """Scatter plot of real (and generated) 2-D samples, with the mixture's centres.

    Args:
        real_samples: ``(N, 2)`` real points.
        fake_samples: Optional ``(M, 2)`` generated points.
        centers: Optional ``(K, 2)`` centres, drawn as crosses.
        title: Optional title.
        limit: Half-width of the square view; default fits the data.

    Returns:
        The ``Figure``.

    Example:
        >>> fig = plot_samples_2d(np.zeros((5, 2)))
    """
    fig = _new_figure((4, 4))
    ax = fig.subplots()
    real_samples = np.asarray(real_samples)
    ax.scatter(real_samples[:, 0], real_samples[:, 1], s=4, alpha=0.5, label="real")
    if fake_samples is not None:
        fake_samples = np.asarray(fake_samples)
        ax.scatter(fake_samples[:, 0], fake_samples[:, 1], s=4, alpha=0.5, label="fake")
    if centers is not None:
        centers = np.asarray(centers)
        ax.scatter(centers[:, 0], centers[:, 1], marker="x", c="k", s=30, label="centres")
    if limit is not None:
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
