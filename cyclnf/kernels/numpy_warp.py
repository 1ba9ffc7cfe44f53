"""NumPy twin of src/_warp.pyx: OpenCV's fixed-point inverse-map bilinear warp."""

from __future__ import annotations

import numpy as np

AB_BITS, INTER_BITS, INTER_TAB_SIZE, ROUND_DELTA = 10, 5, 32, 16


def _round(values: np.ndarray) -> np.ndarray:
    """Round half to even, as lrint / cvRound do."""
    return np.rint(values).astype(np.int64)


def areas_of_interest(image: np.ndarray, centres: np.ndarray, a1: float, b1: float,
                      out: np.ndarray) -> None:
    """Warp an A x A area around each centre into the reference frame (see src/_warp.pyx)."""
    n, A = centres.shape[0], out.shape[1]
    if centres.shape[1] != 2:
        raise ValueError("centres must be (n, 2)")
    if out.shape != (n, A, A) or A <= 0:
        raise ValueError(f"out must be ({n}, A, A)")
    if image.size == 0:
        raise ValueError("image is empty")
    height, width = image.shape
    image = image.astype(np.float32, copy=False)
    a1, b1 = np.float32(a1), np.float32(b1)
    half = np.float32(A - 1.0)
    ta = np.float32(a1 * half / np.float32(2.0))
    tb = np.float32(b1 * half / np.float32(2.0))
    cx, cy = centres[:, 0].astype(np.float32), centres[:, 1].astype(np.float32)
    M = np.zeros((n, 6))
    M[:, 0], M[:, 1], M[:, 3], M[:, 4] = a1, -b1, b1, a1
    M[:, 2] = (cx - ta) + tb
    M[:, 5] = (cy - ta) - tb

    u = np.arange(A, dtype=np.float64)
    scale = float(1 << AB_BITS)
    X0 = _round((M[:, 1, None] * u + M[:, 2, None]) * scale) + ROUND_DELTA   # (n, rows)
    Y0 = _round((M[:, 4, None] * u + M[:, 5, None]) * scale) + ROUND_DELTA
    adelta = _round(M[:, 0, None] * u * scale)                                # (n, cols)
    bdelta = _round(M[:, 3, None] * u * scale)
    X = (X0[:, :, None] + adelta[:, None, :]) >> (AB_BITS - INTER_BITS)      # (n, rows, cols)
    Y = (Y0[:, :, None] + bdelta[:, None, :]) >> (AB_BITS - INTER_BITS)
    sx = np.clip(X >> INTER_BITS, -32768, 32767)
    sy = np.clip(Y >> INTER_BITS, -32768, 32767)
    tx = (np.arange(INTER_TAB_SIZE, dtype=np.float32) / np.float32(INTER_TAB_SIZE))
    lo, hi = np.float32(1.0) - tx, tx
    fx, fy = X & (INTER_TAB_SIZE - 1), Y & (INTER_TAB_SIZE - 1)
    weights = (lo[fy] * lo[fx], lo[fy] * hi[fx], hi[fy] * lo[fx], hi[fy] * hi[fx])

    def pixel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        inside = (x >= 0) & (y >= 0) & (x < width) & (y < height)
        return np.where(inside, image[np.clip(y, 0, height - 1), np.clip(x, 0, width - 1)],
                        np.float32(0.0))

    values = (pixel(sx, sy), pixel(sx + 1, sy), pixel(sx, sy + 1), pixel(sx + 1, sy + 1))
    result = values[0] * weights[0]
    for v, w in zip(values[1:], weights[1:]):
        result = result + v * w
    outside = (sx >= width) | (sx + 1 < 0) | (sy >= height) | (sy + 1 < 0)
    out[...] = np.where(outside, np.float32(0.0), result).astype(np.float32)
