"""Reading video: frames and container timestamps, damaged files counted, not fatal."""

import numpy as np
import pytest

from cyclnf.video import VideoError, VideoReader
from conftest import SHARED

GRID = SHARED / "data" / "video" / "grid_lipnet" / "bbaf2n.mpg"
HAMILTON = SHARED / "data" / "video" / "face_recognition" / "short_hamilton_clip.mp4"


def test_every_frame_with_the_containers_timestamps(shared_data):
    with VideoReader(GRID) as reader:
        frames = list(reader)
        assert (reader.width, reader.height, reader.fps, reader.frame_count) == (360, 288, 25, 75)
        assert reader.skipped == 0 and reader.complete
    assert [f.index for f in frames] == list(range(75))
    np.testing.assert_allclose([f.timestamp for f in frames], np.arange(75) * 0.04, atol=1e-6)
    assert frames[0].image.shape == (288, 360, 3) and frames[0].image.dtype == np.uint8


def test_timestamps_of_a_29_97_fps_clip_match_openfaces(shared_data):
    with VideoReader(HAMILTON) as reader:
        stamps = [f.timestamp for f in reader]
    assert len(stamps) == 275
    # OpenFace's FeatureExtraction CSV for this clip: 0.033, 0.067, ... 9.142.
    assert [round(t, 3) for t in (stamps[1], stamps[2], stamps[-1])] == [0.033, 0.067, 9.142]


def test_a_truncated_video_gives_the_frames_it_has(shared_data, tmp_path):
    cut = tmp_path / "cut.mpg"
    cut.write_bytes(GRID.read_bytes()[:200_000])
    with VideoReader(cut) as reader:
        frames = list(reader)
    assert 10 < len(frames) < 75


@pytest.mark.parametrize("content", [b"", b"not a video at all\n" * 100])
def test_files_that_are_not_video_raise_video_error(tmp_path, content):
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoError, match="cannot be read as a video"):
        VideoReader(path)


def test_missing_file_raises_video_error(tmp_path):
    with pytest.raises(VideoError, match="not found"):
        VideoReader(tmp_path / "absent.mp4")
    assert issubclass(VideoError, ValueError)
