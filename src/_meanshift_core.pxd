# KDE mean-shift at C level, shared by the _meanshift kernels and the fused NU-RLMS
# kernel (_rlms). See src/_meanshift.pyx for the definition. No checks here.

from libc.stdlib cimport malloc, free


cdef extern from "meanshift_simd.h":
    void kde_moments "cyclnf_kde_moments"(int P, const float* r, const float* kde,
                                          const float* jj, const float* ii,
                                          float* out) noexcept nogil


cdef inline bint mean_shifts_c(const float[:, :, ::1] responses, const float[:, ::1] positions,
                               const float[:, ::1] table, float[:, ::1] out) noexcept nogil:
    """Returns False if out of memory."""
    cdef Py_ssize_t n = responses.shape[0], i
    cdef int w = responses.shape[1], steps = 10 * w, P = w * w, p, row, col
    cdef float dx, dy, step = 0.1
    cdef float moments[3]
    cdef float* index = <float*>malloc(2 * P * sizeof(float))
    if index == NULL:
        return False
    for p in range(P):
        index[p] = p % w                     # column jj
        index[P + p] = p // w                # row ii
    for i in range(n):
        dx = positions[i, 0]
        dy = positions[i, 1]
        if dx < 0:
            dx = 0
        if dy < 0:
            dy = 0
        if dx > w - step:
            dx = w - step
        if dy > w - step:
            dy = w - step
        col = <int>(dy / step + 0.5)
        row = <int>(dx / step + 0.5)
        kde_moments(P, &responses[i, 0, 0], &table[row * steps + col, 0], index, index + P,
                    moments)
        if moments[0] > 0.0:
            out[i, 0] = moments[1] / moments[0] - dx
            out[i, 1] = moments[2] / moments[0] - dy
        else:
            out[i, 0] = 0.0
            out[i, 1] = 0.0
    free(index)
    return True
