"""Fitting a landmark model to an image: coarse-to-fine NU-RLMS (OpenFace's CLNF::Fit).

For each patch scale, coarse to fine:

1. choose the view of the experts nearest to the current head rotation;
2. compute the similarity between the current shape and the PDM's reference shape at
   the experts' scale, and each visible landmark's response map over a ``w x w`` window
   of the reference frame;
3. run NU-RLMS twice, first on the six rigid parameters, then on all of them: at each
   iteration, mean-shift every landmark on its (Gaussian-smoothed) response map, map the
   shifts back to the image, and take a regularised Gauss-Newton step of the PDM
   parameters (Saragih et al. 2011; Baltrusaitis et al. 2013, non-uniform weights from
   the experts' confidences), until the shape moves less than the threshold.

With ``refine_parameters`` (OpenFace's default) the regularisation shrinks and the kernel
sigma and weight factor grow with the patch scale. After the last scale the model
likelihood is the mean log KDE likelihood of the visible landmarks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import List, Optional, Tuple

import numpy as np

from .kernels import meanshift as _meanshift
from .kernels import rlms as _rlms
from .landmark_model import LandmarkModel
from .linalg import inv2x2_float32, matmul
from .rotation import align_shapes_with_scale

#: OpenFace stops fitting when the face is smaller than this PDM scale (about 30 px wide).
MIN_SCALE = 0.25
#: OpenFace's model likelihood before anything is computed ("very low").
NO_LIKELIHOOD = -10.0


@dataclass(frozen=True)
class FitSettings:
    """Fitting parameters, OpenFace's FaceModelParameters (defaults: OpenFace's for CLNF).

    Attributes
    ----------
    window_sizes : tuple of int
        Response-map size per patch scale, coarse to fine; 0 skips a scale.
    sigma : float
        Standard deviation (px of the reference frame) of the mean-shift kernel.
    reg_factor : float
        Weight of the shape prior.
    weight_factor : float
        NU-RLMS weight of the experts' confidences (0: all landmarks weigh the same).
    n_iterations : int
        Most NU-RLMS iterations per phase (rigid, then all parameters) and scale.
    convergence_threshold : float
        A phase stops when the shape moves less than this (norm of the change of all
        landmark coordinates, px).
    refine_parameters : bool
        Adapt sigma, regularisation and weight factor to the patch scale.
    """

    window_sizes: Tuple[int, ...] = (11, 9, 7)
    sigma: float = 1.5
    reg_factor: float = 25.0
    weight_factor: float = 0.0
    n_iterations: int = 5
    convergence_threshold: float = 0.01
    refine_parameters: bool = True

    def __post_init__(self):
        if not self.window_sizes or any(int(w) != w or w < 0 or w > 101
                                         for w in self.window_sizes):
            raise ValueError(f"window_sizes must be whole numbers 0..101, got {self.window_sizes}")
        if all(w == 0 for w in self.window_sizes):
            raise ValueError("window_sizes must have at least one non-zero window")
        for name in ("sigma", "reg_factor", "weight_factor", "convergence_threshold"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0) or (name == "sigma" and value == 0):
                raise ValueError(f"{name} must be a finite {'positive' if name == 'sigma' else 'non-negative'} number, got {value}")
        if int(self.n_iterations) != self.n_iterations or self.n_iterations < 1:
            raise ValueError(f"n_iterations must be a positive whole number, got {self.n_iterations}")

    def at_scale(self, patch_scale: float) -> Tuple[np.float32, float, float]:
        """(sigma, reg_factor, weight_factor) used at a patch scale (CLNF::Fit)."""
        if not self.refine_parameters:
            return np.float32(self.sigma), self.reg_factor, self.weight_factor
        octaves = math.log(patch_scale / 0.25) / math.log(2)
        reg = self.reg_factor - 15 * octaves
        if reg <= 0:
            reg = 0.001
        sigma = np.float32(self.sigma + 0.25 * octaves)
        weight = self.weight_factor + 2 * self.weight_factor * octaves
        return sigma, float(np.float32(reg)), float(np.float32(weight))


@dataclass
class FitResult:
    """The outcome of :func:`fit`.

    Attributes
    ----------
    params : (n_params,) ndarray
        ``[scale, rx, ry, rz, tx, ty, p...]``.
    landmarks : (n_points, 2) ndarray
        The PDM's landmarks for ``params``.
    success : bool
        False when the face shrank below the smallest fittable size.
    likelihood : float
        Model likelihood at the last scale (OpenFace's model_likelihood).
    landmark_likelihoods : (n_points,) ndarray
        Each landmark's KDE likelihood at the last scale (-1e8 where unseen).
    iterations : int
        NU-RLMS iterations over all phases and scales.
    converged : bool
        The last phase stopped because the shape stopped moving.
    final_update : float
        How far the shape moved in the last iteration (norm over all coordinates, px).
    view : int
        Experts' view used at the last scale.
    """

    params: np.ndarray
    landmarks: np.ndarray
    success: bool = True
    likelihood: float = NO_LIKELIHOOD
    landmark_likelihoods: Optional[np.ndarray] = None
    iterations: int = 0
    converged: bool = False
    final_update: float = 0.0
    view: int = 0
    history: List[dict] = field(default_factory=list)


@lru_cache(maxsize=32)
def kde_table(window: int, a: float) -> np.ndarray:
    """OpenFace's precomputed mean-shift kernel for a window size and ``a = -1/(2 sigma^2)``."""
    table = np.empty(((10 * window) ** 2, window * window), np.float32)
    _meanshift.kde_table(a, table)
    table.flags.writeable = False
    return table


def nu_rlms(model: LandmarkModel, responses: np.ndarray, params: np.ndarray,
            base_shape: np.ndarray, img_to_ref: np.ndarray, ref_to_img: np.ndarray,
            view: int, scale_index: int, rigid: bool, sigma: np.float32, reg_factor: float,
            weight_factor: float, settings: FitSettings, likelihood: bool = False) -> dict:
    """One NU-RLMS phase (OpenFace's CLNF::NU_RLMS), by the fused ``rlms`` kernel.

    Parameters
    ----------
    responses : (n, w, w) float32
        Response maps around ``base_shape``.
    params : (n_params,) ndarray
        Starting parameters.
    base_shape : (n, 2) ndarray
        Landmarks the response maps are centred on.
    img_to_ref, ref_to_img : (2, 2) ndarray
        Similarity from image offsets to the reference frame, and back.
    rigid : bool
        Only the six global parameters move.

    Returns
    -------
    dict
        ``params``, ``iterations``, ``converged``, ``change``, and with ``likelihood``:
        ``likelihood`` and ``landmark_likelihoods``.
    """
    pdm = model.pdm
    experts = model.scales[scale_index]
    window = responses.shape[1]
    visible = experts.visible(view)
    weights = (weight_factor * experts.confidence(view) if weight_factor > 0
               else np.ones(pdm.n_points)) * visible
    a = float(np.float32(-0.5 / float(sigma * sigma)))
    params = params.copy()
    positions = np.empty((pdm.n_points, 2), np.float32)
    iterations, converged, change = _rlms.nu_rlms(
        pdm.mean_3d, pdm.basis_3d, pdm.eigen_values, responses, kde_table(window, a),
        np.ascontiguousarray(base_shape), img_to_ref, ref_to_img, np.ascontiguousarray(weights),
        reg_factor, rigid, settings.n_iterations, settings.convergence_threshold, params,
        positions)
    result = {"params": params, "iterations": iterations, "converged": converged,
              "change": change}
    if likelihood and iterations:
        lk = np.empty(pdm.n_points, np.float32)
        _meanshift.likelihoods(responses, positions, float(sigma), lk)
        landmark = np.where(visible, lk.astype(np.float64), -1e8)
        result["landmark_likelihoods"] = landmark
        result["likelihood"] = float(np.log(landmark[visible] + 1e-8).sum()
                                     / max(int(visible.sum()), 1))
    return result


def anchor_responses(responses: np.ndarray, anchors: np.ndarray, landmarks: np.ndarray,
                     img_to_ref: np.ndarray, spread: float = 0.5) -> None:
    """Replace anchored landmarks' response maps with a peak at their anchor (in place).

    An anchored landmark is pulled towards a fixed position instead of what its patch
    expert sees; the rest of the fit is unchanged (used to refine some landmarks while
    the others stay where another detector put them).

    Parameters
    ----------
    responses : (n, w, w) float32
        Response maps centred on ``landmarks``.
    anchors : (n, 2) ndarray
        Anchor positions ``(x, y)`` in the image; NaN rows are free landmarks.
    landmarks : (n, 2) ndarray
        Where the maps are centred.
    img_to_ref : (2, 2) ndarray
        Image offsets to the maps' frame.
    spread : float
        Standard deviation of the peak, in map pixels.
    """
    fixed = np.flatnonzero(~np.isnan(anchors[:, 0]))
    if not fixed.size:
        return
    window = responses.shape[1]
    centre = (window - 1) / 2.0
    offsets = matmul(anchors[fixed] - landmarks[fixed],
                     np.asarray(img_to_ref, np.float64).T) + centre
    grid = np.arange(window, dtype=np.float64)
    gx = np.exp(-0.5 * ((grid[None, :] - offsets[:, :1]) / spread) ** 2)
    gy = np.exp(-0.5 * ((grid[None, :] - offsets[:, 1:]) / spread) ** 2)
    responses[fixed] = (gy[:, :, None] * gx[:, None, :]).astype(np.float32)


def fit(model: LandmarkModel, image: np.ndarray, params, settings: FitSettings = FitSettings(),
        n_threads: int = 1, early_exit: Optional[float] = None,
        anchors: Optional[np.ndarray] = None) -> FitResult:
    """Fit a landmark model from starting parameters (OpenFace's CLNF::Fit).

    Parameters
    ----------
    model : LandmarkModel
    image : (H, W) uint8 or float32 ndarray, C-contiguous
        Grayscale image, 0-255 (see :func:`cyclnf.image.to_gray_uint8`).
    params : (n_params,) array_like
        Starting parameters, e.g. from :meth:`PDM.params_from_bbox`.
    settings : FitSettings
    n_threads : int
        Threads for the response maps (the result does not depend on it).
    early_exit : float, optional
        Skip the remaining scales once a scale moved the landmarks less than this many
        pixels on average (not in OpenFace; off by default).
    anchors : (n_points, 2) ndarray, optional
        Landmarks held to given positions instead of their experts' responses (NaN rows:
        free); see :func:`anchor_responses`. Not in OpenFace.

    Returns
    -------
    FitResult
    """
    pdm = model.pdm
    params = np.array(params, dtype=np.float64)
    result = FitResult(params=params, landmarks=pdm.landmarks_2d(params))
    windows = tuple(settings.window_sizes) + (0,) * len(model.scales)
    n_scales = len(model.scales)
    for index, experts in enumerate(model.scales):
        window = windows[index]
        if window == 0:
            continue
        view = experts.view_index(params[1:4])
        landmarks = pdm.landmarks_2d(params)
        reference = pdm.landmarks_2d(np.r_[experts.scale, 0.0, 0.0, 0.0, 0.0, 0.0, params[6:]])
        # OpenFace holds both similarities as float32 2 x 2 matrices.
        img_to_ref = align_shapes_with_scale(landmarks, reference).astype(np.float32)
        ref_to_img = inv2x2_float32(img_to_ref)
        responses = experts.responses(image, landmarks,
                                      ref_to_img[0, 0], -ref_to_img[0, 1], view, window, n_threads)
        if anchors is not None:
            anchor_responses(responses, anchors, landmarks, img_to_ref)
        sigma, reg, weight = settings.at_scale(model.scales[min(index, 2)].scale)
        common = dict(model=model, responses=responses, base_shape=landmarks,
                      img_to_ref=img_to_ref.astype(np.float64),
                      ref_to_img=ref_to_img.astype(np.float64), view=view, scale_index=index,
                      sigma=sigma, reg_factor=reg, weight_factor=weight, settings=settings)
        rigid = nu_rlms(params=params, rigid=True, **common)
        params = rigid["params"]
        last = index == n_scales - 1 or windows[index + 1] == 0 or params[0] < 0.30
        full = nu_rlms(params=params, rigid=False, likelihood=last, **common)
        params = full["params"]
        result.iterations += rigid["iterations"] + full["iterations"]
        result.converged, result.final_update, result.view = (full["converged"], full["change"],
                                                              view)
        result.history.append({"window": window, "scale": experts.scale, "view": view,
                               "rigid_iterations": rigid["iterations"],
                               "iterations": full["iterations"], "final_update": full["change"]})
        if "likelihood" in full:
            result.likelihood = full["likelihood"]
            result.landmark_likelihoods = full["landmark_likelihoods"]
        if params[0] < MIN_SCALE:
            result.success = False
            break
        if early_exit is not None:
            step = pdm.landmarks_2d(params) - landmarks
            moved = np.sqrt((step * step).sum(axis=1)).mean()
            if moved < early_exit:
                break
    result.params = params
    result.landmarks = pdm.landmarks_2d(params)
    return result
