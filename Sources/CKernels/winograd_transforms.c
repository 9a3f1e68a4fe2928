/*
 * Winograd F(4×4, 3×3) transforms (the multiplications between them are GEMMs), 16 tiles at once
 * in vectors of 16 floats (lane = tile). The matrices come from the interpolation points 0, 1,
 * −1, 1/2, −2 and ∞ (see Winograd.swift). One body, inlined into a function per target
 * (AVX-512, AVX2 + FMA, the baseline), which leaves the instructions to the compiler; the
 * caller chooses from the CPU's report.
 */
#include "CKernels.h"
#include "vector16.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

typedef float vec8 __attribute__((ext_vector_type(8)));

/* Row r's padded columns p … p + 15, through the column map (a gather where the target has one):
   for the vectors that reach into the border. */
static ALWAYS_INLINE vec16 load_border_columns(const stylize_winograd_rows *s, int r, int p) {
    const float *line = s->rows[r];
    if (!line) return (vec16)s->fill;
    float lanes[16];
    for (int l = 0; l < 16; l++) {
        int source = s->column_source[p + l];
        float value = line[source < 0 ? 0 : source];
        lanes[l] = source < 0 ? s->fill : value;
    }
    return vec16_load(lanes);
}

/* Lane j = element 4j + k of the 64 floats a, b, c, e. */
#define STRIDE4(a, b, c, e, k)                                                                         \
    __builtin_shufflevector(                                                                                    \
        (vec8)__builtin_shufflevector(a, b, k, k + 4, k + 8, k + 12, k + 16, k + 20, k + 24, k + 28), \
        (vec8)__builtin_shufflevector(c, e, k, k + 4, k + 8, k + 12, k + 16, k + 20, k + 24, k + 28), \
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

/* Bᵀd for the 6 points of 16 tiles.
   Bᵀ = [1 −3/2 −2 3/2 1 0; 0 −1 1/2 5/2 1 0; 0 1 −5/2 1/2 1 0; 0 −2 −1 2 1 0; 0 1/2 −1 −1/2 1 0; 0 1 −3/2 −2 3/2 1] */
static ALWAYS_INLINE void input_transform(const vec16 d[6], vec16 t[6]) {
    vec16 d31 = d[3] - d[1], d42 = d[4] - d[2];
    t[0] = d[0] + d[4] - 2 * d[2] + 1.5f * d31;
    t[1] = (d[4] - d[1]) + 0.5f * d[2] + 2.5f * d[3];
    t[2] = (d[4] + d[1]) - 2.5f * d[2] + 0.5f * d[3];
    t[3] = d42 + 2 * d31;
    t[4] = d42 - 0.5f * d31;
    t[5] = (d[1] + d[5]) - 2 * d[3] + 1.5f * d42;
}

/* Aᵀm for the 6 transformed points of 16 tiles: the 4 outputs.
   Aᵀ = [1 1 1 1 1 0; 0 1 −1 1/2 −2 0; 0 1 1 1/4 4 0; 0 1 −1 1/8 −8 1] */
static ALWAYS_INLINE void output_transform(const vec16 m[6], vec16 o[4]) {
    vec16 s12 = m[1] + m[2], d12 = m[1] - m[2];
    o[0] = m[0] + s12 + m[3] + m[4];
    o[1] = d12 + 0.5f * m[3] - 2 * m[4];
    o[2] = s12 + 0.25f * m[3] + 4 * m[4];
    o[3] = d12 + 0.125f * m[3] - 8 * m[4] + m[5];
}

/* V[ξ][t] = (Bᵀ d B)[ξ] for `tiles` tiles whose 6×6 patches start at padded column first_column + 4t. */
static ALWAYS_INLINE void winograd_input(const stylize_winograd_rows *rows, int tiles, float *scratch, float *v,
                                         ptrdiff_t xi_stride) {
    int groups = (tiles + 15) / 16, span = 4 * tiles + 2;
    size_t capacity = (size_t)groups * 64 + 16;
    /* Along y, straight from the rows: Bᵀd for every column, zeros past the span. */
    for (int x = 0; x < (int)capacity; x += 16) {
        vec16 d[6], t[6];
        int p = rows->first_column + x, image = p - rows->pad_left, count = span - x < 16 ? span - x : 16;
        if (count > 0 && image >= 0 && image + 16 <= rows->width) {
            /* The image's own columns, read in place (lanes past the span only reach tiles past the last). */
            for (int r = 0; r < 6; r++) d[r] = rows->rows[r] ? vec16_load(rows->rows[r] + image) : (vec16)rows->fill;
        } else if (count > 0) {
            for (int r = 0; r < 6; r++) d[r] = load_border_columns(rows, r, p);
        } else {
            for (int r = 0; r < 6; r++) d[r] = (vec16)0;
        }
        input_transform(d, t);
        for (int i = 0; i < 6; i++) vec16_store(scratch + i * capacity + x, t[i]);
    }
    /* Along x, 16 tiles at once: tile j's points are columns 4j … 4j + 5. */
    for (int g = 0; g < groups; g++) {
        for (int i = 0; i < 6; i++) {
            const float *p = scratch + i * capacity + 64 * g;
            vec16 a = vec16_load(p), b = vec16_load(p + 16), c = vec16_load(p + 32),
                  e = vec16_load(p + 48);
            vec16 a4 = vec16_load(p + 4), b4 = vec16_load(p + 20), c4 = vec16_load(p + 36),
                  e4 = vec16_load(p + 52);
            vec16 d[6] = {STRIDE4(a, b, c, e, 0), STRIDE4(a, b, c, e, 1), STRIDE4(a, b, c, e, 2),
                          STRIDE4(a, b, c, e, 3), STRIDE4(a4, b4, c4, e4, 0),
                          STRIDE4(a4, b4, c4, e4, 1)};
            vec16 t[6];
            input_transform(d, t);
            for (int j = 0; j < 6; j++) vec16_store(v + (6 * i + j) * xi_stride + 16 * g, t[j]);
        }
    }
}

/* The 64 floats of 16 tiles' 4 pixels in one output row: element 4j + x = c[x] lane j. */
static ALWAYS_INLINE void interleave(vec16 c0, vec16 c1, vec16 c2, vec16 c3, vec16 out[4]) {
    vec16 lo01 = __builtin_shufflevector(c0, c1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    vec16 hi01 = __builtin_shufflevector(c0, c1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    vec16 lo23 = __builtin_shufflevector(c2, c3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    vec16 hi23 = __builtin_shufflevector(c2, c3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    out[0] = __builtin_shufflevector(lo01, lo23, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
    out[1] = __builtin_shufflevector(lo01, lo23, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
    out[2] = __builtin_shufflevector(hi01, hi23, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
    out[3] = __builtin_shufflevector(hi01, hi23, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}

/* The first `count` (< 16) floats of `source`, in pieces of 8, 4, 2 and 1 (no call to memcpy). */
static ALWAYS_INLINE void store_first(float *destination, const float *source, int count) {
    for (int piece = 8; piece >= 1; piece /= 2) {
        if (count & piece) {
            if (piece == 8) __builtin_memcpy_inline(destination, source, 8 * sizeof(float));
            if (piece == 4) __builtin_memcpy_inline(destination, source, 4 * sizeof(float));
            if (piece == 2) __builtin_memcpy_inline(destination, source, 2 * sizeof(float));
            if (piece == 1) __builtin_memcpy_inline(destination, source, sizeof(float));
            destination += piece;
            source += piece;
        }
    }
}

/* Pixels (Aᵀ M A + bias) of `tiles` tiles side by side: rows × columns of them at out. The bias
   goes in through ξ = (1, 1): Aᵀ's column 1 is all ones, so Aᵀ(b·e₁e₁ᵀ)A adds b to all 16 pixels. */
static ALWAYS_INLINE void winograd_output(const float *m, ptrdiff_t xi_stride, int tiles, float bias,
                                                           float *out, ptrdiff_t out_stride, int rows, int columns) {
    int groups = (tiles + 15) / 16;
    for (int g = 0; g < groups; g++) {
        /* Along x for each ξy: q[ξy][x], lane = tile. */
        vec16 q[6][4];
        for (int i = 0; i < 6; i++) {
            vec16 p[6];
            for (int j = 0; j < 6; j++) p[j] = vec16_load(m + (6 * i + j) * xi_stride + 16 * g);
            if (i == 1) p[1] += bias;
            output_transform(p, q[i]);
        }
        /* Along y for each x: pixel (y, x) of every tile. */
        vec16 pixels[4][4];
        for (int x = 0; x < 4; x++) {
            vec16 column[6] = {q[0][x], q[1][x], q[2][x], q[3][x], q[4][x], q[5][x]};
            output_transform(column, pixels[x]);
        }
        int length = columns - 64 * g < 64 ? columns - 64 * g : 64;
        if (length <= 0) break;
        for (int y = 0; y < rows && y < 4; y++) {
            vec16 line[4];
            interleave(pixels[0][y], pixels[1][y], pixels[2][y], pixels[3][y], line);
            float *destination = out + y * out_stride + 64 * g;
            /* Whole vectors, then the last one's first length % 16 floats. */
            int h = length / 16;  /* (unrolled: as a loop, the compiler turns the stores into a call to memcpy) */
            if (h > 0) vec16_store(destination, line[0]);
            if (h > 1) vec16_store(destination + 16, line[1]);
            if (h > 2) vec16_store(destination + 32, line[2]);
            if (h > 3) vec16_store(destination + 48, line[3]);
            if (16 * h < length) {
                float buffer[16];
                vec16_store(buffer, line[h]);
                store_first(destination + 16 * h, buffer, length - 16 * h);
            }
        }
    }
}

#define AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
#define AVX2 __attribute__((target("avx2,fma")))

AVX512 static void winograd_input_avx512(const stylize_winograd_rows *rows, int tiles, float *scratch, float *v,
                                         ptrdiff_t xi_stride) {
    winograd_input(rows, tiles, scratch, v, xi_stride);
}

AVX2 static void winograd_input_avx2(const stylize_winograd_rows *rows, int tiles, float *scratch, float *v,
                                     ptrdiff_t xi_stride) {
    winograd_input(rows, tiles, scratch, v, xi_stride);
}

AVX512 static void winograd_output_avx512(const float *m, ptrdiff_t xi_stride, int tiles, float bias, float *out,
                                          ptrdiff_t out_stride, int rows, int columns) {
    winograd_output(m, xi_stride, tiles, bias, out, out_stride, rows, columns);
}

AVX2 static void winograd_output_avx2(const float *m, ptrdiff_t xi_stride, int tiles, float bias, float *out,
                                      ptrdiff_t out_stride, int rows, int columns) {
    winograd_output(m, xi_stride, tiles, bias, out, out_stride, rows, columns);
}

size_t stylize_winograd_input_scratch(int tiles) {
    return 6 * ((size_t)(tiles + 15) / 16 * 64 + 16);
}

stylize_vector_kernel stylize_vector_kernel_best(void) {
    const stylize_cpu_features *f = stylize_cpu_features_get();
    return f->avx512 ? STYLIZE_VECTOR_AVX512 : f->avx2_fma ? STYLIZE_VECTOR_AVX2 : STYLIZE_VECTOR_BASELINE;
}

void stylize_winograd_input(stylize_vector_kernel kernel, const stylize_winograd_rows *rows, int tiles, float *scratch,
                            float *v, ptrdiff_t xi_stride) {
    if (tiles <= 0) return;
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: winograd_input_avx512(rows, tiles, scratch, v, xi_stride); return;
    case STYLIZE_VECTOR_AVX2: winograd_input_avx2(rows, tiles, scratch, v, xi_stride); return;
    default: winograd_input(rows, tiles, scratch, v, xi_stride); return;
    }
}

void stylize_winograd_output(stylize_vector_kernel kernel, const float *m, ptrdiff_t xi_stride, int tiles, float bias,
                             float *out, ptrdiff_t out_stride, int rows, int columns) {
    if (tiles <= 0 || rows <= 0 || columns <= 0) return;
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: winograd_output_avx512(m, xi_stride, tiles, bias, out, out_stride, rows, columns); return;
    case STYLIZE_VECTOR_AVX2: winograd_output_avx2(m, xi_stride, tiles, bias, out, out_stride, rows, columns); return;
    default: winograd_output(m, xi_stride, tiles, bias, out, out_stride, rows, columns); return;
    }
}
