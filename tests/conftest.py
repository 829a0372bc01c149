"""Shared fixtures. The CPU is split into two logical devices so that one test can run
``tf.distribute.MirroredStrategy`` over two replicas; this must happen before TensorFlow
initialises its runtime, hence at configure time."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# As in every notebook's setup cell and the course's commands: TensorFlow's oneDNN kernels
# on any x86 CPU (benchmarks/cpu_paths.py; gan_helpers/onednn.py). Set it to 0 to test the
# other path.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


def pytest_configure(config):
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2
        )
    except RuntimeError:  # runtime already initialised (e.g. a plugin imported TF first)
        pass


@pytest.fixture
def op_determinism():
    """TensorFlow op determinism for one test, switched off again afterwards.

    Left on, it would leak into later tests: Keras then silently turns ``jit_compile=True``
    off, and the XLA test would no longer test XLA.
    """
    import tensorflow as tf
    from tensorflow.python.framework import config  # the public API has no "disable"

    was_enabled = config.is_op_determinism_enabled()
    tf.config.experimental.enable_op_determinism()
    yield
    if not was_enabled:
        config.disable_op_determinism()


@pytest.fixture
def ring_points():
    from gan_helpers.toy import make_ring

    return make_ring().sample(256, seed=0)


@pytest.fixture
def make_toy_gan():
    """Returns a factory of small, identically initialised 2-D GANs."""
    from gan_helpers.gan import GAN
    from gan_helpers.models import build_mlp_discriminator, build_mlp_generator

    def factory(
        update="alternating", lr=1e-3, compile_kwargs=None, hidden=32, sgd=False, gan_class=GAN
    ):
        """sgd=True: plain SGD, whose update is linear in the gradient, so two runs that
        differ by float round-off stay that close (Adam's first steps are ~lr * sign(g)
        and turn round-off in a near-zero gradient into a difference of 2 * lr)."""
        keras.utils.set_random_seed(0)
        gan = gan_class(
            build_mlp_generator(latent_dim=4, hidden=hidden, depth=2),
            build_mlp_discriminator(hidden=hidden, depth=2),
            update=update,
            seed=7,
        )

        def optimizer():
            return keras.optimizers.SGD(0.05) if sgd else keras.optimizers.Adam(lr, beta_1=0.5)

        gan.compile(
            optimizer(),
            optimizer(),
            **(compile_kwargs or {}),
        )
        return gan

    return factory


def snapshot(variables):
    return [np.array(v.numpy()) for v in variables]
