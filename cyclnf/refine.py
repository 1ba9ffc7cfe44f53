"""Targeted refinement: improve chosen landmarks that another detector placed.

A fast landmark detector (PFLD, MediaPipe, dlib...) is often good overall but weak where
action units are read: the brows (17-26) and the lip corners (48, 54). Refinement starts
from its 68 points and lets OpenFace's patch experts move only the chosen ones:

1. fit the PDM to the given points (OpenFace's CalcParams), the start of the search;
2. run NU-RLMS at the finest patch scale (window 7), where the chosen landmarks follow
   their experts' response maps and every other landmark is held at the position the
   detector gave (its response map replaced by a peak there);
3. the chosen landmarks take the positions of the fitted PDM, so the shape stays a
   plausible face; the others are returned as given.

The experts are the CLNF model's CCNF experts or the CLM model's SVR experts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional, Sequence

import numpy as np

from ._validate import as_float_array
from .face_model import DEFAULT_SETTINGS
from .fitting import FitSettings, fit
from .landmark_model import LandmarkModel

#: Landmarks action units depend on most, and other detectors place least well.
BROWS = tuple(range(17, 27))
LIP_CORNERS = (48, 54)

#: The search: OpenFace's parameters at the finest patch scale only (the start is already
#: close; on the annotated faces the coarser scales moved the brows away from the truth).
REFINE_SETTINGS = replace(DEFAULT_SETTINGS, window_sizes=(0, 0, 7))


def refine_landmarks(model: LandmarkModel, image: np.ndarray, landmarks,
                     indices: Optional[Sequence[int]] = None,
                     settings: FitSettings = REFINE_SETTINGS, n_threads: int = 1) -> np.ndarray:
    """Refine chosen landmarks with a model's patch experts, keeping the shape plausible.

    Parameters
    ----------
    model : LandmarkModel
        ``clnf_general`` (CCNF experts) or ``clm_general`` (SVR experts).
    image : (H, W) uint8 ndarray
        Grayscale image (:func:`cyclnf.image.to_gray_uint8`).
    landmarks : (n_points, 2) array_like
        Another detector's landmarks, ``(x, y)`` pixels, iBUG 68-point order.
    indices : sequence of int, optional
        Landmarks to refine (default: all).
    settings : FitSettings
        The search (default :data:`REFINE_SETTINGS`).

    Returns
    -------
    (n_points, 2) ndarray
        ``landmarks`` with the chosen ones refined.

    Raises
    ------
    ValueError
        Wrong shape, non-finite points, or indices out of range.
    """
    pdm = model.pdm
    points = as_float_array(landmarks, "landmarks", shape=(pdm.n_points, 2))
    if indices is None:
        chosen = np.arange(pdm.n_points)
    else:
        chosen = np.unique(np.asarray(list(indices), dtype=np.intp))
        if chosen.size == 0:
            return points.copy()
        if chosen.min() < 0 or chosen.max() >= pdm.n_points:
            raise ValueError(f"indices must lie in 0..{pdm.n_points - 1}, got {list(indices)}")
    anchors = points.copy()
    anchors[chosen] = np.nan
    start = pdm.params_from_landmarks(points)
    result = fit(model, image, start, settings, n_threads, anchors=anchors)
    refined = points.copy()
    refined[chosen] = result.landmarks[chosen]
    return refined
