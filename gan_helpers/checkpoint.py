"""The files of a training folder, written so that a kill or a full disk never loses or mixes work.

``python -m gan_helpers.train`` keeps in its ``--output`` folder:

* ``checkpoint-epochNNN.npz``: every variable of the GAN (both networks and the
  latent-vector counter) and of both optimizers (moments, step counters and, under
  ``mixed_float16``, the loss scale) after epoch NNN;
* ``checkpoint.json``: the state -- how many epochs are done, which weights file holds
  them, and the settings that shape the result (:func:`load_state` refuses a resume
  with other settings);
* ``samples/epoch_NNN.png`` after every epoch and ``generator.keras`` at the end.

Every file is first written to ``tmp.<name>`` in the same folder, flushed to the disk
and then renamed over its final name (:func:`write_atomic`), so it is complete or absent.
:func:`save` replaces ``checkpoint.json`` last, as the commit point, and only then removes
the older weights: a run killed between the two writes still has a state that names
intact weights, and the next resume removes the uncommitted file and says so.

Why not ``keras.callbacks.BackupAndRestore`` (which notebook 05 teaches)? It writes its
weights in place and its epoch counter after them, so a kill at the wrong moment leaves a
torn file or weights one epoch ahead of the counter. And an HDF5 weights file
(``save_weights``) that hits a full disk raises ``OSError`` and then makes the process
crash when it exits (h5py); ``.npz`` files are written by Python, so a full or read-only
disk is an ordinary ``OSError`` that the command reports on one line.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gan_helpers.models import GENERATOR_FILE

STATE_FILE = "checkpoint.json"
SAMPLES_DIR = "samples"
TMP_PREFIX = "tmp."
FORMAT = 1
STATE_KEYS = ("format", "epochs_done", "weights", "settings", "last_losses")
_WEIGHTS = re.compile(r"checkpoint-epoch\d{3,}\.npz")
_NEW_RUN = (
    "start a new run with another --output (or add --overwrite to replace this one, "
    "without --resume)"
)


class CheckpointError(RuntimeError):
    """A training folder's checkpoint is missing, damaged, or does not fit the requested run.

    The message (one line) names the file, the bad value, what was expected and the fix.
    """


def weights_file(epochs_done: int) -> str:
    """The name of the weights file written after ``epochs_done`` epochs.

    Example:
        >>> weights_file(3)
        'checkpoint-epoch003.npz'
    """
    return f"checkpoint-epoch{epochs_done:03d}.npz"


def fingerprint(images: np.ndarray) -> str:
    """Identifies a set of training images by content (not by path): count and SHA-256.

    Example:
        >>> fingerprint(np.zeros((2, 28, 28), np.uint8))
        '2 images, sha256 04492d7cc3712490'
    """
    images = np.ascontiguousarray(images)
    digest = hashlib.sha256(f"{images.dtype.str}{images.shape}".encode())
    digest.update(images.tobytes())
    return f"{len(images):,} images, sha256 {digest.hexdigest()[:16]}"


def write_atomic(path: str | os.PathLike, write: Callable[[Path], object]) -> None:
    """Writes a file whole or not at all: ``write(tmp)``, flush to disk, rename to ``path``.

    ``tmp`` is ``tmp.<name>`` in the same folder (a rename is atomic only within one file
    system). If anything fails, the temporary file is removed and ``path`` is unchanged.

    Args:
        path: The file to write.
        write: Writes the content to the path it is given, e.g. ``generator.save``.

    Raises:
        OSError: If the file cannot be written (full disk, read-only folder, ...); the
            message names ``path``.

    Example:
        >>> write_atomic("runs/dcgan/generator.keras", generator.save)  # doctest: +SKIP
    """
    path = Path(path)
    tmp = path.with_name(TMP_PREFIX + path.name)
    try:
        write(tmp)
        with open(tmp, "r+b") as f:  # writable handle: Windows cannot fsync a read-only one
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Makes a rename in ``folder`` durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder; its renames need no folder sync
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems do not support syncing a folder
        pass
    finally:
        os.close(fd)


def _variables(gan) -> list:
    return [*gan.variables, *gan.d_optimizer.variables, *gan.g_optimizer.variables]


def save(
    gan, folder: str | os.PathLike, epochs_done: int, settings: dict, last_losses: dict
) -> None:
    """Writes a checkpoint: the weights file, then ``checkpoint.json`` (the commit point).

    Args:
        gan: A compiled :class:`gan_helpers.gan.GAN`.
        folder: The training folder (it must exist).
        epochs_done: Epochs finished so far.
        settings: The run's settings, checked again by :func:`load_state` on resume.
        last_losses: The losses of the last epoch (for people reading the file).

    Raises:
        OSError: If a file cannot be written; the previous checkpoint is then unchanged.
    """
    folder = Path(folder)
    name = weights_file(epochs_done)
    variables = _variables(gan)
    arrays = {f"v{i}": np.asarray(v.numpy()) for i, v in enumerate(variables)}
    paths = np.array([v.path for v in variables])
    write_atomic(folder / name, lambda tmp: np.savez(tmp, paths=paths, **arrays))
    state = {
        "format": FORMAT,
        "epochs_done": epochs_done,
        "weights": name,
        "settings": settings,
        "last_losses": last_losses,
    }
    text = json.dumps(state, indent=2) + "\n"
    write_atomic(folder / STATE_FILE, lambda tmp: tmp.write_text(text))
    for old in leftovers(folder, keep=name):
        with contextlib.suppress(OSError):  # removed again by the next run's clean-up
            old.unlink()


def _bad(path: Path, what: str, value, expected: str, fix: str | None = None):
    shown = json.dumps(value) if not isinstance(value, str) else repr(value)
    return CheckpointError(
        f"{path}: {what} is {shown[:80]}, expected {expected}. "
        + (fix or f"The file is damaged: restore it from a backup, or {_NEW_RUN}.")
    )


def _describe(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return "not set" if value is None else str(value)


def load_state(folder: str | os.PathLike, settings: dict, max_epochs: int) -> dict:
    """Reads and checks ``checkpoint.json`` before anything is loaded or trained.

    Args:
        folder: The training folder.
        settings: The settings of the requested run; every one must equal the saved one.
        max_epochs: The number of epochs the requested run plans.

    Returns:
        The state: ``epochs_done``, ``weights`` (a file that exists), ``settings``, ...

    Raises:
        CheckpointError: If there is no checkpoint, the file is not valid JSON, a key is
            missing, unknown or of the wrong type, ``epochs_done`` is not between 1 and
            ``max_epochs``, the weights file is missing, or a setting differs.

    Example:
        >>> state = load_state("runs/dcgan", settings, max_epochs=30)  # doctest: +SKIP
    """
    folder = Path(folder)
    path = folder / STATE_FILE
    if not path.is_file():
        raise CheckpointError(
            f"No checkpoint in {folder} (no {STATE_FILE}). Train without --resume first, "
            "or point --output at the folder of an earlier run."
        )
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(
            f"{path} is not valid JSON ({' '.join(str(exc).split())[:120]}); expected a JSON "
            f"object with the keys {STATE_KEYS}. The file is damaged: restore it from a "
            f"backup, or {_NEW_RUN}."
        ) from exc
    if not isinstance(state, dict):
        raise _bad(path, "the content", state, f"a JSON object with the keys {STATE_KEYS}")
    if "format" not in state and "epochs_done" in state:
        raise CheckpointError(
            f'{path} was written by an older version of this command (it has no "format"), '
            f"whose checkpoints cannot be resumed; {_NEW_RUN}."
        )
    missing = [key for key in STATE_KEYS if key not in state]
    unknown = sorted(set(state) - set(STATE_KEYS))
    if missing or unknown:
        found = f"missing {missing}, unknown {unknown}"
        raise _bad(path, "the set of keys", found, f"exactly {STATE_KEYS}")
    if state["format"] != FORMAT:
        raise _bad(path, '"format"', state["format"], f"{FORMAT} (this version's format)")
    epochs_done = state["epochs_done"]
    if isinstance(epochs_done, bool) or not isinstance(epochs_done, int) or epochs_done < 1:
        raise _bad(path, '"epochs_done"', epochs_done, "a whole number of epochs, at least 1")
    if state["weights"] != weights_file(epochs_done):
        raise _bad(path, '"weights"', state["weights"], repr(weights_file(epochs_done)))
    saved = state["settings"]
    if not isinstance(saved, dict) or set(saved) != set(settings):
        names = sorted(saved) if isinstance(saved, dict) else saved
        raise _bad(path, '"settings"', names, f"an object with the keys {sorted(settings)}")
    if not isinstance(state["last_losses"], dict):
        raise _bad(path, '"last_losses"', state["last_losses"], "an object")
    changed = [
        f"--{key.replace('_', '-')} {_describe(saved[key])} in the checkpoint, "
        f"{_describe(settings[key])} now"
        for key in settings
        if saved[key] != settings[key]
    ]
    if changed:
        raise CheckpointError(
            f"{path} was trained with other settings: {'; '.join(changed)}. Resume with "
            f"the checkpoint's settings, or {_NEW_RUN}."
        )
    if epochs_done > max_epochs:
        raise _bad(
            path,
            '"epochs_done"',
            epochs_done,
            f"at most the {max_epochs} epochs this run plans",
            "Pass a larger --steps to train on from it.",
        )
    if not (folder / state["weights"]).is_file():
        raise CheckpointError(
            f"{path} names the weights file {state['weights']}, which is missing from {folder}. "
            f"Restore it from a backup, or {_NEW_RUN}."
        )
    return state


def restore(gan, folder: str | os.PathLike, state: dict) -> None:
    """Loads the weights named by ``state`` (from :func:`load_state`) into ``gan``.

    Every value is checked before any variable changes.

    Raises:
        CheckpointError: If the weights file is damaged or was saved from another model.
    """
    path = Path(folder) / state["weights"]
    variables = _variables(gan)
    fix = f"Restore it from a backup, or {_NEW_RUN}."
    try:
        with np.load(path, allow_pickle=False) as npz:
            count = sum(1 for key in npz.files if key.startswith("v"))
            values = [npz[f"v{i}"] for i in range(count)]
            paths = [str(p) for p in npz["paths"]]
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        message = " ".join(str(exc).split())[:200]
        raise CheckpointError(
            f"Could not read {path} ({type(exc).__name__}: {message}); the file is damaged. {fix}"
        ) from exc
    if count != len(variables):
        raise CheckpointError(
            f"{path} holds {count} arrays but the model has {len(variables)} variables: it was "
            f"saved from another model or precision. {fix}"
        )
    for variable, value, saved_path in zip(variables, values, paths):
        if tuple(variable.shape) != value.shape or np.dtype(variable.dtype) != value.dtype:
            raise CheckpointError(
                f"{path}: {saved_path} has shape {value.shape} and dtype {value.dtype}, but the "
                f"model's {variable.path} has {tuple(variable.shape)} and {variable.dtype}: "
                f"the file was saved from another model. {fix}"
            )
    for variable, value in zip(variables, values):
        variable.assign(value)


def leftovers(folder: str | os.PathLike, keep: str | None = None) -> list[Path]:
    """Files that an interrupted save left behind: temporary files and uncommitted weights.

    Args:
        folder: The training folder.
        keep: The weights file that ``checkpoint.json`` names (``None``: there is none).

    Returns:
        Paths, sorted; none of them is needed by the committed checkpoint.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    ours = (STATE_FILE, GENERATOR_FILE)
    found = [
        path
        for path in folder.iterdir()
        if (path.name.startswith(TMP_PREFIX) and path.name[len(TMP_PREFIX) :] in ours)
        or (_WEIGHTS.fullmatch(path.name.removeprefix(TMP_PREFIX)) and path.name != keep)
    ]
    return sorted(found)


def previous_run(folder: str | os.PathLike) -> list[Path]:
    """The files of an earlier run in ``folder``, which a fresh run must not overwrite.

    Temporary files are not listed (see :func:`leftovers`): they never block a run.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [folder / name for name in (STATE_FILE, GENERATOR_FILE) if (folder / name).exists()]
    found += sorted(p for p in folder.glob("checkpoint-epoch*.npz") if _WEIGHTS.fullmatch(p.name))
    found += sorted((folder / SAMPLES_DIR).glob("epoch_*.png"))
    return found
