"""The files of a training folder, written so that a kill or a full disk never loses or mixes work.

``python -m gan_helpers.train`` keeps in its ``--output`` folder:

* ``checkpoint-epochNNN.npz``: every variable of the GAN (both networks and the
  latent-vector counter) and of both optimizers (moments, step counters and, under
  ``mixed_float16``, the loss scale) after epoch NNN;
* ``checkpoint.json``: the state -- how many epochs are done, which weights file holds
  them and its SHA-256, and the settings that shape the result (:func:`load_state`
  refuses a resume with other settings, and weights whose hash differs: another run's
  ``checkpoint-epochNNN.npz`` copied into the folder is not resumed);
* ``samples/epoch_NNN.png`` after every epoch, and at the end ``generator.keras`` and
  ``samples/training.gif`` (every epoch's grid as one animation).

States written before the hash was added (``"format": 1``) are still resumed, since
refusing them would throw away learners' runs: their weights cannot be checked, and
:func:`load_state` marks them with ``"weights_sha256": None`` so that the command can say
so; the next checkpoint of the run has the hash (``"format": 2``).

Every name above must be of the right kind (a ``checkpoint.json`` folder or a ``samples``
file is refused by :func:`check_folder` with the same message whatever the command was
asked to do), weights holding NaN or infinite values are refused by :func:`read_weights`,
and a file that cannot be read for lack of permission is reported as such, not as damaged.

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
ANIMATION_FILE = "training.gif"  # in SAMPLES_DIR
TMP_PREFIX = "tmp."
FORMAT = 2
UNHASHED_FORMAT = 1  # before "weights_sha256": still resumed, without that check
STATE_KEYS = ("format", "epochs_done", "weights", "weights_sha256", "settings", "last_losses")
_UNHASHED_KEYS = tuple(key for key in STATE_KEYS if key != "weights_sha256")
_ROLES = {  # what the command keeps under each name, and whether it is a folder
    STATE_FILE: ("its checkpoint state", False),
    GENERATOR_FILE: ("the trained generator", False),
    SAMPLES_DIR: ("its sample grids", True),
}
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


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, in hexadecimal.

    Raises:
        OSError: If the file cannot be read.

    Example:
        >>> file_sha256(os.devnull)[:16]
        'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _raised_during_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while a Ctrl-C was being handled (its context chain)."""
    seen = exc.__context__
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__context__
    return False


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
        KeyboardInterrupt: After Ctrl-C, also when the writer's clean-up then failed
            (``np.savez`` interrupted inside ``zipfile`` raises a ``ValueError`` while
            handling it): the interruption is what happened.

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
        if not isinstance(exc, KeyboardInterrupt) and _raised_during_interrupt(exc):
            raise KeyboardInterrupt from exc
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
        "weights_sha256": file_sha256(folder / name),
        "settings": settings,
        "last_losses": last_losses,
    }
    text = json.dumps(state, indent=2) + "\n"
    write_atomic(folder / STATE_FILE, lambda tmp: tmp.write_text(text))
    for old in leftovers(folder, keep=name):
        with contextlib.suppress(OSError):  # removed again by the next run's clean-up
            old.unlink()


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 4] + " ..."


def _bad(path: Path, what: str, value, expected: str, fix: str | None = None):
    shown = json.dumps(value) if not isinstance(value, str) else repr(value)
    return CheckpointError(
        f"{path}: {what} is {_shorten(shown)}, expected {expected}. "
        + (fix or f"The file is damaged: restore it from a backup, or {_NEW_RUN}.")
    )


def _cannot_read(path: Path, exc: OSError) -> CheckpointError:
    from gan_helpers.cli import os_error_fix

    return CheckpointError(
        f"Cannot read {path} ({exc.strerror or type(exc).__name__}), so the checkpoint cannot "
        f"be checked or resumed. {os_error_fix(exc, path)}"
    )


def _describe(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return "not set" if value is None else str(value)


def check_folder(folder: str | os.PathLike) -> None:
    """Refuses a training folder in which a name the command uses holds the wrong kind of entry.

    ``checkpoint.json``, ``generator.keras``, the weights and the sample grids must be
    files, ``samples`` a folder. Called before anything is read or written, so that
    ``--resume``, a fresh run and ``--overwrite`` all give this same answer.

    Raises:
        CheckpointError: Naming the entry, what it is, what the command keeps there and
            the fix (move or rename it).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return
    roles = dict(_ROLES)
    for path in [*previous_run(folder), *leftovers(folder)]:
        name = path.relative_to(folder).as_posix()
        role = "its checkpoint weights" if _WEIGHTS.fullmatch(path.name) else "a sample grid"
        roles.setdefault(name, ("a temporary file" if name.startswith(TMP_PREFIX) else role, False))
    for name, (role, is_folder) in roles.items():
        path = folder / name
        if not path.exists() or (path.is_dir() if is_folder else path.is_file()):
            continue
        found = "a folder" if path.is_dir() else "a file" if path.is_file() else "a special file"
        raise CheckpointError(
            f"{path} is {found}, but this command keeps {role} there as "
            f"{'a folder' if is_folder else 'a file'}; it did not create it. Move or rename "
            f"it, then run the command again (or choose another --output)."
        )


def load_state(folder: str | os.PathLike, settings: dict, max_epochs: int) -> dict:
    """Reads and checks ``checkpoint.json`` and its weights file before anything is loaded.

    Args:
        folder: The training folder.
        settings: The settings of the requested run; every one must equal the saved one.
        max_epochs: The number of epochs the requested run plans.

    Returns:
        The state: ``epochs_done``, ``weights`` (a file that exists, with the SHA-256 that
        the state names), ``weights_sha256`` (``None`` for a state written before the hash
        was stored: its weights could not be checked), ``settings``, ...

    Raises:
        CheckpointError: If there is no checkpoint, a name in the folder holds the wrong
            kind of entry (:func:`check_folder`), a file cannot be read, the state is not
            valid JSON, a key is missing, unknown or of the wrong type, ``epochs_done`` is
            not between 1 and ``max_epochs``, a setting differs, or the weights file is
            missing or is not the one the state committed (its SHA-256 differs).

    Example:
        >>> state = load_state("runs/dcgan", settings, max_epochs=30)  # doctest: +SKIP
    """
    folder = Path(folder)
    path = folder / STATE_FILE
    check_folder(folder)
    if not path.is_file():
        raise CheckpointError(
            f"No checkpoint in {folder} (no {STATE_FILE}). Train without --resume first, "
            "or point --output at the folder of an earlier run."
        )
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:  # refused by the system (permissions, ...): not damage
        raise _cannot_read(path, exc) from exc
    except ValueError as exc:  # also UnicodeDecodeError
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
    known = (FORMAT, UNHASHED_FORMAT)
    if "format" in state and (type(state["format"]) is not int or state["format"] not in known):
        expected = f"{FORMAT} (this version's format) or {UNHASHED_FORMAT}"
        raise _bad(path, '"format"', state["format"], expected)
    keys = _UNHASHED_KEYS if state.get("format") == UNHASHED_FORMAT else STATE_KEYS
    missing = [key for key in keys if key not in state]
    unknown = sorted(set(state) - set(keys))
    if missing or unknown:
        found = f"missing {missing}, unknown {unknown}"
        raise _bad(path, "the set of keys", found, f"exactly {keys}")
    epochs_done = state["epochs_done"]
    if isinstance(epochs_done, bool) or not isinstance(epochs_done, int) or epochs_done < 1:
        raise _bad(path, '"epochs_done"', epochs_done, "a whole number of epochs, at least 1")
    if state["weights"] != weights_file(epochs_done):
        raise _bad(path, '"weights"', state["weights"], repr(weights_file(epochs_done)))
    saved = state["settings"]
    if not isinstance(saved, dict):
        raise _bad(path, '"settings"', saved, f"an object with the keys {sorted(settings)}")
    if set(saved) != set(settings):
        lacks, extra = sorted(set(settings) - set(saved)), sorted(set(saved) - set(settings))
        found = [f"lacks {lacks}" if lacks else "", f"has unknown {extra}" if extra else ""]
        raise CheckpointError(
            f'{path}: "settings" {" and ".join(filter(None, found))}; expected the '
            f"{len(settings)} settings {sorted(settings)}. The file is damaged: restore it "
            f"from a backup, or {_NEW_RUN}."
        )
    if not isinstance(state["last_losses"], dict):
        raise _bad(path, '"last_losses"', state["last_losses"], "an object")
    digest = state.setdefault("weights_sha256", None)
    if digest is not None and (not isinstance(digest, str) or len(digest) != 64):
        raise _bad(path, '"weights_sha256"', digest, "the 64 hexadecimal digits of a SHA-256")
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
    weights = folder / state["weights"]
    if not weights.is_file():
        raise CheckpointError(
            f"{path} names the weights file {state['weights']}, which is missing from {folder}. "
            f"Restore it from a backup, or {_NEW_RUN}."
        )
    if digest is not None:
        try:
            found = file_sha256(weights)
        except OSError as exc:
            raise _cannot_read(weights, exc) from exc
        if found != digest:
            raise CheckpointError(
                f"{weights} is not the weights file that {path} committed: its SHA-256 is "
                f"{found[:16]}..., the checkpoint expects {digest[:16]}... (a file copied from "
                f"another run, or changed since). Put back this run's own {state['weights']}, "
                f"or {_NEW_RUN}."
            )
    return state


def read_weights(path: str | os.PathLike) -> tuple[list[str], list[np.ndarray]]:
    """Reads a weights file written by :func:`save` and checks that every value is finite.

    Returns:
        The variables' paths and values, in the order of :func:`save`.

    Raises:
        CheckpointError: If the file cannot be read, is damaged, or holds NaN or infinite
            values (a checkpoint of a diverged or altered run: resuming it cannot work,
            whatever the learning rate).
    """
    path = Path(path)
    fix = f"Restore it from a backup, or {_NEW_RUN}."
    try:
        with np.load(path, allow_pickle=False) as npz:
            count = sum(1 for key in npz.files if key.startswith("v"))
            values = [npz[f"v{i}"] for i in range(count)]
            paths = [str(p) for p in npz["paths"]]
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:  # refused by the system
            raise _cannot_read(path, exc) from exc
        message = " ".join(str(exc).split())[:200]
        raise CheckpointError(
            f"Could not read {path} ({type(exc).__name__}: {message}); the file is damaged. {fix}"
        ) from exc
    bad = [
        name
        for name, value in zip(paths, values)
        if value.dtype.kind in "fc" and not np.all(np.isfinite(value))
    ]
    if bad:
        raise CheckpointError(
            f"{path} holds NaN or infinite values in {len(bad)} of its {len(values)} arrays "
            f"(first: {bad[0]}): the weights were broken before they were saved, so resuming "
            f"them cannot work whatever the learning rate. Restore an earlier copy, or "
            f"{_NEW_RUN}."
        )
    return paths, values


def restore(gan, folder: str | os.PathLike, state: dict) -> None:
    """Loads the weights named by ``state`` (from :func:`load_state`) into ``gan``.

    Every value is checked (:func:`read_weights`, then shapes and dtypes) before any
    variable changes.

    Raises:
        CheckpointError: If the weights file is unreadable, damaged, not finite, or was
            saved from another model.
    """
    path = Path(folder) / state["weights"]
    variables = _variables(gan)
    fix = f"Restore it from a backup, or {_NEW_RUN}."
    paths, values = read_weights(path)
    count = len(values)
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
    found += [p for p in [folder / SAMPLES_DIR / ANIMATION_FILE] if p.is_file()]
    return found
