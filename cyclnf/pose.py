"""Head pose and 3D landmarks in camera space (OpenFace's GetPose and CLNF::GetShape).

The PDM's parameters describe the face under a weak-perspective camera. OpenFace turns
them into a pose relative to a pinhole camera with focal lengths ``fx, fy`` and principal
point ``cx, cy`` (pixels):

- :func:`head_pose`: translation (mm) and rotation (Euler ``rx, ry, rz``, radians) of the
  head, by OpenCV's iterative PnP from the 3D shape to the 2D landmarks, started from the
  weak-perspective estimate (LandmarkDetectorFunc.cpp, GetPose);
- :func:`landmarks_3d`: each landmark in camera space, its depth taken from the rotated
  shape around the weak-perspective distance ``fx / scale`` (CLNF::GetShape).

Without a calibrated camera OpenFace assumes :func:`default_intrinsics`.
"""

from __future__ import annotations

from typing import Optional, Tuple

import cv2
import numpy as np

from ._validate import as_float_array
from .pdm import PDM
from .linalg import matmul
from .rotation import (axis_angle_to_rotation_matrix, euler_to_rotation_matrix,
                       rotation_matrix_to_euler)

Intrinsics = Tuple[float, float, float, float]


def default_intrinsics(width: int, height: int) -> Intrinsics:
    """OpenFace's camera for an image of unknown calibration: ``(fx, fy, cx, cy)``.

    ``fx = fy = (500 W / 640 + 500 H / 480) / 2`` and the principal point at the image
    centre ``(W / 2, H / 2)`` (FaceLandmarkImg and FeatureExtraction's default).
    """
    if not (width > 0 and height > 0):
        raise ValueError(f"image size must be positive, got {width} x {height}")
    focal = (500.0 * width / 640.0 + 500.0 * height / 480.0) / 2.0
    return focal, focal, width / 2.0, height / 2.0


def _intrinsics(intrinsics) -> Intrinsics:
    fx, fy, cx, cy = as_float_array(intrinsics, "intrinsics", shape=(4,))
    if not (fx > 0 and fy > 0):
        raise ValueError(f"focal lengths must be positive, got fx={fx}, fy={fy}")
    return float(fx), float(fy), float(cx), float(cy)


def head_pose(pdm: PDM, params, landmarks, intrinsics) -> np.ndarray:
    """Head pose in camera space (OpenFace's GetPose).

    Parameters
    ----------
    pdm : PDM
    params : (n_params,) array_like
        The fitted ``[scale, rx, ry, rz, tx, ty, p...]``.
    landmarks : (n_points, 2) array_like
        The fitted landmarks, ``(x, y)`` pixels.
    intrinsics : (4,) array_like
        ``(fx, fy, cx, cy)`` in pixels.

    Returns
    -------
    (6,) ndarray
        ``[Tx, Ty, Tz, Rx, Ry, Rz]``: translation in mm (the PDM's unit), rotation as Euler
        angles in radians. Zeros when the scale is 0 (no face).
    """
    params = pdm._params(params)
    points = as_float_array(landmarks, "landmarks", shape=(pdm.n_points, 2))
    fx, fy, cx, cy = _intrinsics(intrinsics)
    if params[0] == 0:
        return np.zeros(6)
    # Start from the weak-perspective estimate; like OpenFace, the Euler angles are handed
    # to the PnP solver as its starting rotation vector.
    z = fx / params[0]
    translation = np.array([(params[4] - cx) / fx * z, (params[5] - cy) / fy * z, z])
    rotation = params[1:4].copy()
    camera = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
    ok, rotation, translation = cv2.solvePnP(
        pdm.shape_3d(params[6:]), points, camera, None, rotation.reshape(3, 1),
        translation.reshape(3, 1), useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        raise RuntimeError("OpenCV's solvePnP failed to estimate the head pose")
    euler = rotation_matrix_to_euler(axis_angle_to_rotation_matrix(rotation.reshape(3)))
    return np.concatenate([translation.reshape(3), euler])


def landmarks_3d(pdm: PDM, params, landmarks, intrinsics) -> np.ndarray:
    """The landmarks in camera space, mm (OpenFace's CLNF::GetShape).

    Parameters
    ----------
    pdm : PDM
    params : (n_params,) array_like
    landmarks : (n_points, 2) array_like
        The fitted landmarks, ``(x, y)`` pixels.
    intrinsics : (4,) array_like
        ``(fx, fy, cx, cy)``.

    Returns
    -------
    (n_points, 3) ndarray
        ``(X, Y, Z)`` per landmark; ``(X / Z * fx + cx, Y / Z * fy + cy)`` is the landmark.
    """
    params = pdm._params(params)
    points = as_float_array(landmarks, "landmarks", shape=(pdm.n_points, 2))
    fx, fy, cx, cy = _intrinsics(intrinsics)
    if params[0] == 0:
        raise ValueError("params[0] (the scale) must not be 0")
    rotated = matmul(pdm.shape_3d(params[6:]), euler_to_rotation_matrix(params[1:4]).T)
    depth = fx / params[0] + rotated[:, 2]
    return np.column_stack([depth * (points[:, 0] - cx) / fx,
                            depth * (points[:, 1] - cy) / fy, depth])


def camera_intrinsics(image_shape, intrinsics: Optional[Intrinsics] = None) -> Intrinsics:
    """``intrinsics`` checked, or OpenFace's default for an image of this shape ``(H, W, ...)``."""
    if intrinsics is None:
        return default_intrinsics(image_shape[1], image_shape[0])
    return _intrinsics(intrinsics)
