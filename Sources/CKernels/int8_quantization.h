#ifndef STYLIZE_INT8_QUANTIZATION_H
#define STYLIZE_INT8_QUANTIZATION_H
/*
 * What the int8 kernels share about activations: asymmetric u8 codes over a block's range, the
 * range of the padded rows a convolution's output rows read (gemm_int8.c), and the vector forms
 * of a code and of a lane mask for each target.
 */
#include "CKernels.h"

#include <math.h>
#include <stdint.h>

/* The step and the code of zero, from a block's range (which always holds 0). */
typedef struct { float step, inverse; int zero; } quantization;

static inline quantization quantization_of(float low, float high) {
    low = fminf(low, 0);
    high = fmaxf(high, 0);
    quantization q = {1, 1, 0};
    if (high > low && isfinite(high - low)) {
        q.step = (high - low) / 255;
        q.inverse = 1 / q.step;
        q.zero = (int)lrintf(-low * q.inverse);
    }
    return q;
}

static inline uint8_t quantize(float x, quantization q) {
    long v = lrintf(x * q.inverse) + q.zero;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* The quantization of padded rows [first, first + rows) of `p`'s image: over the image rows they
   read, and the fill where they hold it. */
quantization stylize_int8_rows_quantization(stylize_int8_kernel kernel, const stylize_int8_patches *p, const float *image,
                                            int first, int rows);

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX512_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define AVX_VNNI __attribute__((target("avx2,fma,avxvnni")))

/* The codes of 16 floats (one per 32-bit lane): round(x / step) + zero, within 0 … 255. */
static inline AVX512_VNNI __m512i int8_codes16(__m512 x, __m512 inverse, __m512i zero) {
    __m512i code = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(x, inverse)), zero);
    return _mm512_min_epi32(_mm512_max_epi32(code, _mm512_setzero_si512()), _mm512_set1_epi32(255));
}

/* The same for 8 floats. */
static inline AVX_VNNI __m256i int8_codes8(__m256 x, __m256 inverse, __m256i zero) {
    __m256i code = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(x, inverse)), zero);
    return _mm256_min_epi32(_mm256_max_epi32(code, _mm256_setzero_si256()), _mm256_set1_epi32(255));
}

/* The first `count` of 8 lanes, as AVX2's masked loads and stores read a mask. */
static inline AVX_VNNI __m256i int8_lanes8(int count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif
#endif
