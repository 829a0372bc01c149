import ipywidgets as widgets
import numpy as np
import pytest
import tensorflow as tf
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.figure import Figure
from matplotlib.quiver import Quiver

from gan_helpers.playground import (
    Playground,
    discriminator_values,
    generator_arrows,
    generator_manifold,
    plot_playground,
)
from gan_helpers.stabilize import HISTORY_KEYS, ToyGAN, ToyGANConfig
from gan_helpers.toy import make_ring


@pytest.fixture
def playground():
    return Playground(hidden=16, batch_size=32, draw=False)


def _without_training(gan):
    """Replaces the compiled round by a stand-in that only counts rounds.

    Compiling a round costs a second or two of CPU per GAN, so the tests of the widgets'
    wiring use this; the step-button test trains for real.
    """

    def train(num_rounds):
        gan.rounds.assign_add(int(num_rounds))
        return tf.constant(1.25), tf.constant(0.5)

    gan.train = train
    return gan


def test_widgets_exist_in_both_ipywidgets_versions(playground):
    assert isinstance(playground.widget, widgets.VBox)
    assert isinstance(playground.play, widgets.Play)
    assert isinstance(playground.d_lr, widgets.FloatLogSlider)
    assert playground.gan.mixture.name == "ring" and playground.rounds == 0


@pytest.mark.slow
def test_step_button_trains_rounds_with_the_sliders_step_counts(playground):
    gan = playground.gan
    playground.d_steps.value = 2
    playground.step_button.click()
    assert playground.rounds == 1 and playground.history["step"] == [1]
    assert int(gan.d_optimizer.iterations.numpy()) == 2
    assert int(gan.g_optimizer.iterations.numpy()) == 1
    playground.d_steps.value, playground.g_steps.value = 3, 2
    assert playground.gan is gan and gan.config.n_critic == 3 and gan.config.g_steps == 2
    playground.step_button.click()
    assert int(gan.d_optimizer.iterations.numpy()) == 2 + 3
    assert int(gan.g_optimizer.iterations.numpy()) == 1 + 2
    assert playground.history["step"] == [1, 2]
    assert tuple(playground.history) == HISTORY_KEYS  # the experiment's history
    assert np.isfinite(playground.history["d_loss"]).all()
    assert all(0 < js <= np.log(2) for js in playground.history["js_divergence"])
    playground.reset_button.click()  # a rebuilt GAN keeps the sliders' values
    assert playground.gan.config.n_critic == 3 and playground.gan.config.g_steps == 2


def test_rounds_per_draw_trains_several_rounds_per_click(playground):
    _without_training(playground.gan)
    playground.rounds_per_draw.value = 3
    playground.step_button.click()
    assert playground.rounds == 3 and playground.history["step"] == [1, 2, 3]


def test_play_widget_steps_when_its_value_advances(playground):
    _without_training(playground.gan)
    playground.play.value = 1
    playground.play.value = 2
    assert playground.rounds == 2


def test_changing_distribution_or_loss_rebuilds_the_model(playground):
    old_gan = _without_training(playground.gan)
    playground.step_button.click()
    playground.distribution.value = "grid"
    assert playground.gan is not old_gan and playground.gan.mixture.num_modes == 25
    assert playground.rounds == 0 and playground.history["step"] == []
    playground.loss.value = "hinge"
    assert playground.gan.config.loss == "hinge"
    assert playground.gan.g_loss_fn.__name__ == "generator_loss_wasserstein"


def test_learning_rate_slider_updates_the_optimizer_in_place(playground):
    gan = playground.gan
    playground.d_lr.value = 1e-2
    assert playground.gan is gan
    assert float(gan.d_optimizer.learning_rate.numpy()) == pytest.approx(1e-2)
    assert float(gan.g_optimizer.learning_rate.numpy()) == pytest.approx(1e-3)
    assert gan.config.d_lr == pytest.approx(1e-2)  # the config describes the next round


def test_reset_button_starts_over(playground):
    _without_training(playground.gan)
    playground.step_button.click()
    playground.reset_button.click()
    assert playground.rounds == 0 and playground.history["modes"] == []


def test_figure_has_heat_map_samples_manifold_arrows_and_divergence(playground):
    _without_training(playground.gan)
    playground.step_button.click()
    fig = playground.figure()
    assert isinstance(fig, Figure) and len(fig.axes) == 5
    ax = fig.axes[0]
    assert any(isinstance(c, QuadMesh) for c in ax.collections)
    assert sum(isinstance(c, PathCollection) for c in ax.collections) == 2  # real, fake
    assert any(isinstance(c, Quiver) for c in ax.collections)
    assert len(ax.lines) == 22  # 11 + 11 latent grid lines
    assert len(fig.axes[2].lines[0].get_xdata()) == 1  # one round of mode coverage
    js_curve = fig.axes[3].lines[0].get_ydata()  # the colour bar is the last axes
    np.testing.assert_array_equal(js_curve, playground.history["js_divergence"])


def test_redraw_draws_after_reset_and_after_each_step(monkeypatch):
    calls = []
    monkeypatch.setattr(Playground, "figure", lambda self: calls.append(self.rounds) or "fig")
    playground = Playground(hidden=16, batch_size=32, draw=True)
    _without_training(playground.gan)
    playground.step_button.click()
    assert calls == [0, 1]


def test_helpers_shapes_and_errors():
    gan = ToyGAN(ToyGANConfig(latent_dim=2, hidden=16, batch_size=32), make_ring())
    values = discriminator_values(gan, np.zeros((5, 2)))
    assert values.shape == (5,) and ((values > 0) & (values < 1)).all()
    assert generator_arrows(gan, np.ones((6, 2))).shape == (6, 2)
    assert generator_manifold(gan, num_lines=3, num_points=7).shape == (6, 7, 2)
    assert isinstance(plot_playground(gan, {}), Figure)
    packed = ToyGAN(ToyGANConfig(pack=2, hidden=16, batch_size=32), make_ring())
    with pytest.raises(ValueError, match="pack=2"):
        discriminator_values(packed, np.zeros((4, 2)))
