"""An in-notebook GAN playground in the spirit of GAN Lab (Kahng et al., IEEE TVCG 2019).

:class:`Playground` builds ipywidgets controls (distribution, loss, learning rates,
D and G steps per round, rounds per redraw, play / pause, single step, reset) around a
:class:`~gan_helpers.stabilize.ToyGAN` and draws with :func:`plot_playground` into an
``Output`` widget. A round is the experiment's round (``ToyGAN.train``), and the
history is the experiment's (:func:`~gan_helpers.stabilize.record_evaluation`),
evaluated after every round. It uses only widgets present in ipywidgets 7.7 (Colab) and 8
(JupyterLab 4), and every callback can be called from Python, so it is testable
without a browser.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from gan_helpers.stabilize import (
    LOSSES,
    RETUNABLE,
    ToyGAN,
    ToyGANConfig,
    new_history,
    record_evaluation,
)
from gan_helpers.toy import GaussianMixture2D, make_grid, make_ring

MIXTURES = {"ring": make_ring, "grid": make_grid}


def discriminator_values(gan: ToyGAN, points) -> np.ndarray:
    """sigmoid(D(x)) at ``(n, 2)`` points, the heat-map's values (needs ``pack == 1``).

    Example:
        >>> gan = ToyGAN(ToyGANConfig(hidden=16, batch_size=32), make_ring())
        >>> discriminator_values(gan, np.zeros((3, 2))).shape
        (3,)
    """
    if gan.config.pack != 1:
        raise ValueError(f"pack={gan.config.pack}: D scores packs, not points; use pack=1.")
    logits = gan.discriminator(tf.constant(points, tf.float32), training=False)
    return tf.sigmoid(tf.reshape(logits, [-1])).numpy()


def generator_arrows(gan: ToyGAN, points) -> np.ndarray:
    """-grad_x L_G at ``(n, 2)`` fake samples: where G's loss pushes each of them.

    Example:
        >>> gan = ToyGAN(ToyGANConfig(hidden=16, batch_size=32), make_ring())
        >>> generator_arrows(gan, np.zeros((4, 2))).shape
        (4, 2)
    """
    points = tf.constant(points, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(points)
        g_loss = tf.reduce_sum(gan.g_loss_fn(gan.packed_discriminator(points)))
    return -tape.gradient(g_loss, points).numpy()


def generator_manifold(gan: ToyGAN, num_lines: int = 11, num_points: int = 41, span=2.0):
    """Images under G of a grid of lines in the first two latent coordinates.

    Returns:
        ``(2 * num_lines, num_points, 2)``: each row is one latent line pushed through G.

    Example:
        >>> gan = ToyGAN(ToyGANConfig(latent_dim=2, hidden=16, batch_size=32), make_ring())
        >>> generator_manifold(gan, num_lines=3, num_points=5).shape
        (6, 5, 2)
    """
    ticks, line = np.linspace(-span, span, num_lines), np.linspace(-span, span, num_points)
    latent = np.zeros((2 * num_lines, num_points, gan.config.latent_dim), np.float32)
    for i, t in enumerate(ticks):
        latent[i, :, 0], latent[i, :, 1] = line, t
        latent[num_lines + i, :, 0], latent[num_lines + i, :, 1] = t, line
    flat = gan.generator(latent.reshape(-1, gan.config.latent_dim), training=False)
    return flat.numpy().reshape(2 * num_lines, num_points, 2)


def plot_playground(
    gan: ToyGAN, history: dict, num_samples: int = 512, resolution: int = 60
) -> Figure:
    """Draws GAN Lab's views of a toy GAN and its history.

    Left: the heat-map sigmoid(D(x)), real and fake samples, G's manifold and the
    arrows -grad_x L_G at fake samples; then both losses, mode coverage, and the JS
    divergence (natural log, at most log 2) between grid histograms of real and fake
    samples, over the rounds.

    Example:
        >>> gan = ToyGAN(ToyGANConfig(latent_dim=2, hidden=16, batch_size=32), make_ring())
        >>> fig = plot_playground(gan, {})
        >>> len(fig.axes)  # samples, losses, coverage, JS divergence, colour bar
        5
    """
    import matplotlib.pyplot as plt

    mixture = gan.mixture
    lim = float(np.abs(mixture.centers).max()) * 1.5
    axis = np.linspace(-lim, lim, resolution)
    xx, yy = np.meshgrid(axis, axis)
    heat = discriminator_values(gan, np.stack([xx.ravel(), yy.ravel()], 1))
    fig, (ax, ax_loss, ax_modes, ax_js) = plt.subplots(
        1, 4, figsize=(16, 4.2), gridspec_kw={"width_ratios": [1.3, 1, 1, 1]}
    )
    plt.close(fig)
    mesh = ax.pcolormesh(xx, yy, heat.reshape(xx.shape), cmap="RdBu_r", vmin=0, vmax=1)
    fig.colorbar(mesh, ax=ax, label="sigmoid(D(x))")
    for line in generator_manifold(gan):
        ax.plot(line[:, 0], line[:, 1], color="0.4", lw=0.5, alpha=0.6)
    real, fake = mixture.sample(num_samples, seed=0), gan.generate(num_samples)
    ax.scatter(real[:, 0], real[:, 1], s=4, c="tab:green", label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=4, c="tab:purple", label="fake")
    arrows = fake[:64]
    push = generator_arrows(gan, arrows)
    ax.quiver(arrows[:, 0], arrows[:, 1], push[:, 0], push[:, 1], color="k", width=0.004)
    ax.set(
        xlim=(-lim, lim),
        ylim=(-lim, lim),
        aspect="equal",
        title="sigmoid(D(x)), samples, -grad L_G",
    )
    ax.legend(loc="upper right", fontsize=7)
    steps = history.get("step", [])
    ax_loss.plot(steps, history.get("d_loss", []), label="d_loss")
    ax_loss.plot(steps, history.get("g_loss", []), label="g_loss")
    ax_loss.set(xlabel="round", title="losses")
    ax_loss.legend()
    ax_modes.plot(steps, history.get("modes", []), label="modes captured")
    ax_modes.plot(steps, np.asarray(history.get("high_quality", [])) * mixture.num_modes,
                  label="high-quality share x modes", ls="--")  # fmt: skip
    ax_modes.set(xlabel="round", ylim=(0, mixture.num_modes + 0.5), title="mode coverage")
    ax_modes.legend(fontsize=7)
    ax_js.plot(steps, history.get("js_divergence", []), color="tab:red")
    ax_js.axhline(np.log(2), color="0.5", ls=":", lw=1)
    ax_js.text(
        0.02, np.log(2), "log 2: disjoint", transform=ax_js.get_yaxis_transform(), va="bottom"
    )
    ax_js.set(xlabel="round", ylim=(0, 0.75), title="JS divergence in nats (30 x 30 grid)")
    fig.tight_layout()
    return fig


class Playground:
    """Widgets that train a 2-D GAN one round at a time and draw it (GAN Lab style).

    Args:
        seed: Seed of the networks and of the samples.
        hidden: Hidden units per layer of G and D (latent_dim is 2 for the manifold view).
        batch_size: Real samples per D update.
        draw: Redraw the figure after each round (turn off to train fast from Python).
        num_eval: Generated (and real) samples of the evaluation after each round.

    Example:
        >>> playground = Playground(hidden=16, batch_size=32, draw=False)
        >>> playground.d_steps.value = 2  # from the next round on: 2 D updates per round
        >>> playground.gan.config.n_critic, playground.rounds
        (2, 0)
        >>> display(playground.widget)  # in a notebook  # doctest: +SKIP
    """

    def __init__(
        self,
        seed: int = 0,
        hidden: int = 64,
        batch_size: int = 256,
        draw: bool = True,
        num_eval: int = 1000,
    ):
        self.seed, self.hidden, self.batch_size, self.draw_each = seed, hidden, batch_size, draw
        self.num_eval = num_eval
        self.distribution = widgets.Dropdown(
            options=list(MIXTURES), value="ring", description="data"
        )
        self.loss = widgets.Dropdown(
            options=list(LOSSES), value="nonsaturating", description="loss"
        )
        self.d_lr = widgets.FloatLogSlider(value=1e-3, base=10, min=-5, max=-1, description="D lr")
        self.g_lr = widgets.FloatLogSlider(value=1e-3, base=10, min=-5, max=-1, description="G lr")
        self.d_steps = widgets.IntSlider(value=1, min=1, max=10, description="D steps")
        self.g_steps = widgets.IntSlider(value=1, min=1, max=10, description="G steps")
        self.rounds_per_draw = widgets.IntSlider(value=1, min=1, max=50, description="rounds/draw")
        self.play = widgets.Play(value=0, min=0, max=100_000, interval=300, description="play")
        self.step_button = widgets.Button(description="step")
        self.reset_button = widgets.Button(description="reset")
        self.output = widgets.Output()
        self.distribution.observe(self.reset, names="value")
        self.loss.observe(self.reset, names="value")
        for slider in (self.d_lr, self.g_lr, self.d_steps, self.g_steps):
            slider.observe(self._retune, names="value")
        self.play.observe(self._on_play, names="value")
        self.step_button.on_click(self.step)
        self.reset_button.on_click(self.reset)
        controls = [self.distribution, self.loss, self.d_lr, self.g_lr, self.d_steps]
        self.widget = widgets.VBox(
            [
                widgets.HBox(controls[:3]),
                widgets.HBox([*controls[3:], self.g_steps]),
                widgets.HBox([self.play, self.step_button, self.reset_button]),
                self.rounds_per_draw,
                self.output,
            ]
        )
        self.reset()

    def config(self) -> ToyGANConfig:
        """The :class:`ToyGANConfig` the widgets describe."""
        return ToyGANConfig(
            loss=self.loss.value,
            d_lr=float(self.d_lr.value),
            g_lr=float(self.g_lr.value),
            n_critic=int(self.d_steps.value),
            g_steps=int(self.g_steps.value),
            latent_dim=2,
            hidden=self.hidden,
            batch_size=self.batch_size,
        )

    @property
    def mixture(self) -> GaussianMixture2D:
        """The target distribution chosen in the dropdown."""
        return MIXTURES[self.distribution.value]()

    @property
    def rounds(self) -> int:
        """Rounds trained since the last reset."""
        return int(self.gan.rounds.numpy())

    def reset(self, _=None) -> None:
        """Rebuilds the GAN for the current widget values and clears the history."""
        self.gan = ToyGAN(self.config(), self.mixture, self.seed)
        self.history = new_history()
        self.redraw()

    def _retune(self, _=None) -> None:
        """Learning rates and steps per round change in place; training goes on."""
        config = self.config()
        self.gan.retune(**{name: getattr(config, name) for name in RETUNABLE})

    def _on_play(self, change) -> None:
        if change["new"] > change["old"]:
            self.step()

    def step(self, _=None) -> None:
        """``rounds/draw`` rounds, each evaluated, then one redraw (drawing costs far more).

        A round is ``D steps`` discriminator updates, then ``G steps`` generator updates.
        """
        for _ in range(self.rounds_per_draw.value):
            d_loss, g_loss = self.gan.train(tf.constant(1))
            record_evaluation(
                self.history, self.gan, d_loss, g_loss, self.num_eval, seed=self.seed + 1
            )
        self.redraw()

    def figure(self) -> Figure:
        """The current state drawn by :func:`plot_playground`."""
        return plot_playground(self.gan, self.history)

    def redraw(self) -> None:
        """Replaces the ``Output`` widget's content with a fresh figure."""
        if not self.draw_each:
            return
        from IPython.display import display

        with self.output:
            self.output.clear_output(wait=True)
            display(self.figure())
