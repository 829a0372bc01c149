"""Which layers mixed_bfloat16 speeds up on this CPU, and which it slows down.

    python benchmarks/bf16_layers.py                  # the article's layers, batch 32
    python benchmarks/bf16_layers.py --batch-size 128 --rounds 5

Times one forward and backward pass (gradients for the input and the weights) of each kind
of layer in the article's DCGAN, at the shape it has there, under ``float32`` and under
``mixed_bfloat16``. The two policies alternate over the rounds so drift hits both; the table
gives the median milliseconds and the speed-up (float32 time / bfloat16 time). It explains
the whole-model ratio that ``train_step.py`` measures: a model gains from bfloat16 only as
much as its time is spent in layers that bfloat16 makes faster.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # as the course runs (gan_helpers/onednn.py)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

# (label, layer factory, input shape without the batch axis): the article's layers.
_T = layers.Conv2DTranspose
LAYERS = [
    ("ConvTranspose 128 5x5 7->7", lambda: _T(128, 5, 1, "same"), (7, 7, 128)),
    ("ConvTranspose 128 5x5 7->14", lambda: _T(128, 5, 2, "same"), (7, 7, 128)),
    ("ConvTranspose 128 5x5 14->28", lambda: _T(128, 5, 2, "same"), (14, 14, 128)),
    ("Conv2D 1 5x5 on 28x28x128", lambda: layers.Conv2D(1, 5, padding="same"), (28, 28, 128)),
    ("Conv2D 128 3x3 on 28x28x1", lambda: layers.Conv2D(128, 3, padding="same"), (28, 28, 1)),
    ("Conv2D 128 3x3 on 28x28x128", lambda: layers.Conv2D(128, 3, padding="same"), (28, 28, 128)),
    ("BatchNormalization 28x28x128", layers.BatchNormalization, (28, 28, 128)),
    ("LeakyReLU 28x28x128", lambda: layers.LeakyReLU(negative_slope=0.2), (28, 28, 128)),
    ("Dropout 0.3 28x28x128", lambda: layers.Dropout(0.3), (28, 28, 128)),
]  # fmt: skip
POLICIES = ("float32", "mixed_bfloat16")


def make_step(factory, shape, batch_size: int, policy: str):
    """A compiled forward + backward pass of one new layer under ``policy``."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        layer = factory()
        layer.build((batch_size, *shape))
    finally:
        keras.config.set_dtype_policy(previous)
    inputs = tf.random.normal((batch_size, *shape))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = layer(inputs, training=True)
            total = tf.reduce_sum(tf.cast(outputs, "float32"))
        return tape.gradient(total, [inputs, *layer.trainable_variables])

    step()  # trace and warm up
    return step


def time_step(step, seconds: float) -> float:
    """Milliseconds per call, averaged over at least three calls and about ``seconds``."""
    calls, start = 0, time.perf_counter()
    while calls < 3 or time.perf_counter() - start < seconds:
        step()
        calls += 1
    return (time.perf_counter() - start) / calls * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0, help="per layer per round")
    args = parser.parse_args(argv)
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs")
    print(f"forward + backward, batch {args.batch_size}, median ms over {args.rounds} rounds")
    print(f"{'layer':34s} {'float32':>8s} {'bf16':>8s} {'speed-up':>8s}")
    for label, factory, shape in LAYERS:
        steps = {p: make_step(factory, shape, args.batch_size, p) for p in POLICIES}
        times = {p: [] for p in POLICIES}
        for _ in range(args.rounds):
            for policy in POLICIES:
                times[policy].append(time_step(steps[policy], args.seconds))
        fp32, bf16 = (statistics.median(times[p]) for p in POLICIES)
        print(f"{label:34s} {fp32:8.2f} {bf16:8.2f} {fp32 / bf16:7.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
