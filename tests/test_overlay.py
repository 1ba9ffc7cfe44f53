"""Landmarks drawn on images and written to videos."""

import cv2
import numpy as np
import pytest

from cyclnf.overlay import draw_landmarks, video_writer


def test_landmarks_are_drawn_on_a_copy_green_or_red():
    image = np.zeros((100, 120, 3), np.uint8)
    points = np.array([[10.0, 20.0], [60.0, 50.0], [np.nan, 5.0]])
    good, bad = draw_landmarks(image, points), draw_landmarks(image, points, success=False)
    assert not image.any()                                        # the input is untouched
    assert good[20, 10, 1] > 150 and good[20, 10, 2] == 0         # green
    assert bad[50, 60, 2] > 150 and bad[50, 60, 1] == 0           # red
    assert draw_landmarks(image[:, :, 0], points).shape == (100, 120, 3)


def test_video_writer_writes_frames_and_refuses_an_unwritable_place(tmp_path):
    writer = video_writer(tmp_path / "out.mp4", (48, 64, 3), 25.0)
    for _ in range(5):
        writer.write(np.full((48, 64, 3), 128, np.uint8))
    writer.release()
    capture = cv2.VideoCapture(str(tmp_path / "out.mp4"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 5
    capture.release()
    with pytest.raises(ValueError, match="cannot write a video"):
        video_writer(tmp_path / "missing" / "folder" / "out.mp4", (48, 64, 3), 25.0)
