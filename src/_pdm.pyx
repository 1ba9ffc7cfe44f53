"""Point distribution model kernels: 3D shape, weak-perspective projection, Jacobians.

Layouts (the NumPy twin, cyclnf/kernels/numpy_pdm.py, uses the same):

- ``mean`` (n, 3): mean 3D shape, one (X, Y, Z) row per landmark.
- ``basis`` (n, 3, m): principal components, ``basis[i, :, j]`` moves landmark i for mode j.
- ``params_global`` (6,): ``[scale, rx, ry, rz, tx, ty]``, OpenFace's order and Euler angles.
- Jacobian rows are interleaved: row ``2 i`` is d x_i, row ``2 i + 1`` is d y_i, so a
  Jacobian matches ``landmarks.reshape(-1)`` for landmarks of shape (n, 2).
- Rotation columns are derivatives with respect to a small rotation composed on the right
  (``R @ (I + [w]x)``), the update OpenFace's PDM::UpdateModelParameters applies.

Every function writes into a caller-allocated ``out`` and checks shapes before its loop.
"""

from cython.view cimport array as _view_array
from libc.math cimport sqrt
from libc.stdlib cimport malloc, free

from _pdm_core cimport (gauss_newton_c, jacobian_c, project_c, shape_3d_c, update_c)


cdef inline _view_array cvarray(tuple shape):
    """A fresh C-contiguous float64 buffer (scratch for a kernel's loop)."""
    return _view_array(shape=shape, itemsize=sizeof(double), format="d")


cdef inline int _check(bint ok, str what) except -1:
    if not ok:
        raise ValueError(what)
    return 0


def shape_3d(const double[:, ::1] mean,       # IN  (n, 3)
             const double[:, :, ::1] basis,   # IN  (n, 3, m)
             const double[::1] params_local,  # IN  (m,)
             double[:, ::1] out):             # OUT (n, 3)
    """3D shape in model space: ``mean + basis @ params_local``."""
    cdef Py_ssize_t n = mean.shape[0], m = basis.shape[2]
    _check(mean.shape[1] == 3 and basis.shape[0] == n and basis.shape[1] == 3,
           f"basis must be (n, 3, m) with n = {n}")
    _check(params_local.shape[0] == m, f"params_local must have {m} values")
    _check(out.shape[0] == n and out.shape[1] == 3, f"out must be ({n}, 3)")
    with nogil:
        shape_3d_c(mean, basis, params_local, out)


def project(const double[:, ::1] shape3d,      # IN  (n, 3)
            const double[::1] params_global,   # IN  (6,)
            double[:, ::1] out):               # OUT (n, 2)
    """Weak-perspective projection of a model-space shape to image pixels."""
    cdef Py_ssize_t n = shape3d.shape[0]
    _check(shape3d.shape[1] == 3, "shape3d must be (n, 3)")
    _check(params_global.shape[0] == 6, "params_global must have 6 values")
    _check(out.shape[0] == n and out.shape[1] == 2, f"out must be ({n}, 2)")
    with nogil:
        project_c(shape3d, &params_global[0], out)


def rigid_jacobian(const double[:, ::1] shape3d,      # IN  (n, 3)
                   const double[::1] params_global,   # IN  (6,)
                   double[:, ::1] out):               # OUT (2n, 6)
    """Jacobian of the projected landmarks with respect to the six global parameters."""
    cdef Py_ssize_t n = shape3d.shape[0]
    cdef double[:, :, ::1] no_basis
    _check(shape3d.shape[1] == 3, "shape3d must be (n, 3)")
    _check(params_global.shape[0] == 6, "params_global must have 6 values")
    _check(out.shape[0] == 2 * n and out.shape[1] == 6, f"out must be ({2 * n}, 6)")
    with nogil:
        jacobian_c(shape3d, no_basis, &params_global[0], True, out)


def jacobian(const double[:, ::1] shape3d,      # IN  (n, 3)
             const double[:, :, ::1] basis,     # IN  (n, 3, m)
             const double[::1] params_global,   # IN  (6,)
             double[:, ::1] out):               # OUT (2n, 6 + m)
    """Jacobian of the projected landmarks with respect to all 6 + m parameters."""
    cdef Py_ssize_t n = shape3d.shape[0], m = basis.shape[2]
    _check(shape3d.shape[1] == 3, "shape3d must be (n, 3)")
    _check(basis.shape[0] == n and basis.shape[1] == 3, f"basis must be ({n}, 3, m)")
    _check(params_global.shape[0] == 6, "params_global must have 6 values")
    _check(out.shape[0] == 2 * n and out.shape[1] == 6 + m, f"out must be ({2 * n}, {6 + m})")
    with nogil:
        jacobian_c(shape3d, basis, &params_global[0], False, out)


def update(const double[::1] params,     # IN  (6 + m,)
           const double[::1] delta,      # IN  (6,) or (6 + m,)
           double[::1] out):             # OUT (6 + m,)
    """OpenFace's UpdateModelParameters: add scale, translation and shape; compose the
    small rotation ``delta[1:4]`` on the right, ``R @ orthonormalise(I + [w]x)``."""
    cdef Py_ssize_t p = params.shape[0], d = delta.shape[0]
    _check(p >= 6, "params must have at least 6 values")
    _check(d == 6 or d == p, f"delta must have 6 or {p} values")
    _check(out.shape[0] == p, f"out must have {p} values")
    with nogil:
        update_c(&params[0], p, &delta[0], d, &out[0])


def gauss_newton_step(const double[:, ::1] J,          # IN  (r, q) Jacobian rows
                      const double[::1] weights,       # IN  (r,) row weights (0 drops a row)
                      const double[::1] residual,      # IN  (r,) target minus current
                      const double[::1] reg,           # IN  (q,) diagonal regularisation
                      const double[::1] prior,         # IN  (q,) regularised values
                      double[::1] out):                # OUT (q,) the step
    """Solve ``(J^T W J + diag(reg)) step = J^T W residual - reg * prior`` by Cholesky.

    Returns False (and a zero step) when the system is not positive definite.
    """
    cdef Py_ssize_t r = J.shape[0], q = J.shape[1]
    cdef double* H
    cdef bint ok
    _check(weights.shape[0] == r and residual.shape[0] == r,
           f"weights and residual must have {r} values")
    _check(q > 0 and reg.shape[0] == q and prior.shape[0] == q and out.shape[0] == q,
           f"reg, prior and out must have {q} values")
    H = <double*>malloc(q * q * sizeof(double))
    if H == NULL:
        raise MemoryError()
    with nogil:
        ok = gauss_newton_c(J, &weights[0], &residual[0], &reg[0], &prior[0], H, &out[0])
    free(H)
    return ok


def calc_params(const double[:, ::1] mean,          # IN  (n, 3) the points to fit
                const double[:, :, ::1] basis,      # IN  (n, 3, m)
                const double[::1] eigen_values,     # IN  (m,)
                const double[:, ::1] target,        # IN  (n, 2) the given 2D points
                const double[::1] start,            # IN  (6 + m,) where to start
                double[::1] out):                   # OUT (6 + m,)
    """OpenFace's PDM::CalcParams loop: regularised Gauss-Newton on the given points.

    Each step solves ``(J^T J + diag(0, 1 / eigen_values)) d = J^T r - p / eigen_values``
    and takes 0.75 of it; the loop ends at the third step that improves the error by less
    than 0.1% (measured, as OpenFace does, with the new pose and the previous shape), or
    after 1000 steps. Returns the number of steps.
    """
    cdef Py_ssize_t n = mean.shape[0], m = basis.shape[2], q = 6 + m, i, k
    cdef int steps = 0, not_improved = 0
    cdef double error, new_error, dx, dy
    cdef double[:, ::1] shape3d, projected, J
    cdef double[::1] residual, weights, reg, step, params, trial
    cdef double* H
    _check(mean.shape[1] == 3 and n > 0, "mean must be (n, 3) with n > 0")
    _check(basis.shape[0] == n and basis.shape[1] == 3, f"basis must be ({n}, 3, m)")
    _check(eigen_values.shape[0] == m, f"eigen_values must have {m} values")
    _check(target.shape[0] == n and target.shape[1] == 2, f"target must be ({n}, 2)")
    _check(start.shape[0] == q and out.shape[0] == q, f"start and out must have {q} values")
    for k in range(m):
        _check(eigen_values[k] > 0, "eigen_values must be positive")
    shape3d = cvarray((n, 3))
    projected = cvarray((n, 2))
    J = cvarray((2 * n, q))
    residual = cvarray((2 * n,))
    weights = cvarray((2 * n,))
    reg = cvarray((q,))
    step = cvarray((q,))
    params = cvarray((q,))
    trial = cvarray((q,))
    H = <double*>malloc(q * q * sizeof(double))
    if H == NULL:
        raise MemoryError()
    with nogil:
        for k in range(2 * n):
            weights[k] = 1.0
        for k in range(q):
            params[k] = start[k]
            reg[k] = 0.0 if k < 6 else 1.0 / eigen_values[k - 6]
        shape_3d_c(mean, basis, params[6:], shape3d)
        project_c(shape3d, &params[0], projected)
        error = _distance(target, projected)
        while steps < 1000:
            steps += 1
            shape_3d_c(mean, basis, params[6:], shape3d)
            project_c(shape3d, &params[0], projected)
            for i in range(n):
                residual[2 * i] = target[i, 0] - projected[i, 0]
                residual[2 * i + 1] = target[i, 1] - projected[i, 1]
            jacobian_c(shape3d, basis, &params[0], False, J)
            gauss_newton_c(J, &weights[0], &residual[0], &reg[0], &params[0], H, &step[0])
            for k in range(q):
                step[k] = 0.75 * step[k]
            update_c(&params[0], q, &step[0], q, &trial[0])
            for k in range(q):
                params[k] = trial[k]
            project_c(shape3d, &params[0], projected)
            new_error = _distance(target, projected)
            if 0.999 * error < new_error:
                not_improved += 1
                if not_improved == 3:
                    break
            error = new_error
        for k in range(q):
            out[k] = params[k]
    free(H)
    return steps


cdef inline double _distance(const double[:, ::1] a, const double[:, ::1] b) noexcept nogil:
    """Euclidean norm of a - b over all coordinates."""
    cdef Py_ssize_t i
    cdef double acc = 0.0, d
    for i in range(a.shape[0]):
        d = a[i, 0] - b[i, 0]
        acc = acc + d * d
        d = a[i, 1] - b[i, 1]
        acc = acc + d * d
    return sqrt(acc)
