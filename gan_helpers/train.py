"""Train the course DCGAN outside a notebook, resumably: ``python -m gan_helpers.train``.

    python -m gan_helpers.train --output runs/dcgan                        # notebook 05's recipe
    python -m gan_helpers.train --output runs/dcgan --resume               # after an interruption
    python -m gan_helpers.train --output runs/dcgan --steps 6000 --resume  # train on

The amount of training is a number of steps (``--steps``), not of passes over the data:
online learners (60,000 digits) and offline ones (5,000) wait the same time, and more
data brings more variety. Training is cut into "epochs" of ``--steps-per-epoch`` steps
(Keras' unit for logs and checkpoints, not a pass over the data). After each one it
writes a sample grid (``samples/epoch_NNN.png``) and a checkpoint of both networks, both
optimizers and the latent-vector counter (:mod:`gan_helpers.checkpoint`: every file is
written whole or not at all, and ``checkpoint.json`` is replaced last). Each epoch's
batches depend only on ``--seed`` and the epoch number, so a run killed at any moment and
resumed with ``--resume`` repeats the lost part of the epoch exactly; with
``--deterministic`` it ends with the same weights as an uninterrupted run. At the end,
``samples/training.gif`` shows every epoch's grid in turn (the same fixed latent
vectors each time): the generator learning, as notebook 05 shows it.

``--resume`` refuses a run whose settings differ from the checkpoint's (data, ``--limit``,
``--batch-size``, ``--seed``, ``--precision``, learning rate, ...; only ``--steps`` may
grow). A fresh run never replaces the files of an earlier one unless ``--overwrite`` is
given. At the end the generator is saved as ``generator.keras`` (load it with
:func:`gan_helpers.models.load_generator`). ``--dry-run`` prints the plan after the same
checks as a real run (options, data, output folder and, with ``--resume``, the whole
checkpoint), and writes nothing.

The data must look like MNIST digits (:func:`gan_helpers.data.check_looks_like_mnist`):
a file of noise, blank or binarised images is refused before anything is trained.

Every error is one line, ``error: ...``, and the exit status says what happened:
2 for bad options, data, output folder or checkpoint; 3 when a loss became NaN or
infinite (training stops); 4 when a file could not be written (a full or read-only
disk, or a file in the way); 130 after Ctrl-C, at any moment (also while TensorFlow is
loading). In the last three cases the last good checkpoint is kept.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

from gan_helpers.cli import EXIT_USAGE, Parser, import_keras_quietly, interrupted, os_error_fix

EXIT_NON_FINITE = 3
EXIT_WRITE_FAILED = 4
MAX_SEED = 2**32 - 1  # NumPy's global seed (keras.utils.set_random_seed) takes no more


def epoch_dataset(images, batch_size: int, seed: int, epoch: int):
    """Endless batches for one epoch whose order depends only on ``(seed, epoch)``.

    ``fit(..., steps_per_epoch=n)`` takes the first ``n`` batches of it, so a resumed
    epoch sees the same batches as the interrupted one.

    Example:
        >>> dataset = epoch_dataset(normalize(images), 64, seed=0, epoch=3)  # doctest: +SKIP
    """
    from gan_helpers.data import make_dataset

    return make_dataset(images, batch_size, seed=seed * 100_003 + epoch).repeat()


def parse_args(argv=None) -> argparse.Namespace:
    """Parses and checks the command line.

    Raises:
        SystemExit: With status 2 and a one-line message if an option is invalid.
    """
    from gan_helpers.gan import UPDATE_SCHEMES
    from gan_helpers.precision import POLICIES
    from gan_helpers.recipe import (
        BATCH_SIZE,
        LATENT_DIM,
        LEARNING_RATE,
        STEPS_PER_EPOCH,
        TRAIN_STEPS,
    )

    parser = Parser(prog="python -m gan_helpers.train", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=int, default=TRAIN_STEPS, help=f"total training steps ({TRAIN_STEPS:,})"
    )
    parser.add_argument(
        "--steps-per-epoch",
        type=int,
        default=STEPS_PER_EPOCH,
        help=f"steps between checkpoints and sample grids ({STEPS_PER_EPOCH})",
    )
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--output", type=_not_empty(Path, "runs/dcgan"), default=Path("runs/dcgan"))
    parser.add_argument(
        "--data",
        type=_not_empty(str, "mnist.npz"),
        help="mnist.npz or IDX folder (default: load_mnist's order)",
    )
    parser.add_argument("--limit", type=int, help="train on the first N images only")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--resume", action="store_true", help="continue the run in --output")
    start.add_argument(
        "--overwrite", action="store_true", help="delete an earlier run's files in --output first"
    )
    parser.add_argument("--latent-dim", type=int, default=LATENT_DIM)
    parser.add_argument("--learning-rate", type=float, default=LEARNING_RATE)
    parser.add_argument("--update", choices=UPDATE_SCHEMES, default="alternating")
    parser.add_argument("--seed", type=int, default=0, help=f"0 to {MAX_SEED} (0)")
    parser.add_argument("--jit", action="store_true", help="compile the step with XLA")
    parser.add_argument(
        "--precision",
        choices=("auto", *POLICIES),
        default="auto",
        help="dtype policy; auto = gan_helpers.precision.choose_policy() (bf16 on bf16 CPUs)",
    )
    parser.add_argument("--deterministic", action="store_true", help="TF op determinism")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--dry-run", action="store_true", help="check everything, print the plan, write nothing"
    )
    args = parser.parse_args(argv)
    for name in ("steps", "steps_per_epoch", "batch_size", "limit", "latent_dim"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive whole number, got {value}")
    if not 0 <= args.seed <= MAX_SEED:
        parser.error(f"--seed must be a whole number from 0 to {MAX_SEED}, got {args.seed}")
    if not math.isfinite(args.learning_rate) or args.learning_rate <= 0:
        parser.error(
            f"--learning-rate must be a positive number, got {args.learning_rate}; "
            f"the recipe uses {LEARNING_RATE}"
        )
    if args.steps % args.steps_per_epoch:
        nearest = max(1, round(args.steps / args.steps_per_epoch)) * args.steps_per_epoch
        parser.error(
            f"--steps {args.steps} is not a multiple of --steps-per-epoch {args.steps_per_epoch}; "
            f"use e.g. --steps {nearest}"
        )
    return args


def _not_empty(convert, example: str):
    """An argparse type that refuses an empty value (``--output ""`` would mean ``.``)."""

    def parse(text: str):
        if not text.strip():
            raise argparse.ArgumentTypeError(f"is empty; expected a path, e.g. {example}")
        return convert(text)

    parse.__name__ = convert.__name__  # argparse names the type in "invalid ... value"
    return parse


def _one_line(exc: BaseException | str) -> str:
    return " ".join(str(exc).split())


def _fail(exc: BaseException | str, status: int = EXIT_USAGE) -> int:
    print(f"error: {_one_line(exc)}", file=sys.stderr)
    return status


def _training_images(args):
    """Loads, checks and scales the training digits; returns them and their fingerprint."""
    from gan_helpers.checkpoint import fingerprint
    from gan_helpers.data import load_mnist, normalize

    if args.output.exists() and not args.output.is_dir():
        raise NotADirectoryError(
            f"--output {args.output} is a file; expected a folder (new, or from an earlier "
            "run). Choose another --output."
        )
    digits, _ = load_mnist(args.data)  # a file is checked to look like MNIST digits
    if args.limit is not None and args.limit > len(digits):
        raise ValueError(
            f"--limit {args.limit} is more than the {len(digits):,} images available; pass "
            f"--limit {len(digits)} or less, or leave it out to use them all."
        )
    images = normalize(digits[: args.limit])
    if args.batch_size > len(images):
        raise ValueError(
            f"--batch-size {args.batch_size} is more than the {len(images):,} training images; "
            "lower --batch-size or raise --limit."
        )
    return images, fingerprint(digits)


def _check_folder(args, settings: dict, epochs: int) -> tuple[dict | None, list[Path]]:
    """Checks ``--output`` against ``--resume``/``--overwrite`` without changing anything.

    Returns:
        The state to resume (``None`` for a fresh run) and the earlier run's files that
        ``--overwrite`` will remove.
    """
    from gan_helpers import checkpoint

    output = args.output
    checkpoint.check_folder(output)
    if args.resume:
        state = checkpoint.load_state(output, settings, epochs)
        checkpoint.read_weights(output / state["weights"])  # readable, every value finite
        return state, []
    earlier = checkpoint.previous_run(output)
    if earlier and not args.overwrite:
        if (output / checkpoint.STATE_FILE).exists():
            raise checkpoint.CheckpointError(
                f"{output} already holds a checkpoint. Pass --resume to continue it, "
                "--overwrite to start again from scratch, or choose another --output."
            )
        names = ", ".join(str(p.relative_to(output)) for p in earlier[:3])
        raise checkpoint.CheckpointError(
            f"{output} already holds files of an earlier run ({names}"
            f"{', ...' if len(earlier) > 3 else ''}) but no checkpoint to resume. Pass "
            "--overwrite to replace them, or choose another --output."
        )
    return None, earlier


def _prepare_folder(args, settings: dict, epochs: int) -> dict | None:
    """Checks ``--output`` (:func:`_check_folder`), then clears it; returns the state to resume."""
    from gan_helpers import checkpoint

    output = args.output
    state, earlier = _check_folder(args, settings, epochs)
    for path in earlier:  # checkpoint.json first: never a state without its weights
        path.unlink()
    if earlier:
        print(f"--overwrite: removed the earlier run's files in {output} ({len(earlier)}).")
    output.mkdir(parents=True, exist_ok=True)
    for path in checkpoint.leftovers(output, keep=state and state["weights"]):
        path.unlink()
        print(f"Removed {path.name}, left by an interrupted save.")
    probe = output / f"{checkpoint.TMP_PREFIX}write-check"  # before an epoch of training
    probe.write_bytes(b"")  # OSError (read-only, full, no permission) -> one line in _run
    probe.unlink()
    return state


def _unhashed_note(args, state: dict) -> None:
    if state["weights_sha256"] is None:
        print(
            f"Note: {args.output / 'checkpoint.json'} was written before checkpoints stored the "
            f"SHA-256 of their weights, so {state['weights']} cannot be checked to belong to "
            "this run; the next checkpoint will be."
        )


def _build_gan(latent_dim: int, seed: int, update: str, learning_rate: float, jit: bool):
    import keras

    from gan_helpers.recipe import make_gan

    keras.utils.set_random_seed(seed)
    return make_gan(latent_dim, learning_rate, seed=seed, update=update, jit_compile=jit)


def _train(args, gan, images, settings: dict, epochs_done: int, epochs: int) -> int:
    """The epoch loop: fit one epoch, commit a checkpoint, repeat; then save the generator."""
    from gan_helpers import checkpoint
    from gan_helpers.callbacks import ImageMonitor, StopOnNonFiniteLoss
    from gan_helpers.models import GENERATOR_FILE
    from gan_helpers.recipe import LEARNING_RATE

    output = args.output
    monitor = ImageMonitor(num_images=36, directory=output / checkpoint.SAMPLES_DIR, show=False)
    guard = StopOnNonFiniteLoss()
    committed = epochs_done
    try:
        for epoch in range(epochs_done, epochs):
            if not args.quiet:
                print(f"Epoch {epoch + 1}/{epochs}")
            history = gan.fit(
                epoch_dataset(images, args.batch_size, args.seed, epoch),
                initial_epoch=epoch,
                epochs=epoch + 1,
                steps_per_epoch=args.steps_per_epoch,
                verbose=0 if args.quiet else 1,
                callbacks=[guard, monitor],
            )
            if guard.stopped_at is not None:
                _, batch, values = guard.stopped_at
                lower = min(LEARNING_RATE, args.learning_rate / 2)
                kept = (
                    f"the last good checkpoint (epoch {committed}) is kept in {output}, but "
                    "resuming it with the same settings would most likely fail again"
                    if committed
                    else "no checkpoint was saved"
                )
                return _fail(
                    f"a loss became non-finite at epoch {epoch + 1}, batch {batch + 1} "
                    f"({values}). Training stopped; {kept}. To start again, run the command "
                    f"with a lower learning rate, e.g. --learning-rate {lower:g}, and "
                    f"--overwrite{' instead of --resume' if args.resume else ''} (or with "
                    "another --output).",
                    EXIT_NON_FINITE,
                )
            logs = {k: round(float(v[-1]), 4) for k, v in history.history.items()}
            checkpoint.save(gan, output, epoch + 1, settings, logs)
            committed = epoch + 1
        checkpoint.write_atomic(output / GENERATOR_FILE, gan.generator.save)
        animation = _save_animation(output / checkpoint.SAMPLES_DIR, args.steps_per_epoch)
    except OSError as exc:
        fix = os_error_fix(exc, output)
        kept = (
            f"The last good checkpoint (epoch {committed}) is kept in {output}. {fix} Then run "
            "the same command with --resume."
            if committed
            else f"No checkpoint was saved. {fix} Then run the same command with --overwrite."
        )
        return _fail(f"could not save the training files: {exc}. {kept}", EXIT_WRITE_FAILED)
    print(f"Saved {output / GENERATOR_FILE} after {args.steps:,} steps.")
    if animation is not None:
        print(f"Saved {animation}: the sample grids of every epoch, as an animated GIF.")
    return 0


def _save_animation(samples, steps_per_epoch: int):
    """``samples/training.gif`` from every grid saved so far, also those before a resume."""
    from gan_helpers.animation import read_frames, save_animation
    from gan_helpers.checkpoint import ANIMATION_FILE, write_atomic

    frames = read_frames(samples)
    if not frames:
        return None
    path = samples / ANIMATION_FILE
    labels = [f"step {epoch * steps_per_epoch:,}" for epoch, _ in frames]
    mosaics = [mosaic for _, mosaic in frames]
    write_atomic(path, lambda tmp: save_animation(mosaics, labels, tmp))
    return path


def _run(args) -> int:
    import keras
    import tensorflow as tf

    from gan_helpers.checkpoint import CheckpointError, restore
    from gan_helpers.precision import SlowPrecisionWarning, choose_policy

    try:
        images, data_fingerprint = _training_images(args)
        policy = choose_policy() if args.precision == "auto" else args.precision
    except (ValueError, TypeError, OSError) as exc:  # data.DataError is a ValueError
        return _fail(exc)
    epochs = args.steps // args.steps_per_epoch
    print(
        f"plan: {args.steps:,} steps x batch {args.batch_size} = "
        f"{args.steps * args.batch_size:,} images seen, on {len(images):,} digits "
        f"({args.steps * args.batch_size / len(images):.1f} passes); "
        f"{epochs} epochs of {args.steps_per_epoch} steps"
    )
    settings = {  # everything that changes the result; a resume must match all of them
        "data": data_fingerprint,
        "limit": args.limit,
        "batch_size": args.batch_size,
        "steps_per_epoch": args.steps_per_epoch,
        "latent_dim": args.latent_dim,
        "learning_rate": args.learning_rate,
        "update": args.update,
        "seed": args.seed,
        "precision": policy,
        "deterministic": args.deterministic,
        "jit": args.jit,
    }
    try:
        if args.dry_run:
            state, earlier = _check_folder(args, settings, epochs)
        else:
            state = _prepare_folder(args, settings, epochs)
    except CheckpointError as exc:
        return _fail(exc)
    except OSError as exc:
        fix = os_error_fix(exc, args.output)
        return _fail(f"cannot use --output {args.output} ({exc}). {fix}")
    if args.dry_run:
        if state is not None:
            _unhashed_note(args, state)
        done = f"checkpoint after epoch {state['epochs_done']} checked" if state else "checked"
        if earlier:
            done += f" (--overwrite will remove the earlier run's files, {len(earlier)})"
        print(f"dry run: {args.output} {done}; nothing was written.")
        return 0
    if args.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.config.set_dtype_policy(policy)
    with warnings.catch_warnings(record=True) as slow:  # said once, on the plan's line
        warnings.simplefilter("always", SlowPrecisionWarning)
        gan = _build_gan(args.latent_dim, args.seed, args.update, args.learning_rate, args.jit)
    note = f" (slow here: {slow[0].message})" if slow else ""
    print(f"dtype policy: {policy}{note}")
    epochs_done = 0
    if state is not None:
        try:
            restore(gan, args.output, state)
        except CheckpointError as exc:
            return _fail(exc)
        _unhashed_note(args, state)
        epochs_done = state["epochs_done"]
        left = "nothing left to train" if epochs_done == epochs else f"training to {epochs}"
        print(f"Resuming from {args.output} after epoch {epochs_done} ({left}).")
    return _train(args, gan, images, settings, epochs_done, epochs)


def main(argv=None) -> int:
    """Runs the command; returns the process exit status (see the module docstring)."""
    try:
        keras = import_keras_quietly()  # TensorFlow's start-up lines would bury an error
        args = parse_args(argv)
    except SystemExit as exc:  # --help, or a bad option already reported on one line
        return int(exc.code or 0)
    except KeyboardInterrupt:
        return interrupted("nothing was read or written.")
    policy = keras.config.dtype_policy()
    try:
        return _run(args)
    except KeyboardInterrupt:
        from gan_helpers.checkpoint import STATE_FILE

        if (args.output / STATE_FILE).is_file():
            return interrupted(
                f"the last checkpoint in {args.output} is kept; run the same command with "
                "--resume to continue."
            )
        return interrupted("no checkpoint had been saved; nothing to resume.")
    finally:
        keras.config.set_dtype_policy(policy)  # main() may be called from Python: restore


if __name__ == "__main__":
    sys.exit(main())
