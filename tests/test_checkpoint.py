"""The training folder's files: atomic writes, the commit order, validation, full disks.

Small 2-D GANs (``make_toy_gan``) keep these tests fast; ``tests/test_train.py`` runs the
same code through the command.
"""

import builtins
import errno
import io
import json
import os
import zipfile

import keras
import numpy as np
import pytest

from gan_helpers import checkpoint
from gan_helpers.checkpoint import STATE_FILE, CheckpointError

SETTINGS = {"data": "256 points", "batch_size": 32, "seed": 0, "deterministic": False}


class _Killed(BaseException):
    """Stands for the process dying: nothing in the code under test may catch it."""


def _variables(gan):
    """Every variable a checkpoint must restore: both networks, the latent counter, optimizers."""
    return [*gan.variables, *gan.d_optimizer.variables, *gan.g_optimizer.variables]


def _state_of(gan):
    return [np.array(v.numpy()) for v in _variables(gan)]


def _change_every_variable(gan, seed):
    """What training does to the state, faster than training: every value moves."""
    rng = np.random.default_rng(seed)
    for variable in _variables(gan):
        value = np.array(variable.numpy())
        step = (
            rng.integers(1, 5, value.shape) if value.dtype.kind == "i" else rng.random(value.shape)
        )
        variable.assign((value + step).astype(value.dtype))


def _assert_same(a, b):
    assert len(a) == len(b) > 10
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_restore_brings_back_every_variable_and_the_optimizer_state(make_toy_gan, tmp_path):
    gan = make_toy_gan()
    _change_every_variable(gan, seed=0)
    checkpoint.save(gan, tmp_path, 1, SETTINGS, {"d_loss": 1.0})
    assert _names(tmp_path) == ["checkpoint-epoch001.npz", STATE_FILE]

    fresh = make_toy_gan(lr=0.5)
    for before, saved in zip(_state_of(fresh), _state_of(gan)):
        assert not np.array_equal(before, saved)  # so every comparison below can fail
    state = checkpoint.load_state(tmp_path, SETTINGS, max_epochs=3)
    checkpoint.restore(fresh, tmp_path, state)
    _assert_same(_state_of(fresh), _state_of(gan))


@pytest.fixture
def mixed_float16():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    yield
    keras.config.set_dtype_policy(previous)


def test_a_mixed_float16_checkpoint_keeps_the_loss_scale_state(
    make_toy_gan, tmp_path, mixed_float16
):
    gan = make_toy_gan()
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    _change_every_variable(gan, seed=0)
    checkpoint.save(gan, tmp_path, 1, SETTINGS, {})
    fresh = make_toy_gan()
    checkpoint.restore(fresh, tmp_path, checkpoint.load_state(tmp_path, SETTINGS, 1))
    _assert_same(_state_of(fresh), _state_of(gan))
    for optimizer in (fresh.d_optimizer, fresh.g_optimizer):
        scale = {v.path.rsplit("/", 1)[-1]: v.numpy() for v in optimizer.variables}
        assert scale["step_counter"] > 0 and scale["dynamic_scale"] > 2**15, scale

    keras.config.set_dtype_policy("float32")  # no loss-scale variables: not this model
    with pytest.raises(CheckpointError, match="another model or precision"):
        checkpoint.restore(make_toy_gan(), tmp_path, checkpoint.load_state(tmp_path, SETTINGS, 1))


def test_a_kill_between_the_weights_and_the_state_keeps_the_previous_checkpoint(
    make_toy_gan, tmp_path, monkeypatch
):
    gan = make_toy_gan()
    checkpoint.save(gan, tmp_path, 1, SETTINGS, {})
    after_epoch_1 = _state_of(gan)
    _change_every_variable(gan, seed=1)

    write_atomic = checkpoint.write_atomic

    def die_before_the_state(path, write):
        if path.name == STATE_FILE:
            raise _Killed
        write_atomic(path, write)

    monkeypatch.setattr(checkpoint, "write_atomic", die_before_the_state)
    with pytest.raises(_Killed):
        checkpoint.save(gan, tmp_path, 2, SETTINGS, {})
    monkeypatch.undo()

    assert _names(tmp_path) == ["checkpoint-epoch001.npz", "checkpoint-epoch002.npz", STATE_FILE]
    state = checkpoint.load_state(tmp_path, SETTINGS, max_epochs=3)
    assert state["epochs_done"] == 1 and state["weights"] == "checkpoint-epoch001.npz"
    assert checkpoint.leftovers(tmp_path, keep=state["weights"]) == [
        tmp_path / "checkpoint-epoch002.npz"
    ]
    fresh = make_toy_gan()
    checkpoint.restore(fresh, tmp_path, state)
    _assert_same(_state_of(fresh), after_epoch_1)


@pytest.mark.parametrize(
    ("code", "failing"),
    [
        (errno.ENOSPC, "weights"),
        (errno.ENOSPC, "state"),
        (errno.EROFS, "weights"),
        (errno.EACCES, "state"),
    ],
)
def test_a_failed_write_keeps_the_last_good_checkpoint_and_no_temporary_file(
    make_toy_gan, tmp_path, monkeypatch, code, failing
):
    gan = make_toy_gan()
    checkpoint.save(gan, tmp_path, 1, SETTINGS, {})
    before = {name: (tmp_path / name).read_bytes() for name in _names(tmp_path)}

    failing_name = "checkpoint-epoch002.npz" if failing == "weights" else STATE_FILE
    replace = os.replace

    def fail(source, target):  # the temporary file is written; moving it into place fails
        if os.path.basename(target) == failing_name:
            raise OSError(code, os.strerror(code))
        replace(source, target)

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError) as raised:
        checkpoint.save(gan, tmp_path, 2, SETTINGS, {})
    monkeypatch.undo()

    assert raised.value.errno == code and raised.value.filename == str(tmp_path / failing_name)
    assert not [name for name in _names(tmp_path) if name.startswith("tmp.")]
    assert (tmp_path / STATE_FILE).read_bytes() == before[STATE_FILE]
    assert (tmp_path / "checkpoint-epoch001.npz").read_bytes() == before["checkpoint-epoch001.npz"]
    assert checkpoint.load_state(tmp_path, SETTINGS, 3)["epochs_done"] == 1

    checkpoint.save(gan, tmp_path, 2, SETTINGS, {})  # the next save, with space, works
    assert _names(tmp_path) == ["checkpoint-epoch002.npz", STATE_FILE]


def test_write_atomic_leaves_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "generator.keras"
    target.write_bytes(b"old")

    def half_then_fail(tmp):
        tmp.write_bytes(b"ne")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left on device"):
        checkpoint.write_atomic(target, half_then_fail)
    assert target.read_bytes() == b"old" and _names(tmp_path) == ["generator.keras"]
    checkpoint.write_atomic(target, lambda tmp: tmp.write_bytes(b"new"))
    assert target.read_bytes() == b"new" and _names(tmp_path) == ["generator.keras"]


def test_temporary_files_are_leftovers_and_never_count_as_a_run(tmp_path):
    ours = ["tmp.checkpoint.json", "tmp.checkpoint-epoch002.npz", "tmp.generator.keras"]
    for name in [*ours, "tmp.notes.txt", "checkpoint-epochs.npz"]:  # the last two: not ours
        (tmp_path / name).write_bytes(b"")
    assert checkpoint.leftovers(tmp_path) == sorted(tmp_path / name for name in ours)
    assert checkpoint.previous_run(tmp_path) == []

    (tmp_path / "samples").mkdir()
    for name in ["generator.keras", "checkpoint-epoch003.npz", STATE_FILE, "samples/epoch_001.png"]:
        (tmp_path / name).write_bytes(b"")
    assert [p.relative_to(tmp_path).as_posix() for p in checkpoint.previous_run(tmp_path)] == [
        STATE_FILE,
        "generator.keras",
        "checkpoint-epoch003.npz",
        "samples/epoch_001.png",
    ]
    assert tmp_path / "checkpoint-epoch003.npz" not in checkpoint.leftovers(
        tmp_path, keep="checkpoint-epoch003.npz"
    )


def _write_state(folder, state=None, **changes):
    """A valid state after 2 epochs (or ``state`` as given), with a weights file beside it."""
    if state is None:
        state = {
            "format": 1,
            "epochs_done": 2,
            "weights": "checkpoint-epoch002.npz",
            "settings": dict(SETTINGS),
            "last_losses": {"d_loss": 1.2},
            **changes,
        }
    (folder / "checkpoint-epoch002.npz").write_bytes(b"weights")
    path = folder / STATE_FILE
    path.write_text(state if isinstance(state, str) else json.dumps(state))
    return path


def test_a_valid_state_loads(tmp_path):
    _write_state(tmp_path)
    assert checkpoint.load_state(tmp_path, SETTINGS, max_epochs=2)["epochs_done"] == 2


@pytest.mark.parametrize(
    ("content", "changes", "expected"),
    [
        ("[]", {}, "the content is [], expected a JSON object with the keys"),
        ("null", {}, "the content is null, expected a JSON object"),
        ("", {}, "is not valid JSON"),
        ("{ not json", {}, "is not valid JSON"),
        ("\udcff", {}, "is not valid JSON"),  # bytes that are not UTF-8
        (None, {"epochs_done": None}, '"epochs_done" is null, expected a whole number'),
        (None, {"epochs_done": "2"}, "\"epochs_done\" is '2', expected a whole number"),
        (None, {"epochs_done": 2.5}, '"epochs_done" is 2.5, expected a whole number'),
        (None, {"epochs_done": True}, '"epochs_done" is true, expected a whole number'),
        (None, {"epochs_done": -2}, '"epochs_done" is -2, expected a whole number'),
        (None, {"epochs_done": 0}, '"epochs_done" is 0, expected a whole number of epochs, at'),
        (None, {"epochs_done": 3}, "\"weights\" is 'checkpoint-epoch002.npz', expected 'checkpo"),
        (None, {"extra": 1}, "missing [], unknown ['extra']"),
        (None, {"format": 3}, '"format" is 3, expected 2 (this version\'s format) or 1'),
        (None, {"format": True}, '"format" is true, expected 2'),
        (None, {"settings": []}, '"settings" is [], expected an object with the keys'),
        (
            None,
            {"settings": {"seed": 0, "lr": 1}},
            "\"settings\" lacks ['batch_size', 'data', 'deterministic'] and has unknown ['lr']",
        ),
        (None, {"last_losses": None}, '"last_losses" is null, expected an object'),
    ],
)
def test_a_damaged_state_file_is_refused_with_the_file_value_and_fix(
    tmp_path, content, changes, expected
):
    if content is None:
        path = _write_state(tmp_path, **changes)
    else:
        path = _write_state(tmp_path, state="x")
        path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(CheckpointError) as raised:
        checkpoint.load_state(tmp_path, SETTINGS, max_epochs=3)
    message = str(raised.value)
    assert expected in message and str(path) in message
    assert "--output" in message and "\n" not in message


def test_a_state_missing_a_key_names_it(tmp_path):
    state = json.loads(_write_state(tmp_path).read_text())
    del state["epochs_done"]
    _write_state(tmp_path, state)
    with pytest.raises(CheckpointError, match=r"missing \['epochs_done'\], unknown \[\]"):
        checkpoint.load_state(tmp_path, SETTINGS, max_epochs=3)


def test_a_state_from_the_older_format_says_so(tmp_path):
    _write_state(tmp_path, {"epochs_done": 2, "steps_done": 200, "latent_dim": 100})
    with pytest.raises(CheckpointError, match="older version of this command .* another --output"):
        checkpoint.load_state(tmp_path, SETTINGS, max_epochs=3)


def test_epochs_beyond_the_plan_say_how_to_train_on(tmp_path):
    _write_state(tmp_path)
    with pytest.raises(CheckpointError, match="at most the 1 epochs this run plans. Pass a larger"):
        checkpoint.load_state(tmp_path, SETTINGS, max_epochs=1)


def test_every_changed_setting_is_named_with_both_values(tmp_path):
    _write_state(tmp_path)
    requested = {**SETTINGS, "batch_size": 64, "deterministic": True}
    with pytest.raises(CheckpointError) as raised:
        checkpoint.load_state(tmp_path, requested, max_epochs=3)
    message = str(raised.value)
    assert "--batch-size 32 in the checkpoint, 64 now" in message
    assert "--deterministic off in the checkpoint, on now" in message
    assert "--seed" not in message and "another --output" in message


def test_missing_checkpoint_or_weights_are_named(tmp_path):
    with pytest.raises(CheckpointError, match="No checkpoint in .* Train without --resume"):
        checkpoint.load_state(tmp_path, SETTINGS, max_epochs=3)
    _write_state(tmp_path)
    (tmp_path / "checkpoint-epoch002.npz").unlink()
    with pytest.raises(CheckpointError, match="names the weights file checkpoint-epoch002.npz"):
        checkpoint.load_state(tmp_path, SETTINGS, max_epochs=3)


def test_damaged_or_foreign_weights_are_refused_before_any_variable_changes(make_toy_gan, tmp_path):
    gan = make_toy_gan()
    checkpoint.save(gan, tmp_path, 1, SETTINGS, {})
    weights = tmp_path / "checkpoint-epoch001.npz"
    state = checkpoint.load_state(tmp_path, SETTINGS, 1)
    good = weights.read_bytes()

    other = make_toy_gan(hidden=16)
    before = _state_of(other)
    with pytest.raises(CheckpointError, match="saved from another model"):
        checkpoint.restore(other, tmp_path, state)
    _assert_same(_state_of(other), before)

    for damaged in (b"", b"PK\x03\x04 garbage", good[: len(good) // 2]):
        weights.write_bytes(damaged)
        with pytest.raises(CheckpointError, match="the file is damaged. Restore it"):
            checkpoint.restore(gan, tmp_path, state)


def test_the_fingerprint_follows_the_content():
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    assert checkpoint.fingerprint(images) == checkpoint.fingerprint(images.copy())
    assert checkpoint.fingerprint(images) != checkpoint.fingerprint(images[:1])
    changed = images.copy()
    changed[1, 5, 5] += 1
    assert checkpoint.fingerprint(changed) != checkpoint.fingerprint(images)
    assert checkpoint.fingerprint(images).startswith("2 images, sha256 ")


# --- mixed work, wrong kinds, permissions, NaN, interrupts ----------------------------------


def test_the_state_stores_the_weights_hash_and_refuses_another_runs_weights(make_toy_gan, tmp_path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    gan = make_toy_gan()
    checkpoint.save(gan, ours, 2, SETTINGS, {})
    state = json.loads((ours / STATE_FILE).read_text())
    assert state["format"] == 2
    assert state["weights_sha256"] == checkpoint.file_sha256(ours / "checkpoint-epoch002.npz")
    assert checkpoint.load_state(ours, SETTINGS, 3)["weights_sha256"] == state["weights_sha256"]

    _change_every_variable(gan, seed=3)  # another run, same settings and epoch count
    checkpoint.save(gan, theirs, 2, SETTINGS, {})
    (ours / "checkpoint-epoch002.npz").write_bytes(
        (theirs / "checkpoint-epoch002.npz").read_bytes()
    )
    with pytest.raises(CheckpointError) as raised:
        checkpoint.load_state(ours, SETTINGS, 3)
    message = str(raised.value)
    assert f"{ours / 'checkpoint-epoch002.npz'} is not the weights file that" in message
    theirs_hash = checkpoint.file_sha256(theirs / "checkpoint-epoch002.npz")
    assert f"its SHA-256 is {theirs_hash[:16]}..., the checkpoint expects" in message
    assert "copied from another run" in message and "another --output" in message


def test_a_state_from_before_the_hash_is_still_resumed_and_says_it_is_unchecked(tmp_path):
    """Format 1 (no "weights_sha256") was written by the previous version: refusing it
    would throw away learners' runs, so it loads, marked as unchecked."""
    _write_state(tmp_path)
    state = checkpoint.load_state(tmp_path, SETTINGS, max_epochs=2)
    assert state["format"] == 1 and state["weights_sha256"] is None
    path = _write_state(tmp_path, format=2)  # format 2 without its hash: damaged
    with pytest.raises(CheckpointError, match=r"missing \['weights_sha256'\]") as raised:
        checkpoint.load_state(tmp_path, SETTINGS, max_epochs=2)
    assert str(path) in str(raised.value)


WRONG_KINDS = {
    "checkpoint.json": ("folder", "is a folder, but this command keeps its checkpoint state"),
    "generator.keras": ("folder", "is a folder, but this command keeps the trained generator"),
    "checkpoint-epoch002.npz": ("folder", "is a folder, but this command keeps its checkpoint w"),
    "samples/epoch_001.png": ("folder", "is a folder, but this command keeps a sample grid there"),
    "tmp.checkpoint.json": ("folder", "is a folder, but this command keeps a temporary file"),
    "samples": ("file", "is a file, but this command keeps its sample grids there as a folder"),
    "fifo:checkpoint.json": ("fifo", "is a special file, but this command keeps its checkpoint"),
}


@pytest.mark.parametrize("name", WRONG_KINDS)
def test_a_name_holding_the_wrong_kind_of_entry_gets_one_answer(tmp_path, name):
    kind, expected = WRONG_KINDS[name]
    name = name.removeprefix("fifo:")
    path = tmp_path / name
    if kind == "folder":
        path.mkdir(parents=True)
    elif kind == "file":
        path.write_bytes(b"notes")
    else:
        os.mkfifo(path)
    for attempt in (
        lambda: checkpoint.check_folder(tmp_path),
        lambda: checkpoint.load_state(tmp_path, SETTINGS, max_epochs=3),
    ):
        with pytest.raises(CheckpointError) as raised:
            attempt()
        message = str(raised.value)
        assert message.startswith(f"{path} {expected}") and "Move or rename it" in message


@pytest.fixture
def permission_denied(monkeypatch):
    """Makes the system refuse to open the given paths (chmod 000 does not stop root)."""
    refused = set()
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and os.fspath(file) in refused:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)  # Path.read_text opens through io.open
    return lambda path: refused.add(os.fspath(path))


@pytest.mark.parametrize("refused", [STATE_FILE, "checkpoint-epoch001.npz"])
def test_a_file_the_system_refuses_is_not_called_damaged(
    make_toy_gan, tmp_path, permission_denied, refused
):
    gan = make_toy_gan()
    checkpoint.save(gan, tmp_path, 1, SETTINGS, {})
    permission_denied(tmp_path / refused)
    with pytest.raises(CheckpointError) as raised:
        checkpoint.restore(gan, tmp_path, checkpoint.load_state(tmp_path, SETTINGS, 1))
    message = str(raised.value)
    assert f"Cannot read {tmp_path / refused} (Permission denied)" in message
    assert "You lack permission for" in message and "damaged" not in message


def test_weights_holding_nan_are_refused_before_any_variable_changes(make_toy_gan, tmp_path):
    gan = make_toy_gan()
    variable = gan.generator.trainable_variables[0]
    broken = np.array(variable.numpy())
    broken.flat[0] = np.nan
    variable.assign(broken)
    checkpoint.save(gan, tmp_path, 1, SETTINGS, {})
    state = checkpoint.load_state(tmp_path, SETTINGS, 1)  # the hash fits: the file is intact
    fresh = make_toy_gan()
    before = _state_of(fresh)
    with pytest.raises(CheckpointError) as raised:
        checkpoint.restore(fresh, tmp_path, state)
    message = str(raised.value)
    assert "holds NaN or infinite values in 1 of its" in message
    assert f"(first: {variable.path})" in message and "whatever the learning rate" in message
    _assert_same(_state_of(fresh), before)


def test_a_settings_list_is_named_whole_not_cut(tmp_path):
    settings = {f"setting_number_{i}": i for i in range(12)}
    saved = dict(settings)
    del saved["setting_number_11"]
    _write_state(tmp_path, settings=saved)
    with pytest.raises(CheckpointError) as raised:
        checkpoint.load_state(tmp_path, settings, 3)
    message = str(raised.value)
    assert "\"settings\" lacks ['setting_number_11']; expected the 12 settings" in message
    assert str(sorted(settings)) in message  # the whole list, up to its closing bracket


def test_ctrl_c_inside_np_savez_stays_an_interrupt_and_keeps_the_last_checkpoint(
    make_toy_gan, tmp_path, monkeypatch
):
    """Ctrl-C while zipfile closes a member makes np.savez raise a ValueError from its
    clean-up ("Can't close the ZIP file while there is an open writing handle")."""
    gan = make_toy_gan()
    checkpoint.save(gan, tmp_path, 1, SETTINGS, {})
    before = {name: (tmp_path / name).read_bytes() for name in _names(tmp_path)}
    close = zipfile._ZipWriteFile.close

    def interrupted_close(self):
        monkeypatch.setattr(zipfile._ZipWriteFile, "close", close)
        raise KeyboardInterrupt

    monkeypatch.setattr(zipfile._ZipWriteFile, "close", interrupted_close)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(gan, tmp_path, 2, SETTINGS, {})
    assert {name: (tmp_path / name).read_bytes() for name in _names(tmp_path)} == before
