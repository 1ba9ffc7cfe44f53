/* SIMD pieces of the CCNF responses (used by _ccnf.pyx): neuron dot products for one
 * row of patch positions, the neurons' sigmoids, and the smoothing by Sigma.
 *
 * Dot products:
 *
 * For GROUP neurons and the w positions x = 0..w-1 of one row of the response window:
 *     out[k * stride + x] = sum_t wt[t * GROUP + k] * row[offsets[t] + x],  t = 0..T-1
 * where row points at the area of interest's pixel for position (y, 0) and offsets[t] is
 * tap t's offset in the (padded) area. Each sum runs over t in order.
 *
 * Three implementations, the same arithmetic up to float rounding:
 *   - AVX2 + FMA on x86-64 with GCC or Clang, chosen at run time when the CPU has them;
 *   - GCC/Clang vector extensions (SSE on x86-64, NEON on arm64) otherwise;
 *   - plain C for other compilers.
 * The area must be readable for 8 floats past the last position a row uses.
 */
#ifndef CYCLNF_CCNF_SIMD_H
#define CYCLNF_CCNF_SIMD_H

#include <math.h>
#include <string.h>

#include "cpu.h"

#define CYCLNF_GROUP 8      /* neurons per call (pad with zero weights) */
#define CYCLNF_OVERREAD 8   /* floats a row may read past its last position */

#if defined(__GNUC__) || defined(__clang__)

typedef float cyclnf_v4 __attribute__((vector_size(16)));

/* Four positions starting at row[x0]. */
static void cyclnf_block4(const float *row, const int *offsets, int T, const float *wt,
                          float *out, int stride, int w, int x0)
{
    cyclnf_v4 acc[CYCLNF_GROUP];
    int t, k, j;
    for (k = 0; k < CYCLNF_GROUP; ++k)
        acc[k] = (cyclnf_v4){0, 0, 0, 0};
    for (t = 0; t < T; ++t) {
        cyclnf_v4 a;
        const float *wk = wt + t * CYCLNF_GROUP;
        memcpy(&a, row + offsets[t] + x0, sizeof a);
        acc[0] += wk[0] * a; acc[1] += wk[1] * a; acc[2] += wk[2] * a; acc[3] += wk[3] * a;
        acc[4] += wk[4] * a; acc[5] += wk[5] * a; acc[6] += wk[6] * a; acc[7] += wk[7] * a;
    }
    for (k = 0; k < CYCLNF_GROUP; ++k)
        for (j = 0; j < 4 && x0 + j < w; ++j)
            out[k * stride + x0 + j] = acc[k][j];
}

static void cyclnf_row_portable(const float *row, const int *offsets, int T,
                                const float *wt, float *out, int stride, int w)
{
    int x0;
    for (x0 = 0; x0 < w; x0 += 4)
        cyclnf_block4(row, offsets, T, wt, out, stride, w, x0);
}

#else

static void cyclnf_row_portable(const float *row, const int *offsets, int T,
                                const float *wt, float *out, int stride, int w)
{
    int x, t, k;
    for (x = 0; x < w; ++x)
        for (k = 0; k < CYCLNF_GROUP; ++k) {
            float acc = 0.0f;
            for (t = 0; t < T; ++t)
                acc += wt[t * CYCLNF_GROUP + k] * row[offsets[t] + x];
            out[k * stride + x] = acc;
        }
}

#endif

#ifdef CYCLNF_HAVE_AVX2_PATH

CYCLNF_AVX2
static void cyclnf_block8_avx2(const float *row, const int *offsets, int T, const float *wt,
                               float *out, int stride, int w, int x0)
{
    float lanes[8];
    __m256 acc[CYCLNF_GROUP];
    int t, k, j;
    for (k = 0; k < CYCLNF_GROUP; ++k)
        acc[k] = _mm256_setzero_ps();
    for (t = 0; t < T; ++t) {
        const float *wk = wt + t * CYCLNF_GROUP;
        __m256 a = _mm256_loadu_ps(row + offsets[t] + x0);
        for (k = 0; k < CYCLNF_GROUP; ++k)
            acc[k] = _mm256_fmadd_ps(_mm256_broadcast_ss(wk + k), a, acc[k]);
    }
    for (k = 0; k < CYCLNF_GROUP; ++k) {
        _mm256_storeu_ps(lanes, acc[k]);
        for (j = 0; j < 8 && x0 + j < w; ++j)
            out[k * stride + x0 + j] = lanes[j];
    }
}

CYCLNF_AVX2
static void cyclnf_block4_avx2(const float *row, const int *offsets, int T, const float *wt,
                               float *out, int stride, int w, int x0)
{
    float lanes[4];
    __m128 acc[CYCLNF_GROUP];
    int t, k, j;
    for (k = 0; k < CYCLNF_GROUP; ++k)
        acc[k] = _mm_setzero_ps();
    for (t = 0; t < T; ++t) {
        const float *wk = wt + t * CYCLNF_GROUP;
        __m128 a = _mm_loadu_ps(row + offsets[t] + x0);
        for (k = 0; k < CYCLNF_GROUP; ++k)
            acc[k] = _mm_fmadd_ps(_mm_broadcast_ss(wk + k), a, acc[k]);
    }
    for (k = 0; k < CYCLNF_GROUP; ++k) {
        _mm_storeu_ps(lanes, acc[k]);
        for (j = 0; j < 4 && x0 + j < w; ++j)
            out[k * stride + x0 + j] = lanes[j];
    }
}

CYCLNF_AVX2
static void cyclnf_row_avx2(const float *row, const int *offsets, int T, const float *wt,
                            float *out, int stride, int w)
{
    int x0 = 0;
    for (; w - x0 > 4; x0 += 8)
        cyclnf_block8_avx2(row, offsets, T, wt, out, stride, w, x0);
    if (x0 < w)
        cyclnf_block4_avx2(row, offsets, T, wt, out, stride, w, x0);
}

#endif


static void cyclnf_ccnf_row(const float *row, const int *offsets, int T, const float *wt,
                            float *out, int stride, int w)
{
#ifdef CYCLNF_HAVE_AVX2_PATH
    if (cyclnf_cpu_has_avx2()) {
        cyclnf_row_avx2(row, offsets, T, wt, out, stride, w);
        return;
    }
#endif
    cyclnf_row_portable(row, offsets, T, wt, out, stride, w);
}


/* out[p] += a2 / (1 + exp(-v[p])) for p < n: the CCNF neurons' sigmoids. The AVX2 path
   evaluates exp with Cephes' single-precision polynomial (within 2 ulp of expf). */
#ifdef CYCLNF_HAVE_AVX2_PATH
CYCLNF_AVX2
static __m256 cyclnf_exp_avx2(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 fx, y, z;
    __m256i n;
    x = _mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f));
    x = _mm256_max_ps(x, _mm256_set1_ps(-88.3762626647949f));
    fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
    fx = _mm256_floor_ps(fx);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    z = _mm256_mul_ps(x, x);
    y = _mm256_set1_ps(1.9875691500E-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
    y = _mm256_fmadd_ps(y, z, x);
    y = _mm256_add_ps(y, one);
    n = _mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127));
    return _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(n, 23)));
}

CYCLNF_AVX2
static void cyclnf_sigmoids_avx2(int n, float a2, const float *v, float *out)
{
    const __m256 one = _mm256_set1_ps(1.0f), num = _mm256_set1_ps(a2);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    int p = 0;
    for (; p + 8 <= n; p += 8) {
        __m256 e = cyclnf_exp_avx2(_mm256_xor_ps(_mm256_loadu_ps(v + p), sign));
        __m256 r = _mm256_div_ps(num, _mm256_add_ps(one, e));
        _mm256_storeu_ps(out + p, _mm256_add_ps(_mm256_loadu_ps(out + p), r));
    }
    for (; p < n; ++p)
        out[p] += (float)(a2 / (1.0 + expf(-v[p])));
}

/* out = S x for a symmetric P x P matrix S (row-major): out = sum_t x[t] * S[t, :]. */
CYCLNF_AVX2
static void cyclnf_symv_avx2(int P, const float *S, const float *x, float *out)
{
    int t, p;
    for (p = 0; p < P; ++p)
        out[p] = 0.0f;
    for (t = 0; t < P; ++t) {
        const float *row = S + (size_t)t * P;
        const __m256 xt = _mm256_set1_ps(x[t]);
        for (p = 0; p + 8 <= P; p += 8)
            _mm256_storeu_ps(out + p, _mm256_fmadd_ps(xt, _mm256_loadu_ps(row + p),
                                                      _mm256_loadu_ps(out + p)));
        for (; p < P; ++p)
            out[p] += x[t] * row[p];
    }
}
#endif

static void cyclnf_sigmoids(int n, double a2, const float *v, float *out)
{
    int p;
#ifdef CYCLNF_HAVE_AVX2_PATH
    if (cyclnf_cpu_has_avx2()) {
        cyclnf_sigmoids_avx2(n, (float)a2, v, out);
        return;
    }
#endif
    for (p = 0; p < n; ++p)
        out[p] += (float)(a2 / (1.0 + expf(-v[p])));
}

static void cyclnf_symv(int P, const float *S, const float *x, float *out)
{
    int t, p;
#ifdef CYCLNF_HAVE_AVX2_PATH
    if (cyclnf_cpu_has_avx2()) {
        cyclnf_symv_avx2(P, S, x, out);
        return;
    }
#endif
    for (p = 0; p < P; ++p)
        out[p] = 0.0f;
    for (t = 0; t < P; ++t)
        for (p = 0; p < P; ++p)
            out[p] += x[t] * S[(size_t)t * P + p];
}

#endif /* CYCLNF_CCNF_SIMD_H */
