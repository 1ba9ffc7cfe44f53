"""Overlays: the landmarks drawn on images and on video frames written to a file."""

from __future__ import annotations

import os

import cv2
import numpy as np


def video_writer(path: "os.PathLike[str] | str", shape, fps: float) -> "cv2.VideoWriter":
    """An MP4 writer for frames of ``shape`` ``(H, W, 3)`` at ``fps``.

    Raises
    ------
    ValueError
        OpenCV cannot write a video there.
    """
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                             (shape[1], shape[0]))
    if not writer.isOpened():
        raise ValueError(f"cannot write a video to {path}")
    return writer


def draw_landmarks(image: np.ndarray, landmarks: np.ndarray, success: bool = True) -> np.ndarray:
    """A copy of a BGR image with the 68 landmarks drawn (green, or red for a failed fit).

    Parameters
    ----------
    image : (H, W, 3) or (H, W) uint8 ndarray
    landmarks : (n, 2) ndarray
    """
    out = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    colour = (0, 200, 0) if success else (0, 0, 230)
    radius = max(1, int(round(min(out.shape[:2]) / 300)))
    for x, y in np.asarray(landmarks):
        if np.isfinite(x) and np.isfinite(y):
            cv2.circle(out, (int(round(x)), int(round(y))), radius, colour, -1, cv2.LINE_AA)
    return out
