"""Checks at the API boundary: turn what a caller passes into the arrays kernels expect.

Every function raises ``TypeError`` (not numbers at all) or ``ValueError`` (wrong shape,
non-finite values, empty) naming the argument and what was expected.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np


def as_float_array(value, name: str, shape: Optional[Sequence[Optional[int]]] = None,
                   allow_nan: bool = False) -> np.ndarray:
    """``value`` as a C-contiguous float64 array, shape and finiteness checked.

    Parameters
    ----------
    value : array_like
    name : str
        The argument's name, for error messages.
    shape : sequence of int or None, optional
        Expected shape; ``None`` entries match any length.
    allow_nan : bool
        Let NaN through (infinities are always refused).
    """
    if (type(value) is np.ndarray and value.dtype == np.float64 and value.flags.c_contiguous
            and shape is None and not allow_nan):
        # The common case inside cyclnf, kept cheap: only finiteness to check.
        if not np.isfinite(value).all():
            raise ValueError(f"{name} contains non-finite values")
        return value
    try:
        array = np.asarray(value)
    except Exception as exc:  # ragged lists and other things NumPy cannot hold
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                     or array.dtype == np.bool_):
        raise TypeError(f"{name} must be an array of numbers, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got dtype {array.dtype}")
    if shape is not None:
        expected = tuple(shape)
        if array.ndim != len(expected) or any(
                e is not None and e != a for e, a in zip(expected, array.shape)):
            wanted = "(" + ", ".join("any" if e is None else str(e) for e in expected) + \
                ("," if len(expected) == 1 else "") + ")"
            raise ValueError(f"{name} must have shape {wanted}, got {array.shape}")
    array = np.ascontiguousarray(array, dtype=np.float64)
    bad = np.isinf(array) if allow_nan else ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{name} contains {'infinite' if allow_nan else 'non-finite'} values")
    return array


def as_bbox(bbox, name: str = "bbox") -> Tuple[float, float, float, float]:
    """A face box ``(x, y, width, height)`` in pixels with finite values and positive size."""
    x, y, w, h = as_float_array(bbox, name, shape=(4,))
    if not (w > 0 and h > 0):
        raise ValueError(f"{name} must have positive width and height, got {w} x {h}")
    return float(x), float(y), float(w), float(h)
