"""Compiled KDE mean-shift (src/_meanshift.pyx)."""

import numpy as np
import numpy.typing as npt

_F32 = npt.NDArray[np.float32]

def kde_table(a: float, out: _F32) -> None: ...
def mean_shifts(responses: _F32, positions: _F32, table: _F32, out: _F32) -> None: ...
def likelihoods(responses: _F32, positions: _F32, sigma: float, out: _F32) -> None: ...
