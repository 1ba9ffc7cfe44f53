/* Run-time CPU feature detection for the kernels' optional AVX2 + FMA paths.
 *
 * CYCLNF_HAVE_AVX2_PATH is defined where an AVX2 + FMA version can be compiled (x86-64
 * with GCC or Clang, using per-function target attributes, so the rest of the module
 * stays baseline x86-64). cyclnf_cpu_has_avx2() says whether this CPU can run it.
 */
#ifndef CYCLNF_CPU_H
#define CYCLNF_CPU_H

#if (defined(__x86_64__) || defined(__amd64__)) && (defined(__GNUC__) || defined(__clang__))
#define CYCLNF_HAVE_AVX2_PATH 1
#include <immintrin.h>
#define CYCLNF_AVX2 __attribute__((target("avx2,fma")))

static int cyclnf_cpu_has_avx2(void)
{
    static int known = -1;          /* benign race: every thread computes the same */
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return known;
}
#else
static int cyclnf_cpu_has_avx2(void) { return 0; }
#endif

#endif /* CYCLNF_CPU_H */
