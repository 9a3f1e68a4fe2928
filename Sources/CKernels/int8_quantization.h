#ifndef STYLIZE_INT8_QUANTIZATION_H
#define STYLIZE_INT8_QUANTIZATION_H
/*
 * What the int8 kernels share about activations: asymmetric u8 codes over a block's range, and the
 * range of the padded rows a convolution's output rows read (gemm_int8.c).
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
#endif
