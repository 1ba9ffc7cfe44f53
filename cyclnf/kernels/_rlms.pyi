"""Compiled fused NU-RLMS phase (src/_rlms.pyx)."""

from typing import Tuple

import numpy as np
import numpy.typing as npt

_F64 = npt.NDArray[np.float64]
_F32 = npt.NDArray[np.float32]

def nu_rlms(mean: _F64, basis: _F64, eigen_values: _F64, responses: _F32, table: _F32,
            base_shape: _F64, img_to_ref: _F64, ref_to_img: _F64, weights: _F64,
            reg_factor: float, rigid: bool, n_iterations: int, threshold: float,
            params: _F64, positions: _F32) -> Tuple[int, bool, float]: ...
