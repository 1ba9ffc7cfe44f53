"""OpenFace's MTCNN face detector (FaceDetectorMTCNN.cpp, DetectFaces), step for step.

Zhang et al. 2016's three networks, as OpenFace 2.2 runs them:

1. The 8-bit BGR image (grayscale repeated in three channels) as float32, networks fed
   R, G, B (OpenFace's CNN::Inference flips OpenCV's order), each value ``(v - 127.5) / 128``.
2. An image pyramid: scale ``s_i = 12 / min_face_size * 0.709 ** i`` for as many ``i`` as keep
   the shorter side at ``min_face_size`` or more at scale 1; each level resized from the
   original (``cv::resize``, bilinear) to ``ceil(H s_i) x ceil(W s_i)``.
3. PNet on each level: every position with face probability >= ``thresholds[0]`` proposes
   the 12 x 12 window under it (stride 2) in image pixels, corners truncated to integers;
   non-maximum suppression (IoU > 0.5) within the level, then across levels (IoU > 0.7);
   PNet's box regression applied; boxes made square and truncated to integers.
4. RNet on 24 x 24 resamplings of each box (OpenFace's crop: one pixel up and left of the
   box, one pixel larger, zero outside the image); keep probability >= ``thresholds[1]``;
   suppression (IoU > 0.7), RNet's regression, squared again.
5. ONet on 48 x 48 resamplings; keep probability >= ``thresholds[2]``; ONet's regression
   (on the box one pixel larger); suppression by intersection over the smaller box (> 0.7).
6. Each box converted to the landmark-tight box the fit starts from:
   ``x -= 0.0075 w, y += 0.2459 h, w *= 1.0323, h *= 0.7751``.

Box arithmetic follows OpenFace's float32 and integer steps (``int()`` truncation,
``cv::Rect`` rounding in the suppression), so on the same network outputs the boxes are
OpenFace's to the last bit. Ties in suppression go as OpenFace's ``std::multimap`` sends
them: equal scores, later proposal first.

OpenFace ignores ONet's five facial points; cyclnf reports them
(:attr:`FaceDetection.landmarks_5pt`), placed in the box ONet saw.
"""

from __future__ import annotations

import math
import os
from typing import List, Sequence, Tuple

import cv2
import numpy as np

from ..cnn import ConvNet
from ..image import to_bgr_uint8
from ..models import load_file, manifest, require
from ..models.formats.cnn import Network
from .base import FaceDetection, convert_box, largest_first

#: OpenFace's MTCNN-to-landmark box conversion (dx, dy, sw, sh): x -= 0.0075 w,
#: y += 0.2459 h, w *= 1.0323, h *= 0.7751.
MTCNN_BOX_CONVERSION = (-0.0075, 0.2459, 1.0323, 0.7751)

#: Ratio of successive pyramid levels.
PYRAMID_FACTOR = 0.709
#: PNet's window (pixels) and stride at one pyramid level.
PNET_WINDOW, PNET_STRIDE = 12, 2
#: Input sizes of RNet and ONet.
RNET_SIZE, ONET_SIZE = 24, 48
#: Suppression thresholds: within a pyramid level, across levels and after RNet, after ONet
#: (intersection over the smaller box).
NMS_LEVEL, NMS_ACROSS, NMS_FINAL = 0.5, 0.7, 0.7

_F32 = np.float32


def pyramid_scales(height: int, width: int, min_face_size: float) -> List[float]:
    """The scales of OpenFace's image pyramid (empty when the image is below the minimum face).

    ``12 / min_face_size * 0.709 ** i`` for ``i < floor(log(min_face_size / min(H, W)) /
    log(0.709)) + 1``.
    """
    min_side = min(height, width)
    n_scales = math.floor(math.log(min_face_size / min_side) / math.log(PYRAMID_FACTOR)) + 1
    return [PNET_WINDOW / min_face_size * PYRAMID_FACTOR ** i for i in range(max(n_scales, 0))]


def non_maximum_suppression(boxes: np.ndarray, scores: np.ndarray, threshold: float,
                            over_smaller: bool = False) -> np.ndarray:
    """OpenFace's greedy non-maximum suppression.

    Boxes are rounded to integer ``cv::Rect`` (each of x, y, w, h to the nearest, halves to
    even) for the overlap, which is the intersection's area over the union's (or over the
    smaller box's, ``over_smaller``), in float32; a box is dropped when its overlap with a
    kept, better one exceeds ``threshold``. Equal scores: the later box counts as better.

    Parameters
    ----------
    boxes : (n, 4) float32
        ``(x, y, w, h)``.
    scores : (n,) float32

    Returns
    -------
    (k,) int64
        Indices of the kept boxes, best first.
    """
    n = len(boxes)
    order = np.lexsort((-np.arange(n), -scores.astype(np.float64)))
    rects = np.rint(boxes).astype(np.int64)
    x0, y0, w, h = rects.T
    x1, y1 = x0 + w, y0 + h
    area = w * h
    empty = (w <= 0) | (h <= 0)
    threshold = _F32(threshold)
    alive = np.ones(n, bool)
    keep = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for position, i in enumerate(order):
            if not alive[i]:
                continue
            keep.append(i)
            rest = order[position + 1:]
            rest = rest[alive[rest]]
            if len(rest) == 0:
                break
            iw = np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest])
            ih = np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest])
            inter = np.where((iw > 0) & (ih > 0) & ~empty[i] & ~empty[rest], iw * ih, 0)
            inter = inter.astype(np.float32)
            if over_smaller:
                denominator = np.minimum(area[i], area[rest]).astype(np.float32)
            else:
                denominator = (area[i] + area[rest]).astype(np.float32) - inter
            alive[rest[inter / denominator > threshold]] = False
    return np.array(keep, dtype=np.int64)


def apply_regression(boxes: np.ndarray, offsets: np.ndarray, one_larger: bool) -> np.ndarray:
    """A network's box regression: corners moved by fractions of the (integer) box size.

    Parameters
    ----------
    boxes : (n, 4) float32
        ``(x, y, w, h)``, rounded to integers first as OpenFace's ``cv::Rect`` does.
    offsets : (n, 4) float32
        Left, top, right, bottom corner shifts in box widths / heights.
    one_larger : bool
        Regress from the box one pixel wider and taller (OpenFace does after ONet).

    Returns
    -------
    (n, 4) float32
    """
    rect = np.rint(boxes).astype(np.int64)
    x, y = rect[:, 0], rect[:, 1]
    w, h = rect[:, 2] + one_larger, rect[:, 3] + one_larger
    fx, fy, fw, fh = (v.astype(_F32) for v in (x, y, w, h))
    left = fx + offsets[:, 0] * fw
    top = fy + offsets[:, 1] * fh
    right = (x + w).astype(_F32) + fw * offsets[:, 2]
    bottom = (y + h).astype(_F32) + fh * offsets[:, 3]
    return np.stack([left, top, right - left, bottom - top], axis=1).astype(_F32)


def squared(boxes: np.ndarray) -> np.ndarray:
    """OpenFace's ``rectify``: square boxes around the same centre, truncated to integers.

    Parameters
    ----------
    boxes : (n, 4) float32

    Returns
    -------
    (n, 4) float32 holding integers.
    """
    w, h = boxes[:, 2], boxes[:, 3]
    side = np.maximum(w, h)
    # float + 0.5 * float in double, stored to float, then truncated toward zero.
    x = (boxes[:, 0].astype(np.float64) + 0.5 * (w - side).astype(np.float64)).astype(_F32)
    y = (boxes[:, 1].astype(np.float64) + 0.5 * (h - side).astype(np.float64)).astype(_F32)
    return np.stack([np.trunc(x), np.trunc(y), np.trunc(side), np.trunc(side)],
                    axis=1).astype(_F32)


def _probability(logit_face: np.ndarray, logit_background: np.ndarray) -> np.ndarray:
    """Face probability from the networks' two logits: ``1 / (1 + exp(background - face))``
    (OpenFace's ``1 / (1 + exp(out[0] - out[1]))``), float32."""
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(logit_background - logit_face).astype(np.float64))
                ).astype(_F32)


def _network_input(bgr: np.ndarray) -> np.ndarray:
    """Float BGR pixels (..., 3) as the networks take them: R, G, B, each
    ``(v - 127.5) * 0.0078125`` in float32 (what OpenFace's MatExpr computes)."""
    return (bgr[..., ::-1] - _F32(127.5)) * _F32(0.0078125)


class MTCNNDetector:
    """OpenFace's MTCNN face detector.

    Parameters
    ----------
    pnet, rnet, onet : cyclnf.models.Network
        The three networks (``PNet.dat``, ``RNet.dat``, ``ONet.dat``).
    min_face_size : float
        Smallest face searched for, pixels (OpenFace: 60).
    thresholds : (3,) float
        Face probability each network needs (OpenFace: 0.6, 0.7, 0.7).
    """

    name = "mtcnn"

    def __init__(self, pnet: Network, rnet: Network, onet: Network, min_face_size: float = 60,
                 thresholds: Sequence[float] = (0.6, 0.7, 0.7)):
        min_face_size = float(min_face_size)
        if not (math.isfinite(min_face_size) and min_face_size > 0):
            raise ValueError(f"min_face_size must be a positive number, got {min_face_size}")
        thresholds = tuple(float(t) for t in thresholds)
        if len(thresholds) != 3 or not all(0.0 <= t <= 1.0 for t in thresholds):
            raise ValueError(f"thresholds must be three probabilities in [0, 1], got {thresholds}")
        self.pnet, self.rnet, self.onet = ConvNet(pnet), ConvNet(rnet), ConvNet(onet)
        self.min_face_size = min_face_size
        self.thresholds: Tuple[float, float, float] = thresholds   # type: ignore[assignment]

    @classmethod
    def load(cls, cache_dir: "os.PathLike[str] | str | None" = None, *,
             min_face_size: float = 60,
             thresholds: Sequence[float] = (0.6, 0.7, 0.7)) -> "MTCNNDetector":
        """OpenFace's networks from the models folder (nothing is downloaded).

        Raises
        ------
        ModelsNotInstalledError
            A network file is not installed.
        """
        files = manifest().detector_files("mtcnn")
        require(list(files.values()), cache_dir)
        pnet, rnet, onet = (load_file(files[k], cache_dir) for k in ("pnet", "rnet", "onet"))
        return cls(pnet, rnet, onet, min_face_size=min_face_size, thresholds=thresholds)

    def __repr__(self) -> str:
        return f"MTCNNDetector(min_face_size={self.min_face_size:g}, thresholds={self.thresholds})"

    def detect(self, image: np.ndarray) -> List[FaceDetection]:
        """Faces in an image, largest first.

        Parameters
        ----------
        image : ndarray
            Any image :func:`cyclnf.image.to_bgr_uint8` accepts (BGR, BGRA, grayscale).

        Returns
        -------
        list of FaceDetection
            ``box`` the landmark-tight box, ``detector_box`` MTCNN's own, ``confidence``
            ONet's face probability, ``landmarks_5pt`` ONet's five points.
        """
        boxes, scores, points = self._detect(to_bgr_uint8(image).astype(np.float32))
        detections = []
        for box, score, five in zip(boxes, scores, points):
            raw = tuple(float(v) for v in box)
            # Converted in double, stored in OpenFace's float32 cv::Rect_<float>.
            tight = tuple(float(_F32(v)) for v in convert_box(raw, *MTCNN_BOX_CONVERSION))
            detections.append(FaceDetection(tight, raw, float(score), five))
        return largest_first(detections)

    # The stages -------------------------------------------------------------------------

    # Every stage takes the image as (H, W, 3) float32 BGR: resampling works on each
    # channel alone, so the networks' R, G, B order is made after it, on fewer pixels.

    def _detect(self, bgr: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes (n, 4), scores (n,) and five points (n, 5, 2)."""
        return self._onet_stage(bgr, self._rnet_stage(bgr, self._pnet_stage(bgr)))

    def _pnet_stage(self, bgr: np.ndarray) -> np.ndarray:
        """PNet over the pyramid: the squared proposals, (n, 4) float32."""
        height, width = bgr.shape[:2]
        all_boxes, all_scores, all_offsets = [], [], []
        for scale in pyramid_scales(height, width, self.min_face_size):
            size = (math.ceil(width * scale), math.ceil(height * scale))
            level = _network_input(cv2.resize(bgr, size, interpolation=cv2.INTER_LINEAR))
            out = self.pnet(level[None])[0]                         # (h, w, 6)
            probability = _probability(out[:, :, 1], out[:, :, 0])
            # OpenFace scans the map column by column.
            xs, ys = np.nonzero(probability.T >= _F32(self.thresholds[0]))
            scale32 = _F32(scale)          # generate_bounding_boxes takes the scale as float
            x0 = np.trunc((PNET_STRIDE * xs + 1).astype(_F32) / scale32)
            y0 = np.trunc((PNET_STRIDE * ys + 1).astype(_F32) / scale32)
            x1 = np.trunc((PNET_STRIDE * xs + PNET_WINDOW).astype(_F32) / scale32)
            y1 = np.trunc((PNET_STRIDE * ys + PNET_WINDOW).astype(_F32) / scale32)
            boxes = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1).astype(_F32)
            scores = probability[ys, xs]
            keep = non_maximum_suppression(boxes, scores, NMS_LEVEL)
            all_boxes.append(boxes[keep])
            all_scores.append(scores[keep])
            all_offsets.append(out[ys[keep], xs[keep], 2:6])
        if not all_boxes:
            return np.empty((0, 4), _F32)
        boxes, scores, offsets = (np.concatenate(a) for a in (all_boxes, all_scores, all_offsets))
        keep = non_maximum_suppression(boxes, scores, NMS_ACROSS)
        return squared(apply_regression(boxes[keep], offsets[keep], one_larger=False))

    def _rnet_stage(self, bgr: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """RNet: score and regress each box, keep, suppress, square: (k, 4) float32."""
        if not len(boxes):
            return boxes
        out = self.rnet(self._crops(bgr, boxes, RNET_SIZE)).reshape(len(boxes), -1)
        scores = _probability(out[:, 1], out[:, 0])
        keep = np.nonzero(scores >= _F32(self.thresholds[1]))[0]
        boxes, scores, offsets = boxes[keep], scores[keep], out[keep, 2:6]
        keep = non_maximum_suppression(boxes, scores, NMS_ACROSS)
        return squared(apply_regression(boxes[keep], offsets[keep], one_larger=False))

    def _onet_stage(self, bgr: np.ndarray, boxes: np.ndarray
                    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """ONet: the final boxes (n, 4), scores (n,) and five points (n, 5, 2)."""
        if not len(boxes):
            return boxes, np.empty(0, _F32), np.empty((0, 5, 2))
        out = self.onet(self._crops(bgr, boxes, ONET_SIZE)).reshape(len(boxes), -1)
        scores = _probability(out[:, 1], out[:, 0])
        keep = np.nonzero(scores >= _F32(self.thresholds[2]))[0]
        seen, scores, out = boxes[keep], scores[keep], out[keep]
        boxes = apply_regression(seen, out[:, 2:6], one_larger=True)
        keep = non_maximum_suppression(boxes, scores, NMS_FINAL, over_smaller=True)
        return boxes[keep], scores[keep], self._five_points(seen[keep], out[keep, 6:16])

    @staticmethod
    def _crops(bgr: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
        """Each (integer) box as OpenFace cuts it for RNet / ONet, resized and normalised.

        The crop is ``w + 1`` by ``h + 1`` pixels from ``(x - 1, y - 1)``, zero outside the
        image. Returns (n, size, size, 3) float32.
        """
        height, width = bgr.shape[:2]
        crops = np.empty((len(boxes), size, size, 3), np.float32)
        for k, (x, y, w, h) in enumerate(boxes.astype(np.float64)):
            target_w, target_h = int(w + 1), int(h + 1)
            if target_w < 1 or target_h < 1:
                crops[k] = 0.0
                continue
            x_in, y_in = max(int(x - 1), 0), max(int(y - 1), 0)
            x_end, y_end = min(int(x + target_w - 1), width), min(int(y + target_h - 1), height)
            if x_end - x_in == target_w and y_end - y_in == target_h:
                patch = bgr[y_in:y_end, x_in:x_end]         # inside the image: no copy
            else:
                patch = np.zeros((target_h, target_w, 3), np.float32)
                x_out, y_out = max(int(-x + 1), 0), max(int(-y + 1), 0)
                if x_end > x_in and y_end > y_in:
                    patch[y_out:y_out + y_end - y_in, x_out:x_out + x_end - x_in] = \
                        bgr[y_in:y_end, x_in:x_end]
            crops[k] = cv2.resize(patch, (size, size), interpolation=cv2.INTER_LINEAR)
        return _network_input(crops)

    @staticmethod
    def _five_points(boxes: np.ndarray, out: np.ndarray) -> np.ndarray:
        """ONet's points (x0..x4, y0..y4 as fractions of the crop) in image pixels: (n, 5, 2)."""
        x = boxes[:, 0:1].astype(np.float64) - 1
        y = boxes[:, 1:2].astype(np.float64) - 1
        w = boxes[:, 2:3].astype(np.float64) + 1
        h = boxes[:, 3:4].astype(np.float64) + 1
        return np.stack([x + w * out[:, 0:5], y + h * out[:, 5:10]], axis=2)
