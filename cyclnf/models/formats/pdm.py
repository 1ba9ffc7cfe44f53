"""OpenFace's PDM file (PDM::Read): three text matrices after ``#`` comment lines.

1. mean shape, (3n, 1), planar ``[X_0..X_{n-1}, Y_0.., Z_0..]`` in mm;
2. principal components, (3n, m), rows in the same layout;
3. eigenvalues (variances of the components), (1, m).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict

import numpy as np

from .stream import TextReader


@dataclass(frozen=True)
class PDMFile:
    """The arrays of a PDM file: ``mean_shape`` (3n, 1), ``princ_comp`` (3n, m),
    ``eigen_values`` (m,), all float64."""

    mean_shape: np.ndarray
    princ_comp: np.ndarray
    eigen_values: np.ndarray

    def to_arrays(self) -> Dict[str, np.ndarray]:
        return {"mean_shape": self.mean_shape, "princ_comp": self.princ_comp,
                "eigen_values": self.eigen_values}

    @classmethod
    def from_arrays(cls, arrays: Dict[str, np.ndarray]) -> "PDMFile":
        return cls(arrays["mean_shape"], arrays["princ_comp"], arrays["eigen_values"])


def read_pdm(path: "os.PathLike[str] | str") -> PDMFile:
    """Read an OpenFace PDM text file.

    Raises
    ------
    ModelFormatError
        Truncated, corrupt, or matrices that do not fit together.
    """
    reader = TextReader(path)
    mean = reader.matrix("mean shape")
    if mean.shape[1] != 1 or mean.shape[0] == 0 or mean.shape[0] % 3:
        raise reader.fail(f"mean shape must be (3n, 1), got {mean.shape}")
    components = reader.matrix("principal components")
    if components.shape[0] != mean.shape[0] or components.shape[1] == 0:
        raise reader.fail(f"principal components must be ({mean.shape[0]}, m), got "
                          f"{components.shape}")
    eigen = reader.matrix("eigenvalues")
    if eigen.shape != (1, components.shape[1]):
        raise reader.fail(f"eigenvalues must be (1, {components.shape[1]}), got {eigen.shape}")
    if (eigen <= 0).any():
        raise reader.fail("eigenvalues must be positive")
    reader.expect_end()
    return PDMFile(mean.astype(np.float64), components.astype(np.float64),
                   eigen.reshape(-1).astype(np.float64))
