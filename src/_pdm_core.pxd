# The PDM's arithmetic at C level, shared by the _pdm kernels and the fused NU-RLMS
# kernel (_rlms). Layouts are those of src/_pdm.pyx. No checks here: callers check.

from libc.math cimport sqrt

from _rotation cimport euler_to_rotation, matmul3, polar, rotation_to_euler


cdef extern from "pdm_simd.h":
    void weighted_gram "cyclnf_weighted_gram"(int r, int q, const double* J, const double* w,
                                              double* H) noexcept nogil


cdef inline void shape_3d_c(const double[:, ::1] mean, const double[:, :, ::1] basis,
                            const double[::1] local, double[:, ::1] out) noexcept nogil:
    cdef Py_ssize_t n = mean.shape[0], m = basis.shape[2], i, k, j
    cdef double acc
    for i in range(n):
        for k in range(3):
            acc = mean[i, k]
            for j in range(m):
                acc = acc + basis[i, k, j] * local[j]
            out[i, k] = acc


cdef inline void project_c(const double[:, ::1] shape3d, const double* glob,
                           double[:, ::1] out) noexcept nogil:
    cdef Py_ssize_t n = shape3d.shape[0], i
    cdef double R[9]
    cdef double s = glob[0], tx = glob[4], ty = glob[5], X, Y, Z
    euler_to_rotation(glob[1], glob[2], glob[3], R)
    for i in range(n):
        X = shape3d[i, 0]
        Y = shape3d[i, 1]
        Z = shape3d[i, 2]
        out[i, 0] = s * (R[0] * X + R[1] * Y + R[2] * Z) + tx
        out[i, 1] = s * (R[3] * X + R[4] * Y + R[5] * Z) + ty


cdef inline void rigid_rows(double s, const double* R, double X, double Y, double Z,
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


cdef inline void jacobian_c(const double[:, ::1] shape3d, const double[:, :, ::1] basis,
                            const double* glob, bint rigid, double[:, ::1] out) noexcept nogil:
    """Rigid (2n, 6) or full (2n, 6 + m) Jacobian, interleaved rows."""
    cdef Py_ssize_t n = shape3d.shape[0], m = basis.shape[2], i, j
    cdef double R[9]
    cdef double s = glob[0], vx, vy, vz
    euler_to_rotation(glob[1], glob[2], glob[3], R)
    for i in range(n):
        rigid_rows(s, R, shape3d[i, 0], shape3d[i, 1], shape3d[i, 2],
                   &out[2 * i, 0], &out[2 * i + 1, 0])
        if not rigid:
            for j in range(m):
                vx = basis[i, 0, j]
                vy = basis[i, 1, j]
                vz = basis[i, 2, j]
                out[2 * i, 6 + j] = s * (R[0] * vx + R[1] * vy + R[2] * vz)
                out[2 * i + 1, 6 + j] = s * (R[3] * vx + R[4] * vy + R[5] * vz)


cdef inline void update_c(const double* params, Py_ssize_t p, const double* delta,
                          Py_ssize_t d, double* out) noexcept nogil:
    """OpenFace's UpdateModelParameters; out may be params itself."""
    cdef double R1[9]
    cdef double R2[9]
    cdef double R3[9]
    cdef double euler[3]
    cdef Py_ssize_t k
    euler_to_rotation(params[1], params[2], params[3], R1)
    R2[0] = 1.0
    R2[1] = -delta[3]
    R2[2] = delta[2]
    R2[3] = delta[3]
    R2[4] = 1.0
    R2[5] = -delta[1]
    R2[6] = -delta[2]
    R2[7] = delta[1]
    R2[8] = 1.0
    polar(R2)
    matmul3(R1, R2, R3)
    polar(R3)
    rotation_to_euler(R3, euler)
    for k in range(p):
        out[k] = params[k]
    out[0] = params[0] + delta[0]
    out[4] = params[4] + delta[4]
    out[5] = params[5] + delta[5]
    out[1] = euler[0]
    out[2] = euler[1]
    out[3] = euler[2]
    if d == p:
        for k in range(6, p):
            out[k] = out[k] + delta[k]


cdef inline bint gauss_newton_c(const double[:, ::1] J, const double* weights,
                                const double* residual, const double* reg,
                                const double* prior, double* H, double* out) noexcept nogil:
    """Solve (J^T W J + diag(reg)) out = J^T W residual - reg * prior by Cholesky.

    H is q x q scratch. Returns False (and a zero step) if not positive definite."""
    cdef Py_ssize_t r = J.shape[0], q = J.shape[1], i, j, k
    cdef double acc, wr
    for i in range(q):
        out[i] = -reg[i] * prior[i]
        for j in range(q):
            H[i * q + j] = 0.0
        H[i * q + i] = reg[i]
    for k in range(r):
        wr = weights[k]
        if wr == 0.0:
            continue
        for i in range(q):
            out[i] = out[i] + wr * J[k, i] * residual[k]
    weighted_gram(<int>r, <int>q, &J[0, 0], weights, H)
    for j in range(q):
        acc = H[j * q + j]
        for k in range(j):
            acc = acc - H[j * q + k] * H[j * q + k]
        if not acc > 0.0:
            for i in range(q):
                out[i] = 0.0
            return False
        H[j * q + j] = sqrt(acc)
        for i in range(j + 1, q):
            acc = H[i * q + j]
            for k in range(j):
                acc = acc - H[i * q + k] * H[j * q + k]
            H[i * q + j] = acc / H[j * q + j]
    for i in range(q):
        acc = out[i]
        for k in range(i):
            acc = acc - H[i * q + k] * out[k]
        out[i] = acc / H[i * q + i]
    for i in range(q - 1, -1, -1):
        acc = out[i]
        for k in range(i + 1, q):
            acc = acc - H[k * q + i] * out[k]
        out[i] = acc / H[i * q + i]
    return True
