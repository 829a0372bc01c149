"""What each CPU path costs per training step of the course DCGAN, and whether it logs errors.

    python benchmarks/cpu_paths.py                       # every path, 3 rounds
    python benchmarks/cpu_paths.py --paths eigen onednn-remapper-off --rounds 1 --steps 20

TensorFlow runs a CPU step with one of two sets of kernels: its portable Eigen kernels, or
Intel's oneDNN kernels, which it turns on by default on Linux CPUs with AVX512_VNNI,
AVX_VNNI, AVX512_BF16 or AMX instructions (``TF_ENABLE_ONEDNN_OPTS`` overrides that,
before TensorFlow starts). On top, the course chooses a dtype policy
(:mod:`gan_helpers.precision`). Each path below runs in a fresh process with the
environment it needs, so that one machine can measure them all:

* ``eigen``: oneDNN off, float32: what TensorFlow does by itself on a CPU without those
  instructions (e.g. AVX2 only), and what ``TF_ENABLE_ONEDNN_OPTS=0`` gives.
* ``onednn-remapper-failing``: oneDNN on, float32, Grappler's remapper left on: what
  TensorFlow does by itself on a CPU with those instructions, and the "remapper failed"
  line on standard error (:mod:`gan_helpers.onednn` explains it).
* ``onednn-remapper-off``: oneDNN on, float32, through ``GAN.fit``, which switches the
  remapper off while it builds its step: what the course runs on every x86 CPU without
  bfloat16 instructions (the course asks for oneDNN everywhere).
* ``onednn-no-bias``: oneDNN on, float32, remapper on, a discriminator whose convolutions
  have no bias: a model change that also avoids the failing rewrite (for comparison).
* ``onednn-bf16``: oneDNN on, ``mixed_bfloat16`` (the course's choice on bf16 CPUs; on a CPU
  without bfloat16 instructions it is emulated and slow, which is why it is not chosen there).
* ``float16-cpu``: oneDNN on, ``mixed_float16`` on the CPU (never chosen by the course
  on a CPU; ``GAN.compile`` warns).

Each process trains the course DCGAN (batch 64, alternating updates) for ``--steps`` steps
after a warm-up of 5 (a 25th of the steps, at least 2, on the paths that take seconds per
step: ``float16-cpu``, and ``onednn-bf16`` on a CPU without bfloat16 instructions). It
prints milliseconds per step and the number of TensorFlow error lines ("E0000 ...") it
wrote to standard error. Rounds run the paths in turn, so drift in the machine's load
hits each path alike; the table gives the median wall time and CPU time (both threads'
seconds, less sensitive to other processes) and their ratios to ``eigen``, which must be
one of the paths.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from gan_helpers.precision import cpu_supports_bf16

PATHS = {
    # name: (environment, dtype policy, discriminator, use GAN.fit's remapper switch)
    "eigen": ({"TF_ENABLE_ONEDNN_OPTS": "0"}, "float32", "course", True),
    "onednn-remapper-failing": ({"TF_ENABLE_ONEDNN_OPTS": "1"}, "float32", "course", False),
    "onednn-remapper-off": ({"TF_ENABLE_ONEDNN_OPTS": "1"}, "float32", "course", True),
    "onednn-no-bias": ({"TF_ENABLE_ONEDNN_OPTS": "1"}, "float32", "no-bias", False),
    "onednn-bf16": ({"TF_ENABLE_ONEDNN_OPTS": "1"}, "mixed_bfloat16", "course", True),
    "float16-cpu": ({"TF_ENABLE_ONEDNN_OPTS": "1"}, "mixed_float16", "course", True),
}
KEYS = ("ms_per_step", "cpu_ms_per_step")
DEFAULT_PATHS = (
    "eigen",
    "onednn-remapper-failing",
    "onednn-remapper-off",
    "onednn-no-bias",
    "onednn-bf16",
)


def child(name: str, steps: int, batch_size: int) -> dict:
    """Runs in the fresh process: trains and returns milliseconds per step."""
    import keras
    import numpy as np
    from keras import layers

    from gan_helpers import data, models, onednn
    from gan_helpers.gan import GAN

    _, policy, discriminator_kind, switch = PATHS[name]
    keras.config.set_dtype_policy(policy)
    keras.utils.set_random_seed(0)
    if discriminator_kind == "no-bias":
        discriminator = keras.Sequential(
            [
                keras.Input(shape=data.IMAGE_SHAPE),
                layers.Conv2D(64, 4, strides=2, padding="same", use_bias=False),
                layers.LeakyReLU(negative_slope=0.2),
                layers.Conv2D(128, 4, strides=2, padding="same", use_bias=False),
                layers.LeakyReLU(negative_slope=0.2),
                layers.Flatten(),
                layers.Dense(1, dtype="float32"),
            ]
        )
    else:
        discriminator = models.build_discriminator()
    gan = GAN(models.build_generator(), discriminator, seed=0)
    gan.compile(keras.optimizers.Adam(8e-4, beta_1=0.5), keras.optimizers.Adam(8e-4, beta_1=0.5))
    images = np.random.default_rng(0).uniform(-1, 1, (1024, 28, 28, 1)).astype("float32")
    dataset = data.make_dataset(images, batch_size, seed=0).repeat()

    def fit(num_steps):
        if switch:
            gan.fit(dataset, epochs=1, steps_per_epoch=num_steps, verbose=0)
        else:  # keras.Model.fit skips GAN.fit's remapper switch (and its data check)
            keras.Model.fit(gan, dataset, epochs=1, steps_per_epoch=num_steps, verbose=0)

    fit(5)  # trace, optimise and warm up
    start, cpu_start = time.perf_counter(), time.process_time()
    fit(steps)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return {
        "ms_per_step": seconds / steps * 1000,
        "cpu_ms_per_step": cpu_seconds / steps * 1000,
        "onednn": onednn.onednn_enabled(),
    }


def run_path(name: str, steps: int, batch_size: int) -> dict:
    environment, *_ = PATHS[name]
    if name == "float16-cpu" or (name == "onednn-bf16" and not cpu_supports_bf16()):
        steps = max(2, steps // 25)  # seconds per step (emulated): a few steps tell
    env = {**os.environ, **environment, "TF_CPP_MIN_LOG_LEVEL": "0"}
    result = subprocess.run(
        [sys.executable, __file__, "--child", name, "--steps", str(steps)]
        + ["--batch-size", str(batch_size)],
        capture_output=True,
        text=True,
        env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{result.stderr[-3000:]}")
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    errors = [line for line in result.stderr.splitlines() if line.startswith("E0000")]
    # the GPU probe's error is about CUDA, not about the step
    errors = [line for line in errors if "cuInit" not in line and "cuda" not in line.lower()]
    measured["error_lines"] = len(errors)
    measured["remapper_failed"] = any("remapper failed" in line for line in errors)
    return measured


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", nargs="*", default=list(DEFAULT_PATHS), choices=list(PATHS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=100, help="timed steps per process")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.steps, args.batch_size)))
        return 0

    print(f"course DCGAN, batch {args.batch_size}, {args.steps} timed steps per process")
    times = {name: [] for name in args.paths}
    flags = {}
    for round_index in range(args.rounds):
        for name in args.paths:
            measured = run_path(name, args.steps, args.batch_size)
            times[name].append(measured)
            flags[name] = measured
            print(
                f"round {round_index + 1}  {name:26s} {measured['ms_per_step']:8.1f} ms/step  "
                f"CPU {measured['cpu_ms_per_step']:8.1f} ms/step  "
                f"oneDNN {'on ' if measured['onednn'] else 'off'}  "
                f"TensorFlow error lines {measured['error_lines']}",
                flush=True,
            )
    header = (
        f"{'path':26s} {'wall ms/step':>12s} {'vs eigen':>9s} {'CPU ms/step':>12s} {'vs eigen':>9s}"
    )
    print(f"\n{header}  remapper failed")
    base = {key: statistics.median(v[key] for v in times["eigen"]) for key in KEYS}
    for name in args.paths:
        cells = []
        for key in KEYS:
            median = statistics.median(v[key] for v in times[name])
            cells.append(f"{median:12.1f} {median / base[key]:9.2f}")
        failed = "yes" if flags[name]["remapper_failed"] else "no"
        print(f"{name:26s} {' '.join(cells)}  {failed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
