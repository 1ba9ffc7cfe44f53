"""OpenFace's CSV files: the same column names, order and number formats.

OpenFace's FeatureExtraction writes one row per video frame and face: ``frame`` (1-based),
``face_id``, ``timestamp`` (s), ``confidence``, ``success``, then gaze, the 56 eye landmarks
in 2D and 3D, the head pose, the 68 landmarks in 2D and 3D, the PDM parameters and (when
asked) action units. FaceLandmarkImg writes the same per face of an image, led by ``face``
and ``confidence``. cyclnf computes all of these but gaze and action units, and writes its
columns in OpenFace's order with OpenFace's precision, so tools that read OpenFace's CSVs
read cyclnf's. Frames without a face are written as OpenFace writes them: zeros,
``success`` 0.
"""

from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, TextIO

import numpy as np

N_LANDMARKS = 68
N_EYE_LANDMARKS = 56
N_MODES = 34

#: The leading columns of FeatureExtraction's (video) and FaceLandmarkImg's (image) CSVs.
VIDEO_COLUMNS = ("frame", "face_id", "timestamp", "confidence", "success")
IMAGE_COLUMNS = ("face", "confidence")


def columns(eye_landmarks: bool = True, leading: Sequence[str] = VIDEO_COLUMNS,
            n_landmarks: int = N_LANDMARKS, n_modes: int = N_MODES) -> List[str]:
    """The header, in OpenFace's order (without gaze and action units).

    Parameters
    ----------
    eye_landmarks : bool
        Include the ``eye_lmk_*`` columns (the eye part models ran).
    leading : sequence of str
        :data:`VIDEO_COLUMNS` (FeatureExtraction) or :data:`IMAGE_COLUMNS`
        (FaceLandmarkImg).
    """
    out = list(leading)
    if eye_landmarks:
        for axis in ("x", "y", "X", "Y", "Z"):
            out += [f"eye_lmk_{axis}_{i}" for i in range(N_EYE_LANDMARKS)]
    out += ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"]
    for axis in ("x", "y", "X", "Y", "Z"):
        out += [f"{axis}_{i}" for i in range(n_landmarks)]
    out += ["p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"]
    out += [f"p_{i}" for i in range(n_modes)]
    return out


def _fixed(values, digits: int) -> List[str]:
    out = []
    for v in np.asarray(values, dtype=np.float64).reshape(-1):
        text = f"{v:.{digits}f}"
        out.append("0." + "0" * digits if text == "-0." + "0" * digits else text)
    return out


def _confidence(info: Dict) -> float:
    confidence = info.get("confidence")
    if confidence is None:
        # Without the validator OpenFace reports full confidence in a completed fit.
        confidence = 1.0 if info.get("fit_success", info.get("success", False)) else 0.0
    return float(confidence) if math.isfinite(confidence) else 0.0


def leading_values(leading: Sequence[str], info: Dict, frame_number: int = 0,
                   timestamp: float = 0.0, face_id: int = 0) -> List[str]:
    """The leading columns' values for a result (``info`` empty for no face)."""
    values = {"frame": str(int(frame_number)), "face_id": str(int(face_id)),
              "face": str(int(face_id)), "timestamp": f"{float(timestamp):.3f}",
              "confidence": f"{_confidence(info):.2f}",
              "success": "1" if info.get("success", False) else "0"}
    return [values[name] for name in leading]


def measurements(landmarks: Optional[np.ndarray], info: Dict, eye_landmarks: bool = True,
                 n_landmarks: int = N_LANDMARKS, n_modes: int = N_MODES) -> List[str]:
    """The columns after the leading ones, for one face.

    Parameters
    ----------
    landmarks : (n_landmarks, 2) ndarray or None
        None for a frame without a face (written as zeros).
    info : dict
        :meth:`cyclnf.CLNF.fit`'s info with ``params``; ``head_pose``, ``landmarks_3d``,
        ``eye_landmarks`` and ``eye_landmarks_3d`` are used.
    """
    if landmarks is None:
        landmarks, info = np.zeros((n_landmarks, 2)), {}
    out: List[str] = []
    if eye_landmarks:
        eyes = info.get("eye_landmarks", np.zeros((N_EYE_LANDMARKS, 2)))
        eyes_3d = info.get("eye_landmarks_3d", np.zeros((N_EYE_LANDMARKS, 3)))
        out += _fixed(eyes[:, 0], 1) + _fixed(eyes[:, 1], 1)
        out += _fixed(eyes_3d[:, 0], 1) + _fixed(eyes_3d[:, 1], 1) + _fixed(eyes_3d[:, 2], 1)
    pose = info.get("head_pose", np.zeros(6))
    out += _fixed(pose[:3], 1) + _fixed(pose[3:], 3)
    points = np.asarray(landmarks, dtype=np.float64)
    points_3d = info.get("landmarks_3d", np.zeros((n_landmarks, 3)))
    out += _fixed(points[:, 0], 1) + _fixed(points[:, 1], 1)
    out += _fixed(points_3d[:, 0], 1) + _fixed(points_3d[:, 1], 1) + _fixed(points_3d[:, 2], 1)
    params = info.get("params", np.zeros(6 + n_modes))
    out += _fixed(params[:6], 3) + _fixed(params[6:], 3)
    return out


class OpenFaceCSVWriter:
    """Writes rows in OpenFace's format to an open text file.

    Parameters
    ----------
    file : text file
        Opened for writing with ``newline=""``.
    eye_landmarks : bool
        Write the eye-landmark columns.
    leading : sequence of str
        :data:`VIDEO_COLUMNS` or :data:`IMAGE_COLUMNS`.
    """

    def __init__(self, file: TextIO, eye_landmarks: bool = True,
                 leading: Sequence[str] = VIDEO_COLUMNS):
        self.file = file
        self.eye_landmarks = eye_landmarks
        self.leading = tuple(leading)
        self.header = columns(eye_landmarks, self.leading)
        self.rows = 0
        file.write(",".join(self.header) + "\n")

    def write(self, landmarks: Optional[np.ndarray], info: Dict, frame_number: int = 0,
              timestamp: float = 0.0, face_id: int = 0) -> None:
        """Write one face's row.

        Parameters
        ----------
        landmarks : (68, 2) ndarray or None
            None for a frame without a face.
        info : dict
            :meth:`cyclnf.CLNF.fit`'s info (with ``params``).
        frame_number : int
            1-based (video files).
        timestamp : float
            Seconds (video files).
        face_id : int
        """
        if landmarks is None:
            info = {}
        values = leading_values(self.leading, info, frame_number, timestamp, face_id)
        values += measurements(landmarks, info, self.eye_landmarks)
        if len(values) != len(self.header):
            raise ValueError(f"row has {len(values)} values for {len(self.header)} columns")
        self.file.write(",".join(values) + "\n")
        self.rows += 1


def read_header(path) -> Sequence[str]:
    """The column names of a CSV file (OpenFace's or cyclnf's), spaces stripped."""
    with open(path, newline="") as f:
        return [name.strip() for name in f.readline().rstrip("\r\n").split(",")]
