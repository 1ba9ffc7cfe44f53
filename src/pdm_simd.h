/* The Gauss-Newton normal matrix of the PDM fit (used through _pdm_core.pxd):
 *     H[i][j] += sum_k w[k] * J[k][i] * J[k][j]   for j <= i (the lower triangle),
 * J row-major r x q. Sums run over k in order; AVX2 + FMA where the CPU has it. */
#ifndef CYCLNF_PDM_SIMD_H
#define CYCLNF_PDM_SIMD_H

#include "cpu.h"

#ifdef CYCLNF_HAVE_AVX2_PATH
CYCLNF_AVX2
static void cyclnf_weighted_gram_avx2(int r, int q, const double *J, const double *w,
                                      double *H)
{
    int k, i, j;
    for (k = 0; k < r; ++k) {
        const double *row = J + (size_t)k * q;
        if (w[k] == 0.0)
            continue;
        for (i = 0; i < q; ++i) {
            const double a = w[k] * row[i];
            const __m256d av = _mm256_set1_pd(a);
            double *h = H + (size_t)i * q;
            for (j = 0; j + 4 <= i + 1; j += 4)
                _mm256_storeu_pd(h + j, _mm256_fmadd_pd(av, _mm256_loadu_pd(row + j),
                                                        _mm256_loadu_pd(h + j)));
            for (; j <= i; ++j)
                h[j] += a * row[j];
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
