"""Face detectors: where the faces are, as boxes the landmark fit can start from.

- :class:`HaarDetector`: OpenCV's Haar cascade (inside opencv-python; no download).

Every detector has ``detect(image) -> list[FaceDetection]``, largest face first.
"""

from .base import FaceDetection, largest_first
from .haar import HaarDetector

__all__ = ["FaceDetection", "HaarDetector", "largest_first"]
