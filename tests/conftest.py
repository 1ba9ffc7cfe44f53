"""Shared test set-up: where ../shared is, model files, an isolated model cache."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

#: ../shared beside the repository: OpenFace's models, annotated faces, reference outputs.
SHARED = Path(os.environ.get("CYCLNF_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))

# Developers running pytest by hand get ../shared's models without setting anything.
if not os.environ.get("OPENFACE_MODELS_DIR") and (SHARED / "openface-models" / "2.2.0").is_dir():
    os.environ["OPENFACE_MODELS_DIR"] = str(SHARED / "openface-models")
# Tests never read or write the user's model cache.
if not os.environ.get("CYCLNF_CACHE_DIR"):
    _cache = tempfile.mkdtemp(prefix="cyclnf-test-cache-")
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)
    os.environ["CYCLNF_CACHE_DIR"] = _cache


def _missing(reason: str):
    """Skip, or fail where CI demands the files (CYCLNF_REQUIRE_MODELS=1)."""
    if os.environ.get("CYCLNF_REQUIRE_MODELS", "").strip() == "1":
        pytest.fail(reason + " (CYCLNF_REQUIRE_MODELS=1 makes this a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def models_root() -> Path:
    """The models root (``.../2.2.0``) with every manifest file present."""
    from cyclnf.models import store
    root = store.models_root()
    absent = store.missing(store.all_files(), root)
    if absent:
        _missing(f"OpenFace model files are not installed in {root} "
                 f"({len(absent)} missing); set OPENFACE_MODELS_DIR")
    return root


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data with the annotated faces and videos."""
    path = SHARED / "data"
    if not (path / "images_gt").is_dir():
        _missing(f"test data not found at {path}; set CYCLNF_SHARED_DIR")
    return path
