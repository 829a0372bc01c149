"""Does the course DCGAN learn as well in mixed_bfloat16 as in float32?

    python benchmarks/precision_quality.py --epochs 15 --seeds 0 1

Trains the course DCGAN with each dtype policy and seed on the same digits, then scores
5,000 samples against the held-out MNIST test digits shipped in the package, with the
course judge's features (Fréchet distance, classifier score, precision/recall). Prints
each run, the mean per policy, and the real-vs-real floor, so "same quality within
noise" can be judged.
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
import numpy as np  # noqa: E402

from gan_helpers import classifier, data, metrics, models  # noqa: E402
from gan_helpers.gan import GAN  # noqa: E402


def train(policy: str, seed: int, images: np.ndarray, epochs: int, batch_size: int):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        keras.utils.set_random_seed(seed)
        gan = GAN(models.build_generator(100), models.build_discriminator(), seed=seed)
        gan.compile(
            keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5)
        )
        start = time.perf_counter()
        gan.fit(data.make_dataset(images, batch_size, seed=seed), epochs=epochs, verbose=0)
        seconds = time.perf_counter() - start
    finally:
        keras.config.set_dtype_policy(previous)
    return gan, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1])
    parser.add_argument("--policies", nargs="*", default=["float32", "mixed_bfloat16"])
    parser.add_argument("--classifier", default="runs/classifier.keras")
    parser.add_argument("--num-samples", type=int, default=5000)
    args = parser.parse_args(argv)

    train_images, _ = data.load_mnist()
    held_out, _ = data.load_mnist_test()
    train_x, held_x = data.normalize(train_images), data.normalize(held_out)
    net = classifier.load_or_train_course_classifier(args.classifier)
    rng = np.random.default_rng(1)
    order = rng.permutation(len(held_x))
    n = min(args.num_samples, len(held_x) // 2)
    real_a, _ = classifier.classifier_outputs(net, held_x[order[:n]])
    real_b, _ = classifier.classifier_outputs(net, held_x[order[n : 2 * n]])
    print(f"N = {n}; real-vs-real floor: FD {metrics.frechet_distance(real_a, real_b):.2f}")

    results = {policy: [] for policy in args.policies}
    print(
        f"{'policy':16s} {'seed':>4s} {'train s':>8s} {'FD':>7s} {'score':>6s} {'P':>5s} {'R':>5s}"
    )
    for seed in args.seeds:
        for policy in args.policies:
            gan, seconds = train(policy, seed, train_x, args.epochs, args.batch_size)
            latent = np.random.default_rng(100 + seed).standard_normal((n, 100)).astype("float32")
            fakes = np.asarray(gan.generator.predict(latent, batch_size=500, verbose=0), "float32")
            features, probabilities = classifier.classifier_outputs(net, fakes)
            fd = metrics.frechet_distance(real_a, features)
            precision, recall = metrics.precision_recall(real_a, features)
            score = metrics.classifier_score(probabilities)
            results[policy].append(fd)
            print(
                f"{policy:16s} {seed:4d} {seconds:8.0f} {fd:7.2f} {score:6.2f} "
                f"{precision:5.2f} {recall:5.2f}",
                flush=True,
            )
    for policy, values in results.items():
        spread = statistics.stdev(values) if len(values) > 1 else float("nan")
        print(f"{policy:16s} mean FD {statistics.mean(values):.2f} ± {spread:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
