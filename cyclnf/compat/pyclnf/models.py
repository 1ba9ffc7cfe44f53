"""pyclnf's ``pyclnf.models`` module, served by cyclnf: the same names over cyclnf's store.

The files live where pyclnf keeps them (``OPENFACE_MODELS_DIR`` or the per-user
``OpenFaceModels/2.2.0``); cyclnf reads OpenFace's originals there and needs no converted
copy, so ``models_dir()`` is the ``2.2.0`` folder, which ``CLNF(model_dir=...)`` accepts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

from ...models import (ENV_ACCEPT_LICENSE, ENV_MODELS_DIR, LICENSE_URL, OPENFACE_VERSION,
                       ModelDownloadError, ModelsNotInstalledError, ensure_models,
                       license_accepted, models_root, user_data_dir)
from ...models.manifest import _manifest_text
from ...models.store import all_files, missing

__all__ = [
    "ensure_models", "ModelsNotInstalledError", "ModelDownloadError", "models_root",
    "models_dir", "models_ready", "license_accepted", "load_manifest", "user_data_dir",
    "OPENFACE_VERSION", "LICENSE_URL", "ENV_MODELS_DIR", "ENV_ACCEPT_LICENSE",
]


def models_dir(cache_dir: "Optional[os.PathLike[str] | str]" = None) -> Path:
    """The folder CLNF loads from (``.../OpenFaceModels/2.2.0``; it may not exist yet)."""
    return models_root(cache_dir)


def models_ready(cache_dir: "Optional[os.PathLike[str] | str]" = None) -> bool:
    """True if every model file cyclnf uses is installed."""
    return not missing(all_files(), models_root(cache_dir))


def load_manifest() -> dict:
    """cyclnf's model manifest (files, sizes, SHA-256, URLs) as a dict."""
    return json.loads(_manifest_text()[0])
