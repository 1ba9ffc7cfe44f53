"""Compiled SVR patch-expert responses (src/_svr.pyx)."""

import numpy as np
import numpy.typing as npt

_F64 = npt.NDArray[np.float64]

def responses(areas: npt.NDArray[np.float32], kinds: npt.NDArray[np.int32], weights: _F64,
              scaling: _F64, bias: _F64, out: npt.NDArray[np.float32],
              n_threads: int = 1) -> None: ...
