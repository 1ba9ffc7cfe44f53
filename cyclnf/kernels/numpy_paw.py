"""NumPy twin of the compiled piecewise-affine-warp sampling (src/_paw.pyx).

``_sampling_maps`` is OpenFace's PAW::WarpRegion (where each reference pixel lands in the
image) and ``_remap_bilinear`` OpenCV's ``remap(INTER_LINEAR, BORDER_CONSTANT 0)``;
``warp_region`` is both, the kernel's function.
"""

from __future__ import annotations

from typing import Tuple

import numpy as np

_F32 = np.float32
INTER_BITS = 5                      # OpenCV samples at 1/32 px
INTER_TAB_SIZE = 1 << INTER_BITS


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(what)


def _sampling_maps(coefficients: np.ndarray, triangle_id: np.ndarray, pixel_mask: np.ndarray,
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


def _remap_bilinear(image: np.ndarray, map_x: np.ndarray, map_y: np.ndarray) -> np.ndarray:
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


def warp_region(image: np.ndarray, coefficients: np.ndarray, triangle_id: np.ndarray,
                mask: np.ndarray, min_x: float, min_y: float, out: np.ndarray) -> None:
    """The warped face: ``out[y, x]`` samples the image where reference pixel (x, y) lands.

    Parameters
    ----------
    image : (H, W) float32
    coefficients : (t, 6) float32
        Each triangle's affine map (:func:`cyclnf.paw.warp_coefficients`).
    triangle_id : (h, w) int32
    mask : (h, w) uint8
        1 inside the face; the other pixels are 0 in ``out``.
    min_x, min_y : float
        Reference coordinates of pixel (0, 0).
    out : (h, w) float32
    """
    h, w = mask.shape
    t = coefficients.shape[0]
    _check(image.ndim == 2 and image.size > 0, "image must not be empty")
    _check(coefficients.ndim == 2 and coefficients.shape[1] == 6, "coefficients must be (t, 6)")
    _check(triangle_id.shape == (h, w), f"triangle_id must be ({h}, {w})")
    _check(out.shape == (h, w), f"out must be ({h}, {w})")
    inside = mask.astype(bool)
    bad = inside & ((triangle_id < 0) | (triangle_id >= t))
    _check(not bad.any(), f"triangle_id holds values that are not triangles (0..{t - 1})")
    map_x, map_y = _sampling_maps(coefficients, triangle_id, inside, (min_x, min_y))
    out[...] = np.where(inside, _remap_bilinear(np.asarray(image, _F32), map_x, map_y), _F32(0))
