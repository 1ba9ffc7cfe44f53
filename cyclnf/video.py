"""Reading video frames with OpenCV's reader, the way a long batch job needs it.

:class:`VideoReader` yields :class:`Frame` objects (index, timestamp from the container,
BGR image). A file OpenCV cannot open as a video raises :class:`VideoError` at once; a
frame that cannot be decoded in the middle of a video is counted in ``skipped`` and
passed over, never fatal. Frame indices count every frame of the container, decoded or
not, so they stay aligned with the video's own numbering.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import cv2
import numpy as np

#: Give up on a video after this many undecodable frames in a row (the rest is damaged).
MAX_CONSECUTIVE_FAILURES = 25


class VideoError(ValueError):
    """A file that cannot be read as a video (missing, not a video, or unreadable)."""


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes
    ----------
    index : int
        0-based position in the video (undecodable frames keep their numbers).
    timestamp : float
        Seconds from the start, as the container says (else ``index / fps``).
    image : (H, W, 3) uint8 ndarray
        The frame, BGR.
    """

    index: int
    timestamp: float
    image: np.ndarray


class VideoReader:
    """The frames of a video file, in order.

    Parameters
    ----------
    path : path
        A video file OpenCV's FFmpeg backend can read.

    Attributes
    ----------
    fps : float
        Frames per second the container states (0 when unknown).
    frame_count : int
        Frames the container states (0 when unknown; may be wrong for damaged files).
    width, height : int
    skipped : int
        Frames that could not be decoded so far (counted and passed over).

    Raises
    ------
    VideoError
        The file is missing or OpenCV cannot open it as a video.
    """

    def __init__(self, path: "os.PathLike[str] | str"):
        self.path = Path(path)
        if not self.path.is_file():
            raise VideoError(f"video not found: {self.path}")
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            self._capture.release()
            raise VideoError(f"{self.path} cannot be read as a video (not a video, or damaged "
                             "beyond what OpenCV's reader can open)")
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if math.isfinite(fps) and fps > 0 else 0.0
        count = self._capture.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if math.isfinite(count) and count > 0 else 0
        self.width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.skipped = 0
        self.delivered = 0

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the file."""
        self._capture.release()

    def __repr__(self) -> str:
        return (f"VideoReader({str(self.path)!r}, {self.width}x{self.height}, "
                f"{self.fps:g} fps, {self.frame_count} frames)")

    def _timestamp(self, index: int) -> float:
        msec = self._capture.get(cv2.CAP_PROP_POS_MSEC)
        if index > 0 and (not math.isfinite(msec) or msec <= 0) and self.fps:
            return index / self.fps
        return max(float(msec), 0.0) / 1000.0 if math.isfinite(msec) else 0.0

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        failures = 0
        while True:
            ok, image = self._capture.read()
            if ok and image is not None and image.size:
                failures = 0
                self.delivered += 1
                yield Frame(index, self._timestamp(index), image)
                index += 1
                continue
            # Past the stated end: the video is over. Before it: a damaged frame.
            if self.frame_count and index >= self.frame_count:
                return
            if not self.frame_count:
                return
            failures += 1
            self.skipped += 1
            index += 1
            if failures >= MAX_CONSECUTIVE_FAILURES:
                # The rest of the file is gone (e.g. truncated): count it and stop.
                self.skipped += max(self.frame_count - index, 0)
                return

    @property
    def complete(self) -> Optional[bool]:
        """Every stated frame was decoded (None while the count is unknown)."""
        if not self.frame_count:
            return None
        return self.skipped == 0 and self.delivered >= self.frame_count
