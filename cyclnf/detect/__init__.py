"""Face detectors: where the faces are, as boxes the landmark fit can start from.

- :class:`HaarDetector`: OpenCV's Haar cascade (inside opencv-python; no download).
- :class:`MTCNNDetector`: OpenFace's MTCNN (OpenFace's default; its three networks are
  model files).

Every detector has ``detect(image) -> list[FaceDetection]``, largest face first.
:func:`make_detector` builds one from a name, including pyclnf's names.
"""

from __future__ import annotations

import logging
import os
from typing import Optional

from .base import FaceDetection, largest_first
from .haar import HaarDetector
from .mtcnn import MTCNNDetector

log = logging.getLogger("cyclnf")

#: Detector names :func:`make_detector` understands, and what each gives.
DETECTOR_NAMES = {
    "mtcnn": "OpenFace's MTCNN (needs its three network files)",
    "pymtcnn": "pyclnf's name: OpenFace's MTCNN when its files are installed, else the Haar "
               "cascade (OpenFace's own rule: MTCNN is the default when present)",
    "haar": "OpenCV's Haar cascade with OpenFace's box conversion (no download)",
}


def make_detector(name, cache_dir: "Optional[os.PathLike[str] | str]" = None):
    """A face detector by name.

    Parameters
    ----------
    name : str, None or False
        One of :data:`DETECTOR_NAMES`; None or False for no detector (then None is
        returned). pyclnf's ``"retinaface"`` is refused with the reason.
    cache_dir : path, optional
        Base of the models folder, as for the landmark model.

    Raises
    ------
    ValueError
        An unknown name, or ``"retinaface"``.
    ModelsNotInstalledError
        ``"mtcnn"`` without MTCNN's files.
    """
    if name is None or name is False:
        return None
    if not isinstance(name, str):
        raise TypeError(f"detector must be a name (str), None or False, got {name!r}")
    key = name.strip().lower()
    if key == "retinaface":
        raise ValueError("detector='retinaface' is pyclnf's ONNX RetinaFace, which cyclnf does "
                         "not include: use detector='mtcnn' (OpenFace's own detector, what "
                         "OpenFace's results come from) or 'haar' (no download needed)")
    if key == "haar":
        return HaarDetector()
    if key in ("mtcnn", "pymtcnn"):
        from ..models import ModelsNotInstalledError
        try:
            return MTCNNDetector.load(cache_dir)
        except ModelsNotInstalledError:
            if key == "mtcnn":
                raise
            log.warning("OpenFace's MTCNN files are not installed; detecting faces with the "
                        "Haar cascade instead (run cyclnf-download-models for MTCNN)")
            return HaarDetector()
    raise ValueError(f"unknown detector {name!r}; use one of {sorted(DETECTOR_NAMES)} or None")


__all__ = ["FaceDetection", "HaarDetector", "MTCNNDetector", "largest_first", "make_detector",
           "DETECTOR_NAMES"]
