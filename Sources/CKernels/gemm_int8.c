/*
 * int8 GEMM: C = A·B (+ C), A packed once, B (fp32) quantized and packed per call.
 *
 * A (weights) is quantized per row, symmetric: a = sA[r]·qa, qa in −127…127.
 * B (activations) is quantized per call over the whole k × n block,
 * asymmetric: b = sB·(qb − z), qb in 0…255, so ReLU outputs use all 256 steps.
 * Then C[r][j] = sA[r]·sB·(Σ qa·qb − z·Σ qa), the last sum kept per row.
 *
 * The packed forms group four consecutive k, because VPDPBUSD multiplies
 * quads: each 32-bit lane holds four u8 (B) or s8 (A) values, k = 4q … 4q + 3.
 *   A: tiles of MR rows; in a tile, for each quad q, MR lanes (one per row),
 *      then every row's scale (float) and quantized sum (int32).
 *   B: panels of NR columns; in a panel, for each quad q, NR lanes.
 * Padding: A's rows and k with zeros (so B's padding never counts).
 */
#include "CKernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { MR = 8, NR = 32 };

static inline int quads_of(int k) { return (k + 3) / 4; }
static inline size_t tiles_of(int m) { return (size_t)(m + MR - 1) / MR; }
static inline size_t data_bytes(int m, int k) { return tiles_of(m) * (size_t)quads_of(k) * MR * 4; }

size_t stylize_int8_packed_bytes(int m, int k) {
    return data_bytes(m, k) + tiles_of(m) * MR * (sizeof(float) + sizeof(int32_t));
}

static inline const float *row_scales(const void *packed, int m, int k) {
    return (const float *)((const char *)packed + data_bytes(m, k));
}

static inline const int32_t *row_sums(const void *packed, int m, int k) {
    return (const int32_t *)(row_scales(packed, m, k) + tiles_of(m) * MR);
}

void stylize_int8_pack_a(int m, int k, const float *a, int lda, void *packed) {
    int quads = quads_of(k);
    int8_t *data = packed;
    float *scales = (float *)((char *)packed + data_bytes(m, k));
    int32_t *sums = (int32_t *)(scales + tiles_of(m) * MR);
    for (size_t row = 0; row < tiles_of(m) * MR; row++) {
        float largest = 0;
        for (int col = 0; (int)row < m && col < k; col++) largest = fmaxf(largest, fabsf(a[row * lda + col]));
        float scale = largest > 0 ? largest / 127 : 1;
        int32_t sum = 0;
        size_t t = row / MR, r = row % MR;
        for (int q = 0; q < quads; q++) {
            for (int h = 0; h < 4; h++) {
                int col = 4 * q + h;
                int value = (int)row < m && col < k ? (int)lrintf(a[row * lda + col] / scale) : 0;
                data[((t * quads + q) * MR + r) * 4 + h] = (int8_t)value;
                sum += value;
            }
        }
        scales[row] = scale;
        sums[row] = sum;
    }
}

/* B's quantization: the step and the code of zero, from the block's range (which always holds 0). */
typedef struct { float step, inverse; int zero; } quantization;

static quantization quantization_of(float low, float high) {
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

static void range_portable(int k, int n, const float *b, int ldb, float *low, float *high) {
    float lo = 0, hi = 0;
    for (int row = 0; row < k; row++) {
        for (int j = 0; j < n; j++) {
            float x = b[(size_t)row * ldb + j];
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
        }
    }
    *low = lo;
    *high = hi;
}

static void pack_b_panel_portable(int k, int cols, const float *b, int ldb, quantization q, uint8_t *panel) {
    int quads = quads_of(k);
    for (int p = 0; p < quads; p++) {
        for (int j = 0; j < NR; j++) {
            for (int h = 0; h < 4; h++) {
                int row = 4 * p + h;
                panel[((size_t)p * NR + j) * 4 + h] = row < k && j < cols ? quantize(b[(size_t)row * ldb + j], q) : 0;
            }
        }
    }
}

/* Writes sA[r]·sB·(acc − z·sums[r]) (+ C) for the valid rows and columns of one tile. */
static inline void store_row_portable(const int32_t *acc, float scale, int32_t offset, float *out, int cols, int accumulate) {
    for (int j = 0; j < cols; j++) {
        float value = scale * (float)(acc[j] - offset);
        out[j] = accumulate ? out[j] + value : value;
    }
}

static void tile_portable(int quads, const int8_t *a, const uint8_t *panel, const float *scales, const int32_t *sums,
                          quantization q, float *c, int ldc, int rows, int cols, int accumulate) {
    for (int r = 0; r < rows; r++) {
        int32_t acc[NR] = {0};
        for (int j = 0; j < cols; j++) {
            for (int p = 0; p < quads; p++) {
                for (int h = 0; h < 4; h++) {
                    acc[j] += (int32_t)a[((size_t)p * MR + r) * 4 + h] * (int32_t)panel[((size_t)p * NR + j) * 4 + h];
                }
            }
        }
        store_row_portable(acc, scales[r] * q.step, q.zero * sums[r], c + (size_t)r * ldc, cols, accumulate);
    }
}

#if defined(__x86_64__)
#define AVX512_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

static inline AVX512_VNNI __mmask16 column_mask(int cols) {
    return cols >= 16 ? (__mmask16)0xffff : cols <= 0 ? (__mmask16)0 : (__mmask16)((1u << cols) - 1);
}

AVX512_VNNI static void range_avx512(int k, int n, const float *b, int ldb, float *low, float *high) {
    __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
    for (int row = 0; row < k; row++) {
        const float *line = b + (size_t)row * ldb;
        for (int j = 0; j < n; j += 16) {
            __m512 x = _mm512_maskz_loadu_ps(column_mask(n - j), line + j);
            lo = _mm512_min_ps(lo, x);
            hi = _mm512_max_ps(hi, x);
        }
    }
    *low = _mm512_reduce_min_ps(lo);
    *high = _mm512_reduce_max_ps(hi);
}

/* Four rows' codes for 16 columns, as the 16 lanes VPDPBUSD reads: byte h of lane j is row 4p + h. */
AVX512_VNNI static void pack_b_panel_avx512(int k, int cols, const float *b, int ldb, quantization q, uint8_t *panel) {
    int quads = quads_of(k);
    __m512 inverse = _mm512_set1_ps(q.inverse);
    __m512i zero = _mm512_set1_epi32(q.zero), low = _mm512_setzero_si512(), high = _mm512_set1_epi32(255);
    __mmask16 masks[2] = {column_mask(cols), column_mask(cols - 16)};
    for (int p = 0; p < quads; p++) {
        for (int half = 0; half < 2; half++) {
            __m512i lanes = _mm512_setzero_si512();
            for (int h = 0; h < 4; h++) {
                int row = 4 * p + h;
                if (row >= k) break;
                __m512 x = _mm512_maskz_loadu_ps(masks[half], b + (size_t)row * ldb + 16 * half);
                __m512i code = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(x, inverse)), zero);
                code = _mm512_min_epi32(_mm512_max_epi32(code, low), high);
                lanes = _mm512_or_si512(lanes, _mm512_slli_epi32(code, 8 * h));
            }
            _mm512_store_si512((void *)(panel + (size_t)p * NR * 4 + 64 * half), lanes);
        }
    }
}

AVX512_VNNI static void tile_avx512(int quads, const int8_t *a, const uint8_t *panel, const float *scales,
                                    const int32_t *sums, quantization q, float *c, int ldc, int rows, int cols,
                                    int accumulate) {
    __m512i acc[MR][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_si512();
    const int32_t *lanes = (const int32_t *)a;
    for (int p = 0; p < quads; p++) {
        __m512i b0 = _mm512_load_si512((const void *)(panel + (size_t)p * NR * 4));
        __m512i b1 = _mm512_load_si512((const void *)(panel + (size_t)p * NR * 4 + 64));
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; r++) {
            __m512i quad = _mm512_set1_epi32(lanes[(size_t)p * MR + r]);
            acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], b0, quad);
            acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], b1, quad);
        }
    }
    __mmask16 m0 = column_mask(cols), m1 = column_mask(cols - 16);
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        float *out = c + (size_t)r * ldc;
        __m512 scale = _mm512_set1_ps(scales[r] * q.step);
        __m512i offset = _mm512_set1_epi32(q.zero * sums[r]);
        __m512 v0 = _mm512_mul_ps(scale, _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][0], offset)));
        __m512 v1 = _mm512_mul_ps(scale, _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][1], offset)));
        if (accumulate) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, out));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, out + 16));
        }
        _mm512_mask_storeu_ps(out, m0, v0);
        _mm512_mask_storeu_ps(out + 16, m1, v1);
    }
}
#endif

void stylize_gemm_int8(stylize_int8_kernel kernel, int m, int n, int k, const void *packed_a,
                       const float *b, int ldb, int accumulate, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    int quads = quads_of(k);
    size_t panel_bytes = (size_t)quads * NR * 4;
    uint8_t *panel = aligned_alloc(64, panel_bytes > 0 ? panel_bytes : 64);
    if (!panel) abort();
#if defined(__x86_64__)
    int fast = kernel == STYLIZE_INT8_AVX512_VNNI;
#else
    int fast = 0;
#endif
    float low, high;
#if defined(__x86_64__)
    if (fast) range_avx512(k, n, b, ldb, &low, &high);
    else
#endif
        range_portable(k, n, b, ldb, &low, &high);
    quantization q = quantization_of(low, high);
    const float *scales = row_scales(packed_a, m, k);
    const int32_t *sums = row_sums(packed_a, m, k);
    for (int n0 = 0; n0 < n; n0 += NR) {
        int cols = n - n0 < NR ? n - n0 : NR;
#if defined(__x86_64__)
        if (fast) pack_b_panel_avx512(k, cols, b + n0, ldb, q, panel);
        else
#endif
            pack_b_panel_portable(k, cols, b + n0, ldb, q, panel);
        for (int m0 = 0; m0 < m; m0 += MR) {
            const int8_t *tile = (const int8_t *)packed_a + (size_t)(m0 / MR) * quads * MR * 4;
            int rows = m - m0 < MR ? m - m0 : MR;
            float *out = c + (size_t)m0 * ldc + n0;
#if defined(__x86_64__)
            if (fast) tile_avx512(quads, tile, panel, scales + m0, sums + m0, q, out, ldc, rows, cols, accumulate);
            else
#endif
                tile_portable(quads, tile, panel, scales + m0, sums + m0, q, out, ldc, rows, cols, accumulate);
        }
    }
    free(panel);
}
