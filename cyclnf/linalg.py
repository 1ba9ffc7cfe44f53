"""The small products and solves of the per-frame path, in a fixed order of operations.

NumPy hands ``@``, ``np.dot`` and ``np.linalg`` to a BLAS/LAPACK library, which picks its
kernel by CPU and may split a sum across threads, so their last bits can depend on
``OPENBLAS_NUM_THREADS`` and the like. cyclnf's per-frame code (fitting, the PDM, pose,
the parts, the experts) does its linear algebra through this module instead, whose results
depend only on the inputs: every sum here runs over its terms in index order with IEEE
element-wise arithmetic. (The large products, the CNN layers', are compiled:
:func:`cyclnf.cnn.matmul`; the CCNF Sigmas' inverses too: ``kernels.ccnf.spd_inverse``.)
``tests/test_linalg.py`` holds the per-frame modules to this.
"""

from __future__ import annotations

import numpy as np


def matmul(a, b) -> np.ndarray:
    """``a @ b`` in float64, each element summed over k in order.

    Parameters
    ----------
    a : (..., M, K) array_like
    b : (K, N) or (K,) array_like

    Returns
    -------
    (..., M, N) or (..., M) ndarray
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    vector = b.ndim == 1
    if vector:
        b = b[:, None]
    if a.ndim < 2 or b.ndim != 2 or a.shape[-1] != b.shape[0]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape if not vector else b.shape[:1]}")
    if b.shape[0] == 0:
        out = np.zeros(a.shape[:-1] + (b.shape[1],))
    else:
        out = a[..., 0:1] * b[0]
        for k in range(1, b.shape[0]):
            out += a[..., k:k + 1] * b[k]
    return out[..., 0] if vector else out


def norm(v) -> float:
    """Euclidean length of a vector, ``sqrt(v_0^2 + v_1^2 + ...)`` summed in order.

    Parameters
    ----------
    v : (n,) array_like
    """
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    total = 0.0
    for x in v.tolist():
        total += x * x
    return float(np.sqrt(total))


def inv2x2_float32(m) -> np.ndarray:
    """Inverse of a 2 x 2 matrix in float32 as OpenCV's ``Matx22f::inv`` computes it.

    ``d = 1 / (a00 a11 - a01 a10)``, then ``[[a11 d, -a01 d], [-a10 d, a00 d]]``, every step
    rounded to float32 (OpenFace holds its similarity transforms as ``Matx22f``).

    Parameters
    ----------
    m : (2, 2) array_like

    Returns
    -------
    (2, 2) float32 ndarray

    Raises
    ------
    ValueError
        If the matrix is singular (determinant 0) or not finite.
    """
    a = np.asarray(m, dtype=np.float32)
    if a.shape != (2, 2):
        raise ValueError(f"expected a 2 x 2 matrix, got shape {a.shape}")
    det = np.float32(a[0, 0] * a[1, 1]) - np.float32(a[0, 1] * a[1, 0])
    if det == 0 or not np.isfinite(det):
        raise ValueError(f"the 2 x 2 matrix {a.tolist()} has no finite inverse")
    d = np.float32(1.0) / np.float32(det)
    return np.array([[a[1, 1] * d, -a[0, 1] * d], [-a[1, 0] * d, a[0, 0] * d]], np.float32)


def det3x3(m) -> float:
    """Determinant of a 3 x 3 matrix by cofactors along the first row.

    Parameters
    ----------
    m : (3, 3) array_like
    """
    a = np.asarray(m, dtype=np.float64)
    return float(a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
                 - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
                 + a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0]))
