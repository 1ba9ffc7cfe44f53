"""What every face detector returns: one :class:`FaceDetection` per face found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

Box = Tuple[float, float, float, float]


@dataclass(frozen=True)
class FaceDetection:
    """One face found in an image.

    Attributes
    ----------
    box : (x, y, width, height)
        The box the landmark fit starts from: tight around the 68 landmarks (cheek to cheek,
        brows to chin), in pixels. It is the detector's own box converted the way OpenFace
        converts it for that detector.
    detector_box : (x, y, width, height)
        The box as the detector itself reports it (what pyclnf's ``detector_type`` expects).
    confidence : float or None
        The detector's score (MTCNN: the last network's face probability); None for
        detectors without one (Haar).
    landmarks_5pt : (5, 2) ndarray or None
        MTCNN's five points (image-left eye, image-right eye, nose tip, image-left and
        image-right mouth corners), ``(x, y)`` pixels; None for other detectors.
    """

    box: Box
    detector_box: Box
    confidence: Optional[float] = None
    landmarks_5pt: Optional[np.ndarray] = None

    @property
    def area(self) -> float:
        """Area of :attr:`box` in square pixels."""
        return self.box[2] * self.box[3]


def largest_first(detections: Sequence[FaceDetection]) -> List[FaceDetection]:
    """The detections ordered by box area, largest first (ties keep their order)."""
    return sorted(detections, key=lambda d: -d.area)


def intersection_over_union(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two ``(x, y, width, height)`` boxes (0 when apart)."""
    ax, ay, aw, ah = (float(v) for v in a)
    bx, by, bw, bh = (float(v) for v in b)
    w = min(ax + aw, bx + bw) - max(ax, bx)
    h = min(ay + ah, by + bh) - max(ay, by)
    inter = max(w, 0.0) * max(h, 0.0)
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def convert_box(box: Sequence[float], dx: float, dy: float, sw: float, sh: float) -> Box:
    """OpenFace's detector-to-landmark box conversion: shift by a fraction of the size, scale.

    Returns ``(x + dx w, y + dy h, sw w, sh h)``.
    """
    x, y, w, h = (float(v) for v in box)
    return (x + dx * w, y + dy * h, sw * w, sh * h)
