"""CCNF patch experts (OpenFace's CCNF_patch_expert): neurons, then spatial smoothing.

The response of an expert is the sum of its neurons' sigmoids over the contrast-normalised
patches, multiplied by ``Sigma = (2 (sum(alpha) I + sum_b beta_b S_b))^-1``, where the
``S_b`` are the file's sigma components for the window size (OpenFace's ComputeSigmas;
with no components for a window size, only the identity term). The kernel is
:mod:`cyclnf.kernels` ``ccnf``; this class prepares its inputs once per view and caches
each Sigma the first time a (view, window) pair is used.
"""

from __future__ import annotations

import threading
from typing import Dict, Tuple

import numpy as np

from ..kernels import ccnf as _ccnf
from ..models.formats.ccnf import CCNFPatchExperts
from .base import PatchExperts

#: OpenFace skips neurons whose alpha is this small (CCNF_patch_expert::Response).
MIN_ALPHA = 1e-4


class _ViewInputs:
    """Kernel inputs for the visible experts of one view."""

    def __init__(self, data: CCNFPatchExperts, view: int):
        visible = np.flatnonzero(data.visibility[view])
        counts = [data.neurons(view, i).stop - data.neurons(view, i).start for i in visible]
        k_max = max(counts, default=0)
        ph, pw = data.neuron_weights.shape[1:]
        self.weights = np.zeros((visible.size, k_max, 1 + ph * pw), np.float32)
        self.alpha2 = np.zeros((visible.size, k_max))
        self.sum_alpha = np.zeros(visible.size)
        self.betas = data.betas[view, visible]
        for row, i in enumerate(visible):
            sl = data.neurons(view, i)
            k = sl.stop - sl.start
            # As OpenFace's weight_matrix: [bias, weights * norm_weights], in float32.
            weights = data.neuron_weights[sl].astype(np.float32).astype(np.float64)
            self.weights[row, :k, 0] = data.bias[sl]
            self.weights[row, :k, 1:] = (weights.reshape(k, -1) * data.norm_weights[sl, None])
            alpha = data.alpha[sl]
            self.alpha2[row, :k] = np.where(alpha > MIN_ALPHA, 2.0 * alpha, 0.0)
            total = np.float32(0.0)              # OpenFace adds double alphas to a float
            for a in alpha:
                total = np.float32(float(total) + a)
            self.sum_alpha[row] = total


class CCNFExperts(PatchExperts):
    """The CCNF experts of one patch scale.

    Parameters
    ----------
    data : CCNFPatchExperts
        A parsed CCNF file (:func:`cyclnf.models.load_file`).
    """

    kind = "ccnf"

    def __init__(self, data: CCNFPatchExperts):
        super().__init__(data)
        self.data = data
        heights, widths = data.neuron_weights.shape[1:]
        if heights != widths:
            raise ValueError(f"CCNF patches must be square, got {heights} x {widths}")
        self.patch_size = (heights, widths)
        self._views: Dict[int, _ViewInputs] = {}
        self._sigmas: Dict[Tuple[int, int], np.ndarray] = {}
        self._lock = threading.Lock()

    def confidence(self, view: int) -> np.ndarray:
        return self.data.confidence[view]

    def view_inputs(self, view: int) -> _ViewInputs:
        """The kernel inputs (weights, alpha2, ...) of a view's visible experts."""
        inputs = self._views.get(view)
        if inputs is None:
            with self._lock:
                inputs = self._views.setdefault(view, _ViewInputs(self.data, view))
        return inputs

    def sigmas(self, view: int, window: int) -> np.ndarray:
        """Sigma of every visible expert of a view for a window size.

        Returns
        -------
        (n_visible, w*w, w*w) float32
        """
        key = (view, window)
        sigma = self._sigmas.get(key)
        if sigma is None:
            inputs = self.view_inputs(view)
            sizes = [int(s) for s in self.data.window_sizes]
            components = (self.data.sigma_components[sizes.index(window)].astype(np.float64)
                          if window in sizes else np.zeros((0, window ** 2, window ** 2)))
            n_betas = components.shape[0]
            # The precision matrices 2 (sum(alpha) I + sum_b beta_b S_b), summed over b in
            # order (no BLAS: the same bits however the process is threaded).
            precision = inputs.sum_alpha[:, None, None] * np.eye(window * window)
            for b in range(n_betas):
                precision = precision + inputs.betas[:, b, None, None] * components[b]
            precision = 2.0 * precision
            sigma64 = np.empty_like(precision)
            try:
                _ccnf.spd_inverse(precision, sigma64)
            except ValueError as exc:
                raise ValueError(f"CCNF view {view}, window {window}: the expert's "
                                 f"precision {exc}; the model file is damaged") from None
            sigma = sigma64.astype(np.float32)
            with self._lock:
                sigma = self._sigmas.setdefault(key, sigma)
        return sigma

    def _responses(self, areas: np.ndarray, view: int, window: int,
                   n_threads: int) -> np.ndarray:
        inputs = self.view_inputs(view)
        out = np.empty((areas.shape[0], window, window), np.float32)
        ph, pw = self.patch_size
        _ccnf.responses(areas, inputs.weights, inputs.alpha2, self.sigmas(view, window),
                        ph, pw, out, n_threads)
        return out
