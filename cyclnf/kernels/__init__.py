"""The compiled kernels, or their NumPy twins when ``CYCLNF_KERNELS=numpy``.

Every kernel module in ``src/`` (compiled to ``cyclnf.kernels._<name>``) has a NumPy twin
``cyclnf.kernels.numpy_<name>`` with the same functions and array layouts. The choice is
made once per process, from the environment variable ``CYCLNF_KERNELS``:

``compiled`` (default)
    the Cython kernels; importing cyclnf fails with a clear message if they are not built.
``numpy``
    the twins: slow, but plain NumPy, for checking the compiled kernels and for debugging.

Use ``from cyclnf.kernels import pdm`` and call ``pdm.jacobian(...)``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Tuple

ENV_KERNELS = "CYCLNF_KERNELS"
KERNEL_NAMES: Tuple[str, ...] = ("pdm", "warp", "ccnf", "svr", "meanshift", "rlms", "cnn",
                                 "paw")


def _backend_from_environment() -> str:
    value = os.environ.get(ENV_KERNELS, "").strip().lower() or "compiled"
    if value not in ("compiled", "numpy"):
        raise ImportError(f"{ENV_KERNELS}={value!r} is not understood: use 'compiled' or 'numpy'")
    return value


def load(name: str, backend: str) -> ModuleType:
    """The kernel module ``name`` of one backend (``"compiled"`` or ``"numpy"``)."""
    if backend == "numpy":
        return importlib.import_module(f"{__name__}.numpy_{name}")
    try:
        return importlib.import_module(f"{__name__}._{name}")
    except ImportError as exc:
        hint = ""
        if (Path(__file__).resolve().parents[2] / "pyproject.toml").is_file():
            hint = (" Python is importing cyclnf from its source folder "
                    f"({Path(__file__).resolve().parents[2]}), which holds no compiled "
                    "kernels: run from another folder, or install with "
                    "'pip install -e .' to develop in place.")
        raise ImportError(
            f"cyclnf's compiled kernel '{name}' is not available ({exc}). Install cyclnf with "
            f"pip (which compiles it), or set {ENV_KERNELS}=numpy to run on the slow NumPy "
            f"twins.{hint}") from exc


#: ``"compiled"`` or ``"numpy"``: which implementation this process uses.
BACKEND = _backend_from_environment()

pdm = load("pdm", BACKEND)
warp = load("warp", BACKEND)
ccnf = load("ccnf", BACKEND)
svr = load("svr", BACKEND)
meanshift = load("meanshift", BACKEND)
rlms = load("rlms", BACKEND)
cnn = load("cnn", BACKEND)
paw = load("paw", BACKEND)


def openmp_enabled() -> bool:
    """True if the compiled kernels were built with OpenMP."""
    if BACKEND == "numpy":
        return False
    return bool(load("build", "compiled").OPENMP)
