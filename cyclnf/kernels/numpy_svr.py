"""NumPy twin of src/_svr.pyx: SVR patch-expert responses (see that module's docstring)."""

from __future__ import annotations

import numpy as np


def _features(areas: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """(n, A, A) float64 feature images, per landmark of the given kind."""
    n, A = areas.shape[0], areas.shape[1]
    a = areas.astype(np.float64)
    mean = a.reshape(n, -1).mean(axis=1)
    sd = np.sqrt(((a - mean[:, None, None]) ** 2).reshape(n, -1).sum(axis=1) / (A * A))
    sd[sd == 0] = 1.0
    raw = ((a - mean[:, None, None]) / sd[:, None, None]).astype(np.float32)
    grad = np.zeros((n, A, A), np.float32)
    vx = areas[:, 1:-1, 2:] - areas[:, 1:-1, :-2]
    vy = areas[:, 2:, 1:-1] - areas[:, :-2, 1:-1]
    grad[:, 1:-1, 1:-1] = vx * vx + vy * vy
    return np.where((kind == 0)[:, None, None], raw, grad).astype(np.float64)


def responses(areas: np.ndarray, kinds: np.ndarray, weights: np.ndarray, scaling: np.ndarray,
              bias: np.ndarray, out: np.ndarray, n_threads: int = 1) -> None:
    """SVR response maps of n landmarks."""
    n, A = areas.shape[0], areas.shape[1]
    w = out.shape[1]
    M = kinds.shape[1] if kinds.ndim == 2 else 0
    if areas.shape[2] != A:
        raise ValueError("areas must be (n, A, A)")
    if out.shape != (n, w, w) or w <= 0:
        raise ValueError(f"out must be ({n}, w, w)")
    if kinds.shape[0] != n or M <= 0:
        raise ValueError(f"kinds must be ({n}, M)")
    if weights.shape[:2] != (n, M):
        raise ValueError(f"weights must be ({n}, {M}, ph, pw)")
    ph, pw = weights.shape[2:]
    if A != w + ph - 1 or A != w + pw - 1:
        raise ValueError(f"areas must be {w + ph - 1} wide for window {w}")
    if scaling.shape != (n, M) or bias.shape != (n, M):
        raise ValueError(f"scaling and bias must be ({n}, {M})")
    if n_threads < 1:
        raise ValueError("n_threads must be at least 1")
    if not np.isin(kinds, (0, 1)).all():
        raise ValueError(f"unknown SVR feature type {kinds[~np.isin(kinds, (0, 1))][0]}")
    N = ph * pw
    result = np.ones((n, w, w), np.float32)
    for m in range(M):
        feat = _features(areas, kinds[:, m])
        windows = np.lib.stride_tricks.sliding_window_view(feat, (ph, pw), axis=(1, 2))
        T = weights[:, m]                                              # (n, ph, pw)
        t_mean = T.reshape(n, -1).mean(axis=1)
        t_norm = np.sqrt(((T - t_mean[:, None, None]) ** 2).reshape(n, -1).sum(axis=1))
        cross = np.einsum("nyxhw,nhw->nyx", windows, T)
        wsum = windows.sum(axis=(3, 4))
        wsum2 = (windows * windows).sum(axis=(3, 4))
        num = cross - wsum * t_mean[:, None, None]
        t = np.sqrt(np.maximum(wsum2 - wsum * wsum / N, 0.0)) * t_norm[:, None, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(np.abs(num) < t, num / t,
                         np.where(np.abs(num) < t * 1.125, np.sign(num), 0.0))
        r = np.where((t_norm < 2.220446049250313e-16)[:, None, None], 1.0, r)
        r = r.astype(np.float32).astype(np.float64)
        logistic = 1.0 / (1.0 + np.exp(-(r * scaling[:, m, None, None] + bias[:, m, None, None])))
        result = result * logistic.astype(np.float32)
    out[...] = result
