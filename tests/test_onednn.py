"""The course's training steps print no TensorFlow error line, whatever the CPU.

TensorFlow turns oneDNN on by itself only on CPUs with AVX512_VNNI, AVX_VNNI, AVX512_BF16
or AMX instructions; ``TF_ENABLE_ONEDNN_OPTS=1`` forces it on any x86 CPU, so these tests
reproduce such a machine everywhere, under each dtype policy the course can choose.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import tensorflow as tf

from gan_helpers import onednn

MARK = "--- training starts ---"
BF16_FALLBACK = "oneDNN supports DT_BFLOAT16 only on platforms with AVX-512"


def _cpu_has(flag: str) -> bool:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return any(flag in line.split() for line in cpuinfo if line.startswith("flags"))
    except OSError:
        return False


# Trains the course DCGAN, the conditional GAN and (in float32) the article's networks for
# a step or two each through GAN.fit, then fails GAN.fit's data check, with every
# TensorFlow log line on.
SCRIPT = textwrap.dedent(
    f"""
    import sys
    import warnings
    from gan_helpers.quiet import hide_native_logs
    with hide_native_logs():  # the start-up lines are not what this test is about
        import keras
        import numpy as np
        import tensorflow as tf
        tf.config.list_physical_devices()
    from gan_helpers import data, models, onednn, precision, recipe
    from gan_helpers.conditional import (
        ConditionalGAN, build_conditional_discriminator, build_conditional_generator)
    from gan_helpers.gan import GAN

    # bfloat16 forced on a CPU without bfloat16 instructions: the course warns that it is
    # slow (tests/test_precision.py); this script is about TensorFlow's lines only.
    warnings.simplefilter("ignore", precision.SlowPrecisionWarning)
    policy = precision.choose_policy()
    keras.config.set_dtype_policy(policy)
    print("{MARK}", file=sys.stderr, flush=True)
    images = np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
    labels = np.arange(32) % 10
    recipe.make_gan(seed=0).fit(data.make_dataset(images, 16, seed=0), epochs=1, verbose=0)
    cgan = ConditionalGAN(build_conditional_generator(), build_conditional_discriminator())
    cgan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    cgan.fit(data.make_dataset(images, 16, labels=labels, seed=0), epochs=1, verbose=0)
    if policy == "float32":  # the article's networks are slow in emulated bfloat16
        article = GAN(models.build_article_generator(), models.build_article_discriminator())
        article.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
        article.fit(data.make_dataset(images, 16, seed=0), epochs=1, steps_per_epoch=1,
                    verbose=0)
    spoiled = images.copy()
    spoiled[20] = np.nan
    try:
        recipe.make_gan(seed=0).fit(
            tf.data.Dataset.from_tensor_slices(spoiled).batch(16), epochs=1, verbose=0)
    except data.DataError as error:
        print("DataError:", error)
    print("onednn", onednn.onednn_enabled())
    """
)


def test_onednn_state_is_reported():
    assert onednn.onednn_enabled() in (True, False)


def test_remapper_switch_restores_the_setting():
    before = tf.config.optimizer.get_experimental_options().get("remapping", True)
    with onednn.remapper_off_on_onednn(enabled=True) as switched_off:
        assert switched_off
        assert tf.config.optimizer.get_experimental_options()["remapping"] is False
    assert tf.config.optimizer.get_experimental_options().get("remapping", True) == before
    with onednn.remapper_off_on_onednn(enabled=False) as switched_off:
        assert not switched_off
        assert tf.config.optimizer.get_experimental_options().get("remapping", True) == before


@pytest.mark.slow
@pytest.mark.parametrize("onednn_opts", ["1", "0"])
@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_training_and_its_data_error_print_no_tensorflow_line(onednn_opts, policy):
    env = {
        **os.environ,
        "TF_ENABLE_ONEDNN_OPTS": onednn_opts,
        "GAN_COURSE_PRECISION": policy,
        "TF_CPP_MIN_LOG_LEVEL": "0",  # every TensorFlow line, as for a learner's own script
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"onednn {onednn_opts == '1'}" in result.stdout
    assert "DataError: GAN.fit (batch 2 of pass 1 over the data)" in result.stdout
    after_start = result.stderr.split(MARK, 1)[1].splitlines()
    if policy == "mixed_bfloat16" and onednn_opts == "1" and not _cpu_has("avx512f"):
        # Only where no course default leads: bfloat16 forced on, on a CPU without
        # AVX-512, where oneDNN has no bfloat16 kernels. TensorFlow says so once.
        after_start = [line for line in after_start if BF16_FALLBACK not in line]
    assert [line for line in after_start if line.strip()] == [], after_start[:20]
