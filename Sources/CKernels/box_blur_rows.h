#ifndef STYLIZE_BOX_BLUR_ROWS_H
#define STYLIZE_BOX_BLUR_ROWS_H
/*
 * The box blur a row at a time (box_blur.c blurs a plane with it; the temporal blend chains a
 * dozen of them row by row, so that nothing plane-sized lies between two). Separable, borders
 * clamped: each row's horizontal sum goes into a ring of the 2r + 2 rows the vertical window
 * spans, and the vertical running sums read it from there. The horizontal sum of a small window
 * adds its shifted rows directly (in blocks); a wide one is a difference of prefix sums, scanned
 * 16 values at a time in registers, instead of a running sum whose dependent adds serialise the
 * row. Everything here is inlined into a function per target.
 */
#include "CKernels.h"
#include "vector16.h"

/* Inclusive prefix sum of 16 lanes. */
static inline __attribute__((always_inline)) vec16 scan16(vec16 v) {
    const vec16 zero = 0;
    v += __builtin_shufflevector(zero, v, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
    v += __builtin_shufflevector(zero, v, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29);
    v += __builtin_shufflevector(zero, v, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27);
    v += __builtin_shufflevector(zero, v, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23);
    return v;
}

/* out[x] = the sum of row[clamp(x − r … x + r)], for one row. `padded` and `prefix` hold
   width + 2r + 32 floats each. Values are taken relative to the row's first value, so flat rows
   keep their digits in the prefix sums (added back to each window). */
static inline __attribute__((always_inline)) void row_sums(const float *row, float *out, int width, int r,
                                                           float *padded, float *prefix) {
    const float base = row[0], last = row[width - 1] - base;
    const int n = width + 2 * r; /* padded values; prefix has n + 1 */
    for (int i = 0; i < r; i++) padded[i] = 0;
    for (int x = 0; x < width; x++) padded[r + x] = row[x] - base;
    for (int i = 0; i < r; i++) padded[r + width + i] = last;
    for (int i = n; i < n + 16; i++) padded[i] = 0;
    prefix[0] = 0;
    float carry = 0;
    for (int i = 0; i < n; i += 16) {
        vec16 v = scan16(vec16_load(padded + i)) + carry;
        vec16_store(prefix + 1 + i, v);
        carry = v[15];
    }
    const float window = (float)(2 * r + 1) * base;
    const int span = 2 * r + 1;
    int x = 0;
    for (; x + 16 <= width; x += 16) vec16_store(out + x, vec16_load(prefix + x + span) - vec16_load(prefix + x) + window);
    for (; x < width; x++) out[x] = prefix[x + span] - prefix[x] + window;
}

/* The same sums for a small window (r ≤ DIRECT_RADIUS, all the temporal blend's radii), from
   shifted loads, where the scan's carry serialises the row. From 7 taps on, in blocks: the sums
   of each run of B taps into `blocks` first, then every B-th of those plus the taps left over
   (13 taps: 3 + 3 adds per 16 outputs instead of 12). `padded` as above; `blocks` holds
   width + 2r + 32 floats. B and the tap count are constants where these are inlined, so the
   loops unroll. */
#define DIRECT_RADIUS 8
static inline __attribute__((always_inline)) void tap_sums(const float *p, float *out, int count, const int taps) {
    int x = 0;
    for (; x + 64 <= count; x += 64) {
        const float *q = p + x;
        vec16 s0 = vec16_load(q), s1 = vec16_load(q + 16), s2 = vec16_load(q + 32), s3 = vec16_load(q + 48);
        for (int k = 1; k < taps; k++) {
            s0 += vec16_load(q + k);
            s1 += vec16_load(q + 16 + k);
            s2 += vec16_load(q + 32 + k);
            s3 += vec16_load(q + 48 + k);
        }
        vec16_store(out + x, s0);
        vec16_store(out + x + 16, s1);
        vec16_store(out + x + 32, s2);
        vec16_store(out + x + 48, s3);
    }
    for (; x + 16 <= count; x += 16) {
        vec16 s = vec16_load(p + x);
        for (int k = 1; k < taps; k++) s += vec16_load(p + x + k);
        vec16_store(out + x, s);
    }
    for (; x < count; x++) {
        float s = p[x];
        for (int k = 1; k < taps; k++) s += p[x + k];
        out[x] = s;
    }
}

static inline __attribute__((always_inline)) void blocked_sums(const float *p, float *blocks, float *out, int width,
                                                               const int taps, const int B) {
    const int m = taps / B;
    tap_sums(p, blocks, width + (m - 1) * B, B);
    int x = 0;
    for (; x + 32 <= width; x += 32) {
        vec16 s0 = vec16_load(blocks + x), s1 = vec16_load(blocks + x + 16);
        for (int j = 1; j < m; j++) {
            s0 += vec16_load(blocks + x + j * B);
            s1 += vec16_load(blocks + x + 16 + j * B);
        }
        for (int k = m * B; k < taps; k++) {
            s0 += vec16_load(p + x + k);
            s1 += vec16_load(p + x + 16 + k);
        }
        vec16_store(out + x, s0);
        vec16_store(out + x + 16, s1);
    }
    for (; x < width; x++) {
        float s = blocks[x];
        for (int j = 1; j < m; j++) s += blocks[x + j * B];
        for (int k = m * B; k < taps; k++) s += p[x + k];
        out[x] = s;
    }
}

/* `row` may already lie at padded + r (nothing to copy). */
static inline __attribute__((always_inline)) void row_sums_direct(const float *row, float *out, int width, int r,
                                                                  float *padded, float *blocks) {
    const float first = row[0], last = row[width - 1];
    for (int i = 0; i < r; i++) padded[i] = first;
    if (row != padded + r) memcpy(padded + r, row, (size_t)width * sizeof(float));
    for (int i = 0; i < r; i++) padded[r + width + i] = last;
    switch (r) {
    case 0: memcpy(out, row, (size_t)width * sizeof(float)); return;
    case 1: tap_sums(padded, out, width, 3); return;
    case 2: tap_sums(padded, out, width, 5); return;
    case 3: blocked_sums(padded, blocks, out, width, 7, 3); return;
    case 4: blocked_sums(padded, blocks, out, width, 9, 3); return;
    case 5: blocked_sums(padded, blocks, out, width, 11, 4); return;
    case 6: blocked_sums(padded, blocks, out, width, 13, 4); return;
    case 7: blocked_sums(padded, blocks, out, width, 15, 4); return;
    default: blocked_sums(padded, blocks, out, width, 17, 4); return;  /* 8 */
    }
}

/* What a blur sums: the source's values, or their squares (SQUARES below). */
typedef struct {
    int squares;       /* 0: the values themselves */
    float offset;      /* squares of (value − offset) */
    const float *caps; /* with squares: each capped at cap × caps[i] (NULL: uncapped) */
    float cap;
} summed;

/* The row's values as `what` says, into `row` (width floats): the squares are those the blend's
   passes took before (the same operations, so the same numbers). */
static inline __attribute__((always_inline)) void squared_row(const float *src, const float *caps, summed what,
                                                              float *row, int width) {
    const float k = what.offset;
    int x = 0;
    if (caps) {
        const float c = what.cap;
        for (; x + 16 <= width; x += 16) {
            vec16 d = vec16_load(src + x) - k, q = d * d, m = c * vec16_load(caps + x);
            vec16_store(row + x, MIN_OF(q, m));
        }
        for (; x < width; x++) {
            float d = src[x] - k, q = d * d, m = c * caps[x];
            row[x] = MIN_OF(q, m);
        }
    } else {
        for (; x + 16 <= width; x += 16) {
            vec16 d = vec16_load(src + x) - k;
            vec16_store(row + x, d * d);
        }
        for (; x < width; x++) {
            float d = src[x] - k;
            row[x] = d * d;
        }
    }
}

/* A blur fed one source row at a time, in order (row_blur_push), giving its rows in order
   (row_blur_emit): row y once rows up to min(y + r + 1, height − 1) are in. The same additions in
   the same order as a blur of the whole plane. */
typedef struct {
    int width, height, r;
    summed what;
    float norm;
    float *ring, *acc, *padded, *blocks, *squares;
    int pushed, emitted;
} row_blur;

/* Floats of memory a row_blur of this width and radius uses. */
static inline size_t row_blur_floats(int width, int r) {
    return (size_t)(2 * r + 2) * (size_t)width + 2 * (size_t)width + 2 * (size_t)(width + 2 * r + 32);
}

static inline __attribute__((always_inline)) void row_blur_init(row_blur *b, int width, int height, int r, summed what,
                                                                float *memory) {
    b->width = width;
    b->height = height;
    b->r = r;
    b->what = what;
    b->norm = 1.0f / ((float)(2 * r + 1) * (float)(2 * r + 1));
    b->ring = memory;
    b->acc = b->ring + (size_t)(2 * r + 2) * width;
    b->padded = b->acc + width;
    b->blocks = b->padded + width + 2 * r + 32;
    b->squares = b->blocks + width + 2 * r + 32;
    b->pushed = b->emitted = 0;
}

#define ROW_BLUR_RING(b, k) ((b)->ring + (size_t)((k) % (2 * (b)->r + 2)) * (b)->width)

/* The next source row; caps: that row of the caps plane (capped squares), else NULL. */
static inline __attribute__((always_inline)) void row_blur_push(row_blur *b, const float *row, const float *caps) {
    const int k = b->pushed++, width = b->width, r = b->r;
    float *slot = ROW_BLUR_RING(b, k), *acc = b->acc;
    const float *summed_row = row;
    if (b->what.squares) {
        /* A small window's sums read the squares where they are written. */
        float *squared = r <= DIRECT_RADIUS ? b->padded + r : b->squares;
        squared_row(row, caps, b->what, squared, width);
        summed_row = squared;
    }
    if (r <= DIRECT_RADIUS) row_sums_direct(summed_row, slot, width, r, b->padded, b->blocks);
    else row_sums(summed_row, slot, width, r, b->padded, b->blocks);
    /* The first window: row 0 for the r rows above it, rows 1 … r (the last row for those below it). */
    if (k == 0) {
        for (int x = 0; x < width; x++) acc[x] = (float)(r + 1) * slot[x];
    } else if (k <= r) {
        for (int x = 0; x < width; x++) acc[x] += slot[x];
    }
    if (k == b->height - 1)
        for (int j = k + 1; j <= r; j++)
            for (int x = 0; x < width; x++) acc[x] += slot[x];
}

/* The next blurred row, into out. */
static inline __attribute__((always_inline)) void row_blur_emit(row_blur *b, float *out) {
    const int y = b->emitted++, width = b->width, r = b->r, height = b->height;
    const int entering = y + r + 1 < height ? y + r + 1 : height - 1;
    const int leaving = y - r > 0 ? y - r : 0;
    const float *e = ROW_BLUR_RING(b, entering), *l = ROW_BLUR_RING(b, leaving);
    float *acc = b->acc;
    const float norm = b->norm;
    int x = 0;
    for (; x + 16 <= width; x += 16) {
        vec16 a = vec16_load(acc + x);
        vec16_store(out + x, a * norm);
        vec16_store(acc + x, a + vec16_load(e + x) - vec16_load(l + x));
    }
    for (; x < width; x++) {
        out[x] = acc[x] * norm;
        acc[x] += e[x] - l[x];
    }
}

#endif
