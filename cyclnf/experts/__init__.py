"""Patch experts: for each landmark, a map of how likely each nearby position is.

One object per patch scale of a model; each reads nothing itself (the file readers in
:mod:`cyclnf.models.formats` do) and has one job: compute response maps.

- :class:`CCNFExperts`: Constrained Local Neural Field experts (Baltrusaitis et al. 2013).
- :class:`SVRExperts`: linear SVR experts on intensity and gradient features (OpenFace's
  CLM model).
"""

from .base import PatchExperts
from .ccnf import CCNFExperts
from .svr import SVRExperts

__all__ = ["PatchExperts", "CCNFExperts", "SVRExperts"]
