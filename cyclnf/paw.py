"""OpenFace's piecewise affine warp (PAW.cpp): a face, cut along a triangulation of its
landmarks, mapped triangle by triangle onto a fixed reference shape.

The reference frame (its triangles, which triangle each pixel lies in, the pixel mask,
and the per-triangle barycentric coefficients ``alpha`` and ``beta``) is precomputed in
OpenFace's file (:class:`cyclnf.models.formats.cnn.PiecewiseAffineWarp`). Warping a face:

1. per triangle, the affine map from reference pixel to image pixel (``CalcCoeff``);
2. per masked reference pixel ``(x + min_x, y + min_y)``, where it lands in the image
   (``WarpRegion``);
3. bilinear sampling there (``cv::remap`` with ``INTER_LINEAR``, zero outside the image).

All in float32 with OpenFace's order of operations. The sampling reproduces OpenCV's
fixed-point remap (positions rounded to 1/32 px, OpenCV's float weight table), so the
result does not depend on the installed OpenCV. Steps 2 and 3 are the compiled kernel
``cyclnf.kernels.paw.warp_region``; its NumPy twin spells them out.
"""

from __future__ import annotations


import numpy as np

from .kernels import paw as _kernels
from .models.formats.cnn import PiecewiseAffineWarp

_F32 = np.float32


def warp_coefficients(landmarks: np.ndarray, triangles: np.ndarray, alpha: np.ndarray,
                      beta: np.ndarray) -> np.ndarray:
    """Each triangle's affine map from the reference frame into the image (``CalcCoeff``).

    Parameters
    ----------
    landmarks : (n, 2) float32
        The face's landmarks, ``(x, y)`` pixels.
    triangles : (t, 3) int
        Landmark indices ``(i, j, k)`` of each triangle.
    alpha, beta : (t, 3) float32
        The reference shape's barycentric coefficients.

    Returns
    -------
    (t, 6) float32
        ``(a0, a1, a2, b0, b1, b2)``: reference pixel ``(u, v)`` lands at
        ``(a0 + a1 u + a2 v, b0 + b1 u + b2 v)``.
    """
    points = np.asarray(landmarks, _F32)
    i, j, k = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    out = np.empty((len(triangles), 6), _F32)
    for axis, first in ((0, 0), (1, 3)):
        c1 = points[i, axis]
        c2 = points[j, axis] - c1
        c3 = points[k, axis] - c1
        out[:, first] = (c1 + c2 * alpha[:, 0]) + c3 * beta[:, 0]
        out[:, first + 1] = c2 * alpha[:, 1] + c3 * beta[:, 1]
        out[:, first + 2] = c2 * alpha[:, 2] + c3 * beta[:, 2]
    return out


def warp(image: np.ndarray, landmarks: np.ndarray, paw: PiecewiseAffineWarp) -> np.ndarray:
    """The face in ``image`` warped into the reference frame (``PAW::Warp``).

    Parameters
    ----------
    image : (H, W) float32
    landmarks : (n, 2)
        ``(x, y)`` pixels in ``image``, taken as float32.
    paw : PiecewiseAffineWarp
        The reference frame (its tables as OpenFace's file stores them).

    Returns
    -------
    (h, w) float32
        The reference frame's pixels; those outside ``paw.pixel_mask`` sample ``(-1, -1)``
        (OpenFace's marker), which gives 0.
    """
    landmarks = np.asarray(landmarks)
    if landmarks.shape != paw.destination.shape:
        raise ValueError(f"landmarks must be {paw.destination.shape}, got {landmarks.shape}")
    coefficients = warp_coefficients(landmarks, paw.triangles, paw.alpha.astype(_F32),
                                     paw.beta.astype(_F32))
    image = np.asarray(image)
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"image must be a non-empty (H, W) array, got shape {image.shape}")
    out = np.empty(paw.pixel_mask.shape, _F32)
    min_x, min_y = paw.min_xy.astype(_F32)
    _kernels.warp_region(np.ascontiguousarray(image, _F32), coefficients,
                         _triangle_ids(paw), _masks(paw), float(min_x), float(min_y), out)
    return out


def _triangle_ids(paw: PiecewiseAffineWarp) -> np.ndarray:
    """The warp's triangle ids as C-contiguous int32 (the kernel's layout)."""
    return np.ascontiguousarray(paw.triangle_id, np.int32)


def _masks(paw: PiecewiseAffineWarp) -> np.ndarray:
    """The warp's pixel mask as C-contiguous uint8 (the kernel's layout)."""
    return np.ascontiguousarray(paw.pixel_mask, np.uint8)
