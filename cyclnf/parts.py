"""OpenFace's hierarchical part models: the inner face and the eyes, fitted after the main model.

OpenFace 2.2's ``main_clnf_general.txt`` names three parts, each a CLNF model of its own
(PDM and CCNF experts) tied to the 68 points by an index mapping:

- ``inner``: 51 points, the 68 without the jaw (main 17..67 -> part 0..50);
- ``left_eye_28`` and ``right_eye_28``: 28 points of an eye, six of which are the main
  model's eye corners and lids (main 36..41 / 42..47 -> part 8, 10, ..., 18).

After the main fit (LandmarkDetectorModel.cpp, CLNF::DetectLandmarks), each part's PDM is
fitted to the mapped main landmarks (its other points unseen); if the face is large enough
for the part's experts (main scale above 0.9 times the part's first patch scale), the part
model is fitted to the image with its own parameters (:data:`PART_SETTINGS`). If any part
was fitted, its landmarks replace the mapped main ones and the main PDM is fitted to the
merged 68 points, so the final landmarks stay a plausible shape of the main model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import models
from .fitting import FitSettings, fit
from .landmark_model import LandmarkModel
from .pdm import PDM

#: Each part's fitting parameters, OpenFace's (CLNF::Read): no parameter refinement across
#: scales, no hierarchy or validation of their own.
PART_SETTINGS: Dict[str, FitSettings] = {
    "inner": FitSettings(window_sizes=(9,), sigma=1.75, reg_factor=2.5, weight_factor=2.5,
                         refine_parameters=False),
    "left_eye_28": FitSettings(window_sizes=(3, 5, 9), sigma=1.0, reg_factor=0.5,
                               refine_parameters=False),
    "right_eye_28": FitSettings(window_sizes=(3, 5, 9), sigma=1.0, reg_factor=0.5,
                                refine_parameters=False),
}

#: The parts pyclnf's ``use_eye_refinement`` switches.
EYE_PARTS = ("left_eye_28", "right_eye_28")
#: The part pyclnf's ``use_inner_refinement`` switches.
INNER_PARTS = ("inner",)

#: A part runs only when the main model's scale exceeds this fraction of the part's first
#: patch scale (OpenFace does not upsample the image for a part).
PART_MIN_RELATIVE_SCALE = 0.9


@dataclass(frozen=True)
class Part:
    """A hierarchical part model.

    Attributes
    ----------
    name : str
        OpenFace's part name (``inner``, ``left_eye_28``, ``right_eye_28``).
    model : LandmarkModel
        The part's own PDM and patch experts.
    main_indices, part_indices : (k,) int ndarray
        Landmark ``main_indices[j]`` of the main model is landmark ``part_indices[j]`` of
        the part.
    settings : FitSettings
        How the part is fitted.
    """

    name: str
    model: LandmarkModel
    main_indices: np.ndarray
    part_indices: np.ndarray
    settings: FitSettings

    @property
    def min_main_scale(self) -> float:
        """The main model's scale above which this part is fitted to the image."""
        return PART_MIN_RELATIVE_SCALE * self.model.scales[0].scale


@dataclass
class PartFit:
    """One part's outcome.

    Attributes
    ----------
    name : str
    params : (n_params,) ndarray
        The part's PDM parameters.
    landmarks : (n_points, 2) ndarray
        The part's landmarks (``(x, y)`` pixels).
    fitted : bool
        The part model was fitted to the image (False: only its PDM was placed on the main
        model's landmarks, because the face is too small for its experts).
    """

    name: str
    params: np.ndarray
    landmarks: np.ndarray
    fitted: bool


def load_parts(model_name: str = "clnf_general", names: Optional[Sequence[str]] = None,
               cache_dir: "Optional[os.PathLike[str] | str]" = None) -> Tuple[Part, ...]:
    """The part models a manifest model names, in the manifest's order.

    Parameters
    ----------
    model_name : str
        The main model in cyclnf's manifest.
    names : sequence of str, optional
        Only these parts (default: all the model has).

    Raises
    ------
    ValueError
        A name the model has no part for.
    ModelsNotInstalledError, ModelFormatError
        As :meth:`LandmarkModel.load`.
    """
    spec = models.manifest().model(model_name)
    available = [p.name for p in spec.parts]
    wanted = available if names is None else list(names)
    unknown = [n for n in wanted if n not in available]
    if unknown:
        raise ValueError(f"model {model_name!r} has no part {unknown[0]!r}; it has {available}")
    parts = []
    for spec_part in spec.parts:
        if spec_part.name not in wanted:
            continue
        if spec_part.name not in PART_SETTINGS:
            raise ValueError(f"cyclnf has no fitting parameters for part {spec_part.name!r}")
        mapping = np.array(spec_part.mapping, dtype=np.intp).reshape(-1, 2)
        parts.append(Part(spec_part.name, LandmarkModel.load(spec_part.model, cache_dir),
                          mapping[:, 0].copy(), mapping[:, 1].copy(),
                          PART_SETTINGS[spec_part.name]))
    return tuple(parts)


def fit_part(part: Part, image: np.ndarray, main_landmarks: np.ndarray, main_scale: float,
             n_threads: int = 1) -> PartFit:
    """Place a part on the main landmarks and, if the face is large enough, fit it.

    Parameters
    ----------
    image : (H, W) uint8 ndarray
    main_landmarks : (n_main, 2) ndarray
        The main model's landmarks.
    main_scale : float
        The main model's scale (``params[0]``).
    """
    pdm = part.model.pdm
    points = np.full((pdm.n_points, 2), np.nan)
    points[part.part_indices] = main_landmarks[part.main_indices]
    visible = np.zeros(pdm.n_points, dtype=bool)
    visible[part.part_indices] = True
    params = pdm.params_from_landmarks(points, visible=visible)
    if main_scale > part.min_main_scale:
        result = fit(part.model, image, params, part.settings, n_threads)
        return PartFit(part.name, result.params, result.landmarks, True)
    return PartFit(part.name, params, pdm.landmarks_2d(params), False)


def refine_with_parts(pdm: PDM, parts: Sequence[Part], image: np.ndarray, params: np.ndarray,
                      n_threads: int = 1, reported: Sequence[str] = EYE_PARTS
                      ) -> Tuple[np.ndarray, np.ndarray, List[PartFit]]:
    """OpenFace's hierarchical refinement of a main-model fit.

    Parameters
    ----------
    pdm : PDM
        The main model's PDM.
    parts : sequence of Part
    image : (H, W) uint8 ndarray
    params : (n_params,) ndarray
        The main model's fitted parameters.
    reported : sequence of str
        Parts placed on the main landmarks even when the face is too small to fit them,
        because their landmarks are reported (OpenFace's 56 eye landmarks). The others are
        then skipped: OpenFace places them too, but nothing uses the result.

    Returns
    -------
    params : (n_params,) ndarray
        The main parameters, refitted to the merged landmarks if any part was fitted.
    landmarks : (n_main, 2) ndarray
    part_fits : list of PartFit
        One per part fitted or reported, in order.
    """
    landmarks = pdm.landmarks_2d(params)
    scale = float(params[0])
    part_fits = [fit_part(part, image, landmarks, scale, n_threads) for part in parts
                 if scale > part.min_main_scale or part.name in reported]
    if not any(f.fitted for f in part_fits):
        return params, landmarks, part_fits
    merged = landmarks.copy()
    by_name = {part.name: part for part in parts}
    for part_fit in part_fits:
        part = by_name[part_fit.name]
        merged[part.main_indices] = part_fit.landmarks[part.part_indices]
    # OpenFace refits from scratch (zero rotation, the merged points' box).
    params = pdm.params_from_landmarks(merged)
    return params, pdm.landmarks_2d(params), part_fits
