/*
 * Winograd F(4×4, 3×3) transforms (the multiplications between them are GEMMs): one source,
 * compiled three times — for AVX-512, for AVX2 + FMA and for the x86-64 baseline — from
 * winograd_transforms_body.h, which works on 16 tiles at once in vectors of 16 floats (lane =
 * tile) and leaves the choice of instructions to the compiler for each target.
 */
#include "CKernels.h"

#include <string.h>

typedef float vec16 __attribute__((ext_vector_type(16)));

#define WINOGRAD_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
#define WINOGRAD_NAME(name) name##_avx512
#include "winograd_transforms_body.h"
#undef WINOGRAD_TARGET
#undef WINOGRAD_NAME

#define WINOGRAD_TARGET __attribute__((target("avx2,fma")))
#define WINOGRAD_NAME(name) name##_avx2
#include "winograd_transforms_body.h"
#undef WINOGRAD_TARGET
#undef WINOGRAD_NAME

#define WINOGRAD_TARGET
#define WINOGRAD_NAME(name) name##_baseline
#include "winograd_transforms_body.h"
#undef WINOGRAD_TARGET
#undef WINOGRAD_NAME

size_t stylize_winograd_input_scratch(int tiles) {
    return 6 * ((size_t)(tiles + 15) / 16 * 64 + 16);
}

stylize_vector_kernel stylize_vector_kernel_best(void) {
    const stylize_cpu_features *f = stylize_cpu_features_get();
    return f->avx512 ? STYLIZE_VECTOR_AVX512 : f->avx2_fma ? STYLIZE_VECTOR_AVX2 : STYLIZE_VECTOR_BASELINE;
}

void stylize_winograd_input(stylize_vector_kernel kernel, const float *const rows[6], int tiles, float *scratch,
                            float *v, ptrdiff_t xi_stride) {
    if (tiles <= 0) return;
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: winograd_input_avx512(rows, tiles, scratch, v, xi_stride); return;
    case STYLIZE_VECTOR_AVX2: winograd_input_avx2(rows, tiles, scratch, v, xi_stride); return;
    default: winograd_input_baseline(rows, tiles, scratch, v, xi_stride); return;
    }
}

void stylize_winograd_output(stylize_vector_kernel kernel, const float *m, ptrdiff_t xi_stride, int tiles, float bias,
                             float *out, ptrdiff_t out_stride, int rows, int columns) {
    if (tiles <= 0 || rows <= 0 || columns <= 0) return;
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: winograd_output_avx512(m, xi_stride, tiles, bias, out, out_stride, rows, columns); return;
    case STYLIZE_VECTOR_AVX2: winograd_output_avx2(m, xi_stride, tiles, bias, out, out_stride, rows, columns); return;
    default: winograd_output_baseline(m, xi_stride, tiles, bias, out, out_stride, rows, columns); return;
    }
}
