"""Epoch times of GAN.fit with tf.data autotuning on and off (the input pipeline's cost).

    python benchmarks/data_pipeline.py                 # 10 epochs each, in one fit() call
    python benchmarks/data_pipeline.py --epochs 20 --rounds 3

The course's DCGAN (float32, batch 64) trains on the 5,000 offline digits, once through
``gan_helpers.data.make_dataset`` (autotuning off) and once through the same pipeline with
``prefetch(tf.data.AUTOTUNE)`` and autotuning on (TensorFlow's default, what ``make_dataset``
built before). Each run is a fresh process with one model and one pipeline, as in a
notebook; the script prints each epoch's seconds, the median, the total and how many
epochs took over 1.5 times the median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # as the course runs (gan_helpers/onednn.py)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from gan_helpers import data, models  # noqa: E402
from gan_helpers.gan import GAN  # noqa: E402

PIPELINES = ("make_dataset", "autotuned")


def autotuned(images, batch_size: int, seed: int):
    """The pipeline with TensorFlow's defaults: autotuning on, ``prefetch(AUTOTUNE)``."""
    dataset = tf.data.Dataset.from_tensor_slices(images)
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def epoch_times(gan, dataset, epochs: int) -> list[float]:
    stamps = []
    clock = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: stamps.append(time.perf_counter())
    )
    start = time.perf_counter()
    gan.fit(dataset, epochs=epochs, verbose=0, callbacks=[clock])
    return [b - a for a, b in zip([start, *stamps[:-1]], stamps)]


def run_one(name: str, epochs: int, batch_size: int) -> None:
    """Trains one epoch to warm up, then ``epochs`` epochs in one fit(); prints the times."""
    images, _ = data.load_mnist()
    images = data.normalize(images)
    keras.utils.set_random_seed(0)
    gan = GAN(models.build_generator(100), models.build_discriminator(), seed=0)
    gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
    if name == "make_dataset":
        dataset = data.make_dataset(images, batch_size, seed=0)
    else:
        dataset = autotuned(images, batch_size, 0)
    gan.fit(dataset, epochs=1, verbose=0)  # trace the step, warm up the pipeline
    times = epoch_times(gan, dataset, epochs)
    median = statistics.median(times)
    slow = sum(t > 1.5 * median for t in times)
    print(f"{name}: epoch seconds " + " ".join(f"{t:.1f}" for t in times))
    print(f"  median {median:.2f} s, total {sum(times):.1f} s, epochs over 1.5x median: {slow}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1, help="fresh processes per pipeline")
    parser.add_argument("--only", choices=PIPELINES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.only:
        run_one(args.only, args.epochs, args.batch_size)
        return 0
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPUs; each run in a fresh process")
    for _ in range(args.rounds):
        for name in PIPELINES:
            flags = ["--only", name, "--epochs", str(args.epochs)]
            flags += ["--batch-size", str(args.batch_size)]
            out = subprocess.run(
                [sys.executable, os.path.abspath(__file__), *flags],
                capture_output=True,
                text=True,
                check=True,
            )
            lines = out.stdout.splitlines()
            print("\n".join(line for line in lines if line.startswith((name, "  median"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
