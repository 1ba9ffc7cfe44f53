"""Compiled area-of-interest warp (src/_warp.pyx)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

def areas_of_interest(image: npt.NDArray[np.float32] | npt.NDArray[np.uint8], centres: npt.NDArray[np.float64],
                      a1: float, b1: float, out: npt.NDArray[np.float32]) -> None: ...
