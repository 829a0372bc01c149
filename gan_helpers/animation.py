"""Watch a generator learn: the monitor's grids as one animated image.

``ImageMonitor`` saves one grid of generated digits per epoch (``epoch_NNN.png``, drawn
from the same fixed latent vectors every time). :func:`save_animation` joins such grids,
in order, into an animated GIF or PNG with Pillow: a GIF opens in any image viewer, and
an animated PNG (APNG) is still a PNG, so a notebook shows it wherever it shows a figure
(JupyterLab, GitHub, the offline book; a viewer without APNG support shows the first
frame). Every frame gets an ASCII label such as ``step 300``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

FRAME_PATTERN = re.compile(r"epoch_(\d+)\.png$")


def tile(images: np.ndarray, ncols: int | None = None, gap: int = 2) -> np.ndarray:
    """Lays ``uint8`` images out in one grey mosaic, black between them.

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, 1)`` pixels in [0, 255].
        ncols: Columns; default about sqrt(N).
        gap: Pixels between neighbouring images.

    Returns:
        A ``uint8`` array ``(rows * (H + gap) - gap, ncols * (W + gap) - gap)``.

    Example:
        >>> tile(np.full((4, 28, 28), 255, np.uint8)).shape
        (58, 58)
    """
    given = images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.dtype != np.uint8 or len(images) == 0:
        raise ValueError(
            f"tile got an array of shape {given.shape} and dtype {given.dtype}; expected "
            "uint8 images (N, H, W) or (N, H, W, 1), e.g. gan_helpers.data.denormalize(x)."
        )
    count, height, width = images.shape
    ncols = ncols or math.ceil(math.sqrt(count))
    nrows = math.ceil(count / ncols)
    mosaic = np.zeros((nrows * (height + gap) - gap, ncols * (width + gap) - gap), np.uint8)
    for index, image in enumerate(images):
        row, col = divmod(index, ncols)
        top, left = row * (height + gap), col * (width + gap)
        mosaic[top : top + height, left : left + width] = image
    return mosaic


def read_frames(folder: str | os.PathLike) -> list[tuple[int, np.ndarray]]:
    """The grids that ``ImageMonitor`` saved in ``folder``, in epoch order.

    Returns:
        ``[(epoch, uint8 mosaic), ...]``; empty if there is none.
    """
    from PIL import Image

    found = []
    for path in Path(folder).glob("epoch_*.png"):
        match = FRAME_PATTERN.search(path.name)
        if match:
            with Image.open(path) as image:
                found.append((int(match[1]), np.asarray(image.convert("L"))))
    return sorted(found, key=lambda item: item[0])


def _labelled(mosaic: np.ndarray, label: str, scale: int):
    from PIL import Image, ImageDraw

    image = Image.fromarray(mosaic).resize(
        (mosaic.shape[1] * scale, mosaic.shape[0] * scale), Image.Resampling.NEAREST
    )
    band = 14
    framed = Image.new("L", (image.width, image.height + band), 255)
    framed.paste(image, (0, band))
    ImageDraw.Draw(framed).text((2, 1), label, fill=0)  # Pillow's built-in font: ASCII
    return framed


def save_animation(
    frames: Sequence[np.ndarray],
    labels: Sequence[str],
    path: str | os.PathLike,
    frame_ms: int = 250,
    last_frame_ms: int = 2000,
    scale: int = 1,
) -> Path:
    """Writes ``frames`` as one animated image that loops; the format follows the suffix.

    Args:
        frames: Mosaics of the same shape (see :func:`tile`), in order.
        labels: One short ASCII label per frame, drawn above it (e.g. ``"step 300"``).
        path: Where to write it: ``.gif`` or ``.png`` (an animated PNG).
        frame_ms: How long each frame is shown.
        last_frame_ms: How long the last frame is shown before the loop starts again.
        scale: Enlarge each pixel to ``scale`` x ``scale`` pixels.

    Returns:
        The path written.

    Example:
        >>> frames = [tile(np.full((4, 8, 8), v, np.uint8)) for v in (0, 128, 255)]
        >>> save_animation(frames, ["a", "b", "c"], tmp_path / "grow.gif").name  # doctest: +SKIP
        'grow.gif'
    """
    path = Path(path)
    if path.suffix.lower() not in (".gif", ".png"):
        raise ValueError(f"save_animation writes .gif or .png files; got {path.name!r}.")
    if not frames or len(frames) != len(labels):
        raise ValueError(
            f"save_animation got {len(frames)} frames and {len(labels)} labels; expected at "
            "least one frame and one label per frame."
        )
    shapes = {np.shape(frame) for frame in frames}
    if len(shapes) != 1:
        raise ValueError(f"the frames have different shapes {sorted(shapes)}; expected one.")
    images = [_labelled(np.asarray(f, np.uint8), str(t), scale) for f, t in zip(frames, labels)]
    durations = [frame_ms] * (len(images) - 1) + [last_frame_ms]
    images[0].save(
        path,
        save_all=True,
        append_images=images[1:],
        duration=durations,
        loop=0,
        optimize=True,
    )
    return path
