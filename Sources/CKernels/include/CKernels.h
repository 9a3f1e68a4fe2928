#ifndef STYLIZE_CKERNELS_H
#define STYLIZE_CKERNELS_H
/*
 * Kernels that need instructions beyond the build's baseline (AVX-512, AVX512-BF16, VNNI),
 * compiled per function with target attributes and chosen at run time from
 * what the CPU reports, plus that report itself.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the CPU offers and the OS saves the registers of (XGETBV); all 0 off x86. */
typedef struct {
    int avx2_fma;      /* AVX2 and FMA, with YMM state enabled */
    int avx512;        /* AVX-512 F, DQ, BW and VL, with ZMM state enabled */
    int avx512_bf16;   /* AVX512-BF16 (VDPBF16PS, VCVTNE2PS2BF16), on top of avx512 */
    int avx512_vnni;   /* AVX512-VNNI (VPDPBUSD), on top of avx512 */
    int avx_vnni;      /* AVX-VNNI (the VEX form, 256-bit), on top of avx2_fma */
    int amx_bf16;      /* AMX tiles with BF16, and the kernel granted their state */
    int amx_int8;      /* AMX tiles with INT8, and the kernel granted their state */
} stylize_cpu_features;

/* Read once (thread-safe); AMX asks the kernel for the tile state then. */
const stylize_cpu_features *stylize_cpu_features_get(void);

/*
 * bf16 GEMM: C (m × n, row-major, ldc) = A·B (+ C when accumulate), with A a
 * constant m × k matrix packed once by stylize_bf16_pack_a and B an fp32
 * k × n matrix (row-major, ldb) rounded to bf16 (nearest-even) as it is
 * packed. Products are exact in fp32 and summed in fp32.
 */
typedef enum {
    STYLIZE_BF16_PORTABLE = 0,  /* plain C; any CPU (for testing the format) */
    STYLIZE_BF16_AVX512 = 1,    /* VDPBF16PS; needs avx512_bf16 */
} stylize_bf16_kernel;

/* uint16 elements the packed form of an m × k matrix takes. */
size_t stylize_bf16_packed_count(int m, int k);
/* Packs A (m × k, row-major, lda) into `packed` (stylize_bf16_packed_count elements, 64-byte aligned). */
void stylize_bf16_pack_a(int m, int k, const float *a, int lda, uint16_t *packed);
void stylize_gemm_bf16(stylize_bf16_kernel kernel, int m, int n, int k, const uint16_t *packed_a,
                       const float *b, int ldb, int accumulate, float *c, int ldc);

/*
 * int8 GEMM, same contract: A quantized per row (symmetric, s8) when packed by
 * stylize_int8_pack_a; B quantized per call (asymmetric, u8, over its k × n
 * block) as it is packed; integer sums, scaled back to fp32.
 */
typedef enum {
    STYLIZE_INT8_PORTABLE = 0,     /* plain C; any CPU */
    STYLIZE_INT8_AVX512_VNNI = 1,  /* VPDPBUSD on zmm; needs avx512_vnni */
    STYLIZE_INT8_AVX_VNNI = 2,     /* VPDPBUSD on ymm (the VEX form); needs avx_vnni and avx2_fma */
} stylize_int8_kernel;

/* Bytes the packed form of an m × k matrix takes (quantized values, row scales and sums). */
size_t stylize_int8_packed_bytes(int m, int k);
/* Packs A (m × k, row-major, lda) into `packed` (stylize_int8_packed_bytes, 64-byte aligned). */
void stylize_int8_pack_a(int m, int k, const float *a, int lda, void *packed);
void stylize_gemm_int8(stylize_int8_kernel kernel, int m, int n, int k, const void *packed_a,
                       const float *b, int ldb, int accumulate, float *c, int ldc);

/*
 * int8 GEMM whose B is the patch matrix (im2col) of an fp32 image, never written out: row
 * (channel, i, j), column (gy, gx) of output row gy is padded pixel (gy·stride_height +
 * i·dilation_height, gx·stride_width + j·dilation_width) of the channel. A call covers output
 * rows first_row … first_row + grid_rows − 1: the padded rows they read are quantized over
 * their own range (as stylize_gemm_int8 quantizes its B) into `codes`, the border drawn in.
 * C = A·B plus bias[row] (none when bias is NULL). A is packed by stylize_int8_pack_a with k = channels·kernel_height·kernel_width.
 */
typedef struct {
    int channels, height, width;  /* the image: channels planes of height × width */
    int kernel_height, kernel_width, stride_height, stride_width, dilation_height, dilation_width;
    int grid_width;               /* output columns */
    int padded_width;             /* entries of column_source */
    int pad_left;                 /* padded column of image column 0 */
    const int32_t *row_source;    /* padded row → image row, or −1 for the fill (every padded row the grid reads) */
    const int32_t *column_source; /* padded column → image column, or −1 */
    float fill;
} stylize_int8_patches;

/* Bytes of `codes` a call for `grid_rows` output rows needs. */
size_t stylize_int8_patch_codes_bytes(const stylize_int8_patches *patches, int grid_rows);
void stylize_gemm_int8_patches(stylize_int8_kernel kernel, int m, int first_row, int grid_rows, const void *packed_a,
                               const float *image, const stylize_int8_patches *patches, uint8_t *codes, const float *bias,
                               float *c, int ldc);

/*
 * int8 direct convolution for a few output channels (m ≤ 4; the last 9×9 of a style network),
 * stride 1, undilated, with the geometry and border of `patches`: the padded rows output rows
 * first_row … first_row + grid_rows − 1 read are quantized as stylize_gemm_int8_patches quantizes
 * them, four channels to a 32-bit word, into `codes`; each output pixel sums tap by tap. Weights
 * ([m][C][kH][kW]) are packed once by stylize_int8_direct_pack_weights (per output channel,
 * symmetric s8). C (m × grid_rows·grid_width, row stride ldc) = the convolution plus bias[o].
 */
size_t stylize_int8_direct_weights_bytes(int m, int channels, int kernel_height, int kernel_width);
void stylize_int8_direct_pack_weights(int m, int channels, int kernel_height, int kernel_width, const float *w,
                                      void *packed);
size_t stylize_int8_direct_codes_bytes(const stylize_int8_patches *patches, int grid_rows);
void stylize_conv_int8_direct(stylize_int8_kernel kernel, int m, int first_row, int grid_rows, const void *packed_w,
                              const float *image, const stylize_int8_patches *patches, uint8_t *codes,
                              const float *bias, float *c, int ldc);

/*
 * Winograd F(4×4, 3×3)'s transforms (the interpolation points 0, 1, −1, 1/2, −2 and ∞; the
 * multiplications between them are the caller's GEMMs), 16 tiles at once. One source compiled
 * for three targets; the baseline runs on any x86-64 (and any other CPU).
 */
typedef enum {
    STYLIZE_VECTOR_BASELINE = 0,  /* the build's baseline (SSE2 on x86-64) */
    STYLIZE_VECTOR_AVX2 = 1,      /* needs avx2_fma */
    STYLIZE_VECTOR_AVX512 = 2,    /* needs avx512 */
} stylize_vector_kernel;

/* The widest this CPU runs. */
stylize_vector_kernel stylize_vector_kernel_best(void);

/* Floats of scratch stylize_winograd_input needs for `tiles` tiles. */
size_t stylize_winograd_input_scratch(int tiles);

/* The six input rows a tile row reads, in place: padded columns [pad_left, pad_left + width) are
   the image's (each row pointer is at its column 0), the others the border, through
   column_source; a NULL row is all fill (a constant border above or below). */
typedef struct {
    const float *rows[6];
    int first_column;              /* padded column where tile 0's patch starts */
    int pad_left, width;
    const int32_t *column_source;  /* padded column → image column, or −1 for the fill; 15 past the last tile's patch */
    float fill;
} stylize_winograd_rows;

/* V[ξ][t] (at v + ξ·xi_stride + t, ξ = 6·row + column of the 6×6 transformed tile) for tiles
   t < tiles of one tile row: tile t's 6×6 input patch is padded columns first_column + 4t …
   first_column + 4t + 5 of the rows. Whole vectors are stored: up to 15 values past the last
   tile are overwritten. */
void stylize_winograd_input(stylize_vector_kernel kernel, const stylize_winograd_rows *rows, int tiles, float *scratch,
                            float *v, ptrdiff_t xi_stride);

/* The pixels of tiles t < tiles (products M[ξ][t] at m + ξ·xi_stride + t, read in whole vectors:
   up to 15 values past the last tile, which do not count), plus bias: writes
   `rows` (≤ 4) rows of `columns` (≤ 4·tiles) pixels at out, rows out_stride apart. */
void stylize_winograd_output(stylize_vector_kernel kernel, const float *m, ptrdiff_t xi_stride, int tiles, float bias,
                             float *out, ptrdiff_t out_stride, int rows, int columns);

/* Mean and biased variance of `count` floats, in one pass (accurate to ~1e-6 relative). */
void stylize_mean_variance(const float *x, size_t count, float *mean, float *variance);

/* y = x·scale + shift (+ r[i] when r is not NULL), then max(·, 0) when relu, over `count` floats
   (instance normalization's pass with a residual add and a ReLU folded in); y may be x. */
void stylize_normalize_plane(stylize_vector_kernel kernel, const float *x, float *y, const float *r, size_t count,
                             float scale, float shift, int relu);

/* y[i] += x[i] + x[tap_stride + i] + … + x[(taps − 1)·tap_stride + i] for i < count, the taps added
   in that order. */
void stylize_sum_taps(stylize_vector_kernel kernel, float *y, size_t count, const float *x, int taps,
                      ptrdiff_t tap_stride);

/* out[2b] = even[b] + shift, out[2b + 1] = odd[b] + shift for b < count, then max(·, 0) when relu. */
void stylize_interleave_columns(stylize_vector_kernel kernel, const float *even, const float *odd, float *out,
                                size_t count, float shift, int relu);

/* DIS's variational refinement (OpticalFlow/DISVariational.swift): `iterations` rounds of lagged
   robust weights and `sor_iterations` red-black SOR sweeps over planes padded by one pixel on each
   side ((width + 2) × (height + 2) floats each). u, v: the flow, refined in place; u0, v0: the flow
   it started from; ix, iy, it, norm: the data term; constancy: 7 planes (I_xx, I_xy, I_yy, I_xt,
   I_yt and their two normalisers) or NULL; workspace: stylize_variational_workspace floats, zeroed. */
typedef struct {
    int width, height, iterations, sor_iterations;
    float alpha, delta, gamma, omega;
    float *u, *v;
    const float *u0, *v0, *ix, *iy, *it, *norm, *constancy;
    float *workspace;
} stylize_variational;

/* Floats of the refinement's workspace for frames of width × height. */
size_t stylize_variational_workspace(int width, int height);

void stylize_variational_refine(stylize_vector_kernel kernel, const stylize_variational *refinement);

/* DIS's evaluation of an 8×8 patch at (px, py) of I0 (planes `width` wide) whose displaced window,
   top-left (ix, iy) with bilinear weights w00 … w11, lies inside I1: out = Σ gx·s, Σ gy·s, Σ s and
   the mean-normalised SSD (inv_n = 1/64) of the samples s against the template t.
   With outlier > 0, the trimmed distance instead, which a minority of the patch moving on its own
   (particles) does not drag: the residuals r = d − m of the differences d = s − t, m the mean of
   the d within 3·outlier of their plain mean; the cut c = outlier, or outlier_scale × the mean |r|
   of those within 3·outlier if that is larger (noise); ψ = r where |r| ≤ c, else 0; and
   out = Σ gx·ψ, Σ gy·ψ, Σ ψ, mean of min(r², c²), and the number of pixels that stand out like a
   particle: |r| > max(particle_level, 6c). out[4] is left alone without outlier. */
typedef struct {
    const float *i0, *i1, *gx, *gy;
    int width, px, py, ix, iy;
    float w00, w01, w10, w11, inv_n;
    float outlier, outlier_scale, particle_level;
} stylize_dis_patch;

void stylize_dis_patch8(stylize_vector_kernel kernel, const stylize_dis_patch *patch, float out[5]);

/* Backward warps of `channels` planes (width × height each) along the flow (u, v) on the output
   grid: out(x, y) = image(x + u, y + v), the source point clamped to the image (NaN: the pixel
   itself). Bilinear: valid (may be NULL) ← 1 where the source point was inside, else 0. Keys'
   cubic (a = −0.75): pixels where `needed` (may be NULL) is 0 are left as they were. out must
   not overlap image. */
void stylize_warp_bilinear(stylize_vector_kernel kernel, const float *image, int channels, int width, int height,
                           const float *u, const float *v, float *out, float *valid);
void stylize_warp_cubic(stylize_vector_kernel kernel, const float *image, int channels, int width, int height,
                        const float *u, const float *v, float *out, const float *needed);

/* (ru, rv) ← the flow (u, v) the other way: each pixel's motion, negated, splatted with bilinear
   weights where it lands and averaged there; 0 where nothing lands, NaN where more than `crowding`
   pixels' worth lands. sums: room for 3 · width · height floats. */
void stylize_reverse_flow(const float *u, const float *v, int width, int height, float crowding, float *sums,
                          float *ru, float *rv);

/* Floats of workspace stylize_box_blur needs for rows of `width` at `radius`. */
size_t stylize_box_blur_workspace(int width, int radius);

/* dst = the mean of src over each pixel's (2·radius + 1)² window, indices clamped to the
   width × height plane (radius ≥ 1). dst may be src. */
void stylize_box_blur(stylize_vector_kernel kernel, const float *src, float *dst, int width, int height, int radius,
                      float *workspace);

/* dst ← the box blur of (src − offset)², each square capped at cap × caps[i] where caps is not
   NULL, without a plane of squares in between; dst may be src or caps. */
void stylize_box_blur_squares(stylize_vector_kernel kernel, const float *src, float offset, const float *caps, float cap,
                              float *dst, int width, int height, int radius, float *workspace);

/* mean, variance ← the mean and variance of src over each pixel's (2·radius + 1)² window (clamped
   borders), for values on a 0…255 scale; neither may overlap src. workspace: stylize_box_blur's. */
void stylize_local_moments(stylize_vector_kernel kernel, const float *src, float *mean, float *variance, int width,
                           int height, int radius, float *workspace);

/* The most bands the temporal blend splits a plane into. */
#define STYLIZE_BLEND_MAX_BANDS 4

/* A plane's bands: band k = box(plane, band_radii[k − 1]) − box(plane, band_radii[k]) (band 0: the
   plane minus its blur), radii rising; energies (band_count planes) ← the box blur of each band²
   over radius (radius ≥ 1). memory: stylize_contrast_blend_memory floats (the blend's rows). */
typedef struct {
    int width, height, radius, band_count;
    int band_radii[STYLIZE_BLEND_MAX_BANDS];
    const float *plane;
    float *energies, *memory;
} stylize_band_energies;

void stylize_band_energies_plane(stylize_vector_kernel kernel, const stylize_band_energies *energies);

/* The temporal blend of one plane (Pipeline/Temporal/TemporalBlender.swift): carried += brightness,
   then stylized and carried ← the plain blend of the two with the history's weight stability ×
   confidence, each band (as stylize_band_energies splits it) brought by a gain of its own
   toward its target: the mix of the stylized plane's band energy and the history's
   (carried_bands, band_count planes), but at least detail_floor × the stylized band's energy
   with each pixel's square capped at deviation_limit² × that energy (band_count 0: one gain, the
   plane's local variance toward the mix of the two planes'). A gain lies within min_gain …
   max_gain, is taken in part where share < 1 (share NULL: in full) and adds (gain − 1) × a
   pixel's deviation (its band, or from its window's mean) limited to deviation_limit (> 0) local
   standard deviations.
   history_bands ← the result's band energies (with history_speck_cap > 0, each pixel's band²
   capped at history_speck_cap × that energy and blurred again: a speck's energy left out).
   radius ≥ 1; memory: stylize_contrast_blend_memory floats (rows, not planes: the passes run row
   by row). */
typedef struct {
    int width, height, radius, band_count;
    int band_radii[STYLIZE_BLEND_MAX_BANDS];
    float stability, min_gain, max_gain, deviation_limit, detail_floor, history_speck_cap;
    float *stylized, *carried;
    const float *confidence, *share, *brightness, *carried_bands;
    float *history_bands, *memory;
} stylize_contrast_blend;

/* Floats of memory stylize_contrast_blend_plane needs for planes of this width. */
size_t stylize_contrast_blend_memory(int width, int radius, int band_count, const int *band_radii);

void stylize_contrast_blend_plane(stylize_vector_kernel kernel, const stylize_contrast_blend *plane);

#ifdef __cplusplus
}
#endif
#endif
