import pytest

from gan_helpers.precision import choose_policy, cpu_supports_bf16

BF16_CPU = "processor : 0\nflags : fpu sse2 avx512f avx512_bf16\n"
PLAIN_CPU = "processor : 0\nflags : fpu sse2 avx2\n"


def test_bf16_detection_reads_cpu_flags():
    assert cpu_supports_bf16(BF16_CPU)
    assert cpu_supports_bf16("flags : amx_bf16 amx_tile")
    assert not cpu_supports_bf16(PLAIN_CPU)


def test_choice_by_hardware():
    assert choose_policy({}, gpu_count=0, cpuinfo=BF16_CPU) == "mixed_bfloat16"
    assert choose_policy({}, gpu_count=0, cpuinfo=PLAIN_CPU) == "float32"
    assert choose_policy({}, gpu_count=1, cpuinfo=BF16_CPU) == "float32"


def test_environment_variable_overrides_in_one_place():
    env = {"GAN_COURSE_PRECISION": "float32"}
    assert choose_policy(env, gpu_count=0, cpuinfo=BF16_CPU) == "float32"
    assert choose_policy({"GAN_COURSE_PRECISION": "auto"}, 0, BF16_CPU) == "mixed_bfloat16"
    with pytest.raises(ValueError, match="'bf16' is not a policy"):
        choose_policy({"GAN_COURSE_PRECISION": "bf16"}, gpu_count=0, cpuinfo=PLAIN_CPU)


def test_slow_policies_on_a_cpu_are_flagged():
    from gan_helpers.precision import SlowPrecisionWarning, warn_if_slow

    with pytest.warns(SlowPrecisionWarning, match="mixed_float16 without a GPU"):
        assert warn_if_slow("mixed_float16", gpu_count=0, cpuinfo=BF16_CPU)
    with pytest.warns(SlowPrecisionWarning, match="without bfloat16 instructions"):
        assert warn_if_slow("mixed_bfloat16", gpu_count=0, cpuinfo=PLAIN_CPU)
    assert warn_if_slow("mixed_bfloat16", gpu_count=0, cpuinfo=BF16_CPU) is None
    assert warn_if_slow("mixed_float16", gpu_count=1, cpuinfo=PLAIN_CPU) is None
    assert warn_if_slow("float32", gpu_count=0, cpuinfo=PLAIN_CPU) is None


def test_gan_compile_flags_float16_on_this_cpu_only_when_there_is_no_gpu():
    import keras
    import tensorflow as tf

    from gan_helpers.models import build_mlp_discriminator, build_mlp_generator
    from gan_helpers.precision import SlowPrecisionWarning

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU is visible: mixed_float16 is not slow here")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        from gan_helpers.gan import GAN
        from gan_helpers.recipe import make_gan

        gan = GAN(build_mlp_generator(latent_dim=2, hidden=4), build_mlp_discriminator(hidden=4))
        with pytest.warns(SlowPrecisionWarning) as caught:
            gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
        assert caught[0].filename.endswith("test_precision.py")  # points at the caller
        with pytest.warns(SlowPrecisionWarning) as caught:
            make_gan(latent_dim=4)  # through the recipe: still the caller's line, not ours
        assert caught[0].filename.endswith("test_precision.py")
    finally:
        keras.config.set_dtype_policy(previous)
