/*
 * The box blur of a plane: box_blur_rows.h's row blur, fed every row and emptied as it goes. One
 * body, inlined into a function per target, chosen from the CPU's report (as the norm statistics).
 */
#include "box_blur_rows.h"

static inline __attribute__((always_inline)) void box_blur(const float *src, float *dst, int width, int height,
                                                           int r, summed what, float *workspace) {
    row_blur b;
    row_blur_init(&b, width, height, r, what, workspace);
    /* Row y + r + 1 goes in before row y comes out (dst may be src or caps). */
    for (int t = 0; t < height + r + 1; t++) {
        if (t < height) {
            const size_t at = (size_t)t * width;
            row_blur_push(&b, src + at, what.caps ? what.caps + at : NULL);
        }
        const int y = t - r - 1;
        if (y >= 0) row_blur_emit(&b, dst + (size_t)y * width);
    }
}

size_t stylize_box_blur_workspace(int width, int radius) { return row_blur_floats(width, radius); }

__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static void box_blur_avx512(const float *src, float *dst, int width, int height, int r, summed what, float *workspace) {
    box_blur(src, dst, width, height, r, what, workspace);
}

__attribute__((target("avx2,fma")))
static void box_blur_avx2(const float *src, float *dst, int width, int height, int r, summed what, float *workspace) {
    box_blur(src, dst, width, height, r, what, workspace);
}

static void blur(stylize_vector_kernel kernel, const float *src, float *dst, int width, int height, int radius,
                 summed what, float *workspace) {
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: box_blur_avx512(src, dst, width, height, radius, what, workspace); return;
    case STYLIZE_VECTOR_AVX2: box_blur_avx2(src, dst, width, height, radius, what, workspace); return;
    default: box_blur(src, dst, width, height, radius, what, workspace); return;
    }
}

void stylize_box_blur(stylize_vector_kernel kernel, const float *src, float *dst, int width, int height, int radius,
                      float *workspace) {
    blur(kernel, src, dst, width, height, radius, (summed){0, 0, NULL, 0}, workspace);
}

void stylize_box_blur_squares(stylize_vector_kernel kernel, const float *src, float offset, const float *caps, float cap,
                              float *dst, int width, int height, int radius, float *workspace) {
    blur(kernel, src, dst, width, height, radius, (summed){1, offset, caps, cap}, workspace);
}
