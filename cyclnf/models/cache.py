"""A binary cache of parsed model files: parse OpenFace's text once, memory-map after.

Each parsed file is kept as plain ``.npy`` arrays (no pickles) in a folder named after
the SHA-256 of the source file::

    <cache>/v<CACHE_FORMAT>/<kind>/<sha256>/<array>.npy ... meta.json

``meta.json`` is written last and the folder is renamed into place, so a half-written
entry is never read. A changed source file has another SHA-256 and so another entry.
To avoid hashing every source on every start, the SHA-256 of each source is remembered
together with its size and modification time; a source whose size or time changed is
hashed again.

``<cache>`` is ``$CYCLNF_CACHE_DIR``, else the user cache folder (``~/.cache/cyclnf`` or
``$XDG_CACHE_HOME/cyclnf`` on Linux, ``~/Library/Caches/cyclnf`` on macOS,
``%LOCALAPPDATA%\\cyclnf\\Cache`` on Windows). If it cannot be written, files are parsed
in memory each time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Callable, Dict, Optional, Protocol, Type, TypeVar

import numpy as np

from .errors import ModelFormatError
from .store import sha256_of

#: Bump when any reader's output or the cache layout changes.
CACHE_FORMAT = 1
ENV_CACHE_DIR = "CYCLNF_CACHE_DIR"

T = TypeVar("T", bound="Cacheable")
_warned: set = set()  # cache folders already reported as unwritable


class Cacheable(Protocol):
    """A parsed model file that can be stored as named arrays and rebuilt from them."""

    def to_arrays(self) -> Dict[str, np.ndarray]: ...

    @classmethod
    def from_arrays(cls: Type[T], arrays: Dict[str, np.ndarray]) -> T: ...


def cache_root() -> Path:
    """The cache folder for this cache format."""
    env = os.environ.get(ENV_CACHE_DIR, "").strip()
    if env:
        base = Path(env).expanduser()
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches" / "cyclnf"
    elif os.name == "nt":
        local = os.environ.get("LOCALAPPDATA")
        base = (Path(local) if local else Path.home() / "AppData" / "Local") / "cyclnf" / "Cache"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = (Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache") / "cyclnf"
    return base / f"v{CACHE_FORMAT}"


def source_sha256(path: Path) -> str:
    """SHA-256 of ``path``, remembered across runs while its size and mtime stay the same."""
    stat = path.stat()
    key = hashlib.sha256(os.fsencode(path.resolve())).hexdigest()[:32]
    memo = cache_root() / "sources" / f"{key}.json"
    try:
        seen = json.loads(memo.read_text())
        if seen["size"] == stat.st_size and seen["mtime_ns"] == stat.st_mtime_ns:
            return seen["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    digest = sha256_of(path)
    _write_atomic(memo, json.dumps({"path": str(path), "size": stat.st_size,
                                    "mtime_ns": stat.st_mtime_ns, "sha256": digest}))
    return digest


def load(path: "os.PathLike[str] | str", kind: str, cls: Type[T],
         read: Callable[[Path], T], expected_sha256: Optional[str] = None) -> T:
    """The parsed form of a model file, from the cache when it holds it.

    Parameters
    ----------
    path : path
        The OpenFace file.
    kind : str
        Cache sub-folder for this reader (``"pdm"``, ``"ccnf"``, ...).
    cls : type
        The parsed type (has ``to_arrays`` / ``from_arrays``).
    read : callable
        Parses ``path`` into ``cls`` (raises ModelFormatError on bad files).
    expected_sha256 : str, optional
        Refuse a file whose SHA-256 differs (the manifest's value for OpenFace 2.2.0).

    Raises
    ------
    ModelFormatError
        The file does not have the expected SHA-256, or cannot be parsed.
    """
    path = Path(path)
    digest = source_sha256(path)
    if expected_sha256 is not None and digest != expected_sha256:
        raise ModelFormatError(
            path, f"its SHA-256 is {digest}, not that of OpenFace 2.2.0's file "
                  f"({expected_sha256}): it is damaged or another version. Delete it and run "
                  "cyclnf-download-models")
    entry = cache_root() / kind / digest
    if (entry / "meta.json").is_file():
        try:
            return cls.from_arrays(_read_entry(entry))
        except Exception as exc:  # a damaged cache entry is rebuilt, never trusted
            warnings.warn(f"cyclnf's cached copy of {path} in {entry} could not be read "
                          f"({exc!r}); parsing the file again", RuntimeWarning, stacklevel=2)
            shutil.rmtree(entry, ignore_errors=True)
    parsed = read(path)
    _write_entry(entry, parsed.to_arrays(), {"source": str(path), "sha256": digest,
                                             "kind": kind, "format": CACHE_FORMAT})
    return parsed


#: Arrays smaller than this are read into memory; larger ones are memory-mapped.
MMAP_MIN_BYTES = 4096


def _read_entry(entry: Path) -> Dict[str, np.ndarray]:
    meta = json.loads((entry / "meta.json").read_text())
    arrays = {}
    for name in meta["arrays"]:
        path = entry / f"{name}.npy"
        big = path.stat().st_size >= MMAP_MIN_BYTES
        arrays[name] = np.load(path, mmap_mode="r" if big else None, allow_pickle=False)
    return arrays


def _write_entry(entry: Path, arrays: Dict[str, np.ndarray], meta: dict) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", np.asarray(array, order="C"), allow_pickle=False)
        (tmp / "meta.json").write_text(json.dumps({**meta, "arrays": sorted(arrays)}))
        try:
            os.replace(tmp, entry)
        except OSError:  # another process wrote the same entry first
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        if entry.parent not in _warned:
            _warned.add(entry.parent)
            warnings.warn(f"cyclnf cannot write its model cache in {entry.parent} ({exc}); "
                          f"model files will be parsed on every start. Set {ENV_CACHE_DIR} "
                          "to a writable folder.", RuntimeWarning, stacklevel=3)


def _write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError:
        pass  # the memo only saves time
