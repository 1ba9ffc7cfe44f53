# KDE mean-shift at C level, shared by the _meanshift kernels and the fused NU-RLMS
# kernel (_rlms). See src/_meanshift.pyx for the definition. No checks here.


cdef inline void mean_shifts_c(const float[:, :, ::1] responses, const float[:, ::1] positions,
                               const float[:, ::1] table, float[:, ::1] out) noexcept nogil:
    cdef Py_ssize_t n = responses.shape[0], i
    cdef int w = responses.shape[1], steps = 10 * w, ii, jj, row, col
    cdef float dx, dy, mx, my, total, v, step = 0.1
    cdef const float* kde
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
        kde = &table[row * steps + col, 0]
        mx = 0.0
        my = 0.0
        total = 0.0
        for ii in range(w):
            for jj in range(w):
                v = responses[i, ii, jj] * kde[ii * w + jj]
                total = total + v
                mx = mx + v * jj
                my = my + v * ii
        if total > 0.0:
            out[i, 0] = mx / total - dx
            out[i, 1] = my / total - dy
        else:
            out[i, 0] = 0.0
            out[i, 1] = 0.0
