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
result does not depend on the installed OpenCV.
"""

from __future__ import annotations

from typing import Tuple

import numpy as np

from .models.formats.cnn import PiecewiseAffineWarp

_F32 = np.float32
INTER_BITS = 5                      # OpenCV samples at 1/32 px
INTER_TAB_SIZE = 1 << INTER_BITS


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


def sampling_maps(coefficients: np.ndarray, triangle_id: np.ndarray, pixel_mask: np.ndarray,
                  min_xy: Tuple[float, float]) -> Tuple[np.ndarray, np.ndarray]:
    """Where each reference pixel samples the image (``WarpRegion``).

    Parameters
    ----------
    coefficients : (t, 6) float32
        From :func:`warp_coefficients`.
    triangle_id : (h, w) int
        Triangle of each reference pixel.
    pixel_mask : (h, w) bool
        Pixels inside the face; the others get ``-1``.
    min_xy : (2,) float
        Reference coordinates of pixel (0, 0), as float32.

    Returns
    -------
    map_x, map_y : (h, w) float32
    """
    h, w = pixel_mask.shape
    u = (np.arange(w, dtype=_F32) + _F32(min_xy[0]))[None, :]
    v = (np.arange(h, dtype=_F32) + _F32(min_xy[1]))[:, None]
    a = coefficients[np.where(pixel_mask, triangle_id, 0)]          # (h, w, 6)
    map_x = (a[..., 0] + a[..., 1] * u) + a[..., 2] * v
    map_y = (a[..., 3] + a[..., 4] * u) + a[..., 5] * v
    outside = ~pixel_mask
    map_x[outside] = -1.0
    map_y[outside] = -1.0
    return map_x.astype(_F32), map_y.astype(_F32)


def remap_bilinear(image: np.ndarray, map_x: np.ndarray, map_y: np.ndarray) -> np.ndarray:
    """OpenCV's ``remap(INTER_LINEAR, BORDER_CONSTANT 0)`` of a float32 image.

    Positions are rounded to 1/32 px (to the nearest, halves to even); the four
    neighbours are weighted with OpenCV's float table and summed in float32; neighbours
    outside the image count as 0.

    Parameters
    ----------
    image : (H, W) float32
    map_x, map_y : (h, w) float32

    Returns
    -------
    (h, w) float32
    """
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"image must be a non-empty (H, W) array, got shape {image.shape}")
    if map_x.shape != map_y.shape:
        raise ValueError(f"map_x {map_x.shape} and map_y {map_y.shape} differ in shape")
    image = np.asarray(image, _F32)
    height, width = image.shape
    limit = np.iinfo(np.int32)
    fixed_x = np.clip(np.rint(map_x.astype(np.float64) * INTER_TAB_SIZE), limit.min, limit.max)
    fixed_y = np.clip(np.rint(map_y.astype(np.float64) * INTER_TAB_SIZE), limit.min, limit.max)
    fixed_x, fixed_y = fixed_x.astype(np.int64), fixed_y.astype(np.int64)
    sx = np.clip(fixed_x >> INTER_BITS, -32768, 32767)
    sy = np.clip(fixed_y >> INTER_BITS, -32768, 32767)
    fraction = np.arange(INTER_TAB_SIZE, dtype=_F32) / _F32(INTER_TAB_SIZE)
    hi_x, hi_y = fraction[fixed_x & (INTER_TAB_SIZE - 1)], fraction[fixed_y & (INTER_TAB_SIZE - 1)]
    lo_x, lo_y = _F32(1.0) - hi_x, _F32(1.0) - hi_y

    def pixel(x, y):
        inside = (x >= 0) & (y >= 0) & (x < width) & (y < height)
        return np.where(inside, image[np.clip(y, 0, height - 1), np.clip(x, 0, width - 1)], _F32(0))

    result = pixel(sx, sy) * (lo_y * lo_x)
    result = result + pixel(sx + 1, sy) * (lo_y * hi_x)
    result = result + pixel(sx, sy + 1) * (hi_y * lo_x)
    result = result + pixel(sx + 1, sy + 1) * (hi_y * hi_x)
    return result.astype(_F32)


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
    map_x, map_y = sampling_maps(coefficients, paw.triangle_id, paw.pixel_mask,
                                 paw.min_xy.astype(_F32))
    return remap_bilinear(np.asarray(image), map_x, map_y)
