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
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from . import kernels
from ._validate import as_bbox, as_float_array
from ._version import __version__
from .detect import DETECTOR_NAMES, FaceDetection, make_detector
from .detect.base import convert_box, intersection_over_union
from .detect.mtcnn import MTCNN_BOX_CONVERSION
from .face_model import FaceModel, FaceFit, ROTATION_HYPOTHESES, WILD_SETTINGS
from .fitting import FitSettings
from .image import to_gray_uint8
from .landmark_model import LandmarkModel
from .parts import EYE_PARTS, INNER_PARTS
from .pose import camera_intrinsics, head_pose, landmarks_3d
from .tracking import FaceTracker
from .overlay import draw_landmarks, video_writer
from .video import Frame, VideoReader

log = logging.getLogger("cyclnf")


#: pyclnf's convergence profiles as cyclnf runs them, and ``"wild"``: OpenFace's ``-wild``
#: mode (its in-the-wild parameters and multi-view start rotations). A profile overrides the
#: constructor's arguments it names.
CONVERGENCE_PROFILES: Dict[str, Dict[str, object]] = {
    "accurate": {"n_iterations": 5, "convergence_threshold": 0.01},    # OpenFace's own
    "cpp_match": {"n_iterations": 5, "convergence_threshold": 0.01},   # OpenFace's own
    "video": {"n_iterations": 5, "convergence_threshold": 0.01},       # OpenFace's own
    "optimized": {"n_iterations": 3, "convergence_threshold": 0.01},
    "fast": {"n_iterations": 2, "convergence_threshold": 0.05},
    "wild": {"n_iterations": WILD_SETTINGS.n_iterations,
             "convergence_threshold": WILD_SETTINGS.convergence_threshold,
             "sigma": WILD_SETTINGS.sigma, "reg_factor": WILD_SETTINGS.reg_factor,
             "weight_factor": WILD_SETTINGS.weight_factor,
             "window_sizes": WILD_SETTINGS.window_sizes, "multi_view": True},
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
    "use_inner_refinement": "default True: OpenFace refines the inner face with its 51-point "
                            "part model by default (pyclnf: off, experimental)",
    "use_validator": "default None means on, as in OpenFace (pyclnf: on in video mode only)",
    "detector": "'pymtcnn' is OpenFace's MTCNN on OpenFace's weights (pyclnf: the pymtcnn "
                "package), falling back to the Haar cascade when MTCNN's files are not "
                "installed; 'retinaface' is refused (cyclnf has no RetinaFace); 'haar' and "
                "'mtcnn' are cyclnf's own names",
    "fit_video.face_detector": "optional (default: this CLNF's detector); it may also return "
                               "None for frames without a face",
}


def _models_base(model_dir) -> Optional[Path]:
    """The base folder for cyclnf.models from pyclnf's model_dir argument."""
    if model_dir is None:
        return None
    folder = Path(model_dir).expanduser()
    if folder.name == "2.2.0" and (folder / "originals").is_dir():
        return folder.parent
    return folder


#: fit() continues from the previous face when the new box overlaps it at least this much.
TRACKING_MIN_IOU = 0.3


def _checked_box(box):
    """A caller's detector output as a box, or None."""
    if box is None:
        return None
    return as_bbox(box, "face_detector's box")


class NoFaceError(ValueError):
    """``detect_and_fit`` found no face in the image (a ``ValueError``, as in pyclnf)."""


class CLNF:
    """OpenFace's CLNF facial landmark detector (68 points) with pyclnf's interface.

    The result of :meth:`fit` from a box is OpenFace 2.2's (FaceLandmarkImg with that box):
    the main model fitted coarse to fine, the eye and inner-face part models, the
    detection validator, and the head pose.

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
    detector : str, None or False
        The face detector of :meth:`detect_and_fit`: ``"pymtcnn"`` (OpenFace's MTCNN, or
        the Haar cascade when MTCNN's files are not installed), ``"mtcnn"``, ``"haar"``;
        None or False for none. See :data:`cyclnf.detect.DETECTOR_NAMES`.
    detector_model_path : optional
        Ignored: detector files are found like the landmark model's.
    use_coreml, use_gpu, gpu_device : optional
        Ignored: cyclnf runs on the CPU.
    use_eye_refinement, use_inner_refinement : bool
        OpenFace's hierarchical eye (28 points each) and inner-face (51 points) part models.
    debug_mode : bool
        Log each scale's fit at DEBUG level on the ``cyclnf`` logger.
    tracked_landmarks : sequence of int, optional
        Landmarks whose positions ``debug_mode`` logs.
    use_shared_memory, shared_memory_dir : optional
        Ignored: cached model arrays are memory-mapped, so processes share them anyway.
    convergence_profile : str, optional
        One of :data:`CONVERGENCE_PROFILES`; overrides the arguments it names. ``"wild"`` is
        OpenFace's ``-wild`` mode: in-the-wild parameters and 11 start rotations.
    early_window_exit : bool
        Skip the remaining scales once a scale moved the landmarks less than
        ``early_exit_threshold`` px on average (not in OpenFace).
    early_exit_threshold : float
    use_validator : bool, optional
        Check each fit with OpenFace's CNN validator (None: yes, as OpenFace does).
    validator_threshold : float
        A fit is a success when the validator's confidence exceeds this (OpenFace: 0.725).
    reinit_video_every : int
        In video, after a failed frame, look for the face again every this many frames.
    model : str
        Keyword only: the landmark model, ``clnf_general`` (OpenFace's default, CCNF
        experts) or ``clm_general`` (SVR experts).
    multi_view : bool, optional
        Keyword only: start every fit from a face box at OpenFace's 11 head rotations and
        keep the most likely (None: as the convergence profile says; off by default).
    camera : (fx, fy, cx, cy), optional
        Keyword only: camera intrinsics for the head pose and 3D landmarks, pixels
        (default: OpenFace's guess from each image's size).
    track : bool
        Keyword only: treat consecutive calls as video frames, as pyclnf does (see
        :meth:`fit` and :meth:`detect_and_fit`); False makes every call independent, as
        OpenFace's FaceLandmarkImg treats images.
    n_threads : int
        Keyword only: threads for the response maps and the start rotations (results do
        not depend on it).
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
                 use_inner_refinement: bool = True,
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
                 multi_view: Optional[bool] = None,
                 camera: Optional[Sequence[float]] = None,
                 track: bool = True,
                 n_threads: int = 1):
        profile: Dict[str, object] = {}
        if convergence_profile is not None:
            if convergence_profile not in CONVERGENCE_PROFILES:
                raise ValueError(f"unknown convergence_profile {convergence_profile!r}; "
                                 f"use one of {sorted(CONVERGENCE_PROFILES)} or None")
            profile = CONVERGENCE_PROFILES[convergence_profile]
        if int(n_threads) != n_threads or n_threads < 1:
            raise ValueError(f"n_threads must be a positive whole number, got {n_threads}")
        if not (math.isfinite(early_exit_threshold) and early_exit_threshold >= 0):
            raise ValueError(f"early_exit_threshold must be a non-negative number, "
                             f"got {early_exit_threshold}")
        if not (math.isfinite(validator_threshold) and 0 <= validator_threshold <= 1):
            raise ValueError(f"validator_threshold must be in [0, 1], got {validator_threshold}")
        if int(reinit_video_every) != reinit_video_every or reinit_video_every < 0:
            raise ValueError(f"reinit_video_every must be a whole number >= 0, "
                             f"got {reinit_video_every}")
        if detector is not None and detector is not False:
            # Refuse an unusable detector now; build it when it is first needed.
            if not isinstance(detector, str):
                raise TypeError(f"detector must be a name (str), None or False, got {detector!r}")
            if detector.strip().lower() not in DETECTOR_NAMES:
                make_detector(detector)          # raises the reason
        self.camera = None if camera is None else camera_intrinsics((1, 1), camera)

        self.model_dir = _models_base(model_dir)
        # Name every missing file at once (model, parts, validator), not the first one.
        from .models import manifest, require
        try:
            spec = manifest().model(model)
        except KeyError:
            raise ValueError(f"unknown model {model!r}; use one of "
                             f"{sorted(n for n in manifest().models if manifest().model(n).parts)}"
                             ) from None
        require(spec.files(), self.model_dir)
        self.face_model = FaceModel.load(model, self.model_dir, validator=False)
        main = self.face_model.main
        self.model = main
        self.pdm = main.pdm
        if window_sizes is None:
            window_sizes = (11, 9, 7) if len(main.scales) == 3 else (11,) * len(main.scales)
        self.settings = FitSettings(
            window_sizes=tuple(int(w) for w in profile.get("window_sizes", window_sizes)),
            sigma=float(profile.get("sigma", sigma)),
            reg_factor=float(profile.get("reg_factor", regularization)),
            weight_factor=float(profile.get("weight_factor", weight_multiplier)),
            n_iterations=int(profile.get("n_iterations", max_iterations)),
            convergence_threshold=float(profile.get("convergence_threshold",
                                                    convergence_threshold)))
        self.regularization = self.settings.reg_factor
        self.max_iterations = self.settings.n_iterations
        self.convergence_threshold = self.settings.convergence_threshold
        self.sigma = self.settings.sigma
        self.weight_multiplier = self.settings.weight_factor
        self.window_sizes = list(self.settings.window_sizes)
        self.convergence_profile = convergence_profile
        self.multi_view = bool(profile.get("multi_view", False)) if multi_view is None \
            else bool(multi_view)
        self.early_window_exit = bool(early_window_exit)
        self.early_exit_threshold = float(early_exit_threshold)
        self.detector_type = detector if detector is not False else None
        self.detector_model_path = detector_model_path
        self._detector = None
        self.use_eye_refinement = bool(use_eye_refinement)
        self.use_inner_refinement = bool(use_inner_refinement)
        self.debug_mode = bool(debug_mode)
        self.tracked_landmarks = list(tracked_landmarks) if tracked_landmarks is not None \
            else [36, 48, 30, 8]
        self.use_validator = True if use_validator is None else bool(use_validator)
        self.validator_threshold = float(validator_threshold)
        self.reinit_video_every = int(reinit_video_every)
        self.n_threads = int(n_threads)
        self.use_gpu = False               # cyclnf runs on the CPU whatever was asked
        for name, value in (("use_gpu", use_gpu), ("use_coreml", use_coreml),
                            ("use_shared_memory", use_shared_memory)):
            if value:
                log.debug("%s=%r ignored: %s", name, value, DIFFERENCES_FROM_PYCLNF[name])
        self.track = bool(track)
        self._tracker = FaceTracker(self.face_model, self._settings(), reinit_every=self.reinit_video_every,
                                    parts=self._part_names(), validate=self.use_validator,
                                    n_threads=self.n_threads)
        self._tracked_shape: Optional[Tuple[int, ...]] = None
        self._refiners: Dict[str, LandmarkModel] = {}
        if self.use_validator:
            self._load_validator()

    def __repr__(self) -> str:
        return (f"CLNF(model={self.model.name!r}, windows={self.window_sizes}, "
                f"sigma={self.sigma}, regularization={self.regularization}, "
                f"multi_view={self.multi_view})")

    # ------------------------------------------------------------------ pieces

    def _load_validator(self):
        if self.face_model.validator is None:
            self.face_model.load_validator(self.model_dir)
        return self.face_model.validator

    @property
    def detector(self):
        """The face detector of :meth:`detect_and_fit` (built on first use), or None."""
        if self._detector is None and self.detector_type is not None:
            self._detector = make_detector(self.detector_type, self.model_dir)
        return self._detector

    @detector.setter
    def detector(self, value) -> None:
        if value is not None and not callable(getattr(value, "detect", None)):
            raise TypeError("a detector must have a detect(image) method returning "
                            "cyclnf.detect.FaceDetection objects")
        self._detector = value

    def _settings(self) -> FitSettings:
        """The fit settings from the public attributes (which callers may change)."""
        return replace(self.settings, window_sizes=tuple(int(w) for w in self.window_sizes),
                       sigma=float(self.sigma), reg_factor=float(self.regularization),
                       weight_factor=float(self.weight_multiplier),
                       n_iterations=int(self.max_iterations),
                       convergence_threshold=float(self.convergence_threshold))

    def _part_names(self) -> Tuple[str, ...]:
        """The parts switched on by use_eye_refinement and use_inner_refinement."""
        wanted = (INNER_PARTS if self.use_inner_refinement else ()) + \
            (EYE_PARTS if self.use_eye_refinement else ())
        return tuple(p.name for p in self.face_model.parts if p.name in wanted)

    # ------------------------------------------------------------------ fitting

    def fit(self,
            image: np.ndarray,
            face_bbox: Tuple[float, float, float, float],
            initial_params: Optional[np.ndarray] = None,
            landmarks_5pt: Optional[np.ndarray] = None,
            return_params: bool = False,
            detector_type: Optional[str] = None) -> Tuple[np.ndarray, Dict]:
        """Fit the 68 landmarks to a face in an image (OpenFace's fit from a face box).

        Consecutive calls track, as pyclnf's do: when the previous call fitted a face in an
        image of the same size and ``face_bbox`` overlaps that face (intersection over
        union at least 0.3), the fit starts from the previous parameters with OpenFace's
        tracking windows, and falls back to ``face_bbox`` as OpenFace's video tracking
        falls back to its detector. Otherwise (or with ``track=False``, or after
        :meth:`reset_temporal_state`) the fit starts from ``face_bbox`` and gives OpenFace's
        image result.

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
            pyclnf's keys: ``converged``, ``iterations``, ``final_update`` (px), ``view``,
            ``pose`` (``(rx, ry, rz)`` radians, the PDM's rotation), ``bbox`` (the box
            fitted from), ``iteration_history`` (one record per scale), ``params`` when
            asked, and with the validator ``validation_confidence`` and
            ``validation_passed``. cyclnf's: ``success`` (validated, or fitted when not
            validating), ``fit_success`` (False when the face is too small to fit),
            ``confidence`` (the validator's, or None), ``likelihood``, ``head_pose``
            (``[Tx, Ty, Tz, Rx, Ry, Rz]``, mm and radians, camera space),
            ``landmarks_3d`` ((68, 3) mm, camera space), ``camera`` (``fx, fy, cx, cy``),
            ``eye_landmarks`` ((56, 2): 28 left-eye then 28 right-eye points, when the eye
            parts ran) and ``eye_landmarks_3d`` ((56, 3) mm), ``tracking_mode`` (this call continued from the previous one) and,
            for several start rotations, ``best_hypothesis``, ``best_rotation`` and
            ``model_likelihood``.

        Raises
        ------
        ValueError, TypeError
            Bad image, box, parameters or points.
        """
        gray = to_gray_uint8(image)
        box = self._box(face_bbox, gray.shape, detector_type)
        tracked = False
        if initial_params is not None:
            params = as_float_array(initial_params, "initial_params").reshape(-1)
            if params.size != self.pdm.n_params:
                raise ValueError(f"initial_params must have {self.pdm.n_params} values, "
                                 f"got {params.size}")
            if params[0] <= 0:
                raise ValueError("initial_params[0] (the scale) must be positive")
            face = self._detect_landmarks(gray, params)
        elif landmarks_5pt is not None:
            points = as_float_array(landmarks_5pt, "landmarks_5pt", shape=(5, 2))
            eye_line = points[1] - points[0]
            roll = float(np.arctan2(eye_line[1], eye_line[0]))
            face = self._detect_landmarks(gray, self.pdm.params_from_bbox(box, (0.0, 0.0, roll)))
        elif self._tracks(gray.shape, box):
            self._configure_tracker()
            face = self._tracker.track(gray, lambda: box)
            tracked = True
        else:
            face = self._fit_box(gray, box, ROTATION_HYPOTHESES if self.multi_view
                                 else ((0.0, 0.0, 0.0),))
        self._remember(face, gray.shape)
        info = self._info(face, box, gray.shape, return_params)
        info["tracking_mode"] = tracked
        return face.landmarks.copy(), info

    def fit_multi_hypothesis(self,
                             image: np.ndarray,
                             face_bbox: Tuple[float, float, float, float],
                             return_params: bool = False,
                             detector_type: Optional[str] = None) -> Tuple[np.ndarray, Dict]:
        """Fit from a box at OpenFace's 11 start rotations and keep the most likely fit
        (OpenFace's multi-view DetectLandmarksInImage; pyclnf's method of this name).

        Parameters and results as :meth:`fit`; ``info`` also has ``best_hypothesis``,
        ``best_rotation`` and ``model_likelihood``. With ``convergence_profile="wild"``
        this is OpenFace's ``-wild`` fit.
        """
        gray = to_gray_uint8(image)
        box = self._box(face_bbox, gray.shape, detector_type)
        face = self._fit_box(gray, box, ROTATION_HYPOTHESES)
        return face.landmarks.copy(), self._info(face, box, gray.shape, return_params)

    def _prepare(self) -> FitSettings:
        """The face model brought in line with the public attributes (which callers may
        change) before a fit: the validation boundary, the validator if now wanted; and
        the fit settings."""
        self.face_model.validation_boundary = self.validator_threshold
        if self.use_validator:
            self._load_validator()
        return self._settings()

    def _detect_landmarks(self, gray: np.ndarray, params: np.ndarray) -> FaceFit:
        return self.face_model.detect_landmarks(
            gray, params, self._prepare(), parts=self._part_names(),
            validate=self.use_validator, n_threads=self.n_threads,
            early_exit=self.early_exit_threshold if self.early_window_exit else None)

    def _fit_box(self, gray: np.ndarray, box, rotations) -> FaceFit:
        return self.face_model.detect_landmarks_in_box(
            gray, box, self._prepare(), rotations, parts=self._part_names(),
            validate=self.use_validator, n_threads=self.n_threads,
            early_exit=self.early_exit_threshold if self.early_window_exit else None)

    # ------------------------------------------------------------------ tracking

    def _configure_tracker(self) -> None:
        self._tracker.configure(self._prepare(), self._part_names(), self.use_validator)
        self._tracker.reinit_every = self.reinit_video_every

    def _tracks(self, image_shape, box=None) -> bool:
        """Whether this call continues from the last face (see :meth:`fit`)."""
        if not (self.track and self._tracker.tracking and self._tracked_shape == image_shape):
            return False
        if box is None:
            return True
        return intersection_over_union(box, self.pdm.bounding_box(self._tracker.params)) \
            >= TRACKING_MIN_IOU

    def _remember(self, face: Optional[FaceFit], image_shape) -> None:
        """Follow ``face`` from the next call (when tracking)."""
        if not self.track or face is None:
            return
        if face is not self._tracker.last:
            self._tracker.adopt(face)
        self._tracked_shape = tuple(image_shape)

    def reset_temporal_state(self) -> None:
        """Forget the face followed so far: the next call starts afresh (a new video)."""
        self._tracker.reset()
        self._tracked_shape = None

    def clear_gpu_cache(self) -> None:
        """Nothing to clear: cyclnf runs on the CPU (pyclnf compatibility)."""

    def _info(self, face: FaceFit, box, image_shape, return_params: bool) -> Dict:
        """pyclnf's info dict, and cyclnf's additions, for a fitted face."""
        result = face.fit
        if self.debug_mode:
            for record in result.history:
                log.debug("window %(window)d, scale %(scale)g, view %(view)d: "
                          "%(rigid_iterations)d rigid + %(iterations)d iterations, "
                          "last change %(final_update).4f px", record)
            for i in self.tracked_landmarks:
                if 0 <= i < len(face.landmarks):
                    log.debug("landmark %d at (%.4f, %.4f)", i, *face.landmarks[i])
        camera = self.camera or camera_intrinsics(image_shape)
        info = {
            "converged": bool(result.converged),
            "iterations": int(result.iterations),
            "final_update": float(result.final_update),
            "view": int(result.view),
            "pose": face.params[1:4].copy(),
            "bbox": box,
            "likelihood": float(face.likelihood),
            "success": bool(face.success),
            "fit_success": bool(face.fit_success),
            "confidence": face.confidence,
            "iteration_history": result.history,
            "head_pose": head_pose(self.pdm, face.params, face.landmarks, camera),
            "landmarks_3d": landmarks_3d(self.pdm, face.params, face.landmarks, camera),
            "camera": camera,
        }
        if face.confidence is not None:
            info["validation_confidence"] = face.confidence
            info["validation_passed"] = bool(face.success)
        if all(name in face.parts for name in EYE_PARTS):
            eyes = [face.parts[name] for name in EYE_PARTS]
            pdms = {p.name: p.model.pdm for p in self.face_model.parts}
            info["eye_landmarks"] = np.vstack([eye.landmarks for eye in eyes])
            info["eye_landmarks_3d"] = np.vstack([
                landmarks_3d(pdms[eye.name], eye.params, eye.landmarks, camera) for eye in eyes])
        if len(face.likelihoods) > 1:
            info["best_hypothesis"] = face.hypothesis
            info["best_rotation"] = list(ROTATION_HYPOTHESES[face.hypothesis])
            info["model_likelihood"] = float(face.likelihood)
        if return_params:
            info["params"] = face.params.copy()
        return info

    @staticmethod
    def _box(face_bbox, image_shape, detector_type) -> Tuple[float, float, float, float]:
        x, y, w, h = as_bbox(face_bbox, "face_bbox")
        height, width = image_shape[:2]
        if x >= width or y >= height or x + w <= 0 or y + h <= 0:
            raise ValueError(f"face_bbox {face_bbox!r} lies entirely outside the "
                             f"{width} x {height} image")
        if detector_type in ("pymtcnn", "mtcnn"):
            x, y, w, h = convert_box((x, y, w, h), *MTCNN_BOX_CONVERSION)
        elif detector_type is not None:
            raise ValueError(f"detector_type must be None or 'pymtcnn', got {detector_type!r} "
                             "(pass a box tight around the landmarks with detector_type=None)")
        return (x, y, w, h)

    # ------------------------------------------------------------------ detection

    def detect_faces(self, image: np.ndarray) -> List[FaceDetection]:
        """The faces the detector finds, largest first (boxes ready for :meth:`fit`).

        Raises
        ------
        ValueError
            The CLNF was made with ``detector=None``.
        """
        detector = self.detector
        if detector is None:
            raise ValueError("this CLNF has no face detector (detector=None); make it with "
                             "detector='mtcnn' or 'haar', or call fit() with a face box")
        return list(detector.detect(image))

    def detect_and_fit(self,
                       image: np.ndarray,
                       return_all_faces: bool = False,
                       return_params: bool = False):
        """Find the faces in an image and fit each (OpenFace's FaceLandmarkImg).

        Parameters
        ----------
        image : ndarray
            BGR, BGRA or grayscale image (see :mod:`cyclnf.image`); MTCNN sees colour
            when there is colour.
        return_all_faces : bool
            Fit every face found, largest first, instead of only the largest.
        return_params : bool
            Add the fitted parameters to each ``info["params"]``.

        Consecutive calls (without ``return_all_faces``) track, as pyclnf's do: once a face
        was fitted in an image of the same size, the next call starts from it with
        OpenFace's tracking windows and runs the detector only when OpenFace's video
        tracking would (after the validator rejects frames). For unrelated images, make
        the CLNF with ``track=False`` or call :meth:`reset_temporal_state` in between.

        Returns
        -------
        (landmarks, info), or with ``return_all_faces`` a list of them
            As :meth:`fit`; ``info["bbox"]`` is the landmark-tight box fitted from,
            ``info["detector_box"]`` the detector's own box and
            ``info["detection_confidence"]`` its score (None for Haar). With
            ``return_all_faces`` and no face found, the list is empty.

        Raises
        ------
        NoFaceError
            No face was found (and ``return_all_faces`` is False). A ``ValueError``.
        ValueError, TypeError
            Bad image, or no detector (``detector=None``).
        """
        gray = to_gray_uint8(image)
        if not return_all_faces and self._tracks(gray.shape):
            self._configure_tracker()
            face = self._tracker.track(gray, lambda: self._largest_box(image))
            if face is None:
                raise NoFaceError(f"the face followed so far was lost and no face was found "
                                  f"in the {gray.shape[1]} x {gray.shape[0]} image")
            box = self.pdm.bounding_box(face.params)
            info = self._info(face, box, gray.shape, return_params)
            info.update(tracking_mode=True, detector_box=None, detection_confidence=None)
            return face.landmarks.copy(), info
        detections = self.detect_faces(image)
        if not detections and not return_all_faces:
            raise NoFaceError(f"no face found in the {gray.shape[1]} x {gray.shape[0]} image "
                              f"by {self.detector!r}")
        rotations = ROTATION_HYPOTHESES if self.multi_view else ((0.0, 0.0, 0.0),)
        results = []
        for detection in detections if return_all_faces else detections[:1]:
            face = self._fit_box(gray, detection.box, rotations)
            info = self._info(face, detection.box, gray.shape, return_params)
            info.update(tracking_mode=False, detector_box=detection.detector_box,
                        detection_confidence=detection.confidence)
            results.append((face.landmarks.copy(), info))
        if return_all_faces:
            return results
        self._remember(face, gray.shape)
        return results[0]

    def _largest_box(self, image: np.ndarray):
        """The box of the face OpenFace's video tracking picks, or None: the widest, the
        most confident first among equally wide ones (DetectSingleFaceMTCNN)."""
        detections = self.detect_faces(image)
        if not detections:
            return None
        by_score = sorted(detections, key=lambda d: -(d.confidence or 0.0))
        widest = max(by_score, key=lambda d: d.detector_box[2])
        return widest.box

    # ------------------------------------------------------------------ refinement

    def refine_landmarks(self, image: np.ndarray, landmarks,
                         indices: Optional[Sequence[int]] = None,
                         experts: str = "ccnf") -> np.ndarray:
        """Improve chosen landmarks another detector placed (see :mod:`cyclnf.refine`).

        Parameters
        ----------
        image : ndarray
            Any image :func:`cyclnf.image.to_gray_uint8` accepts.
        landmarks : (68, 2) array_like
            The other detector's landmarks, ``(x, y)`` pixels, iBUG order.
        indices : sequence of int, optional
            Landmarks to refine (default all); e.g. :data:`cyclnf.refine.BROWS` and
            :data:`cyclnf.refine.LIP_CORNERS`.
        experts : str
            ``"ccnf"`` (the CLNF model's experts) or ``"svr"`` (the CLM model's).

        Returns
        -------
        (68, 2) ndarray
            The landmarks with the chosen ones refined; the others as given.
        """
        from .refine import refine_landmarks
        if experts not in ("ccnf", "svr"):
            raise ValueError(f"experts must be 'ccnf' or 'svr', got {experts!r}")
        model = self.model
        if experts != model.kind:
            name = "clm_general" if experts == "svr" else "clnf_general"
            if name not in self._refiners:
                self._refiners[name] = LandmarkModel.load(name, self.model_dir)
            model = self._refiners[name]
        return refine_landmarks(model, to_gray_uint8(image), landmarks, indices,
                                n_threads=self.n_threads)

    # ------------------------------------------------------------------ video

    def iter_video(self, video_path, face_detector: Optional[Callable] = None
                   ) -> Iterator[Tuple[Frame, Optional[np.ndarray], Dict]]:
        """Track the face through a video, frame by frame (OpenFace's FeatureExtraction).

        Each frame is one step of OpenFace's DetectLandmarksInVideo: fitted from the
        previous frame with the tracking windows, the detector run on the first frame and
        again after failures, detections fitted from OpenFace's 11 start rotations.

        Parameters
        ----------
        video_path : path
            A video file OpenCV can read.
        face_detector : callable, optional
            ``face_detector(bgr_image) -> (x, y, w, h) or None``, a landmark-tight box;
            default this CLNF's detector (largest face).

        Yields
        ------
        frame : Frame
            ``index`` (0-based), ``timestamp`` (s) and the BGR ``image``.
        landmarks : (68, 2) ndarray or None
            None until a face has been found.
        info : dict
            As :meth:`fit` (``success`` says whether the frame is trusted), plus ``frame``
            and ``timestamp``; for frames without a face only those two, ``success``
            (False) and ``converged`` (False).

        Raises
        ------
        VideoError
            The file cannot be opened as a video. Undecodable frames inside a video are
            skipped (see :class:`cyclnf.video.VideoReader`).
        """
        with VideoReader(video_path) as reader:
            yield from self.track_frames(reader, face_detector)

    def track_frames(self, frames: Iterable[Frame], face_detector: Optional[Callable] = None
                      ) -> Iterator[Tuple[Frame, Optional[np.ndarray], Dict]]:
        """:meth:`iter_video` over frames from anywhere (a :class:`~cyclnf.video.VideoReader`,
        a camera, a list of :class:`~cyclnf.video.Frame`): each call follows one face
        afresh."""
        tracker = FaceTracker(self.face_model, self._prepare(),
                              reinit_every=self.reinit_video_every, parts=self._part_names(),
                              validate=self.use_validator, n_threads=self.n_threads)
        for frame in frames:
            gray = to_gray_uint8(frame.image)
            if face_detector is not None:
                detect = lambda: _checked_box(face_detector(frame.image))  # noqa: E731
            else:
                detect = lambda: self._largest_box(frame.image)  # noqa: E731
            face = tracker.track(gray, detect)
            if face is None:
                yield frame, None, {"frame": frame.index, "timestamp": frame.timestamp,
                                    "success": False, "converged": False}
                continue
            info = self._info(face, self.pdm.bounding_box(face.params), gray.shape, True)
            info.update(frame=frame.index, timestamp=frame.timestamp)
            yield frame, face.landmarks.copy(), info

    def fit_video(self, video_path, face_detector: Optional[Callable] = None,
                  output_path: Optional[str] = None, visualize: bool = True) -> List[Tuple]:
        """Track the face through a whole video (pyclnf's fit_video; see :meth:`iter_video`).

        Parameters
        ----------
        video_path : path
        face_detector : callable, optional
            ``face_detector(bgr_image) -> (x, y, w, h) or None``; default this CLNF's
            detector.
        output_path : path, optional
            Write a video of the frames (with the landmarks drawn if ``visualize``).
        visualize : bool
            Draw the landmarks on the frames written to ``output_path``.

        Returns
        -------
        list of (landmarks or None, info)
            One per decoded frame.
        """
        results = []
        writer = None
        with VideoReader(video_path) as reader:
            try:
                for frame, landmarks, info in self.track_frames(reader, face_detector):
                    if output_path is not None:
                        if writer is None:
                            writer = video_writer(output_path, frame.image.shape,
                                                   reader.fps or 25.0)
                        image = frame.image
                        if visualize and landmarks is not None:
                            image = draw_landmarks(image, landmarks, info.get("success", False))
                        writer.write(image)
                    results.append((landmarks, info))
            finally:
                if writer is not None:
                    writer.release()
        return results

    # ------------------------------------------------------------------ information

    def get_info(self) -> Dict:
        """What this detector is: model, sizes, settings, and how the kernels were built."""
        return {
            "version": __version__,
            "model": self.model.name,
            "patch_experts": self.model.kind,
            "patch_scales": [s.scale for s in self.model.scales],
            "parts": list(self._part_names()),
            "validator": bool(self.use_validator),
            "detector": self.detector_type,
            "n_points": self.pdm.n_points,
            "n_modes": self.pdm.n_modes,
            "n_params": self.pdm.n_params,
            "window_sizes": list(self.window_sizes),
            "sigma": self.sigma,
            "regularization": self.regularization,
            "weight_multiplier": self.weight_multiplier,
            "max_iterations": self.max_iterations,
            "convergence_threshold": self.convergence_threshold,
            "multi_view": self.multi_view,
            "kernels": kernels.BACKEND,
            "openmp": kernels.openmp_enabled(),
            "n_threads": self.n_threads,
            "device": "cpu",
        }
