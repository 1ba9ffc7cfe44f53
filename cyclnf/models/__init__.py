"""OpenFace's model files: where they are, getting them, checking and reading them.

cyclnf does not include OpenFace's model files: OpenFace's license (academic or
non-profit, non-commercial research use only) forbids redistributing them. They are
found in the folder shared with pyclnf and pyfaceau (see :mod:`cyclnf.models.store`)
and, only after the user accepts the license, downloaded from OpenFace's repository::

    cyclnf-download-models                      # shows the license, asks, downloads
    cyclnf.models.ensure_models(accept_license=True)

Loading never downloads: a missing file raises :class:`ModelsNotInstalledError` saying
what is missing and the command that installs it. A file is checked against the SHA-256
of OpenFace 2.2.0's file the first time it is read, parsed, and kept in a binary cache
(:mod:`cyclnf.models.cache`) so later starts memory-map it instead of parsing text.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple, Type

from . import cache
from .download import ensure_models
from .errors import ModelDownloadError, ModelFormatError, ModelsNotInstalledError
from .formats.ccnf import CCNFPatchExperts, read_ccnf
from .formats.cnn import Network, Validator, read_mtcnn_network, read_validator
from .formats.definition import ModelDefinition, read_model_definition
from .formats.pdm import PDMFile, read_pdm
from .formats.svr import SVRPatchExperts, read_svr
from .formats.triangulation import TextMatrix, Triangulation, read_text_matrix, read_triangulation
from .manifest import OPENFACE_VERSION, Manifest, ModelSpec, manifest
from .store import (ENV_ACCEPT_LICENSE, ENV_MODELS_DIR, license_accepted, models_root,
                    require, user_data_dir)

LICENSE_URL = manifest().license_url

#: Manifest ``format`` -> (parsed type, reader).
READERS: Dict[str, Tuple[Type[Any], Callable[[Path], Any]]] = {
    "pdm": (PDMFile, read_pdm),
    "ccnf": (CCNFPatchExperts, read_ccnf),
    "svr": (SVRPatchExperts, read_svr),
    "triangulation": (Triangulation, read_triangulation),
    "validator": (Validator, read_validator),
    "mtcnn": (Network, read_mtcnn_network),
    "text_matrix": (TextMatrix, read_text_matrix),
}


def read_file(path: "os.PathLike[str] | str", format: str,
              expected_sha256: Optional[str] = None) -> Any:
    """Parse any OpenFace model file of a known ``format``, through the binary cache.

    Parameters
    ----------
    path : path
        The file.
    format : str
        One of ``READERS`` (``"pdm"``, ``"ccnf"``, ``"svr"``, ...).
    expected_sha256 : str, optional
        Refuse the file unless its SHA-256 is this.

    Raises
    ------
    ModelFormatError
        The file is truncated, corrupt, of another kind, or has another SHA-256.
    """
    try:
        cls, reader = READERS[format]
    except KeyError:
        raise ValueError(f"unknown model file format {format!r}; known: {sorted(READERS)}") from None
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    return cache.load(path, format, cls, reader, expected_sha256)


def load_file(openface_path: str, cache_dir: "os.PathLike[str] | str | None" = None) -> Any:
    """A manifest file, found in the models folder, verified and parsed.

    Parameters
    ----------
    openface_path : str
        The file's path in OpenFace's repository, as the manifest lists it.
    cache_dir : path, optional
        The models folder's base (default ``$OPENFACE_MODELS_DIR`` or the per-user folder).

    Raises
    ------
    ModelsNotInstalledError
        The file is not installed (nothing is downloaded).
    ModelFormatError
        The file is damaged or another version.
    """
    entry = manifest().file(openface_path)
    local = require([openface_path], cache_dir)[openface_path]
    return read_file(local, entry.format, entry.sha256)


__all__ = [
    "ensure_models", "load_file", "read_file", "models_root", "user_data_dir", "require",
    "license_accepted", "manifest", "Manifest", "ModelSpec", "READERS",
    "read_model_definition", "ModelDefinition", "PDMFile", "CCNFPatchExperts",
    "SVRPatchExperts", "Triangulation", "TextMatrix", "Validator", "Network",
    "ModelsNotInstalledError", "ModelDownloadError", "ModelFormatError",
    "LICENSE_URL", "OPENFACE_VERSION", "ENV_MODELS_DIR", "ENV_ACCEPT_LICENSE",
]
