"""Tracking a face through video frames (OpenFace's DetectLandmarksInVideo).

A :class:`FaceTracker` keeps what OpenFace's CLNF object keeps between frames: the last
parameters, whether tracking has started, whether the last frame succeeded, and how many
frames in a row failed. Each :meth:`FaceTracker.track` call is one frame:

1. once tracking has started, fit from the previous frame's parameters, with OpenFace's
   small tracking windows after a success (the full windows after a failure);
2. look for the face with the detector on the first frame, every ``6 x reinit_every``
   frames while no face has been found, and every ``reinit_every`` failed frames while
   tracking; a found face is fitted from its box at OpenFace's 11 start rotations, and
   (after the first detection) kept only if the validator accepts it;
3. after 100 failed frames in a row, tracking stops until the detector finds a face again.

A tracked frame costs a fraction of a detection: two patch scales with small windows and
no face detector.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Optional, Sequence, Tuple

import numpy as np

from .face_model import DEFAULT_SETTINGS, ROTATION_HYPOTHESES, TRACKING_WINDOWS, FaceFit, FaceModel
from .fitting import FitSettings

#: After this many failed frames in a row OpenFace stops tracking and waits for a detection.
MAX_FAILURES = 100

Box = Tuple[float, float, float, float]


class FaceTracker:
    """One face followed through a video, as OpenFace's FeatureExtraction follows it.

    Parameters
    ----------
    face_model : FaceModel
    settings : FitSettings
        Parameters for fits from a detection (their ``window_sizes`` are OpenFace's
        ``window_sizes_init``).
    tracking_windows : sequence of int
        Windows for frames that follow a successful one (OpenFace's ``window_sizes_small``).
    reinit_every : int
        While tracking fails, look for the face again every this many frames (0: never
        while tracking). OpenFace's ``reinit_video_every``.
    parts : sequence of str, optional
        Part models to run (default all).
    validate : bool
        Judge each frame with the validator (without one, every completed fit succeeds).
    multi_view : bool
        Fit detections from OpenFace's 11 start rotations (OpenFace does in video).
    n_threads : int
    """

    def __init__(self, face_model: FaceModel, settings: FitSettings = DEFAULT_SETTINGS,
                 tracking_windows: Sequence[int] = TRACKING_WINDOWS, reinit_every: int = 2,
                 parts: Optional[Sequence[str]] = None, validate: bool = True,
                 multi_view: bool = True, n_threads: int = 1):
        if int(reinit_every) != reinit_every or reinit_every < 0:
            raise ValueError(f"reinit_every must be a whole number >= 0, got {reinit_every}")
        self.face_model = face_model
        self.settings = settings
        self.tracking_settings = replace(settings, window_sizes=tuple(tracking_windows))
        self.reinit_every = int(reinit_every)
        self.parts = parts
        self.validate = validate
        self.rotations = ROTATION_HYPOTHESES if multi_view else ((0.0, 0.0, 0.0),)
        self.n_threads = n_threads
        self.reset()

    def reset(self) -> None:
        """Forget the face (a new video, or another person)."""
        self.params: Optional[np.ndarray] = None
        self.last: Optional[FaceFit] = None
        self.initialised = False
        self.success = False
        self.failures_in_a_row = -1

    def configure(self, settings: FitSettings, parts: Optional[Sequence[str]] = None,
                  validate: bool = True) -> None:
        """Change the fitting parameters (kept: the face being followed)."""
        self.settings = settings
        self.tracking_settings = replace(settings, window_sizes=self.tracking_settings.window_sizes)
        self.parts, self.validate = parts, validate

    def adopt(self, face: FaceFit) -> None:
        """Follow a face fitted elsewhere (a detection the caller fitted), from the next frame.

        As after OpenFace's first detection in a video, tracking starts whatever the
        validator said.
        """
        self.last, self.params, self.success = face, face.params, face.success
        self.initialised, self.failures_in_a_row = True, -1

    @property
    def tracking(self) -> bool:
        """A face is being followed (the next frame starts from the last one)."""
        return self.initialised and self.params is not None

    def _fit(self, image: np.ndarray, params: np.ndarray, settings: FitSettings) -> FaceFit:
        return self.face_model.detect_landmarks(image, params, settings, self.parts,
                                                self.validate, self.n_threads)

    def _detection_due(self) -> bool:
        if not self.initialised:
            return (self.failures_in_a_row + 1) % (self.reinit_every * 6 or 1) == 0
        return (not self.success and self.reinit_every > 0
                and self.failures_in_a_row % self.reinit_every == 0)

    def track(self, image: np.ndarray, detect: Callable[[], Optional[Box]]
              ) -> Optional[FaceFit]:
        """Process one frame.

        Parameters
        ----------
        image : (H, W) uint8 ndarray
            The frame in 8-bit grayscale.
        detect : callable
            ``detect() -> box or None``: the face's landmark-tight box in this frame, called
            only when OpenFace would run its detector.

        Returns
        -------
        FaceFit or None
            This frame's fit (``success`` says whether it is trusted), or None while no
            face has been found.
        """
        initial_detection = not self.initialised
        if self.initialised:
            settings = self.tracking_settings if self.success else self.settings
            self.last = self._fit(image, self.params, settings)
            self.params, self.success = self.last.params, self.last.success
            self.failures_in_a_row = -1 if self.success else self.failures_in_a_row + 1

        if self._detection_due():
            box = detect()
            if box is not None:
                self.initialised = True
                found = self.face_model.detect_landmarks_in_box(
                    image, box, self.settings, self.rotations, self.parts, self.validate,
                    self.n_threads)
                if initial_detection or found.success:
                    self.failures_in_a_row = -1
                    self.last, self.params, self.success = found, found.params, found.success
                else:
                    # Keep the tracked estimate; the frame stays a failure.
                    self.success = False
                return self.last

        if not self.initialised:
            self.failures_in_a_row += 1
        if self.failures_in_a_row > MAX_FAILURES:
            self.initialised = False
        return self.last if self.params is not None and self.last is not None else None
