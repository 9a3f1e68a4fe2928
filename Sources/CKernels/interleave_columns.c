/*
 * Two rows of results become one row of alternating columns (the ×2 upsampling convolution's
 * phases px = 0 and 1 of an output row), plus a shift, then max(·, 0) when asked. One body,
 * inlined into a function per target, chosen by the caller.
 */
#include "CKernels.h"
#include "vector16.h"

static inline __attribute__((always_inline)) void interleave_columns(const float *even, const float *odd, float *out,
                                                                     size_t count, float shift, int relu) {
    size_t b = 0;
    for (; b + 16 <= count; b += 16) {
        vec16 e = vec16_load(even + b) + shift, o = vec16_load(odd + b) + shift;
        if (relu) {
            e = e < 0 ? (vec16)0 : e;
            o = o < 0 ? (vec16)0 : o;
        }
        vec16 low = __builtin_shufflevector(e, o, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        vec16 high = __builtin_shufflevector(e, o, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        vec16_store(out + 2 * b, low);
        vec16_store(out + 2 * b + 16, high);
    }
    for (; b < count; b++) {
        float e = even[b] + shift, o = odd[b] + shift;
        out[2 * b] = relu && e < 0 ? 0 : e;
        out[2 * b + 1] = relu && o < 0 ? 0 : o;
    }
}

__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static void interleave_columns_avx512(const float *even, const float *odd, float *out, size_t count, float shift,
                                      int relu) {
    interleave_columns(even, odd, out, count, shift, relu);
}

__attribute__((target("avx2,fma")))
static void interleave_columns_avx2(const float *even, const float *odd, float *out, size_t count, float shift,
                                    int relu) {
    interleave_columns(even, odd, out, count, shift, relu);
}

void stylize_interleave_columns(stylize_vector_kernel kernel, const float *even, const float *odd, float *out,
                                size_t count, float shift, int relu) {
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: interleave_columns_avx512(even, odd, out, count, shift, relu); return;
    case STYLIZE_VECTOR_AVX2: interleave_columns_avx2(even, odd, out, count, shift, relu); return;
    default: interleave_columns(even, odd, out, count, shift, relu); return;
    }
}
