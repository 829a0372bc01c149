import numpy as np
import pytest
from PIL import Image

from gan_helpers.animation import read_frames, save_animation, tile


def test_tile_lays_images_out_row_by_row_with_black_gaps():
    images = np.stack([np.full((2, 3), value, np.uint8) for value in (10, 20, 30)])
    mosaic = tile(images[..., np.newaxis], ncols=2, gap=1)
    assert mosaic.shape == (2 * 2 + 1, 2 * 3 + 1)
    assert mosaic[0, 0] == 10 and mosaic[0, 4] == 20 and mosaic[3, 0] == 30
    assert mosaic[0, 3] == 0 and mosaic[2, 0] == 0  # the gaps
    assert mosaic[3, 4] == 0  # the empty fourth place


def test_tile_refuses_what_is_not_uint8_images():
    with pytest.raises(ValueError, match=r"shape \(2, 28, 28, 1\) and dtype float32.*denormalize"):
        tile(np.zeros((2, 28, 28, 1), np.float32))


@pytest.mark.parametrize("suffix", [".gif", ".png"])
def test_save_animation_writes_every_frame_in_order_and_loops(tmp_path, suffix):
    frames = [tile(np.full((4, 8, 8), value, np.uint8)) for value in (0, 100, 200)]
    path = save_animation(frames, ["step 1", "step 2", "step 3"], tmp_path / f"a{suffix}", 100)
    with Image.open(path) as image:
        assert image.n_frames == 3 and image.is_animated
        assert image.info.get("loop") == 0
        shades = []
        for index in range(3):
            image.seek(index)
            frame = np.asarray(image.convert("L"))
            shades.append(int(frame[-2, 2]))  # inside the first digit, below the label band
            assert frame.shape == (14 + 18, 18)
    assert shades == [0, 100, 200]


def test_save_animation_refuses_bad_requests(tmp_path):
    frame = tile(np.zeros((1, 8, 8), np.uint8))
    with pytest.raises(ValueError, match=r"\.gif or \.png.*'a\.mp4'"):
        save_animation([frame], ["x"], tmp_path / "a.mp4")
    with pytest.raises(ValueError, match="1 frames and 2 labels"):
        save_animation([frame], ["x", "y"], tmp_path / "a.gif")
    with pytest.raises(ValueError, match="different shapes"):
        save_animation([frame, frame[:4]], ["x", "y"], tmp_path / "a.gif")


def test_read_frames_orders_by_epoch_and_ignores_other_files(tmp_path):
    for epoch in (10, 2, 1):
        Image.fromarray(np.full((3, 3), epoch, np.uint8)).save(tmp_path / f"epoch_{epoch:03d}.png")
    (tmp_path / "notes.png").write_bytes(b"")
    frames = read_frames(tmp_path)
    assert [epoch for epoch, _ in frames] == [1, 2, 10]
    assert frames[2][1][0, 0] == 10
