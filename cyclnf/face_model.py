"""One face from a box: the main fit, the part models, the validator (OpenFace's
CLNF::DetectLandmarks and DetectLandmarksInImage).

:class:`FaceModel` holds OpenFace's whole landmark detector for one model definition,
without any per-video state: the main :class:`~cyclnf.landmark_model.LandmarkModel`, its
hierarchical :class:`~cyclnf.parts.Part` models and, optionally, the detection validator.

- :meth:`FaceModel.detect_landmarks` fits from given parameters: the main model coarse to
  fine, then the parts, then the validator's verdict.
- :meth:`FaceModel.detect_landmarks_in_box` starts from a face box, optionally from several
  head rotations (OpenFace's multi-view hypotheses, its ``-wild`` mode), and keeps the
  hypothesis whose main fit has the highest model likelihood.

The hypotheses differ only in where the main fit starts, and the parts and the validator
do not change the model likelihood; so cyclnf fits the main model for every hypothesis and
runs the parts and the validator once, on the winner. The result is OpenFace's, for a
fraction of the work.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .fitting import FitResult, FitSettings, fit
from .landmark_model import LandmarkModel
from .parts import Part, PartFit, load_parts, refine_with_parts
from .validator import VALIDATION_BOUNDARY, detection_success

#: OpenFace's default fitting parameters for the CLNF model (FaceModelParameters::init),
#: which are FitSettings' defaults.
DEFAULT_SETTINGS = FitSettings()
#: OpenFace's ``-wild`` parameters (window 11 for a fourth scale is unused by CLNF).
WILD_SETTINGS = FitSettings(window_sizes=(15, 13, 11), sigma=1.25, reg_factor=35.0,
                            weight_factor=2.5, n_iterations=10)
#: OpenFace's window sizes while tracking a face that was found in the previous frame.
TRACKING_WINDOWS = (0, 9, 7)

#: OpenFace's start rotations ``(rx, ry, rz)`` for multi-view fitting, radians
#: (LandmarkDetectorFunc.cpp, DetectLandmarksInImage): frontal, yaw +-30, +-55 degrees,
#: roll +-30, yaw +-90, and yaw +-70 with roll.
ROTATION_HYPOTHESES: Tuple[Tuple[float, float, float], ...] = (
    (0.0, 0.0, 0.0), (0.0, -0.5236, 0.0), (0.0, 0.5236, 0.0), (0.0, -0.96, 0.0),
    (0.0, 0.96, 0.0), (0.0, 0.0, 0.5236), (0.0, 0.0, -0.5236), (0.0, -1.57, 0.0),
    (0.0, 1.57, 0.0), (0.0, -1.22, 0.698), (0.0, 1.22, -0.698))


@dataclass
class FaceFit:
    """The outcome of fitting one face.

    Attributes
    ----------
    params : (n_params,) ndarray
        Final main-model parameters ``[scale, rx, ry, rz, tx, ty, p...]``.
    landmarks : (n_points, 2) ndarray
        Final landmarks (after the parts), ``(x, y)`` pixels.
    fit : FitResult
        The main model's fit (iterations, convergence, likelihood, per-scale history).
    parts : dict of str to PartFit
        Each part's landmarks (e.g. the 28 points of each eye).
    fit_success : bool
        The main fit completed (False when the face is too small to fit).
    confidence : float or None
        The validator's confidence in [0, 1] that the landmarks sit on a face (None when
        not validated).
    success : bool
        ``confidence > 0.725`` (the model's validation boundary) when validated, else
        ``fit_success``.
    hypothesis : int
        Index of the winning start rotation.
    likelihoods : list of float
        Main-model likelihood of every hypothesis tried.
    """

    params: np.ndarray
    landmarks: np.ndarray
    fit: FitResult
    parts: Dict[str, PartFit] = field(default_factory=dict)
    fit_success: bool = True
    confidence: Optional[float] = None
    success: bool = True
    hypothesis: int = 0
    likelihoods: List[float] = field(default_factory=list)

    @property
    def likelihood(self) -> float:
        """The main model's likelihood (OpenFace's model_likelihood)."""
        return self.fit.likelihood


class FaceModel:
    """OpenFace's landmark detector for one model: main model, parts, validator.

    Parameters
    ----------
    main : LandmarkModel
    parts : sequence of Part
        Hierarchical part models, fitted in order after the main model.
    validator : Validator, optional
        :class:`cyclnf.validator.Validator` (or anything with its ``check``).
    """

    def __init__(self, main: LandmarkModel, parts: Sequence[Part] = (), validator=None):
        self.main = main
        self.parts = tuple(parts)
        self.validator = validator
        #: A validated fit succeeds when the confidence exceeds this (OpenFace: 0.725).
        self.validation_boundary = VALIDATION_BOUNDARY

    @property
    def pdm(self):
        """The main model's PDM."""
        return self.main.pdm

    @classmethod
    def load(cls, name: str = "clnf_general",
             cache_dir: "Optional[os.PathLike[str] | str]" = None,
             parts: Optional[Sequence[str]] = None, validator: bool = True) -> "FaceModel":
        """A model from cyclnf's manifest with its parts and validator (never downloads).

        Parameters
        ----------
        name : str
            ``clnf_general`` (CCNF experts, inner-face and eye parts) or ``clm_general``
            (SVR experts, eye parts).
        parts : sequence of str, optional
            The parts to use (default: all the model has; ``()`` for none).
        validator : bool
            Load the detection validator.
        """
        model = cls(LandmarkModel.load(name, cache_dir), load_parts(name, parts, cache_dir))
        if validator:
            model.load_validator(cache_dir)
        return model

    def load_validator(self, cache_dir: "Optional[os.PathLike[str] | str]" = None) -> None:
        """Load the detection validator the model's definition names (never downloads).

        Raises
        ------
        ValueError
            The model has no validator.
        """
        from . import models
        from .validator import Validator
        if models.manifest().model(self.main.name).validator is None:
            raise ValueError(f"model {self.main.name!r} has no detection validator")
        self.validator = Validator.load(cache_dir)

    # ------------------------------------------------------------------ one start

    def detect_landmarks(self, image: np.ndarray, params, settings: FitSettings = DEFAULT_SETTINGS,
                         parts: Optional[Sequence[str]] = None, validate: bool = True,
                         n_threads: int = 1, early_exit: Optional[float] = None) -> FaceFit:
        """Fit from starting parameters (OpenFace's CLNF::DetectLandmarks).

        Parameters
        ----------
        image : (H, W) uint8 ndarray
            Grayscale image (:func:`cyclnf.image.to_gray_uint8`).
        params : (n_params,) array_like
            Where to start.
        settings : FitSettings
        parts : sequence of str, optional
            Names of the hierarchical parts to run (default all; ``()`` for none).
        validate : bool
            Ask the validator (if the model has one).
        n_threads : int
            Threads for the response maps.
        early_exit : float, optional
            See :func:`cyclnf.fitting.fit` (not in OpenFace; off by default).
        """
        result = fit(self.main, image, params, settings, n_threads, early_exit)
        return self._finish(image, result, parts, validate, n_threads)

    def _selected_parts(self, names: Optional[Sequence[str]]) -> Tuple[Part, ...]:
        if names is None:
            return self.parts
        known = {p.name for p in self.parts}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"no part {unknown[0]!r}; this model has {sorted(known)}")
        return tuple(p for p in self.parts if p.name in names)

    def _finish(self, image: np.ndarray, result: FitResult, parts: Optional[Sequence[str]],
                validate: bool, n_threads: int) -> FaceFit:
        """The parts and the validator after a main fit."""
        params, landmarks = result.params, result.landmarks
        part_fits: List[PartFit] = []
        selected = self._selected_parts(parts)
        if selected:
            params, landmarks, part_fits = refine_with_parts(self.pdm, selected, image,
                                                             params, n_threads)
        face = FaceFit(params=params, landmarks=landmarks, fit=result,
                       parts={p.name: p for p in part_fits}, fit_success=result.success,
                       success=result.success)
        if validate and self.validator is not None and result.success:
            face.confidence = float(self.validator.check(image, landmarks, params[1:4]))
            face.success = detection_success(face.confidence, self.validation_boundary)
        return face

    # ------------------------------------------------------------------ from a box

    def detect_landmarks_in_box(self, image: np.ndarray, box,
                                settings: FitSettings = DEFAULT_SETTINGS,
                                rotations: Sequence[Sequence[float]] = ((0.0, 0.0, 0.0),),
                                parts: Optional[Sequence[str]] = None, validate: bool = True,
                                n_threads: int = 1, early_exit: Optional[float] = None) -> FaceFit:
        """Fit from a face box, trying each start rotation (OpenFace's DetectLandmarksInImage).

        Parameters
        ----------
        image : (H, W) uint8 ndarray
        box : (4,) array_like
            ``(x, y, width, height)``, tight around the landmarks.
        rotations : sequence of (3,) array_like
            Start rotations ``(rx, ry, rz)``; :data:`ROTATION_HYPOTHESES` for OpenFace's
            multi-view fitting. The first of equally likely hypotheses wins, as in OpenFace.
        parts, validate, early_exit :
            As :meth:`detect_landmarks`.
        n_threads : int
            With several rotations, the hypotheses are fitted on up to this many threads;
            the result does not depend on it.
        """
        starts = [self.pdm.params_from_bbox(box, rotation) for rotation in rotations]
        if not starts:
            raise ValueError("rotations must hold at least one start rotation")
        if len(starts) > 1 and n_threads > 1:
            with ThreadPoolExecutor(min(n_threads, len(starts))) as pool:
                fits = list(pool.map(
                    lambda p: fit(self.main, image, p, settings, 1, early_exit), starts))
        else:
            fits = [fit(self.main, image, p, settings, n_threads, early_exit) for p in starts]
        likelihoods = [f.likelihood for f in fits]
        best = 0
        for index, value in enumerate(likelihoods):
            if value > likelihoods[best]:
                best = index
        face = self._finish(image, fits[best], parts, validate, n_threads)
        face.hypothesis, face.likelihoods = best, likelihoods
        return face
