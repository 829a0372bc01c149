import numpy as np
import pytest

from gan_helpers.toy import make_grid, make_ring


def test_ring_geometry():
    ring = make_ring()
    assert ring.num_modes == 8 and ring.std == 0.02
    np.testing.assert_allclose(np.linalg.norm(ring.centers, axis=1), 2.0, rtol=1e-6)
    samples = ring.sample(4000, seed=0)
    nearest = np.linalg.norm(samples[:, None] - ring.centers[None], axis=2).min(axis=1)
    assert samples.shape == (4000, 2) and samples.dtype == np.float32
    assert 0.018 < np.sqrt((nearest**2).mean() / 2) < 0.022  # per-axis sigma


def test_grid_geometry_and_reproducibility():
    grid = make_grid()
    assert grid.num_modes == 25
    assert sorted(set(grid.centers[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    np.testing.assert_array_equal(grid.sample(10, seed=3), grid.sample(10, seed=3))


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_examples=0 must be at least 1"):
        make_ring().sample(0)
    with pytest.raises(TypeError, match="must be an int"):
        make_ring().sample(2.5)
    with pytest.raises(ValueError, match="positive radius"):
        make_ring(radius=-1)
    with pytest.raises(ValueError, match="positive spacing"):
        make_grid(spacing=0)


def test_mode_coverage_on_hand_made_samples():
    from gan_helpers.toy import mode_coverage

    ring = make_ring()
    on_two_modes = np.concatenate([ring.centers[:1].repeat(5, 0), ring.centers[3:4].repeat(3, 0)])
    far_away = np.array([[0.0, 0.0], [10.0, 10.0]])
    result = mode_coverage(np.concatenate([on_two_modes, far_away]), ring)
    assert result.modes_captured == 2
    assert result.high_quality == pytest.approx(8 / 10)
    assert result.counts.tolist() == [5, 0, 0, 3, 0, 0, 0, 0]
    just_outside = ring.centers[:1] + np.array([[3.01 * ring.std, 0.0]])
    assert mode_coverage(just_outside, ring).modes_captured == 0
    assert mode_coverage(ring.sample(2000, seed=0), ring).modes_captured == 8
    with pytest.raises(ValueError, match=r"expected \(N, 2\)"):
        mode_coverage(np.zeros((3, 3)), ring)
