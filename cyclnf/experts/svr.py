"""SVR patch experts (OpenFace's Multi_SVR_patch_expert): linear SVRs on raw intensity and
gradient features, their logistic responses multiplied across modalities."""

from __future__ import annotations

import numpy as np

from ..kernels import svr as _svr
from ..models.formats.svr import SVRPatchExperts
from .base import PatchExperts


class SVRExperts(PatchExperts):
    """The SVR experts of one patch scale.

    Parameters
    ----------
    data : SVRPatchExperts
        A parsed SVR file (:func:`cyclnf.models.load_file`).
    """

    kind = "svr"

    def __init__(self, data: SVRPatchExperts):
        super().__init__(data)
        self.data = data
        heights, widths = data.weights.shape[3:]
        if heights != widths:
            raise ValueError(f"SVR patches must be square, got {heights} x {widths}")
        self.patch_size = (heights, widths)

    def confidence(self, view: int) -> np.ndarray:
        # OpenFace adds the confidences of the modalities (CLNF::GetWeightMatrix).
        return self.data.confidence[view].sum(axis=1) * self.visible(view)

    def _responses(self, areas: np.ndarray, view: int, window: int,
                   n_threads: int) -> np.ndarray:
        visible = self.visible(view)
        out = np.empty((areas.shape[0], window, window), np.float32)
        _svr.responses(areas, np.ascontiguousarray(self.data.feature_type[view, visible]),
                       np.ascontiguousarray(self.data.weights[view, visible]),
                       np.ascontiguousarray(self.data.scaling[view, visible]),
                       np.ascontiguousarray(self.data.bias[view, visible]), out, n_threads)
        return out
