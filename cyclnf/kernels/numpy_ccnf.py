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


def spd_inverse(a: np.ndarray, out: np.ndarray, n_threads: int = 1) -> None:
    """Inverse of each symmetric positive-definite matrix ``a[i]`` (m, n, n) into ``out``.

    By LAPACK's Cholesky (only the lower triangle of ``a`` is read), so it agrees with the
    compiled kernel to rounding, not bit for bit: a twin to check against, not a path the
    numbers should come from.
    """
    if a.ndim != 3 or a.shape[1] != a.shape[2]:
        raise ValueError(f"a must be (m, n, n), got {a.shape}")
    if out.shape != a.shape:
        raise ValueError(f"out must be {a.shape}")
    if n_threads < 1:
        raise ValueError("n_threads must be at least 1")
    for i, matrix in enumerate(a):
        try:
            if not np.isfinite(np.tril(matrix)).all():
                raise np.linalg.LinAlgError
            lower = np.linalg.cholesky(np.tril(matrix) + np.tril(matrix, -1).T)
        except np.linalg.LinAlgError:
            raise ValueError(f"matrix {i} is not symmetric positive definite") from None
        inverse_lower = np.linalg.inv(lower)
        out[i] = inverse_lower.T @ inverse_lower
