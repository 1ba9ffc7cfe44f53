"""OpenFace 2.2's landmark validator (LandmarkDetectionValidator.cpp, CNN type): how much
a fitted set of 68 landmarks looks like a face.

``DetectionValidator::Check``:

1. the view whose orientation (yaw 0, +-20, +-45, +-70 degrees) is nearest, in Euclidean
   distance of ``(rx, ry, rz)``, to the fit's rotation;
2. the image cut to the landmarks' box plus 3 px (``int()`` truncations, the last image
   row and column never included; outside that box counts as 0), then warped with the
   view's piecewise affine warp (:mod:`cyclnf.paw`) into a 60 x 60 reference frame;
3. the masked pixels, taken column by column, normalised by their own mean and standard
   deviation, then by the view's stored mean and standard deviation per pixel; put back
   in the frame (zeros outside the mask);
4. the view's network, whose 20 outputs are bins over [-1, 1]: the first largest gives
   ``d = -1 + 0.05 + 0.1 * bin``;
5. the confidence ``0.5 * (1 - d)`` in float32: one of 0.025, 0.075, ..., 0.975, higher
   meaning more face-like.

What OpenFace then reports (LandmarkDetectorModel.cpp, ``CLNF::DetectLandmarks``): the
confidence as ``detection_certainty``, written unchanged as the ``confidence`` column of
FaceLandmarkImg's and FeatureExtraction's CSV, and ``detection_success`` =
``confidence > 0.725`` (float32 compare, so 0.725 itself fails: :func:`detection_success`).
When the fit itself fails (face under 0.25 scale, "face too small"), the validator is not
run and OpenFace reports confidence 0 and failure.
"""

from __future__ import annotations

import math
import os
from typing import Sequence

import numpy as np

from . import models
from ._validate import as_float_array
from .cnn import ConvNet
from .image import to_gray_uint8
from .models.formats.cnn import Validator as ValidatorFile
from .paw import warp

_F32 = np.float32

#: ``FaceModelParameters::validation_boundary``: a fit succeeds if its confidence is above.
VALIDATION_BOUNDARY = 0.725
#: Extra pixels around the landmarks' box cut from the image before warping.
ROI_MARGIN = 3.0


def detection_success(confidence: float, boundary: float = VALIDATION_BOUNDARY) -> bool:
    """OpenFace's ``detection_success``: ``confidence > boundary`` (0.725), both as float32."""
    return bool(_F32(confidence) > _F32(boundary))


class Validator:
    """OpenFace's CNN landmark validator (``validator_cnn_68.txt``).

    Parameters
    ----------
    record : cyclnf.models.Validator
        The validator file as read (orientations, normalisation, networks, warps).
    """

    def __init__(self, record: ValidatorFile):
        self.orientations = np.asarray(record.orientations, np.float64)      # (V, 3) radians
        self.mean_images = tuple(np.asarray(m, _F32) for m in record.mean_images)
        self.standard_deviations = tuple(np.asarray(s, _F32) for s in record.standard_deviations)
        self.networks = tuple(ConvNet(n) for n in record.networks)
        self.warps = record.warps

    @classmethod
    def load(cls, cache_dir: "os.PathLike[str] | str | None" = None) -> "Validator":
        """The validator of OpenFace's CLNF model from the models folder (never downloads).

        Raises
        ------
        ModelsNotInstalledError
            The file is not installed.
        """
        path = models.manifest().model("clnf_general").validator
        return cls(models.load_file(path, cache_dir))

    def __repr__(self) -> str:
        return f"Validator({len(self.networks)} views)"

    @property
    def n_landmarks(self) -> int:
        """Landmarks a face must have (68)."""
        return len(self.warps[0].destination)

    def view_index(self, rotation: Sequence[float]) -> int:
        """The view nearest to ``(rx, ry, rz)`` radians (the first of equally near ones)."""
        rotation = as_float_array(rotation, "rotation", shape=(3,))
        difference = self.orientations - rotation
        distances = np.sqrt((difference * difference).sum(axis=1))
        return int(np.argmin(distances))

    def check(self, image: np.ndarray, landmarks: np.ndarray,
              rotation: Sequence[float]) -> float:
        """How face-like the landmarks are, as OpenFace reports it.

        Parameters
        ----------
        image : (H, W) uint8
            The grayscale image the landmarks were fitted on (any image
            :func:`cyclnf.image.to_gray_uint8` accepts is converted).
        landmarks : (68, 2)
            ``(x, y)`` pixels; points off the image are allowed.
        rotation : (3,)
            The fit's rotation ``(rx, ry, rz)``, radians (``params_global[1:4]``).

        Returns
        -------
        float
            OpenFace's confidence, one of 0.025, 0.075, ..., 0.975 (the validator's 20
            bins), higher more face-like; 0.0 when the landmarks' box has no area inside
            the image. :func:`detection_success` turns it into OpenFace's success flag.
        """
        gray = to_gray_uint8(image)
        points = as_float_array(landmarks, "landmarks", shape=(self.n_landmarks, 2)).astype(_F32)
        # OpenFace keeps the rotation in float32 (params_global).
        view = self.view_index(as_float_array(rotation, "rotation", shape=(3,)).astype(_F32))
        # (int)(min - 3.0f) and (int)(max + 3.0f): float32 sums truncated toward zero.
        low = [int(v) for v in points.min(axis=0) - _F32(ROI_MARGIN)]
        high = [int(v) for v in points.max(axis=0) + _F32(ROI_MARGIN)]
        min_x, min_y = max(low[0], 0), max(low[1], 0)
        max_x, max_y = min(high[0], gray.shape[1] - 1), min(high[1], gray.shape[0] - 1)
        if max_x - min_x <= 1 or max_y - min_y <= 1:
            return 0.0
        crop = gray[min_y:max_y, min_x:max_x].astype(_F32)
        local = points - np.array([min_x, min_y], _F32)
        warped = warp(crop, local, self.warps[view])
        return self._confidence(warped, view)

    def _confidence(self, warped: np.ndarray, view: int) -> float:
        """Normalise the warped face, run the view's network, turn its bin into confidence."""
        mask_t = self.warps[view].pixel_mask.T
        values = warped.T[mask_t]                      # masked pixels, column by column
        wide = values.astype(np.float64)
        mean = wide.sum() / len(wide)                   # cv::meanStdDev, in double
        std = math.sqrt(max((wide * wide).sum() / len(wide) - mean * mean, 0.0))
        values = values - _F32(mean)
        values = values * _F32(1.0 / (std if std != 0 else 1.0))
        features = (values - self.mean_images[view]) / self.standard_deviations[view]
        frame = np.zeros(mask_t.shape, _F32)
        frame[mask_t] = features
        out = self.networks[view](frame.T[None, :, :, None]).reshape(-1)
        bins = len(out)
        step = 2.0 / bins
        decision = -1.0 + step / 2.0 + int(np.argmax(out)) * step
        return float(_F32(0.5 * (1.0 - decision)))
