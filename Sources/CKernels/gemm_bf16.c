/*
 * bf16 GEMM: C = A·B (+ C), A packed once, B (fp32) rounded and packed per call.
 *
 * The packed forms pair consecutive k, because VDPBF16PS multiplies pairs:
 * each 32-bit lane of its operands holds two bf16 values, k = 2p (low half)
 * and 2p + 1 (high half), and it adds both products to the lane's fp32 sum.
 *   A: tiles of MR rows; in a tile, for each pair p, MR lanes (one per row).
 *   B: panels of NR columns; in a panel, for each pair p, NR lanes (one per column).
 * Rows, columns and an odd last k are padded with zeros.
 * One micro-tile is MR × NR outputs in 16 zmm accumulators: per pair, two
 * panel loads, MR broadcasts and 2·MR dot products.
 */
#include "CKernels.h"

#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { MR = 8, NR = 32 };

static inline int pairs_of(int k) { return (k + 1) / 2; }

/* fp32 → bf16, rounding to nearest even (as VCVTNE2PS2BF16; NaNs stay NaNs). */
static inline uint16_t bf16_from_float(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

static inline float float_from_bf16(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, 4);
    return x;
}

size_t stylize_bf16_packed_count(int m, int k) {
    size_t tiles = (size_t)(m + MR - 1) / MR;
    return tiles * (size_t)pairs_of(k) * MR * 2;
}

void stylize_bf16_pack_a(int m, int k, const float *a, int lda, uint16_t *packed) {
    int pairs = pairs_of(k);
    for (int t = 0; t * MR < m; t++) {
        uint16_t *tile = packed + (size_t)t * pairs * MR * 2;
        for (int p = 0; p < pairs; p++) {
            for (int r = 0; r < MR; r++) {
                int row = t * MR + r;
                for (int h = 0; h < 2; h++) {
                    int col = 2 * p + h;
                    float value = row < m && col < k ? a[(size_t)row * lda + col] : 0.0f;
                    tile[((size_t)p * MR + r) * 2 + h] = bf16_from_float(value);
                }
            }
        }
    }
}

/* One panel of B: columns [0, cols) of the k × n matrix at b, zero beyond. */
static void pack_b_panel_portable(int k, int cols, const float *b, int ldb, uint16_t *panel) {
    int pairs = pairs_of(k);
    for (int p = 0; p < pairs; p++) {
        for (int j = 0; j < NR; j++) {
            for (int h = 0; h < 2; h++) {
                int row = 2 * p + h;
                float value = row < k && j < cols ? b[(size_t)row * ldb + j] : 0.0f;
                panel[((size_t)p * NR + j) * 2 + h] = bf16_from_float(value);
            }
        }
    }
}

static void tile_portable(int pairs, const uint16_t *a, const uint16_t *panel, float *c, int ldc,
                          int rows, int cols, int accumulate) {
    for (int r = 0; r < rows; r++) {
        for (int j = 0; j < cols; j++) {
            float sum = 0;
            for (int p = 0; p < pairs; p++) {
                const uint16_t *x = a + ((size_t)p * MR + r) * 2, *y = panel + ((size_t)p * NR + j) * 2;
                sum += float_from_bf16(x[0]) * float_from_bf16(y[0]) + float_from_bf16(x[1]) * float_from_bf16(y[1]);
            }
            float *out = c + (size_t)r * ldc + j;
            *out = accumulate ? *out + sum : sum;
        }
    }
}

#if defined(__x86_64__)
#define AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

static inline AVX512_BF16 __mmask16 column_mask(int cols) {
    return cols >= 16 ? (__mmask16)0xffff : cols <= 0 ? (__mmask16)0 : (__mmask16)((1u << cols) - 1);
}

AVX512_BF16 static void pack_b_panel_avx512(int k, int cols, const float *b, int ldb, uint16_t *panel) {
    /* cvtne2ps puts row 2p in lanes 0–15 and row 2p+1 in 16–31; this interleaves them per column. */
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    int pairs = pairs_of(k);
    __mmask16 masks[2] = {column_mask(cols), column_mask(cols - 16)};
    for (int p = 0; p < pairs; p++) {
        const float *even = b + (size_t)(2 * p) * ldb;
        const float *odd = 2 * p + 1 < k ? even + ldb : NULL;
        for (int half = 0; half < 2; half++) {
            __m512 x0 = _mm512_maskz_loadu_ps(masks[half], even + 16 * half);
            __m512 x1 = odd ? _mm512_maskz_loadu_ps(masks[half], odd + 16 * half) : _mm512_setzero_ps();
            __m512i both = (__m512i)_mm512_cvtne2ps_pbh(x1, x0);
            _mm512_store_si512((void *)(panel + (size_t)p * NR * 2 + 32 * half), _mm512_permutexvar_epi16(interleave, both));
        }
    }
}

AVX512_BF16 static void tile_avx512(int pairs, const uint16_t *a, const uint16_t *panel, float *c, int ldc,
                                    int rows, int cols, int accumulate) {
    __m512 acc[MR][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    const uint32_t *lanes = (const uint32_t *)a;
    for (int p = 0; p < pairs; p++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512((const void *)(panel + (size_t)p * NR * 2));
        __m512bh b1 = (__m512bh)_mm512_load_si512((const void *)(panel + (size_t)p * NR * 2 + 32));
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; r++) {
            __m512bh pair = (__m512bh)_mm512_set1_epi32((int)lanes[(size_t)p * MR + r]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], pair, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], pair, b1);
        }
    }
    __mmask16 m0 = column_mask(cols), m1 = column_mask(cols - 16);
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        float *out = c + (size_t)r * ldc;
        __m512 v0 = acc[r][0], v1 = acc[r][1];
        if (accumulate) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, out));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, out + 16));
        }
        _mm512_mask_storeu_ps(out, m0, v0);
        _mm512_mask_storeu_ps(out + 16, m1, v1);
    }
}
#endif

void stylize_gemm_bf16(stylize_bf16_kernel kernel, int m, int n, int k, const uint16_t *packed_a,
                       const float *b, int ldb, int accumulate, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    int pairs = pairs_of(k);
    size_t panel_bytes = (size_t)pairs * NR * 2 * sizeof(uint16_t);
    uint16_t *panel = aligned_alloc(64, panel_bytes > 0 ? panel_bytes : 64);
    if (!panel) abort();
#if defined(__x86_64__)
    int fast = kernel == STYLIZE_BF16_AVX512;
#else
    int fast = 0;
#endif
    for (int n0 = 0; n0 < n; n0 += NR) {
        int cols = n - n0 < NR ? n - n0 : NR;
#if defined(__x86_64__)
        if (fast) pack_b_panel_avx512(k, cols, b + n0, ldb, panel);
        else
#endif
            pack_b_panel_portable(k, cols, b + n0, ldb, panel);
        for (int m0 = 0; m0 < m; m0 += MR) {
            const uint16_t *tile = packed_a + (size_t)(m0 / MR) * pairs * MR * 2;
            int rows = m - m0 < MR ? m - m0 : MR;
            float *out = c + (size_t)m0 * ldc + n0;
#if defined(__x86_64__)
            if (fast) tile_avx512(pairs, tile, panel, out, ldc, rows, cols, accumulate);
            else
#endif
                tile_portable(pairs, tile, panel, out, ldc, rows, cols, accumulate);
        }
    }
    free(panel);
}
