"""Two-dimensional toy distributions: a ring of 8 Gaussians and a 5x5 grid.

The geometry follows the Unrolled-GAN / WGAN-GP experiments: ring radius 2 with
sigma 0.02, grid points {-4, -2, 0, 2, 4}^2 with sigma 0.05.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class GaussianMixture2D:
    """An equal-weight mixture of isotropic 2-D Gaussians.

    Attributes:
        name: A short name, ``"ring"`` or ``"grid"``.
        centers: ``(num_modes, 2)`` array of the Gaussians' means.
        std: Standard deviation sigma of every Gaussian.
    """

    name: str
    centers: np.ndarray
    std: float

    @property
    def num_modes(self) -> int:
        """Number of Gaussians in the mixture."""
        return len(self.centers)

    def sample(self, num_examples: int, seed: int | None = None) -> np.ndarray:
        """Draws samples: pick a centre uniformly, add Gaussian noise of ``std``.

        Args:
            num_examples: How many points to draw (positive).
            seed: Seed for ``numpy.random.default_rng``.

        Returns:
            ``float32`` array of shape ``(num_examples, 2)``.

        Example:
            >>> make_ring().sample(3, seed=0).shape
            (3, 2)
        """
        if isinstance(num_examples, bool) or not isinstance(num_examples, (int, np.integer)):
            raise TypeError(f"num_examples={num_examples!r} must be an int, for example 512.")
        if num_examples < 1:
            raise ValueError(f"num_examples={num_examples} must be at least 1.")
        rng = np.random.default_rng(seed)
        modes = rng.integers(0, self.num_modes, size=num_examples)
        noise = rng.normal(0.0, self.std, size=(num_examples, 2))
        return (self.centers[modes] + noise).astype(np.float32)


def make_ring(num_modes: int = 8, radius: float = 2.0, std: float = 0.02) -> GaussianMixture2D:
    """A ring of ``num_modes`` Gaussians evenly spaced on a circle.

    Example:
        >>> make_ring().centers.shape
        (8, 2)
    """
    if num_modes < 1 or radius <= 0 or std <= 0:
        raise ValueError(
            f"make_ring got num_modes={num_modes}, radius={radius}, std={std}; "
            "expected num_modes >= 1 and positive radius and std."
        )
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return GaussianMixture2D("ring", centers.astype(np.float32), float(std))


def make_grid(size: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture2D:
    """A ``size`` x ``size`` grid of Gaussians centred on the origin.

    Example:
        >>> make_grid().num_modes
        25
    """
    if size < 1 or spacing <= 0 or std <= 0:
        raise ValueError(
            f"make_grid got size={size}, spacing={spacing}, std={std}; "
            "expected size >= 1 and positive spacing and std."
        )
    ticks = spacing * (np.arange(size) - (size - 1) / 2)
    xx, yy = np.meshgrid(ticks, ticks)
    centers = np.stack([xx.ravel(), yy.ravel()], axis=1)
    return GaussianMixture2D("grid", centers.astype(np.float32), float(std))


class ModeCoverage(NamedTuple):
    """How well samples cover a mixture's modes.

    Attributes:
        modes_captured: Modes with at least one high-quality sample.
        high_quality: Share of samples within ``num_sigmas`` sigma of their nearest centre.
        counts: High-quality samples per mode, shape ``(num_modes,)``.
    """

    modes_captured: int
    high_quality: float
    counts: np.ndarray


def mode_coverage(
    samples: np.ndarray, mixture: GaussianMixture2D, num_sigmas: float = 3.0
) -> ModeCoverage:
    """Assigns each sample to its nearest centre and counts the modes it reaches.

    A sample is *high quality* if it lies within ``num_sigmas * mixture.std`` of its
    nearest centre (the protocol of the VEEGAN and PacGAN papers). A mode is
    *captured* if at least one high-quality sample lands on it.

    Args:
        samples: ``(N, 2)`` generated points.
        mixture: The target mixture.
        num_sigmas: Radius of a mode, in standard deviations.

    Returns:
        A :class:`ModeCoverage`.

    Example:
        >>> ring = make_ring()
        >>> mode_coverage(ring.centers[:3], ring).modes_captured
        3
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
        raise ValueError(
            f"mode_coverage got samples of shape {samples.shape}; expected (N, 2) with N > 0."
        )
    distances = np.linalg.norm(samples[:, None, :] - mixture.centers[None, :, :], axis=2)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= num_sigmas * mixture.std
    counts = np.bincount(nearest[good], minlength=mixture.num_modes)
    return ModeCoverage(int((counts > 0).sum()), float(good.mean()), counts)
