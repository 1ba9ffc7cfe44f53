# Rotation helpers shared by the kernels (C level, no Python objects).

from libc.math cimport sin, cos, atan2, asin


cdef inline void euler_to_rotation(double rx, double ry, double rz,
                                   double* R) noexcept nogil:
    """OpenFace's Euler convention, R = Rx @ Ry @ Rz, written row-major into R[9]."""
    cdef double s1 = sin(rx), s2 = sin(ry), s3 = sin(rz)
    cdef double c1 = cos(rx), c2 = cos(ry), c3 = cos(rz)
    R[0] = c2 * c3
    R[1] = -c2 * s3
    R[2] = s2
    R[3] = c1 * s3 + c3 * s1 * s2
    R[4] = c1 * c3 - s1 * s2 * s3
    R[5] = -c2 * s1
    R[6] = s1 * s3 - c1 * c3 * s2
    R[7] = c3 * s1 + c1 * s2 * s3
    R[8] = c1 * c2


cdef inline void matmul3(const double* A, const double* B, double* C) noexcept nogil:
    """C = A @ B for row-major 3 x 3 matrices (C must not alias A or B)."""
    cdef int i, j
    for i in range(3):
        for j in range(3):
            C[3 * i + j] = A[3 * i] * B[j] + A[3 * i + 1] * B[3 + j] + A[3 * i + 2] * B[6 + j]


cdef inline void polar(double* R) noexcept nogil:
    """Replace R by the rotation nearest to it (its polar factor, what OpenFace's
    SVD-based Orthonormalise gives for a matrix with positive determinant), by Newton's
    iteration X <- (X + X^-T) / 2."""
    cdef double X[9]
    cdef double C[9]
    cdef double det, change
    cdef int it, k
    for k in range(9):
        X[k] = R[k]
    for it in range(30):
        # cofactor matrix C; X^-T = C / det
        C[0] = X[4] * X[8] - X[5] * X[7]
        C[1] = X[5] * X[6] - X[3] * X[8]
        C[2] = X[3] * X[7] - X[4] * X[6]
        C[3] = X[2] * X[7] - X[1] * X[8]
        C[4] = X[0] * X[8] - X[2] * X[6]
        C[5] = X[1] * X[6] - X[0] * X[7]
        C[6] = X[1] * X[5] - X[2] * X[4]
        C[7] = X[2] * X[3] - X[0] * X[5]
        C[8] = X[0] * X[4] - X[1] * X[3]
        det = X[0] * C[0] + X[1] * C[1] + X[2] * C[2]
        change = 0.0
        for k in range(9):
            C[k] = 0.5 * (X[k] + C[k] / det)
            change = change + (C[k] - X[k]) * (C[k] - X[k])
            X[k] = C[k]
        if change < 1e-30:
            break
    for k in range(9):
        R[k] = X[k]


cdef inline void rotation_to_euler(const double* R, double* euler) noexcept nogil:
    """Euler angles (rx, ry, rz) of R = Rx Ry Rz, ry in [-pi/2, pi/2]."""
    cdef double s = R[2]
    if s > 1.0:
        s = 1.0
    if s < -1.0:
        s = -1.0
    euler[0] = atan2(-R[5], R[8])
    euler[1] = asin(s)
    euler[2] = atan2(-R[1], R[0])
