"""OpenFace's CCNF patch-expert files (binary despite ``.txt``).

Layout, little-endian (Patch_experts::Read_CCNF_patch_experts, CCNF_patch_expert::Read,
CCNF_neuron::Read); "matrix" is OpenFace's binary matrix (see :mod:`.stream`):

- float64 patch scale (0.25, 0.35, 0.5 ... of the PDM's reference size);
- int32 number of views V; V matrices (3, 1) float64: view centres, Euler degrees;
- V matrices (n, 1) int32: which landmarks each view sees;
- int32 number of window sizes W; for each: int32 window size w, int32 number of sigma
  components C, C matrices (w*w, w*w) float32;
- for each view, for each landmark, an expert: int32 marker 5, int32 width, int32 height,
  int32 number of neurons K; an expert with K = 0 (landmark not seen in that view) is
  followed by one more int32 and nothing else; otherwise K neurons, each int32 marker 2,
  int32 neuron type, float64 norm_weights, float64 bias, float64 alpha, matrix weights
  (height, width); then C float64 betas (C of the first window size) and float64 patch
  confidence.

The parsed form packs all neurons of a file into flat arrays, ready for the kernels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np

from .stream import BinaryReader
from .views import PLAUSIBLE_SCALE, PatchExpertViews

EXPERT_MARKER = 5
NEURON_MARKER = 2
#: OpenFace's neuron types: 0 is intensity; 3 (depth) is never used by the 2D models.
NEURON_TYPES = (0, 3)


@dataclass(frozen=True)
class CCNFPatchExperts(PatchExpertViews):
    """One CCNF patch-expert file: V views of n landmarks, K_total neurons in all.

    Attributes
    ----------
    scale, view_centres, visibility
        See :class:`~.views.PatchExpertViews`; landmarks a view does not see have no expert.
    window_sizes : (W,) int32
        Response-map sizes the sigma components are given for.
    sigma_components : tuple of W (C, w*w, w*w) float32
        OpenFace's spatial-similarity matrices per window size.
    expert_size : (V, n, 2) int32
        (height, width) of each expert's patch, (0, 0) where there is none.
    expert_neurons : (V * n + 1,) int64
        Expert (v, i) owns neurons ``expert_neurons[k]`` to ``expert_neurons[k + 1]``,
        ``k = v * n + i`` (see :meth:`neurons`).
    neuron_type, norm_weights, bias, alpha : (K_total,)
    neuron_weights : (K_total, h, w) float64
        Every neuron of a file has its expert's patch size (checked when reading).
    betas : (V, n, C) float64
    confidence : (V, n) float64
        Patch confidence (0 where there is no expert).
    """

    window_sizes: np.ndarray
    sigma_components: Tuple[np.ndarray, ...]
    expert_size: np.ndarray
    expert_neurons: np.ndarray
    neuron_type: np.ndarray
    norm_weights: np.ndarray
    bias: np.ndarray
    alpha: np.ndarray
    neuron_weights: np.ndarray
    betas: np.ndarray
    confidence: np.ndarray

    def neurons(self, view: int, landmark: int) -> slice:
        """Index range, into the neuron arrays, of expert (view, landmark)."""
        k = view * self.n_landmarks + landmark
        return slice(int(self.expert_neurons[k]), int(self.expert_neurons[k + 1]))

    def to_arrays(self) -> Dict[str, np.ndarray]:
        arrays = {name: getattr(self, name) for name in (
            "view_centres", "visibility", "window_sizes", "expert_size", "expert_neurons",
            "neuron_type", "norm_weights", "bias", "alpha", "neuron_weights", "betas",
            "confidence")}
        arrays["scale"] = np.array(self.scale)
        for w, sigma in zip(self.window_sizes, self.sigma_components):
            arrays[f"sigma_components_{int(w)}"] = sigma
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Dict[str, np.ndarray]) -> "CCNFPatchExperts":
        fields = {k: v for k, v in arrays.items() if not k.startswith("sigma_components_")}
        fields["scale"] = float(fields["scale"])
        fields["sigma_components"] = tuple(
            arrays[f"sigma_components_{int(w)}"] for w in arrays["window_sizes"])
        return cls(**fields)


def read_ccnf(path: "os.PathLike[str] | str") -> CCNFPatchExperts:
    """Read an OpenFace CCNF patch-expert file.

    Raises
    ------
    ModelFormatError
        Truncated, corrupt, or not a CCNF file.
    """
    r = BinaryReader(path)
    scale = r.float64("patch scale")
    if not PLAUSIBLE_SCALE[0] < scale < PLAUSIBLE_SCALE[1]:
        raise r.fail(f"patch scale {scale} is not plausible: not a CCNF patch-expert file", 0)
    n_views = r.count("number of views", 1, 100)
    centres = np.stack([_vector(r, f"centre of view {v}", 3, np.float64)
                        for v in range(n_views)])
    visibility = np.stack([_vector(r, f"visibility of view {v}", None, np.int32)
                           for v in range(n_views)])
    n = visibility.shape[1]
    if visibility.shape != (n_views, n) or n == 0:
        raise r.fail("the views' visibility vectors differ in length")

    n_windows = r.count("number of window sizes", 0, 100)
    windows, sigmas = [], []
    for _ in range(n_windows):
        w = r.count("window size", 1, 100)
        n_comp = r.count(f"number of sigma components for window {w}", 0, 100)
        comps = [r.matrix(f"sigma component {c} for window {w}", np.float32)
                 for c in range(n_comp)]
        if any(c.shape != (w * w, w * w) for c in comps):
            raise r.fail(f"sigma components for window {w} must be {w * w} x {w * w}")
        windows.append(w)
        sigmas.append(np.array(comps, np.float32).reshape(n_comp, w * w, w * w))
    n_betas = sigmas[0].shape[0] if sigmas else 0

    size = np.zeros((n_views, n, 2), np.int32)
    starts = [0]
    betas = np.zeros((n_views, n, n_betas))
    confidence = np.zeros((n_views, n))
    types, norms, biases, alphas, weights = [], [], [], [], []
    for v in range(n_views):
        for i in range(n):
            what = f"expert for view {v}, landmark {i}"
            r.marker(EXPERT_MARKER, what)
            width = r.count(f"{what} width", 0, 1000)
            height = r.count(f"{what} height", 0, 1000)
            n_neurons = r.count(f"{what} number of neurons", 0, 1000)
            if n_neurons == 0:
                r.int32(f"{what} padding")
                starts.append(starts[-1])
                continue
            size[v, i] = height, width
            for k in range(n_neurons):
                neuron = f"{what}, neuron {k}"
                r.marker(NEURON_MARKER, neuron)
                at = r.pos
                kind = r.int32(f"{neuron} type")
                if kind not in NEURON_TYPES:
                    raise r.fail(f"{neuron} has unknown type {kind}", at)
                types.append(kind)
                norms.append(r.float64(f"{neuron} norm_weights"))
                biases.append(r.float64(f"{neuron} bias"))
                alphas.append(r.float64(f"{neuron} alpha"))
                matrix = r.matrix(f"{neuron} weights")
                if matrix.shape != (height, width):
                    raise r.fail(f"{neuron} weights are {matrix.shape}, the expert's patch is "
                                 f"{(height, width)}")
                weights.append(matrix.astype(np.float64))
            starts.append(starts[-1] + n_neurons)
            betas[v, i] = r.array("<f8", n_betas, f"{what} betas")
            confidence[v, i] = r.float64(f"{what} confidence")
    r.expect_end()

    shapes = {w.shape for w in weights}
    if len(shapes) > 1:
        raise r.fail(f"neurons of different patch sizes in one file: {sorted(shapes)}")
    patch = shapes.pop() if shapes else (0, 0)
    return CCNFPatchExperts(
        scale=scale, view_centres=np.deg2rad(centres), visibility=visibility.astype(bool),
        window_sizes=np.array(windows, np.int32), sigma_components=tuple(sigmas),
        expert_size=size, expert_neurons=np.array(starts, np.int64),
        neuron_type=np.array(types, np.int32), norm_weights=np.array(norms),
        bias=np.array(biases), alpha=np.array(alphas),
        neuron_weights=np.array(weights).reshape(len(weights), *patch),
        betas=betas, confidence=confidence)


def _vector(r: BinaryReader, what: str, length, dtype) -> np.ndarray:
    """A (length, 1) matrix of ``dtype`` as a 1-D array."""
    matrix = r.matrix(what, dtype)
    if matrix.shape[1] != 1 or (length is not None and matrix.shape[0] != length):
        raise r.fail(f"{what} must be a column of {length or 'n'} values, got {matrix.shape}")
    return matrix[:, 0]
