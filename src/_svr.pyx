"""SVR patch-expert responses (OpenFace's SVR_patch_expert and Multi_SVR_patch_expert).

For each landmark's area of interest and each modality (feature type):

1. the feature image: type 0 is the area normalised to zero mean and unit standard
   deviation (population, 1 when the area is flat); type 1 is the squared gradient
   magnitude from central differences, 0 on the border;
2. the SVR weights are correlated with the feature image at every window position by
   OpenCV's TM_CCOEFF_NORMED (correlation coefficient, with OpenCV's handling of
   near-flat windows: |num| < t gives num / t, |num| < 1.125 t gives +-1, else 0);
3. the logistic ``1 / (1 + exp(-(r * scaling + bias)))``.

With one modality that is the response; with several, their product.
"""

from cython.parallel cimport prange, parallel
from libc.math cimport sqrt, exp, fabs
from libc.stdlib cimport malloc, free


cdef inline int _check(bint ok, str what) except -1:
    if not ok:
        raise ValueError(what)
    return 0


cdef void _features(const float[:, ::1] area, int kind, double* feat) noexcept nogil:
    """The feature image of one modality, A x A, into feat."""
    cdef int A = area.shape[0], y, x
    cdef double total = 0.0, mean, var = 0.0, sd
    cdef float vx, vy
    if kind == 0:
        for y in range(A):
            for x in range(A):
                total = total + area[y, x]
        mean = total / (A * A)
        for y in range(A):
            for x in range(A):
                var = var + (area[y, x] - mean) * (area[y, x] - mean)
        sd = sqrt(var / (A * A))
        if sd == 0.0:
            sd = 1.0
        for y in range(A):
            for x in range(A):
                feat[y * A + x] = <float>((area[y, x] - mean) / sd)
    else:
        for y in range(A):
            for x in range(A):
                feat[y * A + x] = 0.0
        for y in range(1, A - 1):
            for x in range(1, A - 1):
                vx = area[y, x + 1] - area[y, x - 1]
                vy = area[y + 1, x] - area[y - 1, x]
                feat[y * A + x] = vx * vx + vy * vy


cdef void _one_landmark(const float[:, ::1] area,          # (A, A)
                        const int[::1] kinds,              # (M,)
                        const double[:, :, ::1] weights,   # (M, ph, pw)
                        const double[::1] scaling,         # (M,)
                        const double[::1] bias,            # (M,)
                        float[:, ::1] out,                 # (w, w)
                        double* feat) noexcept nogil:      # scratch A * A
    cdef int A = area.shape[0], w = out.shape[0], M = kinds.shape[0]
    cdef int ph = weights.shape[1], pw = weights.shape[2], N = ph * pw
    cdef int m, y, x, dy, dx
    cdef double t_mean, t_norm, cross, wsum, wsum2, num, t, r, v
    for y in range(w):
        for x in range(w):
            out[y, x] = 1.0
    for m in range(M):
        _features(area, kinds[m], feat)
        t_mean = 0.0
        for dy in range(ph):
            for dx in range(pw):
                t_mean = t_mean + weights[m, dy, dx]
        t_mean = t_mean / N
        t_norm = 0.0
        for dy in range(ph):
            for dx in range(pw):
                t_norm = t_norm + (weights[m, dy, dx] - t_mean) * (weights[m, dy, dx] - t_mean)
        t_norm = sqrt(t_norm)
        for y in range(w):
            for x in range(w):
                cross = 0.0
                wsum = 0.0
                wsum2 = 0.0
                for dy in range(ph):
                    for dx in range(pw):
                        v = feat[(y + dy) * A + x + dx]
                        cross = cross + weights[m, dy, dx] * v
                        wsum = wsum + v
                        wsum2 = wsum2 + v * v
                if t_norm < 2.220446049250313e-16:
                    r = 1.0
                else:
                    num = cross - wsum * t_mean
                    t = wsum2 - wsum * wsum / N
                    if t < 0.0:
                        t = 0.0
                    t = sqrt(t) * t_norm
                    if fabs(num) < t:
                        r = num / t
                    elif fabs(num) < t * 1.125:
                        r = 1.0 if num > 0 else -1.0
                    else:
                        r = 0.0
                r = <float>r
                out[y, x] = out[y, x] * <float>(1.0 / (1.0 + exp(-(r * scaling[m] + bias[m]))))


def responses(const float[:, :, ::1] areas,          # IN  (n, A, A)
              const int[:, ::1] kinds,               # IN  (n, M) feature types
              const double[:, :, :, ::1] weights,    # IN  (n, M, ph, pw)
              const double[:, ::1] scaling,          # IN  (n, M)
              const double[:, ::1] bias,             # IN  (n, M)
              float[:, :, ::1] out,                  # OUT (n, w, w)
              int n_threads=1):
    """SVR response maps of n landmarks (see the module docstring)."""
    cdef Py_ssize_t n = areas.shape[0], i
    cdef int A = areas.shape[1], w = out.shape[1], M = kinds.shape[1], m
    cdef double* feat
    cdef int[1] failed
    _check(areas.shape[2] == A, "areas must be (n, A, A)")
    _check(out.shape[0] == n and out.shape[2] == w and w > 0, f"out must be ({n}, w, w)")
    _check(kinds.shape[0] == n and M > 0, f"kinds must be ({n}, M)")
    _check(weights.shape[0] == n and weights.shape[1] == M, f"weights must be ({n}, {M}, ph, pw)")
    _check(A == w + weights.shape[2] - 1 and A == w + weights.shape[3] - 1,
           f"areas must be {w + weights.shape[2] - 1} wide for window {w}")
    _check(scaling.shape[0] == n and scaling.shape[1] == M and bias.shape[0] == n
           and bias.shape[1] == M, f"scaling and bias must be ({n}, {M})")
    _check(n_threads >= 1, "n_threads must be at least 1")
    for i in range(n):
        for m in range(M):
            _check(kinds[i, m] == 0 or kinds[i, m] == 1,
                   f"unknown SVR feature type {kinds[i, m]}")
    failed[0] = 0
    with nogil, parallel(num_threads=n_threads):
        feat = <double*>malloc(A * A * sizeof(double))
        if feat == NULL:
            failed[0] = 1
        for i in prange(n, schedule="static"):
            if feat != NULL:
                _one_landmark(areas[i], kinds[i], weights[i], scaling[i], bias[i], out[i], feat)
        free(feat)
    if failed[0]:
        raise MemoryError("no memory for the SVR feature scratch space")
