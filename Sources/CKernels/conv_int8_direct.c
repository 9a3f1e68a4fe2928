/*
 * int8 direct convolution for a few output channels (the last 9×9 of a style network, 32 → 3).
 *
 * As a GEMM, such a convolution has m = 3 rows against tiles of 8 and gathers C·k² patch rows
 * for every panel; as tap products it writes M·k² fp32 products per pixel and sums them again.
 * Here the padded rows a call's output rows read are quantized once (over their range, as
 * stylize_gemm_int8_patches quantizes them) into words of four channels' codes, the layout
 * VPDPBUSD multiplies: word x of quad q in a row holds channels 4q … 4q + 3 of padded column x.
 * Then every vector of output pixels (lane = pixel) adds, for each tap and quad, the 16 words
 * under its pixels times the broadcast word of that tap's weights — 64 multiply-adds an
 * instruction, nothing gathered or written in between.
 *
 * Weights: per output channel, symmetric s8 over all its C·kH·kW values (as stylize_int8_pack_a
 * quantizes a row). Packed: scales[4], sums[4] (int32, Σ of the codes), then per tap (i, j),
 * per quad, one word per output channel.
 */
#include "CKernels.h"
#include "gemm_panels.h"
#include "int8_quantization.h"

#include <stdlib.h>
#include <string.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))

enum { DIRECT_MAX_OUTPUTS = 4, HEADER_BYTES = 2 * DIRECT_MAX_OUTPUTS * 4 };

static inline int quads_of(int channels) { return (channels + 3) / 4; }

/* Words per quad row of codes: the padded columns and the 64 a last vector may read past them. */
static inline int words_per_row(const stylize_int8_patches *p) { return p->padded_width + 64; }

size_t stylize_int8_direct_weights_bytes(int m, int channels, int kernel_height, int kernel_width) {
    return HEADER_BYTES + (size_t)kernel_height * kernel_width * quads_of(channels) * m * 4;
}

void stylize_int8_direct_pack_weights(int m, int channels, int kernel_height, int kernel_width, const float *w,
                                      void *packed) {
    float *scales = packed;
    int32_t *sums = (int32_t *)packed + DIRECT_MAX_OUTPUTS;
    int8_t *words = (int8_t *)packed + HEADER_BYTES;
    int taps = kernel_height * kernel_width, quads = quads_of(channels);
    memset(packed, 0, stylize_int8_direct_weights_bytes(m, channels, kernel_height, kernel_width));
    for (int o = 0; o < m && o < DIRECT_MAX_OUTPUTS; o++) {
        const float *filter = w + (size_t)o * channels * taps;  /* [C][kH][kW] */
        float largest = 0;
        for (int i = 0; i < channels * taps; i++) largest = fmaxf(largest, fabsf(filter[i]));
        float scale = largest > 0 ? largest / 127 : 1;
        int32_t sum = 0;
        for (int tap = 0; tap < taps; tap++) {
            for (int c = 0; c < channels; c++) {
                int value = (int)lrintf(filter[(size_t)c * taps + tap] / scale);
                words[(((size_t)tap * quads + c / 4) * m + o) * 4 + c % 4] = (int8_t)value;
                sum += value;
            }
        }
        scales[o] = scale;
        sums[o] = sum;
    }
}

size_t stylize_int8_direct_codes_bytes(const stylize_int8_patches *p, int grid_rows) {
    int rows = grid_rows + p->kernel_height - 1;
    return (size_t)rows * quads_of(p->channels) * words_per_row(p) * 4 + 64;
}

/* One call: what the row kernels below read. */
typedef struct {
    int m, quads, kernel_height, kernel_width, grid_rows, grid_width, row_words;
    const uint32_t *codes;
    const int32_t *weights;  /* per tap, per quad, m words */
    float scale[DIRECT_MAX_OUTPUTS], shift[DIRECT_MAX_OUTPUTS];
    int32_t offset[DIRECT_MAX_OUTPUTS];
    float *c;
    int ldc;
} direct_call;

static inline const uint32_t *codes_at(const direct_call *x, int row, int quad, int column) {
    return x->codes + ((size_t)row * x->quads + quad) * x->row_words + column;
}

static inline const int32_t *weights_at(const direct_call *x, int i, int j, int quad) {
    return x->weights + (((size_t)i * x->kernel_width + j) * x->quads + quad) * x->m;
}

/* Four channels' codes of `count` columns into words (a channel past the image: code 0, its weights are 0). */
typedef void (*interleave_function)(const float **lines, int count, quantization q, uint32_t *words);

static void interleave_portable(const float **lines, int count, quantization q, uint32_t *words) {
    for (int x = 0; x < count; x++) {
        uint32_t word = 0;
        for (int h = 0; h < 4; h++) word |= lines[h] ? (uint32_t)quantize(lines[h][x], q) << (8 * h) : 0;
        words[x] = word;
    }
}

static void rows_portable(const direct_call *x) {
    for (int gy = 0; gy < x->grid_rows; gy++) {
        for (int gx = 0; gx < x->grid_width; gx++) {
            for (int o = 0; o < x->m; o++) {
                int32_t acc = 0;
                for (int i = 0; i < x->kernel_height; i++) {
                    for (int j = 0; j < x->kernel_width; j++) {
                        for (int q = 0; q < x->quads; q++) {
                            uint32_t word = *codes_at(x, gy + i, q, gx + j);
                            int32_t weights = weights_at(x, i, j, q)[o];
                            for (int h = 0; h < 4; h++) {
                                acc += (int32_t)(uint8_t)(word >> (8 * h)) * (int32_t)(int8_t)(weights >> (8 * h));
                            }
                        }
                    }
                }
                x->c[(size_t)o * x->ldc + (size_t)gy * x->grid_width + gx] =
                    x->scale[o] * (float)(acc - x->offset[o]) + x->shift[o];
            }
        }
    }
}

#if defined(__x86_64__)

/* A row body specialized for each count of outputs, so that its accumulators stay in registers. */
#define FOR_OUTPUT_COUNT(body, x)                  \
    switch ((x)->m) {                              \
    case 1: body(x, 1); return;                    \
    case 2: body(x, 2); return;                    \
    case 3: body(x, 3); return;                    \
    default: body(x, 4); return;                   \
    }

AVX512_VNNI static void interleave_avx512(const float **lines, int count, quantization q, uint32_t *words) {
    __m512 inverse = _mm512_set1_ps(q.inverse);
    __m512i zero = _mm512_set1_epi32(q.zero);
    for (int x = 0; x < count; x += 16) {
        __mmask16 mask = gemm_column_mask(count - x);
        __m512i word = _mm512_setzero_si512();
        for (int h = 0; h < 4; h++) {
            if (!lines[h]) continue;
            __m512i code = int8_codes16(_mm512_maskz_loadu_ps(mask, lines[h] + x), inverse, zero);
            word = _mm512_or_si512(word, _mm512_slli_epi32(code, 8 * h));
        }
        _mm512_mask_storeu_epi32(words + x, mask, word);
    }
}

/* Output rows, 64 pixels (4 vectors) at a time; m accumulators per vector. */
static ALWAYS_INLINE AVX512_VNNI void rows_avx512_body(const direct_call *x, const int m) {
    for (int gy = 0; gy < x->grid_rows; gy++) {
        for (int gx = 0; gx < x->grid_width; gx += 64) {
            __m512i acc[DIRECT_MAX_OUTPUTS][4];
#pragma clang loop unroll(full)
            for (int o = 0; o < m; o++) acc[o][0] = acc[o][1] = acc[o][2] = acc[o][3] = _mm512_setzero_si512();
            for (int i = 0; i < x->kernel_height; i++) {
                for (int j = 0; j < x->kernel_width; j++) {
                    const int32_t *w = weights_at(x, i, j, 0);
                    const uint32_t *source = codes_at(x, gy + i, 0, gx + j);
                    for (int q = 0; q < x->quads; q++, w += m, source += x->row_words) {
                        __m512i b0 = _mm512_loadu_si512((const void *)source), b1 = _mm512_loadu_si512((const void *)(source + 16));
                        __m512i b2 = _mm512_loadu_si512((const void *)(source + 32)), b3 = _mm512_loadu_si512((const void *)(source + 48));
#pragma clang loop unroll(full)
                        for (int o = 0; o < m; o++) {
                            __m512i weight = _mm512_set1_epi32(w[o]);
                            acc[o][0] = _mm512_dpbusd_epi32(acc[o][0], b0, weight);
                            acc[o][1] = _mm512_dpbusd_epi32(acc[o][1], b1, weight);
                            acc[o][2] = _mm512_dpbusd_epi32(acc[o][2], b2, weight);
                            acc[o][3] = _mm512_dpbusd_epi32(acc[o][3], b3, weight);
                        }
                    }
                }
            }
#pragma clang loop unroll(full)
            for (int o = 0; o < m; o++) {
                __m512 scale = _mm512_set1_ps(x->scale[o]), shift = _mm512_set1_ps(x->shift[o]);
                __m512i offset = _mm512_set1_epi32(x->offset[o]);
                float *out = x->c + (size_t)o * x->ldc + (size_t)gy * x->grid_width + gx;
#pragma clang loop unroll(full)
                for (int v = 0; v < 4; v++) {
                    __m512 value = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[o][v], offset)), shift);
                    _mm512_mask_storeu_ps(out + 16 * v, gemm_column_mask(x->grid_width - gx - 16 * v), value);
                }
            }
        }
    }
}

AVX512_VNNI static void rows_avx512(const direct_call *x) { FOR_OUTPUT_COUNT(rows_avx512_body, x); }

AVX_VNNI static void interleave_avx2(const float **lines, int count, quantization q, uint32_t *words) {
    __m256 inverse = _mm256_set1_ps(q.inverse);
    __m256i zero = _mm256_set1_epi32(q.zero);
    for (int x = 0; x < count; x += 8) {
        __m256i mask = int8_lanes8(count - x), word = _mm256_setzero_si256();
        for (int h = 0; h < 4; h++) {
            if (!lines[h]) continue;
            __m256i code = int8_codes8(_mm256_maskload_ps(lines[h] + x, mask), inverse, zero);
            word = _mm256_or_si256(word, _mm256_slli_epi32(code, 8 * h));
        }
        _mm256_maskstore_epi32((int *)(words + x), mask, word);
    }
}

/* 16 pixels (2 vectors) at a time: 2·m accumulators of AVX2's 16 registers. */
static ALWAYS_INLINE AVX_VNNI void rows_avx2_body(const direct_call *x, const int m) {
    for (int gy = 0; gy < x->grid_rows; gy++) {
        for (int gx = 0; gx < x->grid_width; gx += 16) {
            __m256i acc[DIRECT_MAX_OUTPUTS][2];
#pragma clang loop unroll(full)
            for (int o = 0; o < m; o++) acc[o][0] = acc[o][1] = _mm256_setzero_si256();
            for (int i = 0; i < x->kernel_height; i++) {
                for (int j = 0; j < x->kernel_width; j++) {
                    const int32_t *w = weights_at(x, i, j, 0);
                    const uint32_t *source = codes_at(x, gy + i, 0, gx + j);
                    for (int q = 0; q < x->quads; q++, w += m, source += x->row_words) {
                        __m256i b0 = _mm256_loadu_si256((const __m256i *)source);
                        __m256i b1 = _mm256_loadu_si256((const __m256i *)(source + 8));
#pragma clang loop unroll(full)
                        for (int o = 0; o < m; o++) {
                            __m256i weight = _mm256_set1_epi32(w[o]);
                            acc[o][0] = _mm256_dpbusd_avx_epi32(acc[o][0], b0, weight);
                            acc[o][1] = _mm256_dpbusd_avx_epi32(acc[o][1], b1, weight);
                        }
                    }
                }
            }
#pragma clang loop unroll(full)
            for (int o = 0; o < m; o++) {
                __m256 scale = _mm256_set1_ps(x->scale[o]), shift = _mm256_set1_ps(x->shift[o]);
                __m256i offset = _mm256_set1_epi32(x->offset[o]);
                float *out = x->c + (size_t)o * x->ldc + (size_t)gy * x->grid_width + gx;
                for (int v = 0; v < 2; v++) {
                    __m256 value = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(_mm256_sub_epi32(acc[o][v], offset)), shift);
                    _mm256_maskstore_ps(out + 8 * v, int8_lanes8(x->grid_width - gx - 8 * v), value);
                }
            }
        }
    }
}

AVX_VNNI static void rows_avx2(const direct_call *x) { FOR_OUTPUT_COUNT(rows_avx2_body, x); }
#endif

/* Codes of padded rows [first, first + rows): per row, per quad, one word per padded column
   (the border drawn in), then zeros to the row's end. */
static void quantize_rows(const stylize_int8_patches *p, const float *image, int first, int rows, quantization q,
                          interleave_function interleave, uint32_t *codes) {
    int quads = quads_of(p->channels), wp = p->padded_width, stride = words_per_row(p), width = p->width, x0 = p->pad_left;
    int run = wp - x0 < width ? wp - x0 : width;
    uint32_t fill = quantize(p->fill, q) * 0x01010101u;
    for (int r = 0; r < rows; r++) {
        int y = p->row_source[first + r];
        for (int quad = 0; quad < quads; quad++) {
            uint32_t *words = codes + ((size_t)r * quads + quad) * stride;
            memset(words + wp, 0, (size_t)(stride - wp) * 4);
            if (y < 0) {
                for (int x = 0; x < wp; x++) words[x] = fill;
                continue;
            }
            const float *lines[4];
            for (int h = 0; h < 4; h++) {
                int channel = 4 * quad + h;
                lines[h] = channel < p->channels ? image + ((size_t)channel * p->height + y) * width : NULL;
            }
            if (x0 >= 0 && run > 0) interleave(lines, run, q, words + x0);
            for (int x = 0; x < wp; x++) {
                if (x == x0 && run > 0) {
                    x += run - 1;
                    continue;
                }
                int source = p->column_source[x];
                if (source < 0) {
                    words[x] = fill;
                    continue;
                }
                const float *column[4];
                for (int h = 0; h < 4; h++) column[h] = lines[h] ? lines[h] + source : NULL;
                interleave_portable(column, 1, q, words + x);
            }
        }
    }
}

void stylize_conv_int8_direct(stylize_int8_kernel kernel, int m, int first_row, int grid_rows, const void *packed_w,
                              const float *image, const stylize_int8_patches *p, uint8_t *codes, const float *bias,
                              float *c, int ldc) {
    if (m <= 0 || m > DIRECT_MAX_OUTPUTS || grid_rows <= 0 || p->grid_width <= 0) return;
    int rows = grid_rows + p->kernel_height - 1;
    interleave_function interleave = interleave_portable;
    void (*run)(const direct_call *) = rows_portable;
#if defined(__x86_64__)
    if (kernel == STYLIZE_INT8_AVX512_VNNI) interleave = interleave_avx512, run = rows_avx512;
    if (kernel == STYLIZE_INT8_AVX_VNNI) interleave = interleave_avx2, run = rows_avx2;
#endif
    quantization q = stylize_int8_rows_quantization(kernel, p, image, first_row, rows);
    quantize_rows(p, image, first_row, rows, q, interleave, (uint32_t *)codes);
    const float *scales = packed_w;
    const int32_t *sums = (const int32_t *)packed_w + DIRECT_MAX_OUTPUTS;
    direct_call x = {m, quads_of(p->channels), p->kernel_height, p->kernel_width, grid_rows, p->grid_width,
                     words_per_row(p), (const uint32_t *)codes, (const int32_t *)((const char *)packed_w + HEADER_BYTES),
                     {0}, {0}, {0}, c, ldc};
    for (int o = 0; o < m; o++) {
        x.scale[o] = scales[o] * q.step;
        x.shift[o] = bias ? bias[o] : 0;
        x.offset[o] = q.zero * sums[o];
    }
    run(&x);
}
