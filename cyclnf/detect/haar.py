"""OpenCV's Haar cascade face detector, as OpenFace uses it (LandmarkDetectorUtils.cpp,
DetectFaces): ``haarcascade_frontalface_alt.xml`` on the 8-bit grayscale image,
``detectMultiScale(scale 1.2, 2 neighbours, at least 50 x 50)``, then each box converted to
the landmark-tight box the PDM initialisation expects.

The cascade ships inside opencv-python (``cv2.data``), so this detector needs no download.

OpenFace's model folder also holds ``haarAlign.txt`` (shift 0.0559, 0.2298; scale 0.8712,
0.8928), but OpenFace 2.2's code does not read it: it applies the constants below, and the
boxes in OpenFace C++'s own output (../shared/reference/openface_cpp, ``haar_default``)
are exactly those. cyclnf follows the code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional, Tuple

import cv2
import numpy as np

from ..image import to_gray_uint8
from .base import FaceDetection, convert_box, largest_first

#: OpenFace's Haar-to-landmark box conversion (dx, dy, sw, sh): x += 0.0578 w,
#: y += 0.2166 h, w *= 0.8924, h *= 0.8676.
HAAR_BOX_CONVERSION = (0.0578, 0.2166, 0.8924, 0.8676)

CASCADE_NAME = "haarcascade_frontalface_alt.xml"


def default_cascade_path() -> Path:
    """The frontal-face cascade inside opencv-python."""
    return Path(cv2.data.haarcascades) / CASCADE_NAME


class HaarDetector:
    """OpenCV's Haar cascade with OpenFace's settings and box conversion.

    Parameters
    ----------
    cascade_path : path, optional
        A cascade XML file; default OpenCV's ``haarcascade_frontalface_alt.xml``.
    scale_factor, min_neighbors, min_size :
        ``detectMultiScale``'s arguments (OpenFace's: 1.2, 2, (50, 50)).

    Raises
    ------
    FileNotFoundError
        The cascade file does not exist.
    ValueError
        OpenCV cannot load it as a cascade.
    """

    name = "haar"

    def __init__(self, cascade_path: "Optional[os.PathLike[str] | str]" = None,
                 scale_factor: float = 1.2, min_neighbors: int = 2,
                 min_size: Tuple[int, int] = (50, 50)):
        path = Path(cascade_path) if cascade_path is not None else default_cascade_path()
        if not path.is_file():
            raise FileNotFoundError(f"Haar cascade not found: {path}")
        try:
            self.cascade = cv2.CascadeClassifier(str(path))
        except (cv2.error, SystemError) as exc:     # OpenCV's parser rejects the file
            raise ValueError(f"{path} is not an OpenCV cascade classifier ({exc})") from None
        if self.cascade.empty():
            raise ValueError(f"{path} is not an OpenCV cascade classifier")
        if not scale_factor > 1.0:
            raise ValueError(f"scale_factor must be above 1, got {scale_factor}")
        self.cascade_path = path
        self.scale_factor = float(scale_factor)
        self.min_neighbors = int(min_neighbors)
        self.min_size = (int(min_size[0]), int(min_size[1]))

    def __repr__(self) -> str:
        return f"HaarDetector({self.cascade_path.name!r})"

    def detect(self, image: np.ndarray) -> List[FaceDetection]:
        """Faces in an image, largest first.

        Parameters
        ----------
        image : ndarray
            Any image :func:`cyclnf.image.to_gray_uint8` accepts.

        Returns
        -------
        list of FaceDetection
            ``confidence`` and ``landmarks_5pt`` are None (the cascade has neither).
        """
        gray = to_gray_uint8(image)
        found = self.cascade.detectMultiScale(gray, self.scale_factor, self.min_neighbors, 0,
                                              self.min_size)
        detections = []
        for x, y, w, h in np.asarray(found, dtype=np.float64).reshape(-1, 4):
            raw = (float(x), float(y), float(w), float(h))
            detections.append(FaceDetection(convert_box(raw, *HAAR_BOX_CONVERSION), raw))
        return largest_first(detections)
