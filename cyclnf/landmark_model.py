"""A landmark model: a PDM and its patch experts, one set per patch scale, coarse to fine
(what OpenFace's CLNF::Read assembles from a model-definition file)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, Tuple

from . import models
from .experts import CCNFExperts, PatchExperts, SVRExperts
from .pdm import PDM

_EXPERTS = {"ccnf": CCNFExperts, "svr": SVRExperts}


@dataclass(frozen=True)
class LandmarkModel:
    """PDM plus patch experts.

    Attributes
    ----------
    name : str
        The manifest's name for the model (``clnf_general``, ``clm_general``, ...).
    pdm : PDM
    scales : tuple of PatchExperts
        One per patch scale, in increasing scale (coarse to fine).
    """

    name: str
    pdm: PDM
    scales: Tuple[PatchExperts, ...]

    @property
    def kind(self) -> str:
        """``"ccnf"`` or ``"svr"``."""
        return self.scales[0].kind

    @classmethod
    def load(cls, name: str = "clnf_general",
             cache_dir: "Optional[os.PathLike[str] | str]" = None) -> "LandmarkModel":
        """An installed model from cyclnf's manifest (never downloads).

        Raises
        ------
        ModelsNotInstalledError
            Its files are not installed.
        ModelFormatError
            A file is damaged or another version.
        """
        spec = models.manifest().model(name)
        experts = _EXPERTS[spec.patch_expert_kind]
        pdm = PDM.load(name, cache_dir)
        scales = tuple(experts(models.load_file(path, cache_dir)) for path in spec.patch_experts)
        for s in scales:
            if s.n_landmarks != pdm.n_points:
                raise ValueError(f"{name}: patch experts for {s.n_landmarks} landmarks, "
                                 f"PDM for {pdm.n_points}")
        return cls(name, pdm, tuple(sorted(scales, key=lambda s: s.scale)))
