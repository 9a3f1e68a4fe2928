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
#include "gemm_panels.h"

#include <string.h>

enum { MR = GEMM_MR, NR = GEMM_NR };

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

/* One call's operands: what the panel loop hands the kernels below. */
typedef struct {
    int k, pairs, ldb, ldc, accumulate;
    const uint16_t *packed_a;
    const float *b;
    float *c;
} call;

static inline const uint16_t *tile_of(const call *x, int m0) { return x->packed_a + (size_t)(m0 / MR) * x->pairs * MR * 2; }

/* Panel of B's columns [n0, n0 + cols), zero beyond. */
static void pack_portable(const void *context, int n0, int cols, void *destination) {
    const call *x = context;
    uint16_t *panel = destination;
    for (int p = 0; p < x->pairs; p++) {
        for (int j = 0; j < NR; j++) {
            for (int h = 0; h < 2; h++) {
                int row = 2 * p + h;
                float value = row < x->k && j < cols ? x->b[(size_t)row * x->ldb + n0 + j] : 0.0f;
                panel[((size_t)p * NR + j) * 2 + h] = bf16_from_float(value);
            }
        }
    }
}

static void tile_portable(const void *context, int m0, int rows, int n0, int cols, const void *source) {
    const call *x = context;
    const uint16_t *a = tile_of(x, m0), *panel = source;
    for (int r = 0; r < rows; r++) {
        for (int j = 0; j < cols; j++) {
            float sum = 0;
            for (int p = 0; p < x->pairs; p++) {
                const uint16_t *u = a + ((size_t)p * MR + r) * 2, *v = panel + ((size_t)p * NR + j) * 2;
                sum += float_from_bf16(u[0]) * float_from_bf16(v[0]) + float_from_bf16(u[1]) * float_from_bf16(v[1]);
            }
            float *out = x->c + (size_t)(m0 + r) * x->ldc + n0 + j;
            *out = x->accumulate ? *out + sum : sum;
        }
    }
}

#if defined(__x86_64__)
#define AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

AVX512_BF16 static void pack_avx512(const void *context, int n0, int cols, void *destination) {
    const call *x = context;
    uint16_t *panel = destination;
    /* cvtne2ps puts row 2p in lanes 0–15 and row 2p+1 in 16–31; this interleaves them per column. */
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    __mmask16 masks[2] = {gemm_column_mask(cols), gemm_column_mask(cols - 16)};
    for (int p = 0; p < x->pairs; p++) {
        const float *even = x->b + (size_t)(2 * p) * x->ldb + n0;
        const float *odd = 2 * p + 1 < x->k ? even + x->ldb : NULL;
        for (int half = 0; half < 2; half++) {
            __m512 x0 = _mm512_maskz_loadu_ps(masks[half], even + 16 * half);
            __m512 x1 = odd ? _mm512_maskz_loadu_ps(masks[half], odd + 16 * half) : _mm512_setzero_ps();
            __m512i both = (__m512i)_mm512_cvtne2ps_pbh(x1, x0);
            _mm512_store_si512((void *)(panel + (size_t)p * NR * 2 + 32 * half), _mm512_permutexvar_epi16(interleave, both));
        }
    }
}

AVX512_BF16 static void tile_avx512(const void *context, int m0, int rows, int n0, int cols, const void *source) {
    const call *x = context;
    const uint32_t *lanes = (const uint32_t *)tile_of(x, m0);
    const uint16_t *panel = source;
    __m512 acc[MR][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int p = 0; p < x->pairs; p++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512((const void *)(panel + (size_t)p * NR * 2));
        __m512bh b1 = (__m512bh)_mm512_load_si512((const void *)(panel + (size_t)p * NR * 2 + 32));
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; r++) {
            __m512bh pair = (__m512bh)_mm512_set1_epi32((int)lanes[(size_t)p * MR + r]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], pair, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], pair, b1);
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        gemm_store_row(x->c + (size_t)(m0 + r) * x->ldc + n0, acc[r][0], acc[r][1], cols, x->accumulate);
    }
}
#endif

void stylize_gemm_bf16(stylize_bf16_kernel kernel, int m, int n, int k, const uint16_t *packed_a,
                       const float *b, int ldb, int accumulate, float *c, int ldc) {
    call x = {k, pairs_of(k), ldb, ldc, accumulate, packed_a, b, c};
    size_t panel_bytes = (size_t)x.pairs * NR * 2 * sizeof(uint16_t);
#if defined(__x86_64__)
    if (kernel == STYLIZE_BF16_AVX512) {
        stylize_gemm_panels(m, n, panel_bytes, &x, pack_avx512, tile_avx512);
        return;
    }
#endif
    stylize_gemm_panels(m, n, panel_bytes, &x, pack_portable, tile_portable);
}
