"""Readers over OpenFace's binary and text model files that fail with a clear error.

Both know OpenFace's matrix encodings (LandmarkDetectorUtils.cpp): a matrix is its row
count, column count and OpenCV type code, then ``rows * cols`` values in row order; the
binary form (ReadMatBin) stores the three header fields as 32-bit integers and the values
in the type's native little-endian bytes, the text form (ReadMat) writes them as words.

Every read checks that the data is there before using it, so a truncated or corrupt file
raises :class:`~cyclnf.models.errors.ModelFormatError` naming the file, what was expected
and where, never an IndexError, a MemoryError or a silently wrong array.
"""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from ..errors import ModelFormatError

#: OpenCV single-channel depth codes (CV_8U ... CV_64F) and the NumPy types they hold.
OPENCV_DEPTHS: Dict[int, np.dtype] = {
    0: np.dtype("<u1"), 1: np.dtype("<i1"), 2: np.dtype("<u2"), 3: np.dtype("<i2"),
    4: np.dtype("<i4"), 5: np.dtype("<f4"), 6: np.dtype("<f8"),
}

_INT32, _FLOAT32, _FLOAT64 = struct.Struct("<i"), struct.Struct("<f"), struct.Struct("<d")

#: Refuse a matrix larger than this many values: no OpenFace model comes close, and a
#: corrupt header must not make cyclnf allocate gigabytes.
MAX_MATRIX_VALUES = 50_000_000


def opencv_dtype(code: int) -> Optional[np.dtype]:
    """NumPy dtype of a single-channel OpenCV type code, or None."""
    return OPENCV_DEPTHS.get(code)


class BinaryReader:
    """Sequential little-endian reads over a whole file's bytes."""

    def __init__(self, path: "os.PathLike[str] | str"):
        self.path = Path(path)
        try:
            self.data = memoryview(self.path.read_bytes())
        except FileNotFoundError:
            raise FileNotFoundError(f"model file not found: {self.path}") from None
        except OSError as exc:
            raise ModelFormatError(self.path, f"cannot be read ({exc.strerror or exc})") from exc
        self.pos = 0

    def fail(self, problem: str, at: Optional[int] = None) -> ModelFormatError:
        """An error about this file at the current (or given) byte offset."""
        return ModelFormatError(self.path, problem, self.pos if at is None else at)

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int, what: str) -> memoryview:
        """The next ``n`` bytes."""
        if n < 0 or n > self.remaining:
            raise self.fail(f"file ends while reading {what} (needs {n} bytes, "
                            f"{self.remaining} left); it is truncated or not this kind of file")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def array(self, dtype, count: int, what: str) -> np.ndarray:
        """``count`` values of ``dtype`` (a copy, so the file's bytes can be released)."""
        dtype = np.dtype(dtype)
        if count < 0 or count > MAX_MATRIX_VALUES:
            raise self.fail(f"implausible size {count} for {what}")
        at = self.pos
        values = np.frombuffer(self.take(count * dtype.itemsize, what), dtype=dtype).copy()
        if dtype.kind == "f" and not np.isfinite(values).all():
            raise self.fail(f"{what} holds non-finite values (NaN or infinity); the file is "
                            "corrupt", at)
        return values

    def _scalar(self, layout: struct.Struct, what: str) -> float:
        """One value (``struct`` is far quicker than NumPy for single numbers)."""
        at = self.pos
        value = layout.unpack(self.take(layout.size, what))[0]
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(f"{what} holds non-finite values (NaN or infinity); the file is "
                            "corrupt", at)
        return value

    def int32(self, what: str) -> int:
        return self._scalar(_INT32, what)

    def float32(self, what: str) -> float:
        return self._scalar(_FLOAT32, what)

    def float64(self, what: str) -> float:
        return self._scalar(_FLOAT64, what)

    def marker(self, expected: int, what: str) -> None:
        """An int32 that must equal ``expected`` (OpenFace's sanity markers)."""
        at = self.pos
        if self.int32(f"{what} marker") != expected:
            raise self.fail(f"{what} does not start with marker {expected}", at)

    def count(self, what: str, low: int = 0, high: int = 1_000_000) -> int:
        """A 32-bit count, checked to lie in ``[low, high]``."""
        at = self.pos
        value = self.int32(what)
        if not low <= value <= high:
            raise self.fail(f"{what} is {value}, expected {low}..{high}", at)
        return value

    def matrix(self, what: str, dtype=None) -> np.ndarray:
        """A matrix in OpenFace's binary encoding (ReadMatBin), shape (rows, cols).

        Parameters
        ----------
        dtype : optional
            The element type the file must hold (a file with another type is refused).
        """
        at = self.pos
        rows = self.int32(f"{what} rows")
        cols = self.int32(f"{what} columns")
        code = self.int32(f"{what} type")
        found = opencv_dtype(code)
        if found is None or rows < 0 or cols < 0 or rows * cols > MAX_MATRIX_VALUES:
            raise self.fail(f"{what} has an invalid header (rows {rows}, columns {cols}, "
                            f"type {code})", at)
        if dtype is not None and found != np.dtype(dtype).newbyteorder("<"):
            raise self.fail(f"{what} holds {found}, expected {np.dtype(dtype)}", at)
        return self.array(found, rows * cols, what).reshape(rows, cols)

    def matrices(self, count: int, what: str, dtype=None) -> np.ndarray:
        """``count`` consecutive matrices of one shape and type, read in one go.

        Returns
        -------
        (count, rows, cols) ndarray

        Raises
        ------
        ModelFormatError
            A matrix's header differs from the first's, or the file ends.
        """
        if count < 1:
            raise self.fail(f"{what}: {count} matrices")
        first = self.matrix(f"{what} 0", dtype)
        if count == 1:
            return first[None]
        rows, cols = first.shape
        code = next(c for c, t in OPENCV_DEPTHS.items() if t == first.dtype)
        record = 12 + first.nbytes
        at = self.pos
        block = np.frombuffer(self.take((count - 1) * record, f"{what} 1..{count - 1}"),
                              np.uint8).reshape(count - 1, record)
        headers = block[:, :12].copy().view("<i4")
        differ = np.flatnonzero((headers != [rows, cols, code]).any(axis=1))
        if differ.size:
            i = int(differ[0])
            raise self.fail(f"{what} {i + 1} differs in shape or type from {what} 0 "
                            f"({rows} x {cols}, type {code})", at + i * record)
        data = block[:, 12:].copy().view(first.dtype).reshape(count - 1, rows, cols)
        if data.dtype.kind == "f" and not np.isfinite(data).all():
            raise self.fail(f"{what} holds non-finite values (NaN or infinity); the file is "
                            "corrupt", at)
        return np.concatenate([first[None], data])

    def expect_end(self) -> None:
        """Raise if bytes are left over (the file is not what the reader took it for)."""
        if self.remaining:
            raise self.fail(f"{self.remaining} unexpected bytes after the end of the data")


class TextReader:
    """Whitespace-separated words of a text file, with OpenFace's ``#`` comment lines."""

    def __init__(self, path: "os.PathLike[str] | str"):
        self.path = Path(path)
        try:
            text = self.path.read_bytes().decode("ascii")
        except FileNotFoundError:
            raise FileNotFoundError(f"model file not found: {self.path}") from None
        except OSError as exc:
            raise ModelFormatError(self.path, f"cannot be read ({exc.strerror or exc})") from exc
        except UnicodeDecodeError as exc:
            raise ModelFormatError(self.path, "is not a text file (it holds non-ASCII bytes "
                                   f"at byte {exc.start})") from None
        self.words: List[str] = []
        self.lines: List[int] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.lstrip().startswith("#"):
                continue
            for word in line.split():
                self.words.append(word)
                self.lines.append(number)
        self.pos = 0

    def fail(self, problem: str) -> ModelFormatError:
        """An error about this file at the current line."""
        if self.pos < len(self.lines):
            return ModelFormatError(self.path, problem, self.lines[self.pos], where="line")
        return ModelFormatError(self.path, problem + " (at the end of the file)")

    @property
    def remaining(self) -> int:
        return len(self.words) - self.pos

    def word(self, what: str) -> str:
        if not self.remaining:
            raise self.fail(f"file ends while reading {what}; it is truncated")
        self.pos += 1
        return self.words[self.pos - 1]

    def numbers(self, count: int, what: str, dtype=np.float64) -> np.ndarray:
        """The next ``count`` words as numbers of ``dtype``."""
        if count < 0 or count > MAX_MATRIX_VALUES:
            raise self.fail(f"implausible size {count} for {what}")
        if count > self.remaining:
            raise self.fail(f"file ends while reading {what} (needs {count} numbers, "
                            f"{self.remaining} left); it is truncated")
        chunk = self.words[self.pos:self.pos + count]
        try:
            values = np.array(chunk, dtype=np.float64)
        except ValueError:
            bad = next(i for i, w in enumerate(chunk) if not _is_number(w))
            self.pos += bad
            raise self.fail(f"{what}: {chunk[bad]!r} is not a number") from None
        if not np.isfinite(values).all():
            raise self.fail(f"{what} holds non-finite values (NaN or infinity)")
        dtype = np.dtype(dtype)
        if dtype.kind in "iu" and not np.array_equal(values, np.round(values)):
            raise self.fail(f"{what} must hold whole numbers")
        self.pos += count
        return values.astype(dtype)

    def integer(self, what: str, low: int = 0, high: int = 1_000_000) -> int:
        value = self.numbers(1, what, np.int64)[0]
        if not low <= value <= high:
            self.pos -= 1
            raise self.fail(f"{what} is {value}, expected {low}..{high}")
        return int(value)

    def marker(self, expected: int, what: str) -> None:
        """A whole number that must equal ``expected`` (OpenFace's sanity markers)."""
        if self.integer(f"{what} marker", 0, 1_000_000) != expected:
            self.pos -= 1
            raise self.fail(f"{what} does not start with marker {expected}")

    def matrix(self, what: str) -> np.ndarray:
        """A matrix in OpenFace's text encoding (ReadMat), shape (rows, cols)."""
        start = self.pos
        rows = self.integer(f"{what} rows", 0, MAX_MATRIX_VALUES)
        cols = self.integer(f"{what} columns", 0, MAX_MATRIX_VALUES)
        code = self.integer(f"{what} type", 0, 1000)
        dtype = opencv_dtype(code)
        if dtype is None or rows * cols > MAX_MATRIX_VALUES:
            self.pos = start
            raise self.fail(f"{what} has an invalid header (rows {rows}, columns {cols}, "
                            f"type {code})")
        return self.numbers(rows * cols, what, dtype).reshape(rows, cols)

    def expect_end(self) -> None:
        if self.remaining:
            raise self.fail(f"unexpected text after the end of the data: {self.words[self.pos]!r}")


def _is_number(word: str) -> bool:
    try:
        float(word)
        return True
    except ValueError:
        return False
