"""pyclnf's ``pyclnf.clnf`` module, served by cyclnf."""

from ...clnf import CLNF

__all__ = ["CLNF"]
