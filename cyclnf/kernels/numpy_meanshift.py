"""NumPy twin of src/_meanshift.pyx: KDE mean-shift and likelihoods (see that module)."""

from __future__ import annotations

import numpy as np

STEP = np.float32(0.1)


def kde_table(a: float, out: np.ndarray) -> None:
    """The Gaussian of every 0.1-pixel offset (rows x * 10 w + y, columns ii * w + jj)."""
    w = int(round(out.shape[1] ** 0.5))
    steps = 10 * w
    if w * w != out.shape[1] or out.shape[0] != steps * steps:
        raise ValueError("out must be ((10 w)^2, w^2)")
    offsets = np.arange(steps, dtype=np.float32) * STEP              # dx or dy per step
    pixels = np.arange(w, dtype=np.float32)
    d2 = (offsets[:, None] - pixels[None, :]) ** 2                    # (steps, w)
    # rows: (x, y); columns: (ii, jj) -> (dy - ii)^2 + (dx - jj)^2
    total = d2[None, :, :, None] + d2[:, None, None, :]               # (x, y, ii, jj)
    out[...] = np.exp(np.float32(a) * total).reshape(steps * steps, w * w)


def _grid_rows(positions: np.ndarray, w: int):
    dx = np.clip(positions[:, 0], 0, np.float32(w) - STEP).astype(np.float32)
    dy = np.clip(positions[:, 1], 0, np.float32(w) - STEP).astype(np.float32)
    col = (dy / STEP + 0.5).astype(np.int64)
    row = (dx / STEP + 0.5).astype(np.int64)
    return dx, dy, row * (10 * w) + col


def mean_shifts(responses: np.ndarray, positions: np.ndarray, table: np.ndarray,
                out: np.ndarray) -> None:
    """Mean-shift vectors of n response maps (0 where a map sums to 0)."""
    n, w = responses.shape[0], responses.shape[1]
    if responses.shape[2] != w:
        raise ValueError("responses must be (n, w, w)")
    if positions.shape != (n, 2):
        raise ValueError(f"positions must be ({n}, 2)")
    if table.shape != ((10 * w) ** 2, w * w):
        raise ValueError(f"table must be ({(10 * w) ** 2}, {w * w}) for {w} x {w} responses")
    if out.shape != (n, 2):
        raise ValueError(f"out must be ({n}, 2)")
    dx, dy, rows = _grid_rows(positions, w)
    v = responses.reshape(n, w * w) * table[rows]
    total = v.sum(axis=1, dtype=np.float32)
    jj = np.tile(np.arange(w, dtype=np.float32), w)
    ii = np.repeat(np.arange(w, dtype=np.float32), w)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = (v * jj).sum(axis=1, dtype=np.float32) / total - dx
        my = (v * ii).sum(axis=1, dtype=np.float32) / total - dy
    ok = total > 0
    out[:, 0] = np.where(ok, mx, 0.0)
    out[:, 1] = np.where(ok, my, 0.0)


def likelihoods(responses: np.ndarray, positions: np.ndarray, sigma: float,
                out: np.ndarray) -> None:
    """Each landmark's KDE likelihood at its position (exact Gaussian)."""
    n, w = responses.shape[0], responses.shape[1]
    if responses.shape[2] != w:
        raise ValueError("responses must be (n, w, w)")
    if positions.shape != (n, 2):
        raise ValueError(f"positions must be ({n}, 2)")
    if out.shape != (n,):
        raise ValueError(f"out must be ({n},)")
    if not sigma > 0:
        raise ValueError("sigma must be positive")
    sigma2 = np.float32(sigma) * np.float32(sigma)
    pix = np.arange(w, dtype=np.float32)
    vx = (positions[:, 1, None] - pix) ** 2                           # (n, ii)
    vy = (positions[:, 0, None] - pix) ** 2                           # (n, jj)
    gauss = np.exp(-0.5 * (vx[:, :, None] + vy[:, None, :]).astype(np.float64) / sigma2)
    out[...] = (responses * gauss).astype(np.float32).reshape(n, -1).sum(axis=1,
                                                                         dtype=np.float32)
