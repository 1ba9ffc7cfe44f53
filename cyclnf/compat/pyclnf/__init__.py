"""pyclnf 0.4.1's top-level module, served by cyclnf (see :mod:`cyclnf.compat`).

``CLNF`` is :class:`cyclnf.CLNF`; ``PDM`` is :class:`cyclnf.PDM`. pyclnf's internal
classes (``CCNFModel``, ``CCNFPatchExpert``, ``NURLMSOptimizer``) have no counterpart.
"""

from ...clnf import CLNF
from ...pdm import PDM
from ..._version import __version__ as cyclnf_version

#: The pyclnf release whose interface this module provides.
__version__ = "0.4.1"
__all__ = ["CLNF", "PDM"]

_INTERNALS = ("CCNFModel", "CCNFPatchExpert", "NURLMSOptimizer")


def __getattr__(name):
    if name in _INTERNALS:
        raise AttributeError(f"pyclnf.{name} is one of pyclnf's internals, which cyclnf "
                             f"(standing in for pyclnf) does not provide; use pyclnf.CLNF")
    raise AttributeError(f"module 'pyclnf' (cyclnf {cyclnf_version}) has no attribute {name!r}")
