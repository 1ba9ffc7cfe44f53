"""NumPy twin of src/_cnn.pyx: OpenFace's CNN layers' steps.

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


def vector_path() -> bool:
    """The twin has one path."""
    return False


def matmul(a: np.ndarray, b: np.ndarray, bias: np.ndarray, out: np.ndarray,
           n_threads: int = 1, portable: bool = False) -> None:
    """``out = a @ b (+ bias)``, each element
    ``fma(a[m, K-1], b[K-1, n], ... fma(a[m, 1], b[1, n], a[m, 0] * b[0, n]))`` in float32,
    then ``+ bias[n]``.

    NumPy has no fused multiply-add: each step is computed in float64 (where the product
    of two floats is exact) and rounded to float32, which is the fused result except in
    the rare case of a double rounding (a last-bit difference).

    ``a`` (M, K), ``b`` (K, N), ``bias`` (N,) or (0,), ``out`` (M, N), float32.
    """
    m, k = a.shape
    n = out.shape[1]
    if b.shape != (k, n):
        raise ValueError(f"b must be ({k}, {n}), got {b.shape}")
    if out.shape[0] != m or bias.shape not in ((0,), (n,)):
        raise ValueError(f"out must be ({m}, N) and bias (N,) or (0,); got {out.shape}, "
                         f"{bias.shape}")
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1, got {n_threads}")
    wide_a = a.astype(np.float64)
    wide_b = b.astype(np.float64)
    acc = np.zeros((m, n), np.float32)
    for step in range(k):
        product = wide_a[:, step, None] * wide_b[step]
        acc = (product if step == 0 else acc.astype(np.float64) + product).astype(np.float32)
    if bias.shape[0]:
        acc = acc + bias.astype(np.float32)
    out[...] = acc


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
