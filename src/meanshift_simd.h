/* The moments of one KDE-weighted response map (used through _meanshift_core.pxd):
 *     v[p] = r[p] * kde[p],  total = sum v,  mx = sum v * jj[p],  my = sum v * ii[p]
 * over the P = w * w map positions, jj and ii their column and row. With AVX2 the sums
 * are taken in eight lanes, then added. */
#ifndef CYCLNF_MEANSHIFT_SIMD_H
#define CYCLNF_MEANSHIFT_SIMD_H

#include "cpu.h"

#ifdef CYCLNF_HAVE_AVX2_PATH
CYCLNF_AVX2
static float cyclnf_hsum_avx2(__m256 v)
{
    float lanes[8], total = 0.0f;
    int i;
    _mm256_storeu_ps(lanes, v);
    for (i = 0; i < 8; ++i)
        total += lanes[i];
    return total;
}

CYCLNF_AVX2
static void cyclnf_kde_moments_avx2(int P, const float *r, const float *kde,
                                    const float *jj, const float *ii, float *out)
{
    __m256 total = _mm256_setzero_ps(), mx = _mm256_setzero_ps(), my = _mm256_setzero_ps();
    float t, x, y;
    int p = 0;
    for (; p + 8 <= P; p += 8) {
        const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(r + p), _mm256_loadu_ps(kde + p));
        total = _mm256_add_ps(total, v);
        mx = _mm256_fmadd_ps(v, _mm256_loadu_ps(jj + p), mx);
        my = _mm256_fmadd_ps(v, _mm256_loadu_ps(ii + p), my);
    }
    t = cyclnf_hsum_avx2(total);
    x = cyclnf_hsum_avx2(mx);
    y = cyclnf_hsum_avx2(my);
    for (; p < P; ++p) {
        const float v = r[p] * kde[p];
        t += v;
        x += v * jj[p];
        y += v * ii[p];
    }
    out[0] = t;
    out[1] = x;
    out[2] = y;
}
#endif

static void cyclnf_kde_moments(int P, const float *r, const float *kde, const float *jj,
                               const float *ii, float *out)
{
    float t = 0.0f, x = 0.0f, y = 0.0f;
    int p;
#ifdef CYCLNF_HAVE_AVX2_PATH
    if (cyclnf_cpu_has_avx2()) {
        cyclnf_kde_moments_avx2(P, r, kde, jj, ii, out);
        return;
    }
#endif
    for (p = 0; p < P; ++p) {
        const float v = r[p] * kde[p];
        t += v;
        x += v * jj[p];
        y += v * ii[p];
    }
    out[0] = t;
    out[1] = x;
    out[2] = y;
}

#endif /* CYCLNF_MEANSHIFT_SIMD_H */
