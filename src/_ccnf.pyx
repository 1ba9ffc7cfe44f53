"""CCNF patch-expert responses (Baltrusaitis et al. 2013; OpenFace's CCNF_patch_expert).

For each landmark's area of interest (A x A) and a window of w x w positions
(A = w + patch - 1):

1. every patch position is contrast-normalised: its ``ph * pw`` values minus their mean,
   divided by the Euclidean norm of the result (1 when that norm is 0);
2. each neuron k gives ``r_k = bias_k + norm_weights_k * <weights_k, patch>`` (the file's
   bias and norm_weights are folded into the ``weights`` rows given here), computed as
   ``bias_k + (<w_k, raw patch> - mean * sum(w_k)) / norm``, the same value without
   materialising the normalised patches;
3. the response sums ``2 alpha_k / (1 + exp(-r_k))`` over neurons (OpenFace skips neurons
   with alpha <= 1e-4; give them alpha2 = 0 here);
4. the response vector is multiplied by the expert's Sigma (the CCNF's spatial
   correlation, w*w x w*w), and shifted so that its minimum is not below 0.

The dot products run in float32 like OpenFace's (src/ccnf_simd.h: AVX2 + FMA where the
CPU has it, SSE or NEON otherwise; the sigmoids' exp then comes from a polynomial within
2 ulp of expf); the patch means and norms come from box sums in
double precision. Landmarks are independent: with OpenMP they are spread over
``n_threads`` threads, and the result does not depend on the thread count.

:func:`spd_inverse` computes the Sigmas themselves, inverses of the experts' symmetric
positive-definite precision matrices, by Cholesky factorisation in double precision, each
sum in a fixed order, so that a Sigma is the same bits however many threads (and whichever
BLAS) the process has.
"""

from cython.view cimport array as _view_array
from cython.parallel cimport prange, parallel
from libc.math cimport sqrt, isfinite
from libc.stdlib cimport malloc, free


cdef extern from "ccnf_simd.h":
    int GROUP "CYCLNF_GROUP"
    int OVERREAD "CYCLNF_OVERREAD"
    int cpu_has_avx2 "cyclnf_cpu_has_avx2"() noexcept nogil
    void ccnf_row "cyclnf_ccnf_row"(const float* row, const int* offsets, int T,
                                    const float* wt, float* out, int stride, int w) noexcept nogil
    void sigmoids "cyclnf_sigmoids"(int n, double a2, const float* v, float* out) noexcept nogil
    void symv "cyclnf_symv"(int P, const float* S, const float* x, float* out) noexcept nogil


cdef inline int _check(bint ok, str what) except -1:
    if not ok:
        raise ValueError(what)
    return 0


cdef struct Scratch:
    # Per-thread work space for one landmark (sizes for area A, window w, patch T taps).
    float* padded       # A * A + OVERREAD: the area, readable past its end
    float* mean         # w * w
    float* inv_norm     # w * w
    float* raw          # GROUP * w * w: dot products of one neuron group
    float* response     # w * w
    float* wt           # T * GROUP: the group's weights, transposed
    int* offsets        # T: each tap's offset in the area
    double* row_sum     # A * w: sums along rows, for the box sums
    double* row_sq      # A * w


cdef bint _allocate(Scratch* s, int A, int w, int T) noexcept nogil:
    cdef int P = w * w
    s.padded = <float*>malloc((A * A + OVERREAD + (3 + GROUP) * P + T * GROUP) * sizeof(float))
    s.offsets = <int*>malloc(T * sizeof(int))
    s.row_sum = <double*>malloc(2 * A * w * sizeof(double))
    if s.padded == NULL or s.offsets == NULL or s.row_sum == NULL:
        _release(s)
        return False
    s.mean = s.padded + A * A + OVERREAD
    s.inv_norm = s.mean + P
    s.raw = s.inv_norm + P
    s.response = s.raw + GROUP * P
    s.wt = s.response + P
    s.row_sq = s.row_sum + A * w
    return True


cdef void _release(Scratch* s) noexcept nogil:
    free(s.padded)
    free(s.offsets)
    free(s.row_sum)
    s.padded = NULL
    s.offsets = NULL
    s.row_sum = NULL


cdef void _one_landmark(const float[:, ::1] area,      # (A, A)
                        const float[:, ::1] weights,   # (K, 1 + ph*pw)
                        const double[::1] alpha2,      # (K,)
                        const float[:, ::1] sigma,     # (P, P)
                        int ph, int pw,
                        float[:, ::1] out,             # (w, w)
                        Scratch* s) noexcept nogil:
    cdef int w = out.shape[0], A = area.shape[0], P = w * w, T = ph * pw
    cdef int K = weights.shape[0], y, x, t, dy, dx, k, k0, kn, p, g
    cdef float value, low, wsum, wk
    cdef double acc1, acc2, a2, dev

    # The area, padded so that a row's last block may read past its end.
    for y in range(A):
        for x in range(A):
            s.padded[y * A + x] = area[y, x]
    for x in range(OVERREAD):
        s.padded[A * A + x] = 0.0
    for dy in range(ph):
        for dx in range(pw):
            s.offsets[dy * pw + dx] = dy * A + dx

    # 1. Mean and inverse norm of every patch position, from box sums of the values and
    #    their squares in double precision: running sums along rows, then along columns
    #    (exact for 8-bit pixel values).
    for y in range(A):
        acc1 = 0.0
        acc2 = 0.0
        for dx in range(pw):
            value = s.padded[y * A + dx]
            acc1 = acc1 + value
            acc2 = acc2 + <double>value * value
        s.row_sum[y * w] = acc1
        s.row_sq[y * w] = acc2
        for x in range(1, w):
            value = s.padded[y * A + x + pw - 1]
            wk = s.padded[y * A + x - 1]
            acc1 = acc1 + value - wk
            acc2 = acc2 + <double>value * value - <double>wk * wk
            s.row_sum[y * w + x] = acc1
            s.row_sq[y * w + x] = acc2
    for x in range(w):
        acc1 = 0.0
        acc2 = 0.0
        for dy in range(ph):
            acc1 = acc1 + s.row_sum[dy * w + x]
            acc2 = acc2 + s.row_sq[dy * w + x]
        for y in range(w):
            if y > 0:
                acc1 = acc1 + s.row_sum[(y + ph - 1) * w + x] - s.row_sum[(y - 1) * w + x]
                acc2 = acc2 + s.row_sq[(y + ph - 1) * w + x] - s.row_sq[(y - 1) * w + x]
            p = y * w + x
            s.mean[p] = <float>(acc1 / T)
            dev = acc2 - acc1 * acc1 / T           # sum of squared deviations
            s.inv_norm[p] = <float>(1.0 / sqrt(dev)) if dev > 1e-9 * acc2 else 1.0

    # 2-3. Neurons, GROUP at a time: dot products with the raw area, OpenFace's contrast
    #      normalisation applied to them, the sigmoids, summed over neurons.
    for p in range(P):
        s.response[p] = 0.0
    for g in range((K + GROUP - 1) // GROUP):
        k0 = g * GROUP
        kn = K - k0 if K - k0 < GROUP else GROUP
        for t in range(T):
            for k in range(GROUP):
                s.wt[t * GROUP + k] = weights[k0 + k, t + 1] if k < kn else 0.0
        for y in range(w):
            ccnf_row(s.padded + y * A, s.offsets, T, s.wt, s.raw + y * w, P, w)
        for k in range(kn):
            a2 = alpha2[k0 + k]
            if a2 == 0.0:
                continue
            wsum = 0.0
            for t in range(1, T + 1):
                wsum = wsum + weights[k0 + k, t]
            for p in range(P):
                s.raw[k * P + p] = (weights[k0 + k, 0]
                                    + (s.raw[k * P + p] - s.mean[p] * wsum) * s.inv_norm[p])
            sigmoids(P, a2, s.raw + k * P, s.response)

    # 4. Spatial smoothing with Sigma (symmetric, so row t is column t), then the shift.
    symv(P, &sigma[0, 0], s.response, s.raw)
    low = s.raw[0]
    for p in range(1, P):
        if s.raw[p] < low:
            low = s.raw[p]
    if low > 0.0:
        low = 0.0
    for y in range(w):
        for x in range(w):
            out[y, x] = s.raw[y * w + x] - low


def responses(const float[:, :, ::1] areas,     # IN  (n, A, A)
              const float[:, :, ::1] weights,   # IN  (n, K, 1 + ph*pw)
              const double[:, ::1] alpha2,      # IN  (n, K): 2 alpha, 0 to skip a neuron
              const float[:, :, ::1] sigmas,    # IN  (n, w*w, w*w)
              int patch_height, int patch_width,
              float[:, :, ::1] out,             # OUT (n, w, w)
              int n_threads=1):
    """CCNF response maps of n landmarks (see the module docstring)."""
    cdef Py_ssize_t n = areas.shape[0], i
    cdef int w = out.shape[1], A = areas.shape[1], T = patch_height * patch_width
    cdef Scratch* scratch
    cdef int[1] failed
    _check(patch_height > 0 and patch_width > 0, "patch size must be positive")
    _check(out.shape[0] == n and out.shape[2] == w and w > 0, f"out must be ({n}, w, w)")
    _check(areas.shape[2] == A and A == w + patch_height - 1 and A == w + patch_width - 1,
           f"areas must be ({n}, {w + patch_height - 1}, {w + patch_width - 1}) for window {w}")
    _check(weights.shape[0] == n and weights.shape[2] == 1 + T, f"weights must be ({n}, K, {1 + T})")
    _check(alpha2.shape[0] == n and alpha2.shape[1] == weights.shape[1],
           f"alpha2 must be ({n}, {weights.shape[1]})")
    _check(sigmas.shape[0] == n and sigmas.shape[1] == w * w and sigmas.shape[2] == w * w,
           f"sigmas must be ({n}, {w * w}, {w * w})")
    _check(n_threads >= 1, "n_threads must be at least 1")
    failed[0] = 0
    with nogil, parallel(num_threads=n_threads):
        # Assigned inside the parallel block, so each thread has its own.
        scratch = <Scratch*>malloc(sizeof(Scratch))
        if scratch == NULL or not _allocate(scratch, A, w, T):
            failed[0] = 1
        for i in prange(n, schedule="static"):
            if scratch != NULL and scratch.padded != NULL:
                _one_landmark(areas[i], weights[i], alpha2[i], sigmas[i],
                              patch_height, patch_width, out[i], scratch)
        if scratch != NULL:
            _release(scratch)
            free(scratch)
    if failed[0]:
        raise MemoryError("no memory for the CCNF response scratch space")


def uses_avx2():
    """True when this machine runs the AVX2 + FMA version of the dot products."""
    return bool(cpu_has_avx2())


cdef int _spd_inverse_one(const double[:, ::1] a,   # IN  (n, n), symmetric positive definite
                          double[:, ::1] out,       # OUT (n, n): a^-1, exactly symmetric
                          double[:, ::1] work       # scratch (n, n)
                          ) noexcept nogil:
    """``a = L L^T`` (L lower, in ``work``), ``L^-1`` (in ``out``'s lower triangle), then
    ``a^-1 = L^-T L^-1``; 0, or 1 if ``a`` is not (numerically) positive definite."""
    cdef Py_ssize_t n = a.shape[0], i, j, k
    cdef double s
    for j in range(n):                                # Cholesky, column by column
        s = a[j, j]
        for k in range(j):
            s = s - work[j, k] * work[j, k]
        if not (s > 0.0) or not isfinite(s):
            return 1
        work[j, j] = sqrt(s)
        for i in range(j + 1, n):
            s = a[i, j]
            for k in range(j):
                s = s - work[i, k] * work[j, k]
            work[i, j] = s / work[j, j]
    for j in range(n):                                # L^-1, column by column
        out[j, j] = 1.0 / work[j, j]
        for i in range(j + 1, n):
            s = 0.0
            for k in range(j, i):
                s = s + work[i, k] * out[k, j]
            out[i, j] = -s / work[i, i]
    for i in range(n):                                # (L^-1)^T L^-1, upper triangle
        for j in range(i, n):
            s = 0.0
            for k in range(j, n):
                s = s + out[k, i] * out[k, j]
            work[i, j] = s
    for i in range(n):
        for j in range(i, n):
            out[i, j] = work[i, j]
            out[j, i] = work[i, j]
    return 0


def spd_inverse(const double[:, :, ::1] a,   # IN  (m, n, n), each symmetric positive definite
                double[:, :, ::1] out,       # OUT (m, n, n)
                int n_threads=1):
    """Inverse of each symmetric positive-definite matrix, by Cholesky (see the module
    docstring). Only the lower triangle of each ``a[i]`` is read; each ``out[i]`` is exactly
    symmetric. Raises ``ValueError`` naming the first matrix that is not positive definite."""
    cdef Py_ssize_t m = a.shape[0], n = a.shape[1], i
    cdef double[:, :, ::1] work
    cdef int[::1] failed
    _check(a.shape[2] == n, f"a must be (m, n, n), got ({m}, {n}, {a.shape[2]})")
    _check(out.shape[0] == m and out.shape[1] == n and out.shape[2] == n,
           f"out must be ({m}, {n}, {n})")
    _check(n_threads >= 1, "n_threads must be at least 1")
    if m == 0 or n == 0:
        return
    work = _view_array(shape=(m, n, n), itemsize=sizeof(double), format="d")
    failed = _view_array(shape=(m,), itemsize=sizeof(int), format="i")
    with nogil:
        for i in prange(m, schedule="static", num_threads=n_threads):
            failed[i] = _spd_inverse_one(a[i], out[i], work[i])
    for i in range(m):
        if failed[i]:
            raise ValueError(f"matrix {i} is not symmetric positive definite")
