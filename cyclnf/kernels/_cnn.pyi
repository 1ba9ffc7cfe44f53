"""Compiled CNN layer steps (src/_cnn.pyx)."""

import numpy as np
import numpy.typing as npt

_F32 = npt.NDArray[np.float32]

def im2col(maps: _F32, kernel_h: int, kernel_w: int, out: _F32) -> None: ...
def max_pool(maps: _F32, kernel_x: int, kernel_y: int, stride_x: int, stride_y: int,
             out: _F32) -> None: ...
def prelu(values: _F32, slopes: _F32) -> None: ...
