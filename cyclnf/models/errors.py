"""Errors raised while finding, checking, downloading and reading OpenFace's model files."""

from __future__ import annotations

import os
from typing import Optional


class ModelsNotInstalledError(FileNotFoundError):
    """OpenFace's model files are missing; the message says which and how to get them."""


class ModelDownloadError(RuntimeError):
    """A model file could not be downloaded, checked or saved."""


class ModelFormatError(ValueError):
    """A model file is truncated, corrupt, or not the kind of file that was expected.

    Attributes
    ----------
    path : str
        The file.
    offset : int or None
        Byte offset (binary files) or line number (text files) where reading failed.
    """

    def __init__(self, path: "os.PathLike[str] | str", problem: str,
                 offset: Optional[int] = None, where: str = "byte"):
        self.path = os.fspath(path)
        self.offset = offset
        at = f" at {where} {offset}" if offset is not None else ""
        super().__init__(f"{self.path}: {problem}{at}")
