#ifndef STYLIZE_GEMM_PANELS_H
#define STYLIZE_GEMM_PANELS_H
/*
 * What the bf16 and int8 GEMMs share: the loop over B's panels and A's tiles, and the AVX-512
 * epilogue that writes one row of a tile.
 */
#include <stddef.h>

enum { GEMM_MR = 8, GEMM_NR = 32 };  /* rows of an A tile; columns of a B panel */

/* Packs columns [n0, n0 + cols) of B into `panel`; runs tile rows [m0, m0 + rows) on it. */
typedef void (*gemm_pack_panel)(const void *call, int n0, int cols, void *panel);
typedef void (*gemm_run_tile)(const void *call, int m0, int rows, int n0, int cols, const void *panel);

/* For each panel of GEMM_NR columns (the last may be narrower): pack it into a buffer of
   `panel_bytes`, then run every tile of GEMM_MR rows on it. */
void stylize_gemm_panels(int m, int n, size_t panel_bytes, const void *call, gemm_pack_panel pack, gemm_run_tile tile);

#if defined(__x86_64__)
#include <immintrin.h>

/* The first `cols` of 16 lanes. */
static inline __attribute__((target("avx512f"))) __mmask16 gemm_column_mask(int cols) {
    return cols >= 16 ? (__mmask16)0xffff : cols <= 0 ? (__mmask16)0 : (__mmask16)((1u << cols) - 1);
}

/* Writes (or adds) 32 sums to the `cols` outputs at `out`. */
static inline __attribute__((target("avx512f"))) void gemm_store_row(float *out, __m512 low, __m512 high, int cols,
                                                                   int accumulate) {
    __mmask16 m0 = gemm_column_mask(cols), m1 = gemm_column_mask(cols - 16);
    if (accumulate) {
        low = _mm512_add_ps(low, _mm512_maskz_loadu_ps(m0, out));
        high = _mm512_add_ps(high, _mm512_maskz_loadu_ps(m1, out + 16));
    }
    _mm512_mask_storeu_ps(out, m0, low);
    _mm512_mask_storeu_ps(out + 16, m1, high);
}
#endif
#endif
