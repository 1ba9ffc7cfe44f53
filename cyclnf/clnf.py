"""CLNF: pyclnf's API on OpenFace's own models and cyclnf's compiled kernels.

``CLNF(...)`` takes pyclnf 0.4.1's constructor arguments, by the same names and in the
same order, so scripts written for pyclnf (and pyfaceau) run unchanged. Differences
that are deliberate (see :data:`DIFFERENCES_FROM_PYCLNF`): the numeric defaults are
OpenFace's for the model actually loaded, so that the default result is OpenFace's; and
cyclnf runs on the CPU, so the GPU and CoreML switches are accepted and ignored.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from . import kernels
from ._validate import as_bbox, as_float_array
from ._version import __version__
from .fitting import FitSettings, fit
from .image import to_gray_uint8
from .landmark_model import LandmarkModel

log = logging.getLogger("cyclnf")

#: OpenFace's correction of an MTCNN box to the landmark-tight box the PDM expects
#: (FaceDetectorMTCNN.cpp): x += w * dx, y += h * dy, w *= sw, h *= sh.
MTCNN_BOX_CORRECTION = (-0.0075, 0.2459, 1.0323, 0.7751)

#: pyclnf's convergence profiles, as cyclnf runs them (None means the arguments given).
CONVERGENCE_PROFILES: Dict[str, Dict[str, float]] = {
    "accurate": {"n_iterations": 5, "convergence_threshold": 0.01},    # OpenFace's own
    "cpp_match": {"n_iterations": 5, "convergence_threshold": 0.01},   # OpenFace's own
    "video": {"n_iterations": 5, "convergence_threshold": 0.01},       # OpenFace's own
    "optimized": {"n_iterations": 3, "convergence_threshold": 0.01},
    "fast": {"n_iterations": 2, "convergence_threshold": 0.05},
}

#: Where cyclnf's CLNF deliberately differs from pyclnf 0.4.1 (tested in tests/test_clnf.py).
DIFFERENCES_FROM_PYCLNF: Dict[str, str] = {
    "regularization": "default 25 (OpenFace's reg_factor for CLNF) instead of 22.5 (tuned "
                      "for CEN experts)",
    "max_iterations": "default 5, and it means OpenFace's iterations per phase (rigid, then "
                      "all parameters) per scale, not a total spread over the windows",
    "convergence_threshold": "default 0.01, OpenFace's: a phase stops when the norm of the "
                             "change of all landmark coordinates is below it",
    "sigma": "default 1.5 (OpenFace's for CLNF) instead of 2.5",
    "window_sizes": "default (11, 9, 7), one per patch scale of the CLNF model",
    "use_gpu": "accepted and ignored: cyclnf runs on the CPU",
    "gpu_device": "accepted and ignored: cyclnf runs on the CPU",
    "use_coreml": "accepted and ignored: cyclnf runs on the CPU",
    "use_shared_memory": "accepted and ignored: model arrays are always memory-mapped from "
                         "cyclnf's cache, so processes share them",
    "shared_memory_dir": "accepted and ignored (see use_shared_memory)",
    "model_dir": "the folder holding OpenFace's files (as OPENFACE_MODELS_DIR: it contains "
                 "2.2.0/originals/), not pyclnf's converted folder",
    "scale": "accepted and ignored, as in pyclnf (all patch scales are used)",
}


def _models_base(model_dir) -> Optional[Path]:
    """The base folder for cyclnf.models from pyclnf's model_dir argument."""
    if model_dir is None:
        return None
    folder = Path(model_dir).expanduser()
    if folder.name == "2.2.0" and (folder / "originals").is_dir():
        return folder.parent
    return folder


class CLNF:
    """OpenFace's CLNF facial landmark detector (68 points) with pyclnf's interface.

    Parameters
    ----------
    model_dir : path, optional
        Folder holding OpenFace's model files (containing ``2.2.0/originals/``); default
        ``$OPENFACE_MODELS_DIR`` or the per-user folder shared with pyclnf and pyfaceau.
        Nothing is downloaded: missing files raise ``ModelsNotInstalledError``.
    scale : float
        Ignored (pyclnf compatibility).
    regularization : float
        Weight of the shape prior (OpenFace's reg_factor).
    max_iterations : int
        NU-RLMS iterations per phase and scale (OpenFace's num_optimisation_iteration).
    convergence_threshold : float
        A phase stops when the shape moves less than this (px, norm over all coordinates).
    sigma : float
        Mean-shift kernel width (OpenFace's sigma).
    weight_multiplier : float
        Weight of the experts' confidences in NU-RLMS (OpenFace's weight_factor).
    window_sizes : sequence of int, optional
        Response-map size per patch scale, coarse to fine (0 skips a scale).
    detector, detector_model_path : optional
        The face detector for :meth:`detect_and_fit`.
    use_coreml, use_gpu, gpu_device : optional
        Ignored: cyclnf runs on the CPU.
    use_eye_refinement, use_inner_refinement : bool
        OpenFace's hierarchical eye and inner-face part models.
    debug_mode : bool
        Log each scale's fit at DEBUG level on the ``cyclnf`` logger.
    tracked_landmarks : sequence of int, optional
        Landmarks whose positions ``debug_mode`` logs.
    use_shared_memory, shared_memory_dir : optional
        Ignored: cached model arrays are memory-mapped, so processes share them anyway.
    convergence_profile : str, optional
        One of :data:`CONVERGENCE_PROFILES`; overrides max_iterations and
        convergence_threshold.
    early_window_exit : bool
        Skip the remaining scales once a scale moved the landmarks less than
        ``early_exit_threshold`` px on average.
    early_exit_threshold : float
    use_validator, validator_threshold, reinit_video_every : optional
        Detection validation and video re-initialisation.
    model : str
        Keyword only: the landmark model, ``clnf_general`` (OpenFace's default, CCNF
        experts) or ``clm_general`` (SVR experts).
    n_threads : int
        Keyword only: threads for the response maps (results do not depend on it).
    """

    def __init__(self,
                 model_dir: Optional[str] = None,
                 scale: float = 0.25,
                 regularization: float = 25.0,
                 max_iterations: int = 5,
                 convergence_threshold: float = 0.01,
                 sigma: float = 1.5,
                 weight_multiplier: float = 0.0,
                 window_sizes: Optional[Sequence[int]] = None,
                 detector: Optional[str] = "pymtcnn",
                 detector_model_path: Optional[str] = None,
                 use_coreml: bool = False,
                 use_gpu: bool = True,
                 gpu_device: str = "auto",
                 use_eye_refinement: bool = True,
                 use_inner_refinement: bool = False,
                 debug_mode: bool = False,
                 tracked_landmarks: Optional[Sequence[int]] = None,
                 use_shared_memory: bool = False,
                 shared_memory_dir: Optional[str] = None,
                 convergence_profile: Optional[str] = None,
                 early_window_exit: bool = False,
                 early_exit_threshold: float = 0.3,
                 use_validator: Optional[bool] = None,
                 validator_threshold: float = 0.725,
                 reinit_video_every: int = 2,
                 *,
                 model: str = "clnf_general",
                 n_threads: int = 1):
        if convergence_profile is not None:
            if convergence_profile not in CONVERGENCE_PROFILES:
                raise ValueError(f"unknown convergence_profile {convergence_profile!r}; "
                                 f"use one of {sorted(CONVERGENCE_PROFILES)} or None")
            profile = CONVERGENCE_PROFILES[convergence_profile]
            max_iterations = int(profile["n_iterations"])
            convergence_threshold = float(profile["convergence_threshold"])
        if int(n_threads) != n_threads or n_threads < 1:
            raise ValueError(f"n_threads must be a positive whole number, got {n_threads}")
        if not (math.isfinite(early_exit_threshold) and early_exit_threshold >= 0):
            raise ValueError(f"early_exit_threshold must be a non-negative number, "
                             f"got {early_exit_threshold}")
        self.model_dir = _models_base(model_dir)
        self.model = LandmarkModel.load(model, self.model_dir)
        self.pdm = self.model.pdm
        if window_sizes is None:
            window_sizes = (11, 9, 7) if len(self.model.scales) == 3 else (11,) * len(self.model.scales)
        self.settings = FitSettings(
            window_sizes=tuple(int(w) for w in window_sizes), sigma=float(sigma),
            reg_factor=float(regularization), weight_factor=float(weight_multiplier),
            n_iterations=int(max_iterations), convergence_threshold=float(convergence_threshold))
        self.regularization = self.settings.reg_factor
        self.max_iterations = self.settings.n_iterations
        self.convergence_threshold = self.settings.convergence_threshold
        self.sigma = self.settings.sigma
        self.weight_multiplier = self.settings.weight_factor
        self.window_sizes = list(self.settings.window_sizes)
        self.convergence_profile = convergence_profile
        self.early_window_exit = bool(early_window_exit)
        self.early_exit_threshold = float(early_exit_threshold)
        self.detector_type = detector
        self.detector_model_path = detector_model_path
        self.use_eye_refinement = bool(use_eye_refinement)
        self.use_inner_refinement = bool(use_inner_refinement)
        self.debug_mode = bool(debug_mode)
        self.tracked_landmarks = list(tracked_landmarks) if tracked_landmarks is not None \
            else [36, 48, 30, 8]
        self.use_validator = use_validator
        self.validator_threshold = float(validator_threshold)
        self.reinit_video_every = int(reinit_video_every)
        self.n_threads = int(n_threads)
        self.use_gpu = False               # cyclnf runs on the CPU whatever was asked
        for name, value in (("use_gpu", use_gpu), ("use_coreml", use_coreml),
                            ("use_shared_memory", use_shared_memory)):
            if value:
                log.debug("%s=%r ignored: %s", name, value, DIFFERENCES_FROM_PYCLNF[name])

    def __repr__(self) -> str:
        return (f"CLNF(model={self.model.name!r}, windows={self.window_sizes}, "
                f"sigma={self.sigma}, regularization={self.regularization})")

    # ------------------------------------------------------------------ fitting

    def fit(self,
            image: np.ndarray,
            face_bbox: Tuple[float, float, float, float],
            initial_params: Optional[np.ndarray] = None,
            landmarks_5pt: Optional[np.ndarray] = None,
            return_params: bool = False,
            detector_type: Optional[str] = None) -> Tuple[np.ndarray, Dict]:
        """Fit the 68 landmarks to a face in an image (OpenFace's fit from a face box).

        Parameters
        ----------
        image : ndarray
            BGR, BGRA or grayscale; uint8, uint16 or float (see :mod:`cyclnf.image`).
        face_bbox : (4,) array_like
            ``(x, y, width, height)`` in pixels: a box tight around the landmarks (from
            the brows to the chin), or an MTCNN box with ``detector_type="pymtcnn"``.
        initial_params : (n_params,) array_like, optional
            Start from these parameters ``[scale, rx, ry, rz, tx, ty, p...]`` instead of
            the box.
        landmarks_5pt : (5, 2) array_like, optional
            MTCNN's five points (image-left eye, image-right eye, nose, mouth corners):
            the starting head roll is taken from the eyes.
        return_params : bool
            Add the fitted parameters to ``info["params"]``.
        detector_type : str, optional
            ``"pymtcnn"`` (or ``"mtcnn"``): ``face_bbox`` is a raw MTCNN box, corrected
            the way OpenFace does; None: the box is used as it is.

        Returns
        -------
        landmarks : (68, 2) float64 ndarray
            ``(x, y)`` pixels.
        info : dict
            ``converged``, ``iterations``, ``final_update`` (px), ``view``, ``pose``
            (``(rx, ry, rz)`` radians), ``bbox`` (the box fitted from), ``likelihood``,
            ``success`` (False when the face is too small to fit), ``iteration_history``
            (one record per scale), and ``params`` when asked.

        Raises
        ------
        ValueError, TypeError
            Bad image, box, parameters or points.
        """
        gray = to_gray_uint8(image)
        box = self._box(face_bbox, gray.shape, detector_type)
        if initial_params is not None:
            params = as_float_array(initial_params, "initial_params").reshape(-1)
            if params.size != self.pdm.n_params:
                raise ValueError(f"initial_params must have {self.pdm.n_params} values, "
                                 f"got {params.size}")
            if params[0] <= 0:
                raise ValueError("initial_params[0] (the scale) must be positive")
        else:
            roll = 0.0
            if landmarks_5pt is not None:
                points = as_float_array(landmarks_5pt, "landmarks_5pt", shape=(5, 2))
                eye_line = points[1] - points[0]
                roll = float(np.arctan2(eye_line[1], eye_line[0]))
            params = self.pdm.params_from_bbox(box, (0.0, 0.0, roll))
        result = fit(self.model, gray, params, self._settings(), self.n_threads,
                     early_exit=self.early_exit_threshold if self.early_window_exit else None)
        if self.debug_mode:
            for record in result.history:
                log.debug("window %(window)d, scale %(scale)g, view %(view)d: "
                          "%(rigid_iterations)d rigid + %(iterations)d iterations, "
                          "last change %(final_update).4f px", record)
            for i in self.tracked_landmarks:
                if 0 <= i < len(result.landmarks):
                    log.debug("landmark %d at (%.4f, %.4f)", i, *result.landmarks[i])
        info = {
            "converged": bool(result.converged),
            "iterations": int(result.iterations),
            "final_update": float(result.final_update),
            "view": int(result.view),
            "pose": result.params[1:4].copy(),
            "bbox": box,
            "likelihood": float(result.likelihood),
            "success": bool(result.success),
            "iteration_history": result.history,
        }
        if return_params:
            info["params"] = result.params.copy()
        return result.landmarks.copy(), info

    def _settings(self) -> FitSettings:
        """The fit settings from the public attributes (which callers may change)."""
        return replace(self.settings, window_sizes=tuple(int(w) for w in self.window_sizes),
                       sigma=float(self.sigma), reg_factor=float(self.regularization),
                       weight_factor=float(self.weight_multiplier),
                       n_iterations=int(self.max_iterations),
                       convergence_threshold=float(self.convergence_threshold))

    @staticmethod
    def _box(face_bbox, image_shape, detector_type) -> Tuple[float, float, float, float]:
        x, y, w, h = as_bbox(face_bbox, "face_bbox")
        height, width = image_shape[:2]
        if x >= width or y >= height or x + w <= 0 or y + h <= 0:
            raise ValueError(f"face_bbox {face_bbox!r} lies entirely outside the "
                             f"{width} x {height} image")
        if detector_type in ("pymtcnn", "mtcnn"):
            dx, dy, sw, sh = MTCNN_BOX_CORRECTION
            x, y, w, h = x + w * dx, y + h * dy, w * sw, h * sh
        elif detector_type is not None:
            raise ValueError(f"detector_type must be None or 'pymtcnn', got {detector_type!r} "
                             "(pass a box tight around the landmarks with detector_type=None)")
        return (x, y, w, h)

    # ------------------------------------------------------------------ information

    def get_info(self) -> Dict:
        """What this detector is: model, sizes, settings, and how the kernels were built."""
        return {
            "version": __version__,
            "model": self.model.name,
            "patch_experts": self.model.kind,
            "patch_scales": [s.scale for s in self.model.scales],
            "n_points": self.pdm.n_points,
            "n_modes": self.pdm.n_modes,
            "n_params": self.pdm.n_params,
            "window_sizes": list(self.window_sizes),
            "sigma": self.sigma,
            "regularization": self.regularization,
            "weight_multiplier": self.weight_multiplier,
            "max_iterations": self.max_iterations,
            "convergence_threshold": self.convergence_threshold,
            "kernels": kernels.BACKEND,
            "openmp": kernels.openmp_enabled(),
            "n_threads": self.n_threads,
            "device": "cpu",
        }
