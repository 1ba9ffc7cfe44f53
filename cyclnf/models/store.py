"""Where OpenFace's model files live on this computer, and whether they are all there.

The folder is shared with pyclnf, pyfaceau and pymtcnn, so one copy serves all of them::

    <base>/2.2.0/originals/<path in OpenFace's repository>

``<base>`` is the ``cache_dir`` argument, else ``$OPENFACE_MODELS_DIR``, else
``<user data dir>/OpenFaceModels``: ``~/.local/share`` (or ``$XDG_DATA_HOME``) on Linux,
``~/Library/Application Support`` on macOS, ``%LOCALAPPDATA%`` on Windows.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from .errors import ModelFormatError, ModelsNotInstalledError
from .manifest import OPENFACE_VERSION, ManifestFile, manifest

ENV_MODELS_DIR = "OPENFACE_MODELS_DIR"
ENV_ACCEPT_LICENSE = "OPENFACE_MODELS_ACCEPT_LICENSE"
DOWNLOAD_COMMAND = "cyclnf-download-models"


def user_data_dir() -> Path:
    """This operating system's per-user data folder."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    if os.name == "nt":
        local = os.environ.get("LOCALAPPDATA")
        return Path(local) if local else Path.home() / "AppData" / "Local"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    return Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"


def models_root(cache_dir: "Optional[os.PathLike[str] | str]" = None) -> Path:
    """The folder for OpenFace 2.2.0's files (it may not exist yet).

    Parameters
    ----------
    cache_dir : path, optional
        Replaces ``$OPENFACE_MODELS_DIR`` or ``<user data dir>/OpenFaceModels``;
        ``2.2.0`` is always appended.
    """
    if cache_dir is not None:
        base = Path(cache_dir).expanduser()
    elif os.environ.get(ENV_MODELS_DIR, "").strip():
        base = Path(os.environ[ENV_MODELS_DIR].strip()).expanduser()
    else:
        base = user_data_dir() / "OpenFaceModels"
    return base / OPENFACE_VERSION


def original_path(root: Path, openface_path: str) -> Path:
    """Where a file from OpenFace's repository is kept under ``root``."""
    return root.joinpath("originals", *openface_path.split("/"))


def license_accepted(accept_license: bool = False) -> bool:
    """True if the caller accepted OpenFace's license, or ``OPENFACE_MODELS_ACCEPT_LICENSE=1``."""
    return bool(accept_license) or os.environ.get(ENV_ACCEPT_LICENSE, "").strip() == "1"


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def all_files() -> List[str]:
    """Every OpenFace path in the manifest."""
    return list(manifest().files)


def missing(paths: Iterable[str], root: Path) -> List[ManifestFile]:
    """Manifest entries among ``paths`` that are absent under ``root`` (size not checked)."""
    return [manifest().file(p) for p in paths if not original_path(root, p).is_file()]


def wrong_size(entry: ManifestFile, path: Path) -> Optional[str]:
    """Why ``path`` cannot be OpenFace's file (size differs), or None."""
    size = path.stat().st_size
    if size != entry.size:
        return (f"is {size} bytes, OpenFace {OPENFACE_VERSION}'s file is {entry.size} bytes "
                f"(truncated, or another version). Delete it and run {DOWNLOAD_COMMAND}")
    return None


def require(paths: Iterable[str], cache_dir=None) -> Dict[str, Path]:
    """Local paths of OpenFace files, after checking that each is present and whole.

    Never downloads. The full SHA-256 check happens when a file is first read (see
    :mod:`cyclnf.models.cache`); here only presence and size are checked.

    Raises
    ------
    ModelsNotInstalledError
        Some files are missing; the message lists them and the command that installs them.
    ModelFormatError
        A file has the wrong size.
    """
    root = models_root(cache_dir)
    paths = list(dict.fromkeys(paths))
    absent = missing(paths, root)
    if absent:
        raise ModelsNotInstalledError(not_installed_message(root, absent))
    found = {}
    for p in paths:
        local = original_path(root, p)
        problem = wrong_size(manifest().file(p), local)
        if problem:
            raise ModelFormatError(local, problem)
        found[p] = local
    return found


def _size_text(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(1, round(n / 1e3))} KB"


def not_installed_message(root: Path, absent: List[ManifestFile]) -> str:
    """What a user reads when model files are missing."""
    names = "\n".join(f"    {e.path}" for e in absent[:8])
    if len(absent) > 8:
        names += f"\n    ... and {len(absent) - 8} more"
    return (
        f"{len(absent)} of OpenFace {OPENFACE_VERSION}'s model files that cyclnf needs are not "
        f"installed in\n    {root}\n{names}\n\n"
        "cyclnf does not include them: OpenFace's license (Carnegie Mellon University) allows\n"
        "academic or non-profit, non-commercial research use only and forbids passing them on.\n"
        f"License: {manifest().license_url}\n\n"
        f"Install them once ({_size_text(sum(e.size for e in absent))}) with this command, which "
        "shows the license and asks you to accept it:\n"
        f"    {DOWNLOAD_COMMAND}\n\n"
        f"(Non-interactive: add --accept-license, or set {ENV_ACCEPT_LICENSE}=1 and call "
        "cyclnf.models.ensure_models().\n"
        f" Files kept elsewhere: set {ENV_MODELS_DIR} to the folder that contains "
        f"{OPENFACE_VERSION}/originals/.)"
    )
