"""Download OpenFace's model files, only after the user accepts OpenFace's license.

Each file is fetched from the URLs in the manifest (OpenFace's repository at tag
``OpenFace_2.2.0``), or from a mirror that keeps the same paths. A transfer writes to
``<file>.part`` and resumes it with an HTTP range request after an interruption; the file
is renamed into place only once its size and SHA-256 match the manifest, so a
half-written or wrong file is never used. A lock file (``<root>/.lock``, the one pyclnf
and pyfaceau use too) keeps two programs from writing the same folder at once.

Command line: ``cyclnf-download-models`` (``python -m cyclnf.models.download``).
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from .._version import __version__
from .errors import ModelDownloadError, ModelsNotInstalledError
from .manifest import OPENFACE_VERSION, ManifestFile, manifest
from .store import (ENV_ACCEPT_LICENSE, ENV_MODELS_DIR, all_files, license_accepted,
                    models_root, not_installed_message, original_path, sha256_of)

ENV_MIRROR = "OPENFACE_MODELS_MIRROR"
ATTEMPTS_PER_URL = 4
TIMEOUT_S = 30.0
CHUNK = 1 << 16

ProgressCallback = Callable[[int, int, str], None]
"""``progress(done_bytes, total_bytes, openface_path)`` while downloading."""


class _BadContent(Exception):
    """This URL serves something other than the file: do not retry it."""


class _Incomplete(Exception):
    """The transfer stopped early: retry, resuming from what arrived."""


class _Mismatch(Exception):
    """All bytes arrived but they are not OpenFace's file: start the file again."""


# ---------------------------------------------------------------------------- lock

class FileLock:
    """An inter-process lock on ``path``, released by the OS if the process dies."""

    def __init__(self, path: Path, timeout: float = 15 * 60):
        self.path = Path(path)
        self.timeout = timeout
        self._file = None

    def __enter__(self) -> "FileLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a+b")
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                if os.name == "nt":
                    import msvcrt
                    self._file.seek(0)
                    msvcrt.locking(self._file.fileno(), msvcrt.LK_NBLCK, 1)
                else:
                    import fcntl
                    fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self._file.close()
                    raise ModelDownloadError(
                        f"another program has held {self.path} for {self.timeout:.0f} s; "
                        "close other programs that download OpenFace models and try again")
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        try:
            if os.name == "nt":
                import msvcrt
                self._file.seek(0)
                msvcrt.locking(self._file.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        finally:
            self._file.close()


# ---------------------------------------------------------------------------- one file

def _urls(entry: ManifestFile, mirror: Optional[str]) -> List[str]:
    if mirror:
        return [mirror.rstrip("/") + "/" + entry.path]
    return list(entry.urls)


def _fetch(url: str, part: Path, entry: ManifestFile, progress: Callable[[int], None]) -> None:
    """Fetch ``url`` into ``part``, continuing from the bytes already there."""
    have = part.stat().st_size if part.exists() else 0
    if have > entry.size:
        part.unlink()
        have = 0
    headers = {"User-Agent": f"cyclnf/{__version__} (OpenFace model downloader)"}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # our partial file does not fit this server's file
            part.unlink()
            raise _Incomplete(f"{url}: range not satisfiable, starting again") from exc
        if exc.code in (400, 401, 403, 404, 410):
            raise _BadContent(f"{url}: HTTP {exc.code}") from exc
        raise _Incomplete(f"{url}: HTTP {exc.code}") from exc
    with response:
        if "text/html" in response.headers.get("Content-Type", "").lower():
            raise _BadContent(f"{url} answered with a web page, not the file")
        if response.status == 206:
            mode = "ab"
        else:  # the server sent the whole file
            mode, have = "wb", 0
        length = response.headers.get("Content-Length")
        if length is not None and length.isdigit() and have + int(length) != entry.size:
            raise _BadContent(f"{url} offers {have + int(length)} bytes, expected {entry.size}")
        with open(part, mode) as out:
            while True:
                try:
                    chunk = response.read(CHUNK)
                except Exception as exc:  # IncompleteRead, reset, timeout
                    out.flush()
                    raise _Incomplete(f"{url}: transfer interrupted ({exc!r})") from exc
                if not chunk:
                    break
                have += len(chunk)
                if have > entry.size:
                    raise _Mismatch(f"{url}: more than the expected {entry.size} bytes")
                out.write(chunk)
                progress(have)
            out.flush()
            os.fsync(out.fileno())
    if have < entry.size:
        raise _Incomplete(f"{url}: connection closed after {have} of {entry.size} bytes")


def download_file(entry: ManifestFile, dest: Path, mirror: Optional[str] = None,
                  progress: Optional[Callable[[int], None]] = None,
                  retry_wait: float = 1.0) -> None:
    """Download one manifest file to ``dest``, resuming, checked, renamed into place.

    Raises
    ------
    ModelDownloadError
        No URL gave the file with the right size and SHA-256.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    errors: List[str] = []
    for url in _urls(entry, mirror):
        for attempt in range(ATTEMPTS_PER_URL):
            if attempt:
                time.sleep(retry_wait * 2 ** (attempt - 1))
            try:
                _fetch(url, part, entry, progress or (lambda n: None))
                got = sha256_of(part)
                if got != entry.sha256:
                    raise _Mismatch(f"{url}: sha256 {got} is not OpenFace's {entry.sha256}")
                os.replace(part, dest)
                return
            except _BadContent as exc:
                errors.append(str(exc))
                part.unlink(missing_ok=True)
                break
            except _Mismatch as exc:
                errors.append(str(exc))
                part.unlink(missing_ok=True)
            except _Incomplete as exc:
                errors.append(str(exc))
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM):
                    raise ModelDownloadError(f"cannot write {part}: {exc}. Free some space or "
                                             f"set {ENV_MODELS_DIR} to a writable folder") from exc
                errors.append(f"{url}: {exc}")  # URLError, timeouts, refused connections
    raise ModelDownloadError(
        f"could not download {entry.path}:\n  " + "\n  ".join(errors[-4:]) +
        "\nFiles already downloaded are kept; run the download again to resume.")


# ---------------------------------------------------------------------------- all files

def ensure_models(accept_license: bool = False, *, cache_dir=None,
                  progress: Optional[ProgressCallback] = None,
                  mirror: Optional[str] = None, paths: Optional[Sequence[str]] = None,
                  retry_wait: float = 1.0) -> Path:
    """Make sure OpenFace's model files are installed; download what is missing.

    Files are downloaded only if OpenFace's license is accepted, by ``accept_license=True``
    or ``OPENFACE_MODELS_ACCEPT_LICENSE=1``. Files already present (for pyclnf or pyfaceau
    too) are kept as they are.

    Parameters
    ----------
    accept_license : bool
        Accept OpenFace's license (academic or non-profit, non-commercial research use).
    cache_dir : path, optional
        Replaces ``$OPENFACE_MODELS_DIR`` / the per-user folder (see :mod:`cyclnf.models.store`).
    progress : callable, optional
        ``progress(done_bytes, total_bytes, openface_path)``.
    mirror : str, optional
        URL prefix under which the files keep their OpenFace paths; defaults to
        ``$OPENFACE_MODELS_MIRROR``, else OpenFace's own URLs.
    paths : sequence of str, optional
        OpenFace paths to install; every file in the manifest when omitted.
    retry_wait : float
        Seconds before the first retry of a failed transfer (doubles each time).

    Returns
    -------
    Path
        The models root (``.../OpenFaceModels/2.2.0``).

    Raises
    ------
    ModelsNotInstalledError
        Files are missing and the license was not accepted (nothing was downloaded).
    ModelDownloadError
        A file could not be downloaded, checked or saved.
    """
    root = models_root(cache_dir)
    wanted = [manifest().file(p) for p in (paths if paths is not None else all_files())]
    todo = [e for e in wanted if not _installed(root, e)]
    if not todo:
        return root
    if not license_accepted(accept_license):
        raise ModelsNotInstalledError(not_installed_message(root, todo))
    mirror = mirror if mirror is not None else (os.environ.get(ENV_MIRROR, "").strip() or None)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelDownloadError(f"cannot create {root}: {exc}") from exc
    with FileLock(root / ".lock"):
        todo = [e for e in todo if not _installed(root, e)]  # another program may have done it
        total = sum(e.size for e in todo)
        done = 0
        for entry in todo:
            dest = original_path(root, entry.path)
            if dest.exists():  # present but wrong: replace it
                dest.unlink()

            def report(n: int, base=done, path=entry.path) -> None:
                if progress:
                    progress(base + n, total, path)

            download_file(entry, dest, mirror, report, retry_wait)
            done += entry.size
    return root


def _installed(root: Path, entry: ManifestFile) -> bool:
    path = original_path(root, entry.path)
    try:
        return path.stat().st_size == entry.size and sha256_of(path) == entry.sha256
    except OSError:
        return False


# ---------------------------------------------------------------------------- command line

LICENSE_SUMMARY = """\
cyclnf uses the model files of OpenFace {version} (Carnegie Mellon University and the
University of Cambridge). They are not part of cyclnf and are downloaded from OpenFace's
own repository. OpenFace's license allows ACADEMIC OR NON-PROFIT ORGANISATION,
NON-COMMERCIAL RESEARCH USE ONLY, and does not allow passing the files on.
Read the license: {url}
"""


def _stderr_progress() -> ProgressCallback:
    state = {"path": None, "tenth": -1}

    def report(done: int, total: int, path: str) -> None:
        if path != state["path"]:
            state["path"] = path
            print(f"  {path.rsplit('/', 1)[-1]}", file=sys.stderr, flush=True)
        tenth = done * 10 // max(total, 1)
        if tenth != state["tenth"]:
            state["tenth"] = tenth
            print(f"    {tenth * 10}% of {total / 1e6:.1f} MB", file=sys.stderr, flush=True)
    return report


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``cyclnf-download-models``: install OpenFace's model files after license consent."""
    parser = argparse.ArgumentParser(
        prog="cyclnf-download-models",
        description=f"Download OpenFace {OPENFACE_VERSION}'s model files that cyclnf uses "
                    "(about 18 MB), after you accept OpenFace's license. Files already "
                    "installed for cyclnf, pyclnf or pyfaceau are reused.")
    parser.add_argument("--accept-license", action="store_true",
                        help="accept OpenFace's license without being asked "
                             f"(same as {ENV_ACCEPT_LICENSE}=1)")
    parser.add_argument("--dir", metavar="FOLDER",
                        help=f"keep the files in FOLDER/{OPENFACE_VERSION}/ "
                             f"(default: ${ENV_MODELS_DIR} or your user data folder)")
    parser.add_argument("--mirror", metavar="URL",
                        help="download from a mirror that keeps OpenFace's paths "
                             f"(default: ${ENV_MIRROR} or OpenFace's repository)")
    parser.add_argument("--check", action="store_true",
                        help="only check the installed files (size and SHA-256); download nothing")
    args = parser.parse_args(argv)
    root = models_root(args.dir)
    todo = [e for e in (manifest().file(p) for p in all_files()) if not _installed(root, e)]

    if args.check:
        for entry in todo:
            print(f"missing or wrong: {entry.path}")
        print(f"{root}: {len(all_files()) - len(todo)} of {len(all_files())} files present "
              "and correct")
        return 0 if not todo else 1
    if not todo:
        print(f"All OpenFace model files are installed in {root}")
        return 0

    accepted = license_accepted(args.accept_license)
    if not accepted:
        print(LICENSE_SUMMARY.format(version=OPENFACE_VERSION, url=manifest().license_url))
        if not sys.stdin.isatty():
            print("Not downloading: the license was not accepted. Run again with "
                  "--accept-license if you accept it.", file=sys.stderr)
            return 2
        try:
            answer = input("Type YES to accept the license and download the files: ")
        except EOFError:
            answer = ""
        if answer.strip().upper() != "YES":
            print("Not downloading: the license was not accepted.", file=sys.stderr)
            return 2
    print(f"Downloading {len(todo)} files to {root}", file=sys.stderr)
    try:
        ensure_models(True, cache_dir=args.dir, mirror=args.mirror,
                      progress=_stderr_progress())
    except ModelDownloadError as exc:
        print(f"Download failed: {exc}", file=sys.stderr)
        return 1
    print(f"Done: OpenFace's model files are in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
