"""Face detectors: where the faces are, as boxes the landmark fit can start from.

- :class:`HaarDetector`: OpenCV's Haar cascade (inside opencv-python; no download).
- :class:`MTCNNDetector`: OpenFace's MTCNN (OpenFace's default; its three networks are
  model files).

Every detector has ``detect(image) -> list[FaceDetection]``, largest face first.
"""

from .base import FaceDetection, largest_first
from .haar import HaarDetector
from .mtcnn import MTCNNDetector

__all__ = ["FaceDetection", "HaarDetector", "MTCNNDetector", "largest_first"]
