"""What the fitting needs from the patch experts of one scale, whatever their kind."""

from __future__ import annotations

from typing import Tuple

import numpy as np

from ..kernels import warp as _warp
from ..models.formats.views import PatchExpertViews


class PatchExperts:
    """Patch experts of one scale: views, visibility, confidences and response maps.

    Subclasses set ``patch_size`` and implement :meth:`_responses`.
    """

    kind = ""
    patch_size: Tuple[int, int] = (0, 0)

    def __init__(self, views: PatchExpertViews):
        self.views = views
        self.scale = float(views.scale)
        self.n_landmarks = views.n_landmarks
        self.n_views = views.n_views

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(scale={self.scale}, views={self.n_views}, "
                f"landmarks={self.n_landmarks})")

    def view_index(self, rotation) -> int:
        """The view for a head rotation ``(rx, ry, rz)`` (OpenFace's GetViewIdx)."""
        return self.views.view_index(rotation)

    def visible(self, view: int) -> np.ndarray:
        """(n_landmarks,) bool: landmarks this view has experts for."""
        return self.views.visibility[view]

    def confidence(self, view: int) -> np.ndarray:
        """(n_landmarks,) float64: each expert's reliability (0 where there is none)."""
        raise NotImplementedError

    def responses(self, image: np.ndarray, landmarks: np.ndarray, a1: float, b1: float,
                  view: int, window: int, n_threads: int = 1) -> np.ndarray:
        """Response maps around each landmark.

        Parameters
        ----------
        image : (H, W) uint8 or float32
            Grayscale image, 0-255.
        landmarks : (n_landmarks, 2) float64
            Current landmark positions (x, y) in the image.
        a1, b1 : float
            The reference-to-image similarity ``[[a1, -b1], [b1, a1]]``.
        view : int
            The view whose experts to use.
        window : int
            Response-map size w.
        n_threads : int
            Threads for the landmarks.

        Returns
        -------
        (n_landmarks, w, w) float32
            Zero for landmarks the view does not see.
        """
        visible = np.flatnonzero(self.visible(view))
        ph, pw = self.patch_size
        areas = np.empty((visible.size, window + ph - 1, window + pw - 1), np.float32)
        _warp.areas_of_interest(image, np.ascontiguousarray(landmarks[visible]),
                                np.float32(a1), np.float32(b1), areas)
        out = np.zeros((self.n_landmarks, window, window), np.float32)
        if visible.size:
            out[visible] = self._responses(areas, view, window, n_threads)
        return out

    def _responses(self, areas: np.ndarray, view: int, window: int,
                   n_threads: int) -> np.ndarray:
        """(n_visible, w, w) responses of the visible landmarks' areas."""
        raise NotImplementedError
