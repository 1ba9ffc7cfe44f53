"""Compiled CCNF patch-expert responses (src/_ccnf.pyx)."""

import numpy as np
import numpy.typing as npt

_F32 = npt.NDArray[np.float32]

def responses(areas: _F32, weights: _F32, alpha2: npt.NDArray[np.float64], sigmas: _F32,
              patch_height: int, patch_width: int, out: _F32, n_threads: int = 1) -> None: ...
def uses_avx2() -> bool: ...
def spd_inverse(a: npt.NDArray[np.float64], out: npt.NDArray[np.float64],
                n_threads: int = 1) -> None: ...
