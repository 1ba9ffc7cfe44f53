"""OpenFace's triangulation files (``tris_68.txt``, ``tris_68_full.txt``) and single matrices.

A triangulation is an integer text matrix (n_triangles, 3) of landmark indices. ``tris_68.txt``
(read by CLNF::Read for each view) starts with the number of triangulations, one per view,
followed by that many matrices; ``tris_68_full.txt`` is one matrix with no count. Both are
read here into a tuple of matrices.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np

from .stream import TextReader


@dataclass(frozen=True)
class Triangulation:
    """``triangles[k]``: (n_triangles, 3) int32 landmark indices of triangulation k."""

    triangles: Tuple[np.ndarray, ...]

    def to_arrays(self) -> Dict[str, np.ndarray]:
        return {f"triangles_{k:02d}": t for k, t in enumerate(self.triangles)}

    @classmethod
    def from_arrays(cls, arrays: Dict[str, np.ndarray]) -> "Triangulation":
        return cls(tuple(arrays[k] for k in sorted(arrays)))


def _triangles(reader: TextReader, what: str) -> np.ndarray:
    matrix = reader.matrix(what)
    if matrix.shape[1] != 3 or matrix.shape[0] == 0 or matrix.dtype.kind not in "iu":
        raise reader.fail(f"{what} must be a non-empty integer matrix with 3 columns, got "
                          f"{matrix.shape} of {matrix.dtype}")
    if (matrix < 0).any():
        raise reader.fail(f"{what} has negative landmark indices")
    return matrix.astype(np.int32)


def read_triangulation(path: "os.PathLike[str] | str") -> Triangulation:
    """Read a triangulation file, with or without the leading count.

    Raises
    ------
    ModelFormatError
        Truncated, corrupt, or not integer triangles.
    """
    reader = TextReader(path)
    words = reader.words
    single = (len(words) >= 3 and words[1] == "3" and words[0].isdigit()
              and len(words) == 3 + 3 * int(words[0]))
    if single:
        triangles = (_triangles(reader, "triangulation"),)
    else:
        count = reader.integer("number of triangulations", 1, 1000)
        triangles = tuple(_triangles(reader, f"triangulation {k + 1}") for k in range(count))
    reader.expect_end()
    return Triangulation(triangles)


@dataclass(frozen=True)
class TextMatrix:
    """A file holding one OpenFace text matrix (such as ``haarAlign.txt``), as float64."""

    matrix: np.ndarray

    def to_arrays(self) -> Dict[str, np.ndarray]:
        return {"matrix": self.matrix}

    @classmethod
    def from_arrays(cls, arrays: Dict[str, np.ndarray]) -> "TextMatrix":
        return cls(arrays["matrix"])


def read_text_matrix(path: "os.PathLike[str] | str") -> TextMatrix:
    """Read a file that holds exactly one text matrix."""
    reader = TextReader(path)
    matrix = reader.matrix("matrix")
    reader.expect_end()
    return TextMatrix(matrix.astype(np.float64))
