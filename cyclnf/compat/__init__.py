"""cyclnf in pyclnf's place, for programs written for pyclnf (pyfaceau among them).

After :func:`install_as_pyclnf`, ``import pyclnf``, ``from pyclnf import CLNF``,
``pyclnf.clnf`` and ``pyclnf.models`` give cyclnf's compatible modules for the rest of
the process, whether or not pyclnf is installed. To run an unmodified program that way::

    python -m cyclnf.as_pyclnf my_script.py ARGS...
    python -m cyclnf.as_pyclnf some.module ARGS...
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import Dict

#: pyclnf's modules callers import, and the cyclnf modules that stand in for them.
ALIASES: Dict[str, str] = {
    "pyclnf": "cyclnf.compat.pyclnf",
    "pyclnf.clnf": "cyclnf.compat.pyclnf.clnf",
    "pyclnf.models": "cyclnf.compat.pyclnf.models",
}


class _PyclnfFinder(importlib.abc.MetaPathFinder):
    """Refuses pyclnf's internal modules with a clear reason (the public ones are aliased)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] != "pyclnf" or fullname in ALIASES:
            return None
        raise ImportError(f"cyclnf stands in for pyclnf's public modules "
                          f"({', '.join(sorted(ALIASES))}), not for {fullname!r}, one of "
                          f"pyclnf's internals")


def install_as_pyclnf() -> None:
    """Make ``import pyclnf`` (and ``pyclnf.clnf``, ``pyclnf.models``) give cyclnf.

    Affects this process from now on; modules that already imported the real pyclnf keep
    it. Calling it again does nothing.
    """
    for alias, target in ALIASES.items():
        sys.modules[alias] = importlib.import_module(target)
    if not any(isinstance(f, _PyclnfFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _PyclnfFinder())


def uninstall_as_pyclnf() -> None:
    """Undo :func:`install_as_pyclnf` (a later ``import pyclnf`` finds the real one, if any)."""
    for alias, target in ALIASES.items():
        module = sys.modules.get(alias)
        if module is not None and module.__name__ == target:
            del sys.modules[alias]
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _PyclnfFinder)]
