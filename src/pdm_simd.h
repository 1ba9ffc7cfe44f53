/* The Gauss-Newton normal matrix of the PDM fit (used through _pdm_core.pxd):
 *     H[i][j] += sum_k w[k] * J[k][i] * J[k][j]   for j <= i (the lower triangle),
 * J row-major r x q. Sums run over k in order. With AVX2 + FMA, 4 x 8 tiles are held in
 * registers (some entries above the diagonal are filled too; only the lower triangle is
 * meant). */
#ifndef CYCLNF_PDM_SIMD_H
#define CYCLNF_PDM_SIMD_H

#include "cpu.h"

#ifdef CYCLNF_HAVE_AVX2_PATH
/* One 4 x 8 tile of H (rows i0.., columns j0..), accumulated in registers over all rows
   of J: a small SYRK. */
CYCLNF_AVX2
static void cyclnf_gram_tile_avx2(int r, int q, const double *J, const double *w,
                                  int i0, int j0, double *H)
{
    __m256d acc[4][2];
    double lanes[4];
    int k, a, b, c;
    for (a = 0; a < 4; ++a)
        acc[a][0] = acc[a][1] = _mm256_setzero_pd();
    for (k = 0; k < r; ++k) {
        const double *row = J + (size_t)k * q;
        const __m256d lo = _mm256_loadu_pd(row + j0), hi = _mm256_loadu_pd(row + j0 + 4);
        if (w[k] == 0.0)
            continue;
        for (a = 0; a < 4; ++a) {
            const __m256d s = _mm256_set1_pd(w[k] * row[i0 + a]);
            acc[a][0] = _mm256_fmadd_pd(s, lo, acc[a][0]);
            acc[a][1] = _mm256_fmadd_pd(s, hi, acc[a][1]);
        }
    }
    for (a = 0; a < 4; ++a)
        for (b = 0; b < 2; ++b) {
            _mm256_storeu_pd(lanes, acc[a][b]);
            for (c = 0; c < 4; ++c)
                H[(size_t)(i0 + a) * q + j0 + 4 * b + c] += lanes[c];
        }
}

CYCLNF_AVX2
static void cyclnf_weighted_gram_avx2(int r, int q, const double *J, const double *w,
                                      double *H)
{
    int i0, j0, i, j, k;
    for (i0 = 0; i0 < q; i0 += 4) {
        for (j0 = 0; j0 <= i0 + 3 && j0 < q; j0 += 8) {
            if (i0 + 4 <= q && j0 + 8 <= q) {
                cyclnf_gram_tile_avx2(r, q, J, w, i0, j0, H);
                continue;
            }
            for (i = i0; i < i0 + 4 && i < q; ++i)          /* edge tiles */
                for (j = j0; j < j0 + 8 && j <= i; ++j) {
                    double acc = 0.0;
                    for (k = 0; k < r; ++k)
                        acc += w[k] * J[(size_t)k * q + i] * J[(size_t)k * q + j];
                    H[(size_t)i * q + j] += acc;
                }
        }
    }
}
#endif

static void cyclnf_weighted_gram(int r, int q, const double *J, const double *w, double *H)
{
    int k, i, j;
#ifdef CYCLNF_HAVE_AVX2_PATH
    if (cyclnf_cpu_has_avx2()) {
        cyclnf_weighted_gram_avx2(r, q, J, w, H);
        return;
    }
#endif
    for (k = 0; k < r; ++k) {
        const double *row = J + (size_t)k * q;
        if (w[k] == 0.0)
            continue;
        for (i = 0; i < q; ++i) {
            const double a = w[k] * row[i];
            for (j = 0; j <= i; ++j)
                H[(size_t)i * q + j] += a * row[j];
        }
    }
}

#endif /* CYCLNF_PDM_SIMD_H */
