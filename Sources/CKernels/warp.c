/*
 * Backward warps of planar images along a flow (OpticalFlow/Warp.swift says what they are for):
 * out(x, y) = image(x + u, y + v), bilinear or Keys' cubic (a = −0.75), the source point clamped
 * to the image. Each pixel's sample is written once, in `warp_*_pixel`; with AVX-512 sixteen
 * pixels at a time are the same arithmetic on lanes, their taps read from a window of plain loads
 * where the block moves by nearly the same whole pixels, gathered elsewhere. Contraction off, min
 * and max as Swift's, sums in the order of the Swift these replaced: the same numbers on every
 * target.
 */
#include "CKernels.h"
#include "vector16.h"

#include <immintrin.h>

#pragma clang fp contract(off)

typedef int vec16i __attribute__((ext_vector_type(16)));

/* Keys' cubic weights of the four taps around a sample at fraction t. */
#define CUBIC_WEIGHTS(t, w)                                                 \
    do {                                                                    \
        __typeof__(t) t2_ = (t) * (t), t3_ = t2_ * (t);                     \
        (w)[0] = -0.75f * t3_ + 1.5f * t2_ - 0.75f * (t);                   \
        (w)[1] = 1.25f * t3_ - 2.25f * t2_ + 1;                             \
        (w)[2] = -1.25f * t3_ + 1.5f * t2_ + 0.75f * (t);                   \
        (w)[3] = 0.75f * t3_ - 0.75f * t2_;                                 \
    } while (0)

/* A source coordinate clamped to 0 … last (NaN: the pixel's own). */
static inline __attribute__((always_inline)) float clamp_coordinate(float s, float own, float last) {
    if (s != s) return own;
    float low = MAX_OF(s, 0.0f);
    return MIN_OF(low, last);
}

static inline __attribute__((always_inline)) void warp_cubic_pixel(const float *image, int channels, int width,
                                                                   int height, const float *u, const float *v,
                                                                   float *out, int x, int y) {
    const size_t plane = (size_t)width * height, i = (size_t)y * width + x;
    const float sx = clamp_coordinate((float)x + u[i], (float)x, (float)(width - 1));
    const float sy = clamp_coordinate((float)y + v[i], (float)y, (float)(height - 1));
    const int ix = (int)sx, iy = (int)sy;
    float wx[4], wy[4];
    CUBIC_WEIGHTS(sx - (float)ix, wx);
    CUBIC_WEIGHTS(sy - (float)iy, wy);
    if (ix >= 1 && ix + 2 < width && iy >= 1 && iy + 2 < height) {
        const float *top = image + (size_t)(iy - 1) * width + ix - 1;
        for (int c = 0; c < channels; c++, top += plane) {
            /* The rows mixed first, then the columns (as Swift's SIMD4 code). */
            float sum = -0.0f;
            for (int k = 0; k < 4; k++) {
                float mixed = wy[0] * top[k];
                mixed += wy[1] * top[width + k];
                mixed += wy[2] * top[2 * width + k];
                mixed += wy[3] * top[3 * width + k];
                sum += mixed * wx[k];
            }
            out[c * plane + i] = sum;
        }
    } else {
        /* Border: each tap's row and column clamped; the columns summed first. */
        const int cols[4] = {ix - 1 > 0 ? ix - 1 : 0, ix, ix + 1 < width ? ix + 1 : width - 1,
                             ix + 2 < width ? ix + 2 : width - 1};
        const int rows[4] = {iy - 1 > 0 ? iy - 1 : 0, iy, iy + 1 < height ? iy + 1 : height - 1,
                             iy + 2 < height ? iy + 2 : height - 1};
        for (int c = 0; c < channels; c++) {
            float value = 0;
            for (int r = 0; r < 4; r++) {
                const float *line = image + c * plane + (size_t)rows[r] * width;
                float h = -0.0f;
                for (int k = 0; k < 4; k++) h += line[cols[k]] * wx[k];
                value += wy[r] * h;
            }
            out[c * plane + i] = value;
        }
    }
}

static inline __attribute__((always_inline)) void warp_bilinear_pixel(const float *image, int channels, int width,
                                                                      int height, const float *u, const float *v,
                                                                      float *out, float *valid, int x, int y) {
    const size_t plane = (size_t)width * height, i = (size_t)y * width + x;
    const float maxX = (float)(width - 1), maxY = (float)(height - 1);
    float sx = (float)x + u[i], sy = (float)y + v[i];
    int ok = 1;
    if (!(sx >= 0 && sx <= maxX)) { ok = 0; sx = clamp_coordinate(sx, (float)x, maxX); }
    if (!(sy >= 0 && sy <= maxY)) { ok = 0; sy = clamp_coordinate(sy, (float)y, maxY); }
    const int lastX0 = width - 2 > 0 ? width - 2 : 0, lastY0 = height - 2 > 0 ? height - 2 : 0;
    const int x0 = (int)sx < lastX0 ? (int)sx : lastX0, y0 = (int)sy < lastY0 ? (int)sy : lastY0;
    const float ax = sx - (float)x0, ay = sy - (float)y0;
    const float w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay;
    const size_t s00 = (size_t)y0 * width + x0;
    const size_t s10 = s00 + (width > 1 ? 1 : 0), s01 = s00 + (height > 1 ? (size_t)width : 0);
    const size_t s11 = s01 + (width > 1 ? 1 : 0);
    for (int c = 0; c < channels; c++) {
        const float *src = image + c * plane;
        out[c * plane + i] = w00 * src[s00] + w10 * src[s10] + w01 * src[s01] + w11 * src[s11];
    }
    if (valid) valid[i] = ok ? 1.0f : 0.0f;
}

static void warp_cubic_rows(const float *image, int channels, int width, int height, const float *u, const float *v,
                            float *out, const float *needed) {
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
            if (needed && needed[(size_t)y * width + x] == 0) continue;
            warp_cubic_pixel(image, channels, width, height, u, v, out, x, y);
        }
    }
}

static void warp_bilinear_rows(const float *image, int channels, int width, int height, const float *u, const float *v,
                               float *out, float *valid) {
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) warp_bilinear_pixel(image, channels, width, height, u, v, out, valid, x, y);
    }
}

/* ---- AVX-512: sixteen pixels of a row at a time ---- */

#define WITH_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))

/* Each lane's offset in its block of sixteen pixels, as floats and as integers. */
static const vec16 lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const vec16i ilanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* vector16.h's loads and stores are compiled for the baseline; a zmm value cannot cross into them. */
static inline WITH_AVX512 vec16 load16(const float *p) {
    vec16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline WITH_AVX512 void store16(float *p, vec16 v) { memcpy(p, &v, sizeof v); }

static inline WITH_AVX512 vec16 gather16(const float *base, vec16i index) {
    return (vec16)_mm512_i32gather_ps((__m512i)index, base, 4);
}

static inline WITH_AVX512 vec16 clamp_coordinates16(vec16 s, vec16 own, vec16 last) {
    vec16 low = MAX_OF(s, (vec16)0);
    vec16 clamped = MIN_OF(low, last);
    return s != s ? own : clamped;
}

/* Tap (r, k) of each lane from a window of rows `span` vectors wide loaded at the block's
   smallest whole-pixel move: one column further where the lane moved one more across (`right`),
   one row further where it moved one more down (`down`). */
static inline WITH_AVX512 vec16 window_tap(const vec16 *window, int span, int r, int k, vec16i right, vec16i down) {
    const vec16 *upper = window + r * span + k, *lower = upper + span;
    vec16 top = right ? upper[1] : upper[0], bottom = right ? lower[1] : lower[0];
    return down ? bottom : top;
}

static inline WITH_AVX512 void store_where16(float *p, vec16 value, vec16i where) {
    vec16 old = load16(p);
    store16(p, where ? value : old);
}

WITH_AVX512 static void warp_cubic_avx512(const float *image, int channels, int width, int height, const float *u,
                                     const float *v, float *out, const float *needed) {
    const size_t plane = (size_t)width * height;
    const vec16 lastX = (float)(width - 1), lastY = (float)(height - 1);
    for (int y = 0; y < height; y++) {
        const size_t row = (size_t)y * width;
        int x = 0;
        for (; x + 16 <= width; x += 16) {
            const size_t i = row + x;
            vec16i want = (vec16i)(-1);
            if (needed) {
                want = load16(needed + i) != 0;
                if (!__builtin_reduce_or(want)) continue;
            }
            const vec16 fx = (float)x + lanes, fy = (float)y;
            const vec16 sx = clamp_coordinates16(fx + load16(u + i), fx, lastX);
            const vec16 sy = clamp_coordinates16(fy + load16(v + i), fy, lastY);
            const vec16i ix = __builtin_convertvector(sx, vec16i), iy = __builtin_convertvector(sy, vec16i);
            vec16 wx[4], wy[4];
            CUBIC_WEIGHTS(sx - __builtin_convertvector(ix, vec16), wx);
            CUBIC_WEIGHTS(sy - __builtin_convertvector(iy, vec16), wy);
            const vec16i inside = (ix >= 1) & (ix + 2 < width) & (iy >= 1) & (iy + 2 < height);
            const int all_inside = __builtin_reduce_and(inside) != 0;
            /* A smooth flow moves a block's sixteen pixels by nearly the same whole pixels: by s or s + 1
               across, r or r + 1 down (a still camera's flow hovers around 0). Their taps then lie in
               a 5 × 5 window of sixteen-wide rows, read with plain loads and picked per lane, instead
               of sixteen gathers. */
            const vec16i shift = ix - (x + ilanes);
            const int s0 = __builtin_reduce_min(shift), r0 = __builtin_reduce_min(iy);
            const vec16i right = shift != s0, down = iy != r0;
            const int nearby = all_inside && __builtin_reduce_max(shift) - s0 <= 1 && __builtin_reduce_max(iy) - r0 <= 1
                               && x + s0 - 1 >= 0 && x + s0 + 19 < width && r0 + 3 < height;
            const ptrdiff_t corner = (ptrdiff_t)(r0 - 1) * width + x + s0 - 1;
            /* Elsewhere each tap's row and column, clamped to the image. */
            vec16i cols[4], rows[4];
            for (int k = 0; !nearby && k < 4; k++) {
                vec16i col = ix + (k - 1), rw = iy + (k - 1);
                col = col < 0 ? (vec16i)0 : col;
                cols[k] = col > width - 1 ? (vec16i)(width - 1) : col;
                rw = rw < 0 ? (vec16i)0 : rw;
                rows[k] = (rw > height - 1 ? (vec16i)(height - 1) : rw) * width;
            }
            for (int c = 0; c < channels; c++) {
                const float *base = image + c * plane;
                vec16 taps[4][4];
                if (nearby) {
                    vec16 window[5 * 5];
                    for (int r = 0; r < 5; r++)
                        for (int k = 0; k < 5; k++) window[r * 5 + k] = load16(base + corner + (ptrdiff_t)r * width + k);
                    for (int r = 0; r < 4; r++)
                        for (int k = 0; k < 4; k++) taps[r][k] = window_tap(window, 5, r, k, right, down);
                } else {
                    for (int r = 0; r < 4; r++)
                        for (int k = 0; k < 4; k++) taps[r][k] = gather16(base, rows[r] + cols[k]);
                }
                vec16 sum = -0.0f;
                for (int k = 0; k < 4; k++) {
                    vec16 mixed = wy[0] * taps[0][k];
                    mixed += wy[1] * taps[1][k];
                    mixed += wy[2] * taps[2][k];
                    mixed += wy[3] * taps[3][k];
                    sum += mixed * wx[k];
                }
                if (!all_inside) {
                    vec16 value = 0;
                    for (int r = 0; r < 4; r++) {
                        vec16 h = -0.0f;
                        for (int k = 0; k < 4; k++) h += taps[r][k] * wx[k];
                        value += wy[r] * h;
                    }
                    sum = inside ? sum : value;
                }
                store_where16(out + c * plane + i, sum, want);
            }
        }
        for (; x < width; x++) {
            if (needed && needed[row + x] == 0) continue;
            warp_cubic_pixel(image, channels, width, height, u, v, out, x, y);
        }
    }
}

WITH_AVX512 static void warp_bilinear_avx512(const float *image, int channels, int width, int height, const float *u,
                                        const float *v, float *out, float *valid) {
    const size_t plane = (size_t)width * height;
    const vec16 maxX = (float)(width - 1), maxY = (float)(height - 1);
    const int lastX0 = width - 2 > 0 ? width - 2 : 0, lastY0 = height - 2 > 0 ? height - 2 : 0;
    const int stepX = width > 1 ? 1 : 0, stepY = height > 1 ? width : 0;
    for (int y = 0; y < height; y++) {
        const size_t row = (size_t)y * width;
        int x = 0;
        for (; x + 16 <= width; x += 16) {
            const size_t i = row + x;
            const vec16 fx = (float)x + lanes, fy = (float)y;
            vec16 sx = fx + load16(u + i), sy = fy + load16(v + i);
            const vec16i okx = (sx >= 0) & (sx <= maxX), oky = (sy >= 0) & (sy <= maxY);
            sx = okx ? sx : clamp_coordinates16(sx, fx, maxX);
            sy = oky ? sy : clamp_coordinates16(sy, fy, maxY);
            vec16i x0 = __builtin_convertvector(sx, vec16i), y0 = __builtin_convertvector(sy, vec16i);
            x0 = x0 < lastX0 ? x0 : (vec16i)lastX0;
            y0 = y0 < lastY0 ? y0 : (vec16i)lastY0;
            const vec16 ax = sx - __builtin_convertvector(x0, vec16), ay = sy - __builtin_convertvector(y0, vec16);
            const vec16 w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay;
            const vec16i s00 = y0 * width + x0, s10 = s00 + stepX, s01 = s00 + stepY, s11 = s01 + stepX;
            /* Nearly the same whole-pixel move for the block (as in the cubic): a 3 × 3 window of loads. */
            const vec16i shift = x0 - (x + ilanes);
            const int s0 = __builtin_reduce_min(shift), r0 = __builtin_reduce_min(y0);
            const vec16i right = shift != s0, down = y0 != r0;
            const int nearby = stepX == 1 && stepY == width && __builtin_reduce_max(shift) - s0 <= 1
                               && __builtin_reduce_max(y0) - r0 <= 1 && x + s0 >= 0 && x + s0 + 17 < width
                               && r0 + 2 < height;
            const ptrdiff_t corner = (ptrdiff_t)r0 * width + x + s0;
            for (int c = 0; c < channels; c++) {
                const float *src = image + c * plane;
                vec16 value;
                if (nearby) {
                    vec16 window[3 * 3];
                    for (int r = 0; r < 3; r++)
                        for (int k = 0; k < 3; k++) window[r * 3 + k] = load16(src + corner + (ptrdiff_t)r * width + k);
                    value = w00 * window_tap(window, 3, 0, 0, right, down) + w10 * window_tap(window, 3, 0, 1, right, down)
                            + w01 * window_tap(window, 3, 1, 0, right, down) + w11 * window_tap(window, 3, 1, 1, right, down);
                } else {
                    value = w00 * gather16(src, s00) + w10 * gather16(src, s10) + w01 * gather16(src, s01)
                            + w11 * gather16(src, s11);
                }
                store16(out + c * plane + i, value);
            }
            if (valid) store16(valid + i, (okx & oky) ? (vec16)1 : (vec16)0);
        }
        for (; x < width; x++) warp_bilinear_pixel(image, channels, width, height, u, v, out, valid, x, y);
    }
}

void stylize_warp_cubic(stylize_vector_kernel kernel, const float *image, int channels, int width, int height,
                        const float *u, const float *v, float *out, const float *needed) {
    if (kernel == STYLIZE_VECTOR_AVX512) {
        warp_cubic_avx512(image, channels, width, height, u, v, out, needed);
    } else {
        warp_cubic_rows(image, channels, width, height, u, v, out, needed);
    }
}

void stylize_warp_bilinear(stylize_vector_kernel kernel, const float *image, int channels, int width, int height,
                           const float *u, const float *v, float *out, float *valid) {
    if (kernel == STYLIZE_VECTOR_AVX512) {
        warp_bilinear_avx512(image, channels, width, height, u, v, out, valid);
    } else {
        warp_bilinear_rows(image, channels, width, height, u, v, out, valid);
    }
}
