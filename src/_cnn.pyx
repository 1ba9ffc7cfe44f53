"""OpenFace's CNN layers (cyclnf/cnn.py) on channels-last batches ``(N, H, W, C)`` of
float32 maps: im2col, the matrix product of the convolutions and fully connected layers,
max pooling and PReLU.

The matrix product is src/gemm_simd.h's: each output a chain of fused multiply-adds in a
fixed order, so the networks give the same bits whatever the thread count, the CPU's
vector path or the BLAS library installed (NumPy's BLAS splits sums differently with its
thread count).
"""

from cython.parallel cimport prange, parallel
from libc.string cimport memcpy
from libc.float cimport FLT_MAX


cdef extern from "gemm_simd.h":
    int gemm_vector_path "cyclnf_gemm_vector_path"() noexcept nogil
    void gemm_rows "cyclnf_gemm_rows"(int vector, int m0, int m1, int N, int K, const float* A,
                                      size_t lda, const float* B, size_t ldb, const float* bias,
                                      float* C, size_t ldc) noexcept nogil

cdef enum:
    ROW_BLOCK = 64     # rows each thread takes at a time


cdef inline int _check(bint ok, str what) except -1:
    if not ok:
        raise ValueError(what)
    return 0


def im2col(const float[:, :, :, ::1] maps,   # IN  (N, H, W, C)
           int kernel_h, int kernel_w,         # IN  window size
           float[:, ::1] out):                 # OUT (N * Ho * Wo, kernel_h * kernel_w * C + 1)
    """Every window as one row, then a 1 (see cyclnf/kernels/numpy_cnn.py)."""
    cdef Py_ssize_t n = maps.shape[0], h = maps.shape[1], w = maps.shape[2], c = maps.shape[3]
    cdef Py_ssize_t ho = h - kernel_h + 1, wo = w - kernel_w + 1
    cdef Py_ssize_t width = kernel_w * c, i, y, x, dy, row
    _check(kernel_h >= 1 and kernel_w >= 1 and ho >= 1 and wo >= 1,
           f"a {kernel_h} x {kernel_w} kernel does not fit {h} x {w} maps")
    _check(out.shape[0] == n * ho * wo and out.shape[1] == kernel_h * width + 1,
           f"out must be ({n * ho * wo}, {kernel_h * width + 1})")
    with nogil:
        row = 0
        for i in range(n):
            for y in range(ho):
                for x in range(wo):
                    for dy in range(kernel_h):
                        memcpy(&out[row, dy * width], &maps[i, y + dy, x, 0],
                               width * sizeof(float))
                    out[row, kernel_h * width] = 1.0
                    row += 1


cdef inline void _max_into(float* acc, const float* values, Py_ssize_t c) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(c):
        acc[k] = values[k] if values[k] > acc[k] else acc[k]


def max_pool(const float[:, :, :, ::1] maps,        # IN  (N, H, W, C)
             int kernel_x, int kernel_y, int stride_x, int stride_y,
             float[:, :, :, ::1] out):               # OUT (N, Ho, Wo, C)
    """Maximum over each window, cut off at the edge; 0 where no window starts inside."""
    cdef Py_ssize_t n = maps.shape[0], h = maps.shape[1], w = maps.shape[2], c = maps.shape[3]
    cdef Py_ssize_t ho = out.shape[1], wo = out.shape[2]
    cdef Py_ssize_t i, oy, ox, y, x, y_end, x_end, k
    cdef float* acc
    _check(kernel_x >= 1 and kernel_y >= 1 and stride_x >= 1 and stride_y >= 1,
           "pooling kernel and stride must be positive")
    _check(out.shape[0] == n and out.shape[3] == c, f"out must be ({n}, Ho, Wo, {c})")
    with nogil:
        for i in range(n):
            for oy in range(ho):
                for ox in range(wo):
                    acc = &out[i, oy, ox, 0]
                    if oy * stride_y >= h or ox * stride_x >= w:
                        for k in range(c):
                            acc[k] = 0.0
                        continue
                    for k in range(c):
                        acc[k] = -FLT_MAX
                    y_end = min(oy * stride_y + kernel_y, h)
                    x_end = min(ox * stride_x + kernel_x, w)
                    for y in range(oy * stride_y, y_end):
                        for x in range(ox * stride_x, x_end):
                            _max_into(acc, &maps[i, y, x, 0], c)


def prelu(float[:, ::1] values,          # IN/OUT (M, C)
          const float[::1] slopes):      # IN     (C,)
    """In place: ``v if v >= 0 else v * slope`` of the value's channel.

    Computed as ``max(v, 0) + min(v, 0) * slope``, which the compiler vectorises (a
    branch on the sign costs 15x here) and which equals OpenFace's select for every
    finite v (NaN gives 0, -0 gives +0: the inputs are finite and the sign of a zero
    changes nothing downstream).
    """
    cdef Py_ssize_t m = values.shape[0], c = values.shape[1], i, k
    cdef float* row
    cdef float v, zero = 0.0     # a float, so that no step is done in double
    _check(slopes.shape[0] == c, f"slopes must be ({c},)")
    if m == 0 or c == 0:
        return
    with nogil:
        for i in range(m):
            row = &values[i, 0]
            for k in range(c):
                v = row[k]
                row[k] = (v if v > zero else zero) + (v if v < zero else zero) * slopes[k]


def vector_path() -> bool:
    """True when :func:`matmul` runs its vector path on this CPU (AVX2 + FMA, or NEON)."""
    return bool(gemm_vector_path())


def matmul(const float[:, ::1] a,        # IN  (M, K)
           const float[:, ::1] b,        # IN  (K, N)
           const float[::1] bias,        # IN  (N,) or (0,) for none
           float[:, ::1] out,            # OUT (M, N)
           int n_threads=1,
           bint portable=False):
    """``out = a @ b (+ bias)``, each element a fused multiply-add chain over k in
    order (see src/gemm_simd.h); ``portable`` takes the plain C path (the same bits)."""
    cdef Py_ssize_t M = a.shape[0], K = a.shape[1], N = out.shape[1]
    cdef Py_ssize_t n_blocks, block, m0, m1
    cdef const float* bias_ptr = NULL
    cdef int vector = 0 if portable else gemm_vector_path()
    _check(b.shape[0] == K, f"b must have {K} rows (a is {M} x {K}), got {b.shape[0]}")
    _check(b.shape[1] == N, f"b must have {N} columns (out is {M} x {N}), got {b.shape[1]}")
    _check(out.shape[0] == M, f"out must have {M} rows, got {out.shape[0]}")
    _check(bias.shape[0] in (0, N), f"bias must be ({N},) or empty, got ({bias.shape[0]},)")
    _check(n_threads >= 1, f"n_threads must be at least 1, got {n_threads}")
    if M == 0 or N == 0:
        return
    if bias.shape[0]:
        bias_ptr = &bias[0]
    n_blocks = (M + ROW_BLOCK - 1) // ROW_BLOCK
    if n_threads == 1 or n_blocks == 1:
        with nogil:
            gemm_rows(vector, 0, <int>M, <int>N, <int>K, &a[0, 0] if K else NULL, K,
                      &b[0, 0] if K else NULL, N, bias_ptr, &out[0, 0], N)
        return
    with nogil, parallel(num_threads=n_threads):
        for block in prange(n_blocks, schedule="static"):
            m0 = block * ROW_BLOCK
            m1 = min(m0 + ROW_BLOCK, M)
            gemm_rows(vector, <int>m0, <int>m1, <int>N, <int>K, &a[0, 0] if K else NULL, K,
                      &b[0, 0] if K else NULL, N, bias_ptr, &out[0, 0], N)
