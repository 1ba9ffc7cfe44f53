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

from _rotation cimport euler_to_rotation


cdef inline int _check(bint ok, str what) except -1:
    if not ok:
        raise ValueError(what)
    return 0


def shape_3d(const double[:, ::1] mean,       # IN  (n, 3)
             const double[:, :, ::1] basis,   # IN  (n, 3, m)
             const double[::1] params_local,  # IN  (m,)
             double[:, ::1] out):             # OUT (n, 3)
    """3D shape in model space: ``mean + basis @ params_local``."""
    cdef Py_ssize_t n = mean.shape[0], m = basis.shape[2], i, k, j
    cdef double acc
    _check(mean.shape[1] == 3 and basis.shape[0] == n and basis.shape[1] == 3,
           f"basis must be (n, 3, m) with n = {n}")
    _check(params_local.shape[0] == m, f"params_local must have {m} values")
    _check(out.shape[0] == n and out.shape[1] == 3, f"out must be ({n}, 3)")
    with nogil:
        for i in range(n):
            for k in range(3):
                acc = mean[i, k]
                for j in range(m):
                    acc = acc + basis[i, k, j] * params_local[j]
                out[i, k] = acc


def project(const double[:, ::1] shape3d,      # IN  (n, 3)
            const double[::1] params_global,   # IN  (6,)
            double[:, ::1] out):               # OUT (n, 2)
    """Weak-perspective projection of a model-space shape to image pixels."""
    cdef Py_ssize_t n = shape3d.shape[0], i
    cdef double R[9]
    cdef double s, tx, ty, X, Y, Z
    _check(shape3d.shape[1] == 3, "shape3d must be (n, 3)")
    _check(params_global.shape[0] == 6, "params_global must have 6 values")
    _check(out.shape[0] == n and out.shape[1] == 2, f"out must be ({n}, 2)")
    s = params_global[0]
    tx = params_global[4]
    ty = params_global[5]
    with nogil:
        euler_to_rotation(params_global[1], params_global[2], params_global[3], R)
        for i in range(n):
            X = shape3d[i, 0]
            Y = shape3d[i, 1]
            Z = shape3d[i, 2]
            out[i, 0] = s * (R[0] * X + R[1] * Y + R[2] * Z) + tx
            out[i, 1] = s * (R[3] * X + R[4] * Y + R[5] * Z) + ty


cdef inline void _rigid_rows(double s, const double* R, double X, double Y, double Z,
                             double* jx, double* jy) noexcept nogil:
    """The six rigid columns for one landmark: scale, three rotations, tx, ty."""
    jx[0] = R[0] * X + R[1] * Y + R[2] * Z
    jy[0] = R[3] * X + R[4] * Y + R[5] * Z
    jx[1] = s * (Y * R[2] - Z * R[1])
    jy[1] = s * (Y * R[5] - Z * R[4])
    jx[2] = -s * (X * R[2] - Z * R[0])
    jy[2] = -s * (X * R[5] - Z * R[3])
    jx[3] = s * (X * R[1] - Y * R[0])
    jy[3] = s * (X * R[4] - Y * R[3])
    jx[4] = 1.0
    jy[4] = 0.0
    jx[5] = 0.0
    jy[5] = 1.0


def rigid_jacobian(const double[:, ::1] shape3d,      # IN  (n, 3)
                   const double[::1] params_global,   # IN  (6,)
                   double[:, ::1] out):               # OUT (2n, 6)
    """Jacobian of the projected landmarks with respect to the six global parameters."""
    cdef Py_ssize_t n = shape3d.shape[0], i
    cdef double R[9]
    cdef double s
    _check(shape3d.shape[1] == 3, "shape3d must be (n, 3)")
    _check(params_global.shape[0] == 6, "params_global must have 6 values")
    _check(out.shape[0] == 2 * n and out.shape[1] == 6, f"out must be ({2 * n}, 6)")
    s = params_global[0]
    with nogil:
        euler_to_rotation(params_global[1], params_global[2], params_global[3], R)
        for i in range(n):
            _rigid_rows(s, R, shape3d[i, 0], shape3d[i, 1], shape3d[i, 2],
                        &out[2 * i, 0], &out[2 * i + 1, 0])


def jacobian(const double[:, ::1] shape3d,      # IN  (n, 3)
             const double[:, :, ::1] basis,     # IN  (n, 3, m)
             const double[::1] params_global,   # IN  (6,)
             double[:, ::1] out):               # OUT (2n, 6 + m)
    """Jacobian of the projected landmarks with respect to all 6 + m parameters."""
    cdef Py_ssize_t n = shape3d.shape[0], m = basis.shape[2], i, j
    cdef double R[9]
    cdef double s, vx, vy, vz
    _check(shape3d.shape[1] == 3, "shape3d must be (n, 3)")
    _check(basis.shape[0] == n and basis.shape[1] == 3, f"basis must be ({n}, 3, m)")
    _check(params_global.shape[0] == 6, "params_global must have 6 values")
    _check(out.shape[0] == 2 * n and out.shape[1] == 6 + m, f"out must be ({2 * n}, {6 + m})")
    s = params_global[0]
    with nogil:
        euler_to_rotation(params_global[1], params_global[2], params_global[3], R)
        for i in range(n):
            _rigid_rows(s, R, shape3d[i, 0], shape3d[i, 1], shape3d[i, 2],
                        &out[2 * i, 0], &out[2 * i + 1, 0])
            for j in range(m):
                vx = basis[i, 0, j]
                vy = basis[i, 1, j]
                vz = basis[i, 2, j]
                out[2 * i, 6 + j] = s * (R[0] * vx + R[1] * vy + R[2] * vz)
                out[2 * i + 1, 6 + j] = s * (R[3] * vx + R[4] * vy + R[5] * vz)
