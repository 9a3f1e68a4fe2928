/*
 * Instance normalization's pass over a plane once its statistics are known, with what follows
 * it folded in: y = x·scale + shift (+ r), then max(·, 0). One body, inlined into a function per
 * target (AVX-512, AVX2, the baseline), chosen by the caller, as the statistics are. The
 * operations are those of the separate steps, in their order: no fused multiply-add.
 */
#include "CKernels.h"
#include "vector16.h"

#pragma clang fp contract(off)

static inline __attribute__((always_inline)) void normalize_plane(const float *x, float *y, const float *r, size_t count,
                                                                  float scale, float shift, int relu) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        vec16 v = vec16_load(x + i) * scale + shift;
        if (r) v += vec16_load(r + i);
        if (relu) v = v < 0 ? (vec16)0 : v;
        vec16_store(y + i, v);
    }
    for (; i < count; i++) {
        float v = x[i] * scale + shift;
        if (r) v += r[i];
        y[i] = relu && v < 0 ? 0 : v;
    }
}

__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static void normalize_plane_avx512(const float *x, float *y, const float *r, size_t count, float scale, float shift,
                                   int relu) {
    normalize_plane(x, y, r, count, scale, shift, relu);
}

__attribute__((target("avx2,fma")))
static void normalize_plane_avx2(const float *x, float *y, const float *r, size_t count, float scale, float shift,
                                 int relu) {
    normalize_plane(x, y, r, count, scale, shift, relu);
}

void stylize_normalize_plane(stylize_vector_kernel kernel, const float *x, float *y, const float *r, size_t count,
                             float scale, float shift, int relu) {
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: normalize_plane_avx512(x, y, r, count, scale, shift, relu); return;
    case STYLIZE_VECTOR_AVX2: normalize_plane_avx2(x, y, r, count, scale, shift, relu); return;
    default: normalize_plane(x, y, r, count, scale, shift, relu); return;
    }
}
