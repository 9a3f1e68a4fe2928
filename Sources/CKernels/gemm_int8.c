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
#include "gemm_panels.h"
#include "int8_quantization.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MR = GEMM_MR, NR = GEMM_NR };

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

/* One call's operands and B's quantization: what the panel loop hands the kernels below. */
typedef struct {
    int m, k, quads, ldb, ldc, accumulate;
    quantization q;
    const void *packed_a;
    const float *b;
    float *c;
    const float *bias;  /* added to each row's sums, or NULL */
} call;

static inline const int8_t *tile_of(const call *x, int m0) {
    return (const int8_t *)x->packed_a + (size_t)(m0 / MR) * x->quads * MR * 4;
}

/* Row m0 + r's output scale sA·sB and offset z·Σqa. */
static inline float scale_of(const call *x, int row) { return row_scales(x->packed_a, x->m, x->k)[row] * x->q.step; }
static inline int32_t offset_of(const call *x, int row) { return x->q.zero * row_sums(x->packed_a, x->m, x->k)[row]; }
static inline float bias_of(const call *x, int row) { return x->bias ? x->bias[row] : 0; }

/* Panel of B's columns [n0, n0 + cols), zero beyond. */
static void pack_portable(const void *context, int n0, int cols, void *destination) {
    const call *x = context;
    uint8_t *panel = destination;
    for (int p = 0; p < x->quads; p++) {
        for (int j = 0; j < NR; j++) {
            for (int h = 0; h < 4; h++) {
                int row = 4 * p + h;
                panel[((size_t)p * NR + j) * 4 + h] =
                    row < x->k && j < cols ? quantize(x->b[(size_t)row * x->ldb + n0 + j], x->q) : 0;
            }
        }
    }
}

static void tile_portable(const void *context, int m0, int rows, int n0, int cols, const void *source) {
    const call *x = context;
    const int8_t *a = tile_of(x, m0);
    const uint8_t *panel = source;
    for (int r = 0; r < rows; r++) {
        float scale = scale_of(x, m0 + r), shift = bias_of(x, m0 + r);
        int32_t offset = offset_of(x, m0 + r);
        float *out = x->c + (size_t)(m0 + r) * x->ldc + n0;
        for (int j = 0; j < cols; j++) {
            int32_t acc = 0;
            for (int p = 0; p < x->quads; p++) {
                for (int h = 0; h < 4; h++) {
                    acc += (int32_t)a[((size_t)p * MR + r) * 4 + h] * (int32_t)panel[((size_t)p * NR + j) * 4 + h];
                }
            }
            float value = scale * (float)(acc - offset) + shift;
            out[j] = x->accumulate ? out[j] + value : value;
        }
    }
}

#if defined(__x86_64__)
/* Four minima and maxima side by side: one pair would wait on its own result every 16 values. */
AVX512_VNNI static void range_avx512(int k, int n, const float *b, int ldb, float *low, float *high) {
    __m512 lo[4], hi[4];
    for (int a = 0; a < 4; a++) lo[a] = hi[a] = _mm512_setzero_ps();
    for (int row = 0; row < k; row++) {
        const float *line = b + (size_t)row * ldb;
        int j = 0;
        for (; j + 64 <= n; j += 64) {
            for (int a = 0; a < 4; a++) {
                __m512 v = _mm512_loadu_ps(line + j + 16 * a);
                lo[a] = _mm512_min_ps(lo[a], v);
                hi[a] = _mm512_max_ps(hi[a], v);
            }
        }
        for (int a = 0; j < n; j += 16, a++) {
            __m512 v = _mm512_maskz_loadu_ps(gemm_column_mask(n - j), line + j);
            lo[a] = _mm512_min_ps(lo[a], v);
            hi[a] = _mm512_max_ps(hi[a], v);
        }
    }
    *low = _mm512_reduce_min_ps(_mm512_min_ps(_mm512_min_ps(lo[0], lo[1]), _mm512_min_ps(lo[2], lo[3])));
    *high = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(hi[0], hi[1]), _mm512_max_ps(hi[2], hi[3])));
}

/* Four rows' codes for 16 columns, as the 16 lanes VPDPBUSD reads: byte h of lane j is row 4p + h. */
AVX512_VNNI static void pack_avx512(const void *context, int n0, int cols, void *destination) {
    const call *x = context;
    uint8_t *panel = destination;
    __m512 inverse = _mm512_set1_ps(x->q.inverse);
    __m512i zero = _mm512_set1_epi32(x->q.zero);
    __mmask16 masks[2] = {gemm_column_mask(cols), gemm_column_mask(cols - 16)};
    for (int p = 0; p < x->quads; p++) {
        for (int half = 0; half < 2; half++) {
            __m512i lanes = _mm512_setzero_si512();
            for (int h = 0; h < 4; h++) {
                int row = 4 * p + h;
                if (row >= x->k) break;
                __m512 v = _mm512_maskz_loadu_ps(masks[half], x->b + (size_t)row * x->ldb + n0 + 16 * half);
                lanes = _mm512_or_si512(lanes, _mm512_slli_epi32(int8_codes16(v, inverse, zero), 8 * h));
            }
            _mm512_store_si512((void *)(panel + (size_t)p * NR * 4 + 64 * half), lanes);
        }
    }
}

AVX512_VNNI static void tile_avx512(const void *context, int m0, int rows, int n0, int cols, const void *source) {
    const call *x = context;
    const int32_t *lanes = (const int32_t *)tile_of(x, m0);
    const uint8_t *panel = source;
    __m512i acc[MR][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_si512();
    for (int p = 0; p < x->quads; p++) {
        __m512i b0 = _mm512_load_si512((const void *)(panel + (size_t)p * NR * 4));
        __m512i b1 = _mm512_load_si512((const void *)(panel + (size_t)p * NR * 4 + 64));
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; r++) {
            __m512i quad = _mm512_set1_epi32(lanes[(size_t)p * MR + r]);
            acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], b0, quad);
            acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], b1, quad);
        }
    }
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        __m512 scale = _mm512_set1_ps(scale_of(x, m0 + r)), shift = _mm512_set1_ps(bias_of(x, m0 + r));
        __m512i offset = _mm512_set1_epi32(offset_of(x, m0 + r));
        gemm_store_row(x->c + (size_t)(m0 + r) * x->ldc + n0,
                       _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][0], offset)), shift),
                       _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][1], offset)), shift), cols,
                       x->accumulate);
    }
}
#endif

#if defined(__x86_64__)
AVX_VNNI static void range_avx2(int k, int n, const float *b, int ldb, float *low, float *high) {
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    float lo1 = 0, hi1 = 0;
    for (int row = 0; row < k; row++) {
        const float *line = b + (size_t)row * ldb;
        int j = 0;
        for (; j + 8 <= n; j += 8) {
            __m256 v = _mm256_loadu_ps(line + j);
            lo = _mm256_min_ps(lo, v);
            hi = _mm256_max_ps(hi, v);
        }
        for (; j < n; j++) {
            lo1 = fminf(lo1, line[j]);
            hi1 = fmaxf(hi1, line[j]);
        }
    }
    float l[8], h[8];
    _mm256_storeu_ps(l, lo);
    _mm256_storeu_ps(h, hi);
    for (int i = 0; i < 8; i++) {
        lo1 = fminf(lo1, l[i]);
        hi1 = fmaxf(hi1, h[i]);
    }
    *low = lo1;
    *high = hi1;
}

AVX_VNNI static void pack_avx2(const void *context, int n0, int cols, void *destination) {
    const call *x = context;
    uint8_t *panel = destination;
    __m256 inverse = _mm256_set1_ps(x->q.inverse);
    __m256i zero = _mm256_set1_epi32(x->q.zero);
    for (int p = 0; p < x->quads; p++) {
        for (int group = 0; group < NR / 8; group++) {
            __m256i mask = int8_lanes8(cols - 8 * group), lanes = _mm256_setzero_si256();
            for (int h = 0; h < 4; h++) {
                int row = 4 * p + h;
                if (row >= x->k) break;
                __m256 v = _mm256_maskload_ps(x->b + (size_t)row * x->ldb + n0 + 8 * group, mask);
                lanes = _mm256_or_si256(lanes, _mm256_slli_epi32(int8_codes8(v, inverse, zero), 8 * h));
            }
            _mm256_store_si256((__m256i *)(panel + (size_t)p * NR * 4 + 32 * group), lanes);
        }
    }
}

/* The 8 × 32 tile as four 4 × 16 blocks: 8 ymm accumulators fit AVX2's 16 registers. */
AVX_VNNI static void tile_avx2(const void *context, int m0, int rows, int n0, int cols, const void *source) {
    const call *x = context;
    const int32_t *lanes = (const int32_t *)tile_of(x, m0);
    const uint8_t *panel = source;
    for (int r0 = 0; r0 < rows; r0 += 4) {
        for (int c0 = 0; c0 < cols; c0 += 16) {
            __m256i acc[4][2];
#pragma clang loop unroll(full)
            for (int r = 0; r < 4; r++) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
            for (int p = 0; p < x->quads; p++) {
                const uint8_t *line = panel + (size_t)p * NR * 4 + 4 * c0;
                __m256i b0 = _mm256_load_si256((const __m256i *)line), b1 = _mm256_load_si256((const __m256i *)(line + 32));
#pragma clang loop unroll(full)
                for (int r = 0; r < 4; r++) {
                    __m256i quad = _mm256_set1_epi32(lanes[(size_t)p * MR + r0 + r]);
                    acc[r][0] = _mm256_dpbusd_avx_epi32(acc[r][0], b0, quad);
                    acc[r][1] = _mm256_dpbusd_avx_epi32(acc[r][1], b1, quad);
                }
            }
            for (int r = 0; r < 4 && r0 + r < rows; r++) {
                __m256 scale = _mm256_set1_ps(scale_of(x, m0 + r0 + r)), shift = _mm256_set1_ps(bias_of(x, m0 + r0 + r));
                __m256i offset = _mm256_set1_epi32(offset_of(x, m0 + r0 + r));
                float *out = x->c + (size_t)(m0 + r0 + r) * x->ldc + n0 + c0;
                for (int half = 0; half < 2; half++) {
                    __m256i mask = int8_lanes8(cols - c0 - 8 * half);
                    __m256 v = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(_mm256_sub_epi32(acc[r][half], offset)), shift);
                    if (x->accumulate) v = _mm256_add_ps(v, _mm256_maskload_ps(out + 8 * half, mask));
                    _mm256_maskstore_ps(out + 8 * half, mask, v);
                }
            }
        }
    }
}
#endif

/*
 * B as the patch matrix of an image (im2col, never written out). The padded rows a block of
 * output rows reads are quantized once, over their own range, into bytes; each panel then
 * gathers its columns from those codes: one pass over the image instead of im2col's copy
 * (k·k floats per pixel), a range pass and a packing pass over that copy.
 */
typedef struct {
    call base;  /* first: the tile kernels read it as a call */
    const stylize_int8_patches *p;
    const uint8_t *codes;
    int rows;  /* padded rows per channel in codes, from the tile's first output row's first */
    const size_t *offsets;  /* per row of the patch matrix (channel, i, j): where it reads output column (0, 0) in codes */
} patch_call;

static int padded_rows_of(const stylize_int8_patches *p, int grid_rows) {
    return (grid_rows - 1) * p->stride_height + (p->kernel_height - 1) * p->dilation_height + 1;
}

size_t stylize_int8_patch_codes_bytes(const stylize_int8_patches *p, int grid_rows) {
    /* + 64: the packers read whole 32- and 64-byte vectors from a panel's first column */
    return (size_t)p->channels * padded_rows_of(p, grid_rows) * p->padded_width + 64;
}

typedef void (*range_function)(int k, int n, const float *b, int ldb, float *low, float *high);
typedef void (*quantize_function)(const float *x, int n, quantization q, uint8_t *codes);

static void quantize_portable(const float *x, int n, quantization q, uint8_t *codes) {
    for (int i = 0; i < n; i++) codes[i] = quantize(x[i], q);
}

#if defined(__x86_64__)
AVX512_VNNI static void quantize_avx512(const float *x, int n, quantization q, uint8_t *codes) {
    __m512 inverse = _mm512_set1_ps(q.inverse);
    __m512i zero = _mm512_set1_epi32(q.zero), low = _mm512_setzero_si512();
    for (int i = 0; i < n; i += 16) {
        __mmask16 mask = gemm_column_mask(n - i);
        __m512i code = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(mask, x + i), inverse)), zero);
        _mm512_mask_cvtusepi32_storeu_epi8(codes + i, mask, _mm512_max_epi32(code, low));
    }
}

AVX_VNNI static void quantize_avx2(const float *x, int n, quantization q, uint8_t *codes) {
    __m256 inverse = _mm256_set1_ps(q.inverse);
    __m256i zero = _mm256_set1_epi32(q.zero);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i a = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i), inverse)), zero);
        __m256i b = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8), inverse)), zero);
        /* Saturating packs clamp to 0…255; packus_epi32 interleaves the 128-bit halves, the permute restores order. */
        __m256i words = _mm256_permute4x64_epi64(_mm256_packus_epi32(a, b), 0xd8);
        __m128i bytes = _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
        _mm_storeu_si128((__m128i *)(codes + i), bytes);
    }
    quantize_portable(x + i, n - i, q, codes + i);
}
#endif

/* Codes of the padded rows [first, first + rows) of every channel, the border drawn in. */
static void quantize_patch_rows(const stylize_int8_patches *p, const float *image, int first, int rows, quantization q,
                                quantize_function quantize_run, uint8_t *codes) {
    int wp = p->padded_width, width = p->width, x0 = p->pad_left;
    /* Padded columns [x0, x0 + run) are the image's first columns in order (the interior, as far as the grid reads). */
    int run = wp - x0 < width ? wp - x0 : width, interior = x0 >= 0 && run > 0;
    uint8_t fill = quantize(p->fill, q);
    for (int channel = 0; channel < p->channels; channel++) {
        const float *plane = image + (size_t)channel * p->height * width;
        for (int r = 0; r < rows; r++) {
            uint8_t *out = codes + ((size_t)channel * rows + r) * wp;
            int y = p->row_source[first + r];
            if (y < 0) {
                memset(out, fill, (size_t)wp);
                continue;
            }
            const float *line = plane + (size_t)y * width;
            for (int x = 0; x < wp; x++) {
                if (interior && x == x0) {
                    quantize_run(line, run, q, out + x0);
                    x += run - 1;
                    continue;
                }
                int source = p->column_source[x];
                out[x] = source < 0 ? fill : quantize(line[source], q);
            }
        }
    }
}

/* The range of what padded rows [first, first + rows) hold: the image rows they read, and the fill where they hold it. */
static void patch_range(const stylize_int8_patches *p, const float *image, int first, int rows, range_function range,
                        float *low, float *high) {
    int lowest = p->height, highest = -1, filled = 0;
    for (int r = 0; r < rows; r++) {
        int y = p->row_source[first + r];
        if (y < 0) { filled = 1; continue; }
        lowest = y < lowest ? y : lowest;
        highest = y > highest ? y : highest;
    }
    for (int x = 0; x < p->padded_width && !filled; x++) filled = p->column_source[x] < 0;
    float lo = filled ? fminf(p->fill, 0) : 0, hi = filled ? fmaxf(p->fill, 0) : 0;
    for (int channel = 0; channel < p->channels && highest >= lowest; channel++) {
        float l, h;
        range(highest - lowest + 1, p->width, image + ((size_t)channel * p->height + lowest) * p->width, p->width, &l, &h);
        lo = fminf(lo, l);
        hi = fmaxf(hi, h);
    }
    *low = lo;
    *high = hi;
}

/* Where row `row` of the patch matrix reads output column (gy, gx) of the tile. */
static inline const uint8_t *patch_source(const patch_call *x, int row, int gy, int gx) {
    const stylize_int8_patches *p = x->p;
    return x->codes + x->offsets[row] + (size_t)gy * p->stride_height * p->padded_width + (size_t)gx * p->stride_width;
}

/* Row `row`'s codes for panel columns [n0, n0 + cols), zero beyond (and for rows past k). */
static void gather_patch_row(const patch_call *x, int row, int n0, int cols, uint8_t out[GEMM_NR]) {
    memset(out, 0, GEMM_NR);
    if (row >= x->base.k) return;
    int width = x->p->grid_width;
    for (int c = 0; c < cols; c++) out[c] = *patch_source(x, row, (n0 + c) / width, (n0 + c) % width);
}

static void pack_patches_portable(const void *context, int n0, int cols, void *destination) {
    const patch_call *x = context;
    uint8_t *panel = destination, rows[4][GEMM_NR];
    for (int q = 0; q < x->base.quads; q++) {
        for (int h = 0; h < 4; h++) gather_patch_row(x, 4 * q + h, n0, cols, rows[h]);
        for (int j = 0; j < NR; j++) {
            for (int h = 0; h < 4; h++) panel[((size_t)q * NR + j) * 4 + h] = rows[h][j];
        }
    }
}

#if defined(__x86_64__)
#define AVX2_ONLY __attribute__((target("avx2")))

/* Row `row`'s 32 codes from output column (gy, gx) on, in one row at stride 1 or 2: a whole-vector
   load (lanes past the row are whatever follows: their sums are never stored, or the caller
   blends them out), or two and a compaction of the even bytes. */
AVX2_ONLY static inline __m256i load_patch_row(const patch_call *x, int row, int gy, int gx, ptrdiff_t back) {
    const uint8_t *line = patch_source(x, row, gy, gx) - back * x->p->stride_width;
    if (x->p->stride_width == 1) return _mm256_loadu_si256((const __m256i *)line);
    __m256i even = _mm256_set1_epi16(0x00ff);
    __m256i a = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)line), even);
    __m256i b = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(line + 32)), even);
    return _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xd8);
}

/* A panel at stride 1 or 2 whose columns lie in one output row, or in two (the second's loaded
   `split` lanes back so that its first column lands on lane `split`, then blended in), loads its
   patch rows whole; anything else is gathered. Four rows of 32 codes become the 32 lanes of four
   bytes VPDPBUSD reads by two rounds of unpacking. */
AVX2_ONLY static void pack_patches_avx2(const void *context, int n0, int cols, void *destination) {
    const patch_call *x = context;
    const stylize_int8_patches *p = x->p;
    uint8_t *panel = destination;
    int gy = n0 / p->grid_width, gx = n0 % p->grid_width;
    int split = p->grid_width - gx < cols ? p->grid_width - gx : cols;  /* columns in the first row */
    /* The second row's load starts `split` codes (at the stride) before its first column: still
       inside the codes when the rows are that long. */
    int vector = (p->stride_width == 1 || p->stride_width == 2) && p->grid_width >= GEMM_NR
        && (split == cols || (ptrdiff_t)p->stride_height * p->padded_width >= 2 * GEMM_NR);
    static const int8_t ramp[32] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    __m256i second = _mm256_cmpgt_epi8(_mm256_loadu_si256((const __m256i *)ramp), _mm256_set1_epi8((char)(split - 1)));
    uint8_t gathered[GEMM_NR] __attribute__((aligned(32)));
    for (int q = 0; q < x->base.quads; q++) {
        __m256i r[4];
        for (int h = 0; h < 4; h++) {
            int row = 4 * q + h;
            if (row >= x->base.k) {
                r[h] = _mm256_setzero_si256();
            } else if (vector) {
                r[h] = load_patch_row(x, row, gy, gx, 0);
                if (split < cols) r[h] = _mm256_blendv_epi8(r[h], load_patch_row(x, row, gy + 1, 0, split), second);
            } else {
                gather_patch_row(x, row, n0, cols, gathered);
                r[h] = _mm256_load_si256((const __m256i *)gathered);
            }
        }
        /* Per 128-bit half: columns 0–7 | 16–23 (lo) and 8–15 | 24–31 (hi) of rows 0,1 and 2,3 interleaved … */
        __m256i t0 = _mm256_unpacklo_epi8(r[0], r[1]), t1 = _mm256_unpackhi_epi8(r[0], r[1]);
        __m256i t2 = _mm256_unpacklo_epi8(r[2], r[3]), t3 = _mm256_unpackhi_epi8(r[2], r[3]);
        /* … then four columns' quads per half: 0–3 | 16–19, 4–7 | 20–23, 8–11 | 24–27, 12–15 | 28–31. */
        __m256i u0 = _mm256_unpacklo_epi16(t0, t2), u1 = _mm256_unpackhi_epi16(t0, t2);
        __m256i u2 = _mm256_unpacklo_epi16(t1, t3), u3 = _mm256_unpackhi_epi16(t1, t3);
        __m256i *out = (__m256i *)(panel + (size_t)q * NR * 4);
        _mm256_store_si256(out, _mm256_permute2x128_si256(u0, u1, 0x20));
        _mm256_store_si256(out + 1, _mm256_permute2x128_si256(u2, u3, 0x20));
        _mm256_store_si256(out + 2, _mm256_permute2x128_si256(u0, u1, 0x31));
        _mm256_store_si256(out + 3, _mm256_permute2x128_si256(u2, u3, 0x31));
    }
}
#endif

/* One kernel's pieces: B's range and its packing (an fp32 B, or patches), and the tiles. */
typedef struct {
    range_function range;
    quantize_function quantize;
    gemm_pack_panel pack, pack_patches;
    gemm_run_tile tile;
} int8_kernels;

static int8_kernels kernels_of(stylize_int8_kernel kernel) {
#if defined(__x86_64__)
    if (kernel == STYLIZE_INT8_AVX512_VNNI) return (int8_kernels){range_avx512, quantize_avx512, pack_avx512, pack_patches_avx2, tile_avx512};
    if (kernel == STYLIZE_INT8_AVX_VNNI) return (int8_kernels){range_avx2, quantize_avx2, pack_avx2, pack_patches_avx2, tile_avx2};
#endif
    return (int8_kernels){range_portable, quantize_portable, pack_portable, pack_patches_portable, tile_portable};
}

void stylize_gemm_int8(stylize_int8_kernel kernel, int m, int n, int k, const void *packed_a,
                       const float *b, int ldb, int accumulate, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    int8_kernels kernels = kernels_of(kernel);
    float low, high;
    kernels.range(k, n, b, ldb, &low, &high);
    call x = {m, k, quads_of(k), ldb, ldc, accumulate, quantization_of(low, high), packed_a, b, c, NULL};
    stylize_gemm_panels(m, n, (size_t)x.quads * NR * 4, &x, kernels.pack, kernels.tile);
}

void stylize_gemm_int8_patches(stylize_int8_kernel kernel, int m, int first_row, int grid_rows, const void *packed_a,
                               const float *image, const stylize_int8_patches *p, uint8_t *codes, const float *bias,
                               float *c, int ldc) {
    int n = grid_rows * p->grid_width;
    if (m <= 0 || n <= 0) return;
    int k = p->channels * p->kernel_height * p->kernel_width;
    int first = first_row * p->stride_height, rows = padded_rows_of(p, grid_rows);
    int8_kernels kernels = kernels_of(kernel);
    size_t *offsets = malloc((size_t)k * sizeof(size_t));
    if (!offsets) abort();
    for (int row = 0, channel = 0; channel < p->channels; channel++) {
        for (int i = 0; i < p->kernel_height; i++) {
            for (int j = 0; j < p->kernel_width; j++, row++) {
                offsets[row] = ((size_t)channel * rows + (size_t)i * p->dilation_height) * p->padded_width
                    + (size_t)j * p->dilation_width;
            }
        }
    }
    patch_call x = {{m, k, quads_of(k), 0, ldc, 0, stylize_int8_rows_quantization(kernel, p, image, first, rows),
                     packed_a, NULL, c, bias},
                    p, codes, rows, offsets};
    quantize_patch_rows(p, image, first, rows, x.base.q, kernels.quantize, codes);
    stylize_gemm_panels(m, n, (size_t)x.base.quads * NR * 4, &x, kernels.pack_patches, kernels.tile);
    free(offsets);
}

quantization stylize_int8_rows_quantization(stylize_int8_kernel kernel, const stylize_int8_patches *p, const float *image,
                                            int first, int rows) {
    float low, high;
    patch_range(p, image, first, rows, kernels_of(kernel).range, &low, &high);
    return quantization_of(low, high);
}
