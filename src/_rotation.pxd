# Rotation helpers shared by the kernels (C level, no Python objects).

from libc.math cimport sin, cos


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
