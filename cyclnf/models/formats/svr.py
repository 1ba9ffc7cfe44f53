"""OpenFace's SVR patch-expert files (text, ``svr_patches_*.txt``).

Layout (Patch_experts::Read_SVR_patch_experts, Multi_SVR_patch_expert::Read,
SVR_patch_expert::Read), words separated by white space, ``#`` lines are comments;
"matrix" is OpenFace's text matrix (see :mod:`.stream`):

- patch scale; number of views V; V matrices (3, 1): view centres, Euler degrees;
  V matrices (n, 1): which landmarks each view sees;
- for each view, for each landmark (every landmark has an expert, seen or not):
  marker 3, width, height, number of modalities M; then M SVRs, each: marker 2, feature
  type (0 raw intensity, 1 gradient), confidence, scaling, bias, matrix weights stored
  transposed (OpenFace transposes after reading, as done here).

The parsed form packs every expert into (V, n, M, ...) arrays: OpenFace's files have
the same patch size and number of modalities for every expert, which is checked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict

import numpy as np

from .stream import TextReader
from .views import PLAUSIBLE_SCALE, PatchExpertViews

MULTI_MARKER = 3
SVR_MARKER = 2
#: SVR feature types: 0 normalised raw intensity, 1 squared gradient magnitude.
FEATURE_TYPES = (0, 1)


@dataclass(frozen=True)
class SVRPatchExperts(PatchExpertViews):
    """One SVR patch-expert file: V views, n landmarks, M modalities per expert.

    Attributes
    ----------
    scale, view_centres, visibility
        See :class:`~.views.PatchExpertViews`; unseen landmarks have all-zero experts.
    feature_type : (V, n, M) int32
        0 raw intensity, 1 gradient.
    confidence, scaling, bias : (V, n, M) float64
    weights : (V, n, M, h, w) float64
        The linear SVR weights as OpenFace uses them (already transposed).
    """

    feature_type: np.ndarray
    confidence: np.ndarray
    scaling: np.ndarray
    bias: np.ndarray
    weights: np.ndarray

    def to_arrays(self) -> Dict[str, np.ndarray]:
        arrays = {k: v for k, v in self.__dict__.items() if k != "scale"}
        arrays["scale"] = np.array(self.scale)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Dict[str, np.ndarray]) -> "SVRPatchExperts":
        return cls(**{**arrays, "scale": float(arrays["scale"])})


def read_svr(path: "os.PathLike[str] | str") -> SVRPatchExperts:
    """Read an OpenFace SVR patch-expert file.

    Raises
    ------
    ModelFormatError
        Truncated, corrupt, or not an SVR patch-expert file.
    """
    r = TextReader(path)
    scale = float(r.numbers(1, "patch scale")[0])
    if not PLAUSIBLE_SCALE[0] < scale < PLAUSIBLE_SCALE[1]:
        raise r.fail(f"patch scale {scale} is not plausible: not an SVR patch-expert file")
    n_views = r.integer("number of views", 1, 100)
    centres = []
    for v in range(n_views):
        centre = r.matrix(f"centre of view {v}")
        if centre.shape != (3, 1):
            raise r.fail(f"centre of view {v} must be (3, 1), got {centre.shape}")
        centres.append(centre[:, 0])
    visibility = []
    for v in range(n_views):
        seen = r.matrix(f"visibility of view {v}")
        if seen.shape[1] != 1 or (visibility and seen.shape[0] != len(visibility[0])):
            raise r.fail(f"visibility of view {v} must be an (n, 1) column like the others")
        visibility.append(seen[:, 0] != 0)
    n = len(visibility[0])

    fields = {k: [] for k in ("feature_type", "confidence", "scaling", "bias", "weights")}
    layout = None
    for v in range(n_views):
        for i in range(n):
            what = f"expert for view {v}, landmark {i}"
            r.marker(MULTI_MARKER, what)
            width = r.integer(f"{what} width", 1, 1000)
            height = r.integer(f"{what} height", 1, 1000)
            n_modalities = r.integer(f"{what} number of modalities", 1, 100)
            if layout is None:
                layout = (height, width, n_modalities)
            elif layout != (height, width, n_modalities):
                raise r.fail(f"{what} is {height}x{width} with {n_modalities} modalities, "
                             f"unlike the first expert's {layout}")
            for m in range(n_modalities):
                svr = f"{what}, modality {m}"
                r.marker(SVR_MARKER, svr)
                kind = r.integer(f"{svr} feature type", 0, 1000)
                if kind not in FEATURE_TYPES:
                    r.pos -= 1
                    raise r.fail(f"{svr} has unknown feature type {kind}")
                confidence, scaling, bias = r.numbers(3, f"{svr} confidence, scaling, bias")
                weights = r.matrix(f"{svr} weights").T
                if weights.shape != (height, width):
                    raise r.fail(f"{svr} weights are {weights.shape}, expected "
                                 f"{(height, width)}")
                for name, value in zip(fields, (kind, confidence, scaling, bias, weights)):
                    fields[name].append(value)
    r.expect_end()

    height, width, n_modalities = layout
    shape = (n_views, n, n_modalities)
    return SVRPatchExperts(
        scale=scale, view_centres=np.deg2rad(np.array(centres, np.float64)),
        visibility=np.array(visibility),
        feature_type=np.array(fields["feature_type"], np.int32).reshape(shape),
        confidence=np.array(fields["confidence"]).reshape(shape),
        scaling=np.array(fields["scaling"]).reshape(shape),
        bias=np.array(fields["bias"]).reshape(shape),
        weights=np.array(fields["weights"], np.float64).reshape(*shape, height, width))
