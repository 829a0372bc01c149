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
