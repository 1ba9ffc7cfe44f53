"""NumPy twin of src/_rlms.pyx: one NU-RLMS phase, built from the PDM and mean-shift twins."""

from __future__ import annotations

import numpy as np

from . import numpy_meanshift, numpy_pdm


def nu_rlms(mean: np.ndarray, basis: np.ndarray, eigen_values: np.ndarray,
            responses: np.ndarray, table: np.ndarray, base_shape: np.ndarray,
            img_to_ref: np.ndarray, ref_to_img: np.ndarray, weights: np.ndarray,
            reg_factor: float, rigid: bool, n_iterations: int, threshold: float,
            params: np.ndarray, positions: np.ndarray):
    """Run one NU-RLMS phase in place on ``params`` (see src/_rlms.pyx).

    Returns (iterations, converged, change).
    """
    n, m = mean.shape[0], basis.shape[2]
    w = responses.shape[1]
    if n == 0 or mean.shape[1] != 3 or basis.shape[:2] != (n, 3):
        raise ValueError("mean must be (n, 3) and basis (n, 3, m) with n > 0")
    if eigen_values.shape != (m,) or params.shape != (6 + m,):
        raise ValueError(f"eigen_values must have {m} values and params {6 + m}")
    if responses.shape != (n, w, w) or w <= 0:
        raise ValueError(f"responses must be ({n}, w, w)")
    if table.shape != (100 * w * w, w * w):
        raise ValueError(f"table must be ({100 * w * w}, {w * w})")
    if base_shape.shape != (n, 2):
        raise ValueError(f"base_shape must be ({n}, 2)")
    if img_to_ref.shape != (2, 2) or ref_to_img.shape != (2, 2):
        raise ValueError("img_to_ref and ref_to_img must be (2, 2)")
    if weights.shape != (n,):
        raise ValueError(f"weights must have {n} values")
    if positions.shape != (n, 2):
        raise ValueError(f"positions must be ({n}, 2)")
    if n_iterations < 0:
        raise ValueError("n_iterations must not be negative")
    q = 6 if rigid else 6 + m
    reg = np.zeros(q)
    if not rigid:
        reg[6:] = reg_factor / eigen_values
    row_weights = np.repeat(weights, 2)
    centre = np.float32((w - 1) // 2)
    shape3d, shape = np.empty((n, 3)), np.empty((n, 2))
    shifts = np.empty((n, 2), np.float32)
    J, step, prior = np.empty((2 * n, q)), np.empty(q), np.zeros(q)
    limit = 3.0 * np.sqrt(eigen_values)
    previous = None
    iterations, converged, change = 0, False, 0.0
    for _ in range(n_iterations):
        numpy_pdm.shape_3d(mean, basis, params[6:], shape3d)
        numpy_pdm.project(shape3d, params[:6], shape)
        if previous is not None:
            change = float(np.sqrt(((shape - previous) ** 2).sum()))
            if change < threshold:
                converged = True
                break
        previous = shape.copy()
        offsets = (shape - base_shape) @ img_to_ref.T
        positions[...] = offsets.astype(np.float32) + centre
        numpy_meanshift.mean_shifts(responses, positions, table, shifts)
        residual = shifts.astype(np.float64) @ ref_to_img.T
        if rigid:
            numpy_pdm.rigid_jacobian(shape3d, params[:6], J)
        else:
            numpy_pdm.jacobian(shape3d, basis, params[:6], J)
            prior[6:] = params[6:]
        numpy_pdm.gauss_newton_step(J, row_weights, residual.reshape(-1), reg, prior, step)
        numpy_pdm.update(params.copy(), step, params)
        np.clip(params[6:], -limit, limit, out=params[6:])
        iterations += 1
    return iterations, converged, change
