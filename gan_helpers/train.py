"""Train the course DCGAN outside a notebook, resumably: ``python -m gan_helpers.train``.

    python -m gan_helpers.train --output runs/dcgan                 # notebook 05's recipe
    python -m gan_helpers.train --output runs/dcgan --steps 6000 --resume   # train on

The amount of training is a number of steps (``--steps``), not of passes over the data:
online learners (60,000 digits) and offline ones (5,000) wait the same time, and more
data brings more variety. Training is cut into "epochs" of ``--steps-per-epoch`` steps
(Keras' unit for logs and checkpoints, not a pass over the data). After each one it
writes a sample grid (``samples/epoch_NNN.png``) and a checkpoint of both networks, both
optimizers and the latent-vector counter (``checkpoint.weights.h5`` and
``checkpoint.json``, replaced atomically). Each epoch's batches depend only on ``--seed``
and the epoch number, so a run killed at any moment and resumed with ``--resume``
repeats the lost part of the epoch exactly; with ``--deterministic`` it ends with the
same weights as an uninterrupted run. A loss that becomes NaN or infinite stops
training; the last good checkpoint is kept. At the end the generator is saved as
``generator.keras`` (load it with :func:`load_generator`). ``--dry-run`` prints the plan.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from gan_helpers.recipe import BATCH_SIZE, LATENT_DIM, LEARNING_RATE, STEPS_PER_EPOCH, TRAIN_STEPS

CHECKPOINT = "checkpoint.weights.h5"
STATE = "checkpoint.json"
GENERATOR = "generator.keras"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupt or does not fit the requested model."""


def _build_gan(latent_dim: int, seed: int, update: str, learning_rate: float, jit: bool):
    import keras

    from gan_helpers.recipe import make_gan

    keras.utils.set_random_seed(seed)
    return make_gan(latent_dim, learning_rate, seed=seed, update=update, jit_compile=jit)


def read_checkpoint_state(output: str | os.PathLike) -> dict:
    """Reads ``checkpoint.json`` from a training folder.

    Raises:
        CheckpointError: If it is missing or unreadable.
    """
    path = Path(output) / STATE
    if not path.exists() or not (Path(output) / CHECKPOINT).exists():
        raise CheckpointError(
            f"No checkpoint in {output} (expected {STATE} and {CHECKPOINT}). Train without "
            "--resume first, or point --output at the folder of an earlier run."
        )
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is corrupt ({exc}); delete the folder and retrain.") from exc


def restore(
    gan, output: str | os.PathLike, latent_dim: int, steps_per_epoch: int | None = None
) -> int:
    """Loads the checkpoint in ``output`` into ``gan``; returns the number of finished epochs.

    Raises:
        CheckpointError: If the checkpoint is missing, corrupt, or was trained with another
            ``latent_dim`` or ``steps_per_epoch``.
    """
    state = read_checkpoint_state(output)
    saved = state.get("steps_per_epoch")
    if steps_per_epoch is not None and saved is not None and saved != steps_per_epoch:
        raise CheckpointError(
            f"The checkpoint in {output} was trained with --steps-per-epoch {saved}, but "
            f"{steps_per_epoch} was requested. Pass --steps-per-epoch {saved} to resume it."
        )
    if state.get("latent_dim") != latent_dim:
        raise CheckpointError(
            f"The checkpoint in {output} was trained with latent_dim={state.get('latent_dim')}, "
            f"but latent_dim={latent_dim} was requested. Pass --latent-dim "
            f"{state.get('latent_dim')} or use a new --output folder."
        )
    try:
        gan.load_weights(Path(output) / CHECKPOINT)
    except Exception as exc:  # h5py and Keras raise many types for a damaged file
        raise CheckpointError(
            f"Could not load {Path(output) / CHECKPOINT} ({type(exc).__name__}: "
            f"{str(exc)[:200]}). The file is corrupt or from another model; delete it and "
            "retrain, or resume from a backup."
        ) from exc
    return int(state["epochs_done"])


def _save_checkpoint(gan, output: Path, state: dict) -> None:
    weights_tmp = output / ("tmp." + CHECKPOINT)
    gan.save_weights(weights_tmp)
    os.replace(weights_tmp, output / CHECKPOINT)
    state_tmp = output / ("tmp." + STATE)
    state_tmp.write_text(json.dumps(state, indent=2))
    os.replace(state_tmp, output / STATE)


def load_generator(path: str | os.PathLike, latent_dim: int | None = None):
    """Loads a generator saved by this command (``generator.keras``).

    Args:
        path: The ``.keras`` file, or the training folder that holds it.
        latent_dim: If given, check that the generator takes vectors of this size.

    Returns:
        The generator, a ``keras.Model``.

    Raises:
        FileNotFoundError: If there is no such file.
        CheckpointError: If the file is corrupt or ``latent_dim`` does not match.

    Example:
        >>> generator = load_generator("runs/dcgan")  # doctest: +SKIP
    """
    import keras

    path = Path(path)
    if path.is_dir():
        path = path / GENERATOR
    if not path.exists():
        raise FileNotFoundError(
            f"No generator at {path}. Train one with `python -m gan_helpers.train --output "
            f"{path.parent}` or fix the path."
        )
    try:
        generator = keras.models.load_model(path, compile=False)
    except Exception as exc:
        raise CheckpointError(
            f"Could not load the generator {path} ({type(exc).__name__}: {str(exc)[:200]}); "
            "the file is corrupt or not a Keras model. Train it again."
        ) from exc
    if latent_dim is not None and generator.input_shape[-1] != latent_dim:
        raise CheckpointError(
            f"The generator in {path} takes latent vectors of size {generator.input_shape[-1]}, "
            f"not latent_dim={latent_dim}; set latent_dim to {generator.input_shape[-1]}."
        )
    return generator


def epoch_dataset(images, batch_size: int, seed: int, epoch: int):
    """Endless batches for one epoch whose order depends only on ``(seed, epoch)``.

    ``fit(..., steps_per_epoch=n)`` takes the first ``n`` batches of it.
    """
    from gan_helpers.data import make_dataset

    return make_dataset(images, batch_size, seed=seed * 100_003 + epoch).repeat()


def _nan_guard():
    import keras

    class StopOnNonFinite(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.bad = None

        def on_train_batch_end(self, batch, logs=None):
            values = {k: float(v) for k, v in (logs or {}).items()}
            if any(not math.isfinite(v) for v in values.values()):
                self.bad = (batch, values)
                self.model.stop_training = True

    return StopOnNonFinite()


def parse_args(argv=None) -> argparse.Namespace:
    """Parses the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m gan_helpers.train", description=__doc__.splitlines()[0]
    )
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
    parser.add_argument("--output", type=Path, default=Path("runs/dcgan"))
    parser.add_argument("--data", help="mnist.npz or IDX folder (default: load_mnist's order)")
    parser.add_argument("--limit", type=int, help="train on the first N images only")
    parser.add_argument("--resume", action="store_true", help="continue from --output")
    parser.add_argument("--latent-dim", type=int, default=LATENT_DIM)
    parser.add_argument("--learning-rate", type=float, default=LEARNING_RATE)
    parser.add_argument("--update", choices=["alternating", "simultaneous"], default="alternating")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jit", action="store_true", help="compile the step with XLA")
    parser.add_argument(
        "--precision",
        choices=["auto", "float32", "mixed_bfloat16", "mixed_float16"],
        default="auto",
        help="dtype policy; auto = gan_helpers.precision.choose_policy() (bf16 on bf16 CPUs)",
    )
    parser.add_argument("--deterministic", action="store_true", help="TF op determinism")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    args = parser.parse_args(argv)
    for name in ("steps", "steps_per_epoch", "batch_size", "limit"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be positive, got {value}")
    if args.steps % args.steps_per_epoch:
        nearest = max(1, round(args.steps / args.steps_per_epoch)) * args.steps_per_epoch
        parser.error(
            f"--steps {args.steps} is not a multiple of --steps-per-epoch {args.steps_per_epoch}; "
            f"use e.g. --steps {nearest}"
        )
    return args


def main(argv=None) -> int:
    """Runs the command; returns the process exit code."""
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from gan_helpers.quiet import hide_native_logs

    with hide_native_logs():
        import keras
        import tensorflow as tf

    from gan_helpers.callbacks import ImageMonitor
    from gan_helpers.data import load_mnist, normalize
    from gan_helpers.precision import choose_policy

    output = args.output
    images, _ = load_mnist(args.data)
    images = normalize(images[: args.limit] if args.limit else images)
    epochs = args.steps // args.steps_per_epoch
    print(
        f"plan: {args.steps:,} steps x batch {args.batch_size} = "
        f"{args.steps * args.batch_size:,} images seen, on {len(images):,} digits "
        f"({args.steps * args.batch_size / len(images):.1f} passes); "
        f"{epochs} epochs of {args.steps_per_epoch} steps"
    )
    if args.dry_run:
        return 0
    if args.deterministic:
        tf.config.experimental.enable_op_determinism()
    policy = choose_policy() if args.precision == "auto" else args.precision
    keras.config.set_dtype_policy(policy)
    print(f"dtype policy: {policy}")
    gan = _build_gan(args.latent_dim, args.seed, args.update, args.learning_rate, args.jit)
    epochs_done = 0
    try:
        if args.resume:
            epochs_done = restore(gan, output, args.latent_dim, args.steps_per_epoch)
            for optimizer in (gan.d_optimizer, gan.g_optimizer):  # honour a new --learning-rate
                optimizer.learning_rate = args.learning_rate
            print(f"Resuming from {output} after epoch {epochs_done}.")
        elif (output / STATE).exists():
            raise CheckpointError(
                f"{output} already holds a checkpoint. Pass --resume to continue it, or choose "
                "another --output."
            )
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output.mkdir(parents=True, exist_ok=True)
    monitor = ImageMonitor(num_images=36, directory=output / "samples", show=False)
    guard = _nan_guard()
    for epoch in range(epochs_done, epochs):
        dataset = epoch_dataset(images, args.batch_size, args.seed, epoch)
        if not args.quiet:
            print(f"Epoch {epoch + 1}/{epochs}")
        history = gan.fit(
            dataset,
            initial_epoch=epoch,
            epochs=epoch + 1,
            steps_per_epoch=args.steps_per_epoch,
            verbose=0 if args.quiet else 1,
            callbacks=[guard, monitor],
        )
        if guard.bad is not None:
            batch, values = guard.bad
            print(
                f"error: a loss became non-finite at epoch {epoch + 1}, batch {batch + 1} "
                f"({values}). Training stopped; the last good checkpoint (epoch {epoch}) is "
                f"kept in {output}. Lower --learning-rate and resume.",
                file=sys.stderr,
            )
            return 3
        logs = {k: round(v[-1], 4) for k, v in history.history.items()}
        state = {
            "epochs_done": epoch + 1,
            "steps_done": (epoch + 1) * args.steps_per_epoch,
            "steps_per_epoch": args.steps_per_epoch,
            "latent_dim": args.latent_dim,
            "seed": args.seed,
            "batch_size": args.batch_size,
            "update": args.update,
            "last_losses": logs,
        }
        _save_checkpoint(gan, output, state)
    gan.generator.save(output / GENERATOR)
    print(f"Saved {output / GENERATOR} after {args.steps:,} steps.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
