"""Rotations in OpenFace's conventions (OpenFace's Utilities/RotationHelpers.h).

Euler angles are ``(rx, ry, rz)`` in radians (pitch, yaw, roll) with
``R = Rx(rx) @ Ry(ry) @ Rz(rz)``; axis-angle vectors are Rodrigues vectors (axis times
angle in radians), as OpenCV's ``cv::Rodrigues`` uses them.
"""

from __future__ import annotations

import cv2
import numpy as np

from .linalg import det3x3, matmul, norm


def euler_to_rotation_matrix(euler: np.ndarray) -> np.ndarray:
    """Rotation matrix ``Rx @ Ry @ Rz`` from Euler angles.

    Parameters
    ----------
    euler : (3,) array_like
        ``(rx, ry, rz)`` in radians.

    Returns
    -------
    (3, 3) ndarray
    """
    s1, s2, s3 = np.sin(euler[0]), np.sin(euler[1]), np.sin(euler[2])
    c1, c2, c3 = np.cos(euler[0]), np.cos(euler[1]), np.cos(euler[2])
    return np.array([
        [c2 * c3, -c2 * s3, s2],
        [c1 * s3 + c3 * s1 * s2, c1 * c3 - s1 * s2 * s3, -c2 * s1],
        [s1 * s3 - c1 * c3 * s2, c3 * s1 + c1 * s2 * s3, c1 * c2],
    ])


def rotation_matrix_to_euler(R: np.ndarray) -> np.ndarray:
    """Euler angles ``(rx, ry, rz)`` of a rotation matrix ``Rx @ Ry @ Rz``.

    OpenFace goes through a quaternion; reading the angles off the matrix gives the same
    angles for a rotation matrix and stays finite for rotations near 180 degrees, where the
    quaternion route divides by zero. ``ry`` is in [-pi/2, pi/2].

    Parameters
    ----------
    R : (3, 3) ndarray
        A rotation matrix.

    Returns
    -------
    (3,) ndarray
    """
    ry = np.arcsin(np.clip(R[0, 2], -1.0, 1.0))
    rx = np.arctan2(-R[1, 2], R[2, 2])
    rz = np.arctan2(-R[0, 1], R[0, 0])
    return np.array([rx, ry, rz])


def orthonormalise(R: np.ndarray) -> np.ndarray:
    """The rotation matrix nearest to ``R`` (SVD, without reflection), as OpenFace's PDM does
    (OpenCV's own SVD, as OpenFace's; no LAPACK).

    Parameters
    ----------
    R : (3, 3) ndarray

    Returns
    -------
    (3, 3) ndarray
    """
    _, u, vt = cv2.SVDecomp(np.asarray(R, dtype=np.float64))
    w = np.eye(3)
    w[2, 2] = det3x3(matmul(u, vt))
    return matmul(matmul(u, w), vt)


def axis_angle_to_rotation_matrix(axis_angle: np.ndarray) -> np.ndarray:
    """Rotation matrix of a Rodrigues vector (``cv::Rodrigues``, vector to matrix).

    Parameters
    ----------
    axis_angle : (3,) array_like

    Returns
    -------
    (3, 3) ndarray
    """
    w = np.asarray(axis_angle, dtype=np.float64)
    theta = norm(w)
    if theta < 1e-12:
        return np.eye(3)
    k = w / theta
    K = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(theta) * K + (1.0 - np.cos(theta)) * matmul(K, K)


def rotation_matrix_to_axis_angle(R: np.ndarray) -> np.ndarray:
    """Rodrigues vector of a rotation matrix (``cv::Rodrigues``, matrix to vector).

    Like OpenCV, the matrix is first replaced by the nearest rotation matrix.

    Parameters
    ----------
    R : (3, 3) ndarray

    Returns
    -------
    (3,) ndarray
        Axis times angle, angle in [0, pi].
    """
    R = orthonormalise(R)
    cos_theta = np.clip((np.trace(R) - 1.0) / 2.0, -1.0, 1.0)
    theta = float(np.arccos(cos_theta))
    axis_sin = np.array([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]]) / 2.0
    sin_theta = norm(axis_sin)
    if sin_theta > 1e-5:
        return axis_sin / sin_theta * theta
    if cos_theta > 0.0:
        # Near zero: sin(theta) ~ theta, so the skew part is the vector itself.
        return axis_sin
    # Near pi: the axis is the dominant column of (R + I) / 2 = k k^T.
    B = (R + np.eye(3)) / 2.0
    i = int(np.argmax(np.diag(B)))
    k = B[:, i] / np.sqrt(B[i, i])
    if k[0] * axis_sin[0] + k[1] * axis_sin[1] + k[2] * axis_sin[2] < 0.0:
        k = -k
    return k * theta


def align_shapes_with_scale(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The scaled rotation that best maps ``src`` onto ``dst`` (OpenFace's
    AlignShapesWithScale).

    OpenFace centres both shapes, takes the scale as the ratio of their RMS sizes and
    the rotation by Kabsch's method; in 2D, Kabsch's rotation angle is
    ``atan2(sum of cross products, sum of dot products)`` of the centred points, which
    is what is computed here, without an SVD.

    Parameters
    ----------
    src, dst : (n, 2) ndarray
        Corresponding points.

    Returns
    -------
    (2, 2) ndarray
        ``A`` with ``A @ (src_i - mean(src)) ~ dst_i - mean(dst)``.
    """
    src = src - src.mean(axis=0)
    dst = dst - dst.mean(axis=0)
    scale = np.sqrt((dst * dst).sum() / (src * src).sum())
    dot = (src * dst).sum()
    cross = (src[:, 0] * dst[:, 1] - src[:, 1] * dst[:, 0]).sum()
    angle = np.arctan2(cross, dot)
    c, s = np.cos(angle), np.sin(angle)
    return scale * np.array([[c, -s], [s, c]])
