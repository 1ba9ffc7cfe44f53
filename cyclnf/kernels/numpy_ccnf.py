"""NumPy twin of src/_ccnf.pyx: CCNF patch-expert responses (see that module's docstring)."""

from __future__ import annotations

import numpy as np


def responses(areas: np.ndarray, weights: np.ndarray, alpha2: np.ndarray, sigmas: np.ndarray,
              patch_height: int, patch_width: int, out: np.ndarray, n_threads: int = 1) -> None:
    """CCNF response maps of n landmarks, float32 like OpenFace."""
    n = areas.shape[0]
    w = out.shape[1]
    T = patch_height * patch_width
    if patch_height <= 0 or patch_width <= 0:
        raise ValueError("patch size must be positive")
    if out.shape != (n, w, w) or w <= 0:
        raise ValueError(f"out must be ({n}, w, w)")
    if areas.shape != (n, w + patch_height - 1, w + patch_width - 1):
        raise ValueError(f"areas must be ({n}, {w + patch_height - 1}, {w + patch_width - 1}) "
                         f"for window {w}")
    if weights.shape[0] != n or weights.shape[2] != 1 + T:
        raise ValueError(f"weights must be ({n}, K, {1 + T})")
    if alpha2.shape != (n, weights.shape[1]):
        raise ValueError(f"alpha2 must be ({n}, {weights.shape[1]})")
    if sigmas.shape != (n, w * w, w * w):
        raise ValueError(f"sigmas must be ({n}, {w * w}, {w * w})")
    if n_threads < 1:
        raise ValueError("n_threads must be at least 1")
    # (n, w, w, ph, pw) views of every patch position, flattened to (n, P, T).
    windows = np.lib.stride_tricks.sliding_window_view(areas, (patch_height, patch_width),
                                                       axis=(1, 2))
    patches = windows.reshape(n, w * w, T).astype(np.float32)
    mean = patches.sum(axis=2, dtype=np.float32) / np.float32(T)
    centred = patches - mean[:, :, None]
    norm = np.sqrt((centred * centred).sum(axis=2, dtype=np.float32))
    norm[norm == 0] = 1.0
    columns = centred * (np.float32(1.0) / norm)[:, :, None]                  # (n, P, T)
    neurons = weights[:, :, :1] + np.einsum("nkt,npt->nkp", weights[:, :, 1:], columns,
                                            dtype=np.float32)                 # (n, K, P)
    with np.errstate(over="ignore"):
        sigmoid = alpha2[:, :, None] / (1.0 + np.exp(-neurons).astype(np.float64))
    response = sigmoid.astype(np.float32).sum(axis=1, dtype=np.float32)       # (n, P)
    smoothed = np.einsum("npq,nq->np", sigmas, response, dtype=np.float32)
    low = np.minimum(smoothed.min(axis=1), 0.0)
    out[...] = (smoothed - low[:, None]).reshape(n, w, w)


def uses_avx2() -> bool:
    """The twin never uses AVX2 (it is plain NumPy)."""
    return False
