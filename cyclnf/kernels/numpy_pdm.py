"""NumPy twin of the compiled PDM kernels (src/_pdm.pyx): same functions, same layouts.

See src/_pdm.pyx for the array layouts. ``CYCLNF_KERNELS=numpy`` makes cyclnf use these.
"""

from __future__ import annotations

import numpy as np

from ..rotation import (axis_angle_to_rotation_matrix, euler_to_rotation_matrix, orthonormalise,
                        rotation_matrix_to_axis_angle, rotation_matrix_to_euler)


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(what)


def shape_3d(mean: np.ndarray, basis: np.ndarray, params_local: np.ndarray,
             out: np.ndarray) -> None:
    """3D shape in model space: ``mean + basis @ params_local``."""
    n, m = mean.shape[0], basis.shape[2]
    _check(mean.shape[1] == 3 and basis.shape[:2] == (n, 3), f"basis must be (n, 3, m) with n = {n}")
    _check(params_local.shape == (m,), f"params_local must have {m} values")
    _check(out.shape == (n, 3), f"out must be ({n}, 3)")
    out[...] = mean + basis @ params_local


def project(shape3d: np.ndarray, params_global: np.ndarray, out: np.ndarray) -> None:
    """Weak-perspective projection of a model-space shape to image pixels."""
    n = shape3d.shape[0]
    _check(shape3d.shape[1] == 3, "shape3d must be (n, 3)")
    _check(params_global.shape == (6,), "params_global must have 6 values")
    _check(out.shape == (n, 2), f"out must be ({n}, 2)")
    scale, rotation, translation = params_global[0], params_global[1:4], params_global[4:6]
    R = euler_to_rotation_matrix(rotation)
    out[...] = scale * shape3d @ R[:2].T + translation


def _rigid_columns(shape3d: np.ndarray, scale: float, R: np.ndarray) -> np.ndarray:
    """(n, 2, 6): scale, three small rotations composed on the right, tx, ty."""
    n = shape3d.shape[0]
    X, Y, Z = shape3d[:, 0:1], shape3d[:, 1:2], shape3d[:, 2:3]
    r = R[:2]                                        # rows for x and y, (2, 3)
    J = np.empty((n, 2, 6))
    J[:, :, 0] = shape3d @ r.T
    J[:, :, 1] = scale * (Y * r[:, 2] - Z * r[:, 1])
    J[:, :, 2] = -scale * (X * r[:, 2] - Z * r[:, 0])
    J[:, :, 3] = scale * (X * r[:, 1] - Y * r[:, 0])
    J[:, :, 4] = [1.0, 0.0]
    J[:, :, 5] = [0.0, 1.0]
    return J


def rigid_jacobian(shape3d: np.ndarray, params_global: np.ndarray, out: np.ndarray) -> None:
    """Jacobian of the projected landmarks with respect to the six global parameters."""
    n = shape3d.shape[0]
    _check(shape3d.shape[1] == 3, "shape3d must be (n, 3)")
    _check(params_global.shape == (6,), "params_global must have 6 values")
    _check(out.shape == (2 * n, 6), f"out must be ({2 * n}, 6)")
    R = euler_to_rotation_matrix(params_global[1:4])
    out[...] = _rigid_columns(shape3d, params_global[0], R).reshape(2 * n, 6)


def jacobian(shape3d: np.ndarray, basis: np.ndarray, params_global: np.ndarray,
             out: np.ndarray) -> None:
    """Jacobian of the projected landmarks with respect to all 6 + m parameters."""
    n, m = shape3d.shape[0], basis.shape[2]
    _check(shape3d.shape[1] == 3, "shape3d must be (n, 3)")
    _check(basis.shape[:2] == (n, 3), f"basis must be ({n}, 3, m)")
    _check(params_global.shape == (6,), "params_global must have 6 values")
    _check(out.shape == (2 * n, 6 + m), f"out must be ({2 * n}, {6 + m})")
    scale = params_global[0]
    R = euler_to_rotation_matrix(params_global[1:4])
    J = out.reshape(n, 2, 6 + m)
    J[:, :, :6] = _rigid_columns(shape3d, scale, R)
    J[:, :, 6:] = scale * np.einsum("ak,ikj->iaj", R[:2], basis)


def update(params: np.ndarray, delta: np.ndarray, out: np.ndarray) -> None:
    """OpenFace's UpdateModelParameters (see src/_pdm.pyx), through SVD and axis-angle
    exactly as OpenFace writes it."""
    p, d = params.shape[0], delta.shape[0]
    _check(p >= 6, "params must have at least 6 values")
    _check(d in (6, p), f"delta must have 6 or {p} values")
    _check(out.shape == (p,), f"out must have {p} values")
    new = params.copy()
    new[0] += delta[0]
    new[4:6] += delta[4:6]
    wx, wy, wz = delta[1:4]
    small = np.array([[1.0, -wz, wy], [wz, 1.0, -wx], [-wy, wx, 1.0]])
    R = euler_to_rotation_matrix(params[1:4]) @ orthonormalise(small)
    axis_angle = rotation_matrix_to_axis_angle(R)
    new[1:4] = rotation_matrix_to_euler(axis_angle_to_rotation_matrix(axis_angle))
    if d == p:
        new[6:] += delta[6:]
    out[...] = new


def gauss_newton_step(J: np.ndarray, weights: np.ndarray, residual: np.ndarray,
                      reg: np.ndarray, prior: np.ndarray, out: np.ndarray) -> bool:
    """Solve ``(J^T W J + diag(reg)) step = J^T W residual - reg * prior`` (Cholesky).

    Returns False (and a zero step) when the system is not positive definite.
    """
    r, q = J.shape
    _check(weights.shape == (r,) and residual.shape == (r,),
           f"weights and residual must have {r} values")
    _check(reg.shape == (q,) and prior.shape == (q,) and out.shape == (q,),
           f"reg, prior and out must have {q} values")
    Jw = J * weights[:, None]
    H = Jw.T @ J + np.diag(reg)
    g = Jw.T @ residual - reg * prior
    try:
        L = np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        out[...] = 0.0
        return False
    out[...] = np.linalg.solve(L.T, np.linalg.solve(L, g))
    return True


def calc_params(mean: np.ndarray, basis: np.ndarray, eigen_values: np.ndarray,
                target: np.ndarray, start: np.ndarray, out: np.ndarray) -> int:
    """OpenFace's PDM::CalcParams loop: regularised Gauss-Newton on the given points.

    Each step solves ``(J^T J + diag(0, 1 / eigen_values)) d = J^T r - p / eigen_values``
    and takes 0.75 of it; the loop ends at the third step that improves the error by less
    than 0.1% (measured, as OpenFace does, with the new pose and the previous shape), or
    after 1000 steps. Returns the number of steps.
    """
    n, m = mean.shape[0], basis.shape[2]
    q = 6 + m
    _check(mean.shape[1] == 3 and n > 0, "mean must be (n, 3) with n > 0")
    _check(basis.shape[:2] == (n, 3), f"basis must be ({n}, 3, m)")
    _check(eigen_values.shape == (m,), f"eigen_values must have {m} values")
    _check(target.shape == (n, 2), f"target must be ({n}, 2)")
    _check(start.shape == (q,) and out.shape == (q,), f"start and out must have {q} values")
    _check(bool((eigen_values > 0).all()), "eigen_values must be positive")
    reg = np.concatenate([np.zeros(6), 1.0 / eigen_values])
    weights = np.ones(2 * n)
    params = start.astype(np.float64).copy()
    shape3d, projected = np.empty((n, 3)), np.empty((n, 2))
    J, step = np.empty((2 * n, q)), np.empty(q)
    shape_3d(mean, basis, params[6:], shape3d)
    project(shape3d, params[:6], projected)
    error = float(np.linalg.norm(target - projected))
    steps = not_improved = 0
    while steps < 1000:
        steps += 1
        shape_3d(mean, basis, params[6:], shape3d)
        project(shape3d, params[:6], projected)
        jacobian(shape3d, basis, params[:6], J)
        gauss_newton_step(J, weights, (target - projected).reshape(-1), reg, params, step)
        update(params, 0.75 * step, params)
        project(shape3d, params[:6], projected)
        new_error = float(np.linalg.norm(target - projected))
        if 0.999 * error < new_error:
            not_improved += 1
            if not_improved == 3:
                break
        error = new_error
    out[...] = params
    return steps
