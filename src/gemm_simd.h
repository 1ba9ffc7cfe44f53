/* The matrix product of the CNN layers (used by _cnn.pyx), with one fixed arithmetic.
 *
 *     C[m, n] = fma(A[m, K-1], B[K-1, n], ... fma(A[m, 1], B[1, n], A[m, 0] * B[0, n]))
 *     then C[m, n] += bias[n] when there is a bias
 *
 * Every element is its own chain of fused multiply-adds over k in order, each rounded once
 * to float. No path reorders a chain, splits it over threads or vector lanes, or skips the
 * fusion, so the result is the same bits on every path below, on every CPU that runs it,
 * whatever the blocking or the thread count (which is why the layers do not use BLAS,
 * whose summation order depends on the library, the CPU and the threads):
 *
 *   - AVX2 + FMA on x86-64 with GCC or Clang, chosen at run time when the CPU has them;
 *   - NEON on arm64 (vfmaq_f32 is fused);
 *   - plain C with fmaf() otherwise (C99's correctly rounded fused multiply-add).
 *
 * B is K x ldb with ldb >= N; A is M x lda, C is M x ldc, all row-major.
 */
#ifndef CYCLNF_GEMM_SIMD_H
#define CYCLNF_GEMM_SIMD_H

#include <math.h>
#include <stddef.h>

#include "cpu.h"

/* Rows [m0, m1) of C, one element at a time: the definition itself. */
static void cyclnf_gemm_rows_scalar(int m0, int m1, int N, int K, const float *A, size_t lda,
                                    const float *B, size_t ldb, const float *bias,
                                    float *C, size_t ldc)
{
    int m, n, k;
    for (m = m0; m < m1; ++m) {
        const float *a = A + (size_t)m * lda;
        float *c = C + (size_t)m * ldc;
        for (n = 0; n < N; ++n) {
            float acc = K > 0 ? a[0] * B[n] : 0.0f;
            for (k = 1; k < K; ++k)
                acc = fmaf(a[k], B[(size_t)k * ldb + n], acc);
            c[n] = bias ? acc + bias[n] : acc;
        }
    }
}

#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>
#define CYCLNF_HAVE_NEON_GEMM 1

/* Rows [m0, m1) of C: four rows by eight columns at a time. */
static void cyclnf_gemm_rows_neon(int m0, int m1, int N, int K, const float *A, size_t lda,
                                  const float *B, size_t ldb, const float *bias,
                                  float *C, size_t ldc)
{
    float lanes[8];
    int m = m0, n, k, r, j, rows;
    for (; m < m1; m += rows) {
        rows = m1 - m < 4 ? m1 - m : 4;
        for (n = 0; n + 8 <= N; n += 8) {
            float32x4_t acc[4][2];
            for (r = 0; r < rows; ++r) {
                float32x4_t a0 = vdupq_n_f32(A[(size_t)(m + r) * lda]);
                acc[r][0] = vmulq_f32(a0, vld1q_f32(B + n));
                acc[r][1] = vmulq_f32(a0, vld1q_f32(B + n + 4));
            }
            for (k = 1; k < K; ++k) {
                const float *b = B + (size_t)k * ldb + n;
                float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
                for (r = 0; r < rows; ++r) {
                    float32x4_t a = vdupq_n_f32(A[(size_t)(m + r) * lda + k]);
                    acc[r][0] = vfmaq_f32(acc[r][0], a, b0);
                    acc[r][1] = vfmaq_f32(acc[r][1], a, b1);
                }
            }
            for (r = 0; r < rows; ++r) {
                float *c = C + (size_t)(m + r) * ldc;
                vst1q_f32(lanes, acc[r][0]);
                vst1q_f32(lanes + 4, acc[r][1]);
                for (j = 0; j < 8; ++j)
                    c[n + j] = bias ? lanes[j] + bias[n + j] : lanes[j];
            }
        }
    }
    if (N % 8) {     /* the last columns, element by element (the same arithmetic) */
        int first = N - N % 8;
        cyclnf_gemm_rows_scalar(m0, m1, N - first, K, A, lda, B + first, ldb,
                                bias ? bias + first : NULL, C + first, ldc);
    }
}
#endif

#ifdef CYCLNF_HAVE_AVX2_PATH

/* Lanes j < count of a mask (count 1..8). */
CYCLNF_AVX2
static __m256i cyclnf_lane_mask_avx2(int count)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#define CYCLNF_GEMM_ROWS 6   /* rows per register tile: 12 accumulators */

/* Rows [m, m + CYCLNF_GEMM_ROWS) by columns [n, n + 16) of B (all 16 inside B). */
CYCLNF_AVX2
static void cyclnf_gemm_tile_avx2(int K, const float *A, size_t lda, const float *B,
                                  size_t ldb, __m256 acc[CYCLNF_GEMM_ROWS][2])
{
    int k, r;
    const float *a[CYCLNF_GEMM_ROWS];
    __m256 b0 = _mm256_loadu_ps(B), b1 = _mm256_loadu_ps(B + 8);
    for (r = 0; r < CYCLNF_GEMM_ROWS; ++r) {
        __m256 x;
        a[r] = A + (size_t)r * lda;
        x = _mm256_broadcast_ss(a[r]);
        acc[r][0] = _mm256_mul_ps(x, b0);
        acc[r][1] = _mm256_mul_ps(x, b1);
    }
    for (k = 1; k < K; ++k) {
        const float *b = B + (size_t)k * ldb;
        b0 = _mm256_loadu_ps(b);
        b1 = _mm256_loadu_ps(b + 8);
        for (r = 0; r < CYCLNF_GEMM_ROWS; ++r) {
            __m256 x = _mm256_broadcast_ss(a[r] + k);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
}

/* One row by columns [n, n + count) of B, count 1..8 (lanes past count read nothing). */
CYCLNF_AVX2
static __m256 cyclnf_gemm_tile1x8_avx2(int K, const float *a, const float *B, size_t ldb,
                                       int count)
{
    int k;
    __m256 acc;
    if (count == 8) {
        acc = _mm256_mul_ps(_mm256_broadcast_ss(a), _mm256_loadu_ps(B));
        for (k = 1; k < K; ++k)
            acc = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k),
                                  _mm256_loadu_ps(B + (size_t)k * ldb), acc);
    } else {
        __m256i mask = cyclnf_lane_mask_avx2(count);
        acc = _mm256_mul_ps(_mm256_broadcast_ss(a), _mm256_maskload_ps(B, mask));
        for (k = 1; k < K; ++k)
            acc = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k),
                                  _mm256_maskload_ps(B + (size_t)k * ldb, mask), acc);
    }
    return acc;
}

/* c[j] = v[j] (+ bias[j]) for j < count. */
CYCLNF_AVX2
static void cyclnf_store8_avx2(__m256 v, float *c, const float *bias, int count)
{
    if (bias != NULL)
        v = _mm256_add_ps(v, count == 8 ? _mm256_loadu_ps(bias)
                                        : _mm256_maskload_ps(bias, cyclnf_lane_mask_avx2(count)));
    if (count == 8)
        _mm256_storeu_ps(c, v);
    else
        _mm256_maskstore_ps(c, cyclnf_lane_mask_avx2(count), v);
}

CYCLNF_AVX2
static void cyclnf_gemm_rows_avx2(int m0, int m1, int N, int K, const float *A, size_t lda,
                                  const float *B, size_t ldb, const float *bias,
                                  float *C, size_t ldc)
{
    int m = m0, n, r;
    for (; m + CYCLNF_GEMM_ROWS <= m1; m += CYCLNF_GEMM_ROWS) {
        for (n = 0; n + 16 <= N; n += 16) {
            __m256 acc[CYCLNF_GEMM_ROWS][2];
            cyclnf_gemm_tile_avx2(K, A + (size_t)m * lda, lda, B + n, ldb, acc);
            for (r = 0; r < CYCLNF_GEMM_ROWS; ++r) {
                float *c = C + (size_t)(m + r) * ldc + n;
                cyclnf_store8_avx2(acc[r][0], c, bias ? bias + n : NULL, 8);
                cyclnf_store8_avx2(acc[r][1], c + 8, bias ? bias + n + 8 : NULL, 8);
            }
        }
        for (; n < N; n += 8) {
            int count = N - n < 8 ? N - n : 8;
            for (r = 0; r < CYCLNF_GEMM_ROWS; ++r)
                cyclnf_store8_avx2(
                    cyclnf_gemm_tile1x8_avx2(K, A + (size_t)(m + r) * lda, B + n, ldb, count),
                    C + (size_t)(m + r) * ldc + n, bias ? bias + n : NULL, count);
        }
    }
    for (; m < m1; ++m)
        for (n = 0; n < N; n += 8) {
            int count = N - n < 8 ? N - n : 8;
            cyclnf_store8_avx2(cyclnf_gemm_tile1x8_avx2(K, A + (size_t)m * lda, B + n, ldb,
                                                        count),
                               C + (size_t)m * ldc + n, bias ? bias + n : NULL, count);
        }
}
#endif

/* 1 when the vector path runs on this CPU, else 0 (the scalar path). */
static int cyclnf_gemm_vector_path(void)
{
#if defined(CYCLNF_HAVE_NEON_GEMM)
    return 1;
#elif defined(CYCLNF_HAVE_AVX2_PATH)
    return cyclnf_cpu_has_avx2();
#else
    return 0;
#endif
}

/* Rows [m0, m1) of C = A B (+ bias); ``vector`` chooses the path (the same bits either way). */
static void cyclnf_gemm_rows(int vector, int m0, int m1, int N, int K, const float *A,
                             size_t lda, const float *B, size_t ldb, const float *bias,
                             float *C, size_t ldc)
{
    if (K == 0 || !vector) {
        cyclnf_gemm_rows_scalar(m0, m1, N, K, A, lda, B, ldb, bias, C, ldc);
        return;
    }
#if defined(CYCLNF_HAVE_NEON_GEMM)
    cyclnf_gemm_rows_neon(m0, m1, N, K, A, lda, B, ldb, bias, C, ldc);
#elif defined(CYCLNF_HAVE_AVX2_PATH)
    cyclnf_gemm_rows_avx2(m0, m1, N, K, A, lda, B, ldb, bias, C, ldc);
#else
    cyclnf_gemm_rows_scalar(m0, m1, N, K, A, lda, B, ldb, bias, C, ldc);
#endif
}

#endif /* CYCLNF_GEMM_SIMD_H */
