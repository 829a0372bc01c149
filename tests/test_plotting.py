import numpy as np
import pytest
from matplotlib.figure import Figure

from gan_helpers import plotting


def test_show_images_accepts_every_pixel_range():
    for images in (np.zeros((6, 28, 28, 1)) - 1, np.full((6, 28, 28), 255.0), np.ones((6, 5, 5))):
        fig = plotting.show_images(images, ncols=3, title="t")
        assert isinstance(fig, Figure) and len(fig.axes) == 6
        shown = fig.axes[0].images[0].get_array()
        assert shown.min() >= 0 and shown.max() <= 1


def _shown(fig, index=0):
    return np.asarray(fig.axes[index].images[0].get_array())


def test_show_images_maps_the_stated_range_to_black_and_white():
    ramp = np.array([-1.0, 0.0, 1.0]).reshape(1, 1, 3)
    np.testing.assert_allclose(_shown(plotting.show_images(ramp))[0], [0.0, 0.5, 1.0])
    pixels = np.array([0.0, 51.0, 255.0]).reshape(1, 1, 3)
    np.testing.assert_allclose(_shown(plotting.show_images(pixels))[0], [0.0, 0.2, 1.0])
    # A grey [-1, 1] grid without negative values: guessed as [0, 1], right when stated.
    grey = np.full((1, 2, 2), 0.2)
    np.testing.assert_allclose(_shown(plotting.show_images(grey)), 0.2)
    np.testing.assert_allclose(_shown(plotting.show_images(grey, value_range=(-1, 1))), 0.6)
    with pytest.raises(ValueError, match=r"value_range=\(1, 1\)"):
        plotting.show_images(grey, value_range=(1, 1))


def test_show_images_titles_and_errors():
    fig = plotting.show_images(np.zeros((2, 4, 4)), titles=["a", "b"])
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    with pytest.raises(ValueError, match=r"shape \(2, 4, 4, 3\)"):
        plotting.show_images(np.zeros((2, 4, 4, 3)))
    with pytest.raises(ValueError, match="no images"):
        plotting.show_images(np.zeros((0, 4, 4)))


def test_plot_losses_from_a_history_dict():
    fig = plotting.plot_losses({"d_loss": [1.4, 1.2, 1.1], "g_loss": [0.7, 0.9, 1.0]})
    lines = fig.axes[0].get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), [1.4, 1.2, 1.1])
    with pytest.raises(ValueError, match=r"no \['g_loss'\]"):
        plotting.plot_losses({"d_loss": [1.0]})


def test_plot_samples_2d():
    fig = plotting.plot_samples_2d(
        np.zeros((3, 2)), np.ones((4, 2)), centers=np.ones((2, 2)), limit=3
    )
    assert len(fig.axes[0].collections) == 3 and fig.axes[0].get_xlim() == (-3, 3)
