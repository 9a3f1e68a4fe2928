/*
 * The last step of a convolution run as tap products (Conv.swift's tapProducts): each output
 * row adds the kernel row's shifted products, y[i] += Σₜ x[t·tap_stride + i], one pass over y
 * instead of one per tap. One body, inlined into a function per target, chosen by the caller.
 */
#include "CKernels.h"
#include "vector16.h"

#pragma clang fp contract(off)

static inline __attribute__((always_inline)) void sum_taps(float *y, size_t count, const float *x, int taps,
                                                           ptrdiff_t tap_stride) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        vec16 sum = vec16_load(y + i);
        for (int t = 0; t < taps; t++) sum += vec16_load(x + t * tap_stride + i);
        vec16_store(y + i, sum);
    }
    for (; i < count; i++) {
        float sum = y[i];
        for (int t = 0; t < taps; t++) sum += x[t * tap_stride + i];
        y[i] = sum;
    }
}

__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static void sum_taps_avx512(float *y, size_t count, const float *x, int taps, ptrdiff_t tap_stride) {
    sum_taps(y, count, x, taps, tap_stride);
}

__attribute__((target("avx2,fma")))
static void sum_taps_avx2(float *y, size_t count, const float *x, int taps, ptrdiff_t tap_stride) {
    sum_taps(y, count, x, taps, tap_stride);
}

void stylize_sum_taps(stylize_vector_kernel kernel, float *y, size_t count, const float *x, int taps,
                      ptrdiff_t tap_stride) {
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: sum_taps_avx512(y, count, x, taps, tap_stride); return;
    case STYLIZE_VECTOR_AVX2: sum_taps_avx2(y, count, x, taps, tap_stride); return;
    default: sum_taps(y, count, x, taps, tap_stride); return;
    }
}
