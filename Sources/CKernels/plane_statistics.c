/*
 * Mean and variance of a plane (instance normalization's statistics) in one pass over it.
 * One body, inlined into a function per target (AVX-512, AVX2 + FMA, the baseline), chosen
 * from the CPU's report. (Not `target_clones`: its ifunc resolver runs before the sanitizers'
 * runtime starts, and the ThreadSanitizer build crashed there.)
 */
#include "CKernels.h"
#include "vector16.h"

/* Sums of d = x − s and of d² around s, the mean of 64 values spread over the plane: s is close to
   the mean, so E[d²] − E[d]² keeps the variance's digits (a shift by several standard deviations
   costs a few of 24 bits). Float sums within blocks of 1024 values, double across blocks. */
static inline __attribute__((always_inline)) void mean_variance(const float *x, size_t count, float *mean,
                                                                float *variance) {
    if (count == 0) {
        *mean = *variance = 0;
        return;
    }
    float s = 0;
    for (size_t k = 0; k < 64; k++) s += x[k * count / 64];
    s /= 64;
    double sum = 0, squares = 0;
    for (size_t start = 0; start < count; start += 1024) {
        size_t end = count - start < 1024 ? count : start + 1024, i = start;
        vec16 a0 = 0, a1 = 0, q0 = 0, q1 = 0;
        for (; i + 32 <= end; i += 32) {
            vec16 d0 = vec16_load(x + i) - s, d1 = vec16_load(x + i + 16) - s;
            a0 += d0;
            a1 += d1;
            q0 += d0 * d0;
            q1 += d1 * d1;
        }
        vec16 a = a0 + a1, q = q0 + q1;
        float block = 0, blockSquares = 0;
        for (int lane = 0; lane < 16; lane++) {
            block += a[lane];
            blockSquares += q[lane];
        }
        for (; i < end; i++) {
            float d = x[i] - s;
            block += d;
            blockSquares += d * d;
        }
        sum += block;
        squares += blockSquares;
    }
    double shift = sum / (double)count, spread = squares / (double)count - shift * shift;
    *mean = (float)(s + shift);
    *variance = spread > 0 ? (float)spread : 0;
}

__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static void mean_variance_avx512(const float *x, size_t count, float *mean, float *variance) {
    mean_variance(x, count, mean, variance);
}

__attribute__((target("avx2,fma")))
static void mean_variance_avx2(const float *x, size_t count, float *mean, float *variance) {
    mean_variance(x, count, mean, variance);
}

void stylize_mean_variance(const float *x, size_t count, float *mean, float *variance) {
    switch (stylize_vector_kernel_best()) {
    case STYLIZE_VECTOR_AVX512: mean_variance_avx512(x, count, mean, variance); return;
    case STYLIZE_VECTOR_AVX2: mean_variance_avx2(x, count, mean, variance); return;
    default: mean_variance(x, count, mean, variance); return;
    }
}
