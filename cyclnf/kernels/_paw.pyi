"""Compiled piecewise-affine-warp sampling (src/_paw.pyx); see cyclnf/kernels/numpy_paw.py."""

import numpy as np
import numpy.typing as npt

_F32 = npt.NDArray[np.float32]

def warp_region(image: _F32, coefficients: _F32, triangle_id: npt.NDArray[np.int32],
                mask: npt.NDArray[np.uint8], min_x: float, min_y: float, out: _F32) -> None: ...
