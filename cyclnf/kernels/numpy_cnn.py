"""NumPy twin of src/_cnn.pyx: the memory-bound steps of OpenFace's CNN layers.

Maps are batches in channels-last order, ``(N, H, W, C)`` float32.
"""

from __future__ import annotations

import numpy as np


def _check_maps(maps: np.ndarray, name: str = "maps") -> None:
    if maps.ndim != 4 or maps.dtype != np.float32:
        raise ValueError(f"{name} must be (N, H, W, C) float32, got {maps.shape} {maps.dtype}")


def im2col(maps: np.ndarray, kernel_h: int, kernel_w: int, out: np.ndarray) -> None:
    """Every ``kernel_h`` x ``kernel_w`` window of the maps as one row, then a 1.

    ``out[(n * Ho + y) * Wo + x, (dy * kernel_w + dx) * C + c] = maps[n, y + dy, x + dx, c]``
    with ``Ho = H - kernel_h + 1``, ``Wo = W - kernel_w + 1``, and a last column of ones
    that multiplies the bias row of the weights.
    """
    _check_maps(maps)
    n, h, w, c = maps.shape
    ho, wo = h - kernel_h + 1, w - kernel_w + 1
    if kernel_h < 1 or kernel_w < 1 or ho < 1 or wo < 1:
        raise ValueError(f"a {kernel_h} x {kernel_w} kernel does not fit {h} x {w} maps")
    if out.shape != (n * ho * wo, kernel_h * kernel_w * c + 1) or out.dtype != np.float32:
        raise ValueError(f"out must be ({n * ho * wo}, {kernel_h * kernel_w * c + 1}) float32, "
                         f"got {out.shape} {out.dtype}")
    windows = out[:, :-1].reshape(n, ho, wo, kernel_h, kernel_w, c)
    for dy in range(kernel_h):
        for dx in range(kernel_w):
            windows[:, :, :, dy, dx, :] = maps[:, dy:dy + ho, dx:dx + wo, :]
    out[:, -1] = 1.0


def max_pool(maps: np.ndarray, kernel_x: int, kernel_y: int, stride_x: int, stride_y: int,
             out: np.ndarray) -> None:
    """Maximum over each window, windows cut off at the map's edge (out's size is the
    caller's choice: OpenFace rounds it up, Caffe-style).

    ``out[n, i, j, c] = max(maps[n, i*sy : min(i*sy + ky, H), j*sx : min(j*sx + kx, W), c])``;
    an output with no input under its window is 0.
    """
    _check_maps(maps)
    _check_maps(out, "out")
    n, h, w, c = maps.shape
    if min(kernel_x, kernel_y, stride_x, stride_y) < 1:
        raise ValueError("pooling kernel and stride must be positive")
    if out.shape[0] != n or out.shape[3] != c:
        raise ValueError(f"out must be ({n}, Ho, Wo, {c}), got {out.shape}")
    ho, wo = out.shape[1], out.shape[2]
    out[...] = 0.0
    # Windows wholly inside the maps: rows and columns that start before the edge.
    hi, wi = min(ho, -(-h // stride_y)), min(wo, -(-w // stride_x))
    lowest = -np.finfo(np.float32).max          # OpenFace starts each window at -FLT_MAX
    padded = np.full((n, hi * stride_y + kernel_y, wi * stride_x + kernel_x, c), lowest,
                     np.float32)
    padded[:, :h, :w] = maps
    result = np.full((n, hi, wi, c), lowest, np.float32)
    for dy in range(kernel_y):
        for dx in range(kernel_x):
            # fmax: a NaN never wins, as in OpenFace's "if (v > max)".
            np.fmax(result, padded[:, dy:dy + hi * stride_y:stride_y,
                                   dx:dx + wi * stride_x:stride_x], out=result)
    out[:, :hi, :wi] = result


def prelu(values: np.ndarray, slopes: np.ndarray) -> None:
    """In place, PReLU with one slope per channel: ``v if v >= 0 else v * slope``,
    as ``max(v, 0) + min(v, 0) * slope`` (the same for finite v; NaN gives 0).

    ``values`` (M, C) float32, ``slopes`` (C,) float32.
    """
    if values.ndim != 2 or values.dtype != np.float32:
        raise ValueError(f"values must be (M, C) float32, got {values.shape} {values.dtype}")
    if slopes.shape != (values.shape[1],):
        raise ValueError(f"slopes must be ({values.shape[1]},), got {slopes.shape}")
    zero = np.float32(0.0)
    values[...] = (np.where(values > zero, values, zero)
                   + np.where(values < zero, values, zero) * slopes.astype(np.float32))
