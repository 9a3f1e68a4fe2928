/*
 * Separable box blur with clamped borders, in one pass over memory: each row's horizontal sum
 * goes into a ring of the 2r + 2 rows the vertical window spans (it stays in cache), and the
 * vertical running sums read it from there; nothing plane-sized in between. The horizontal sum
 * of a small window adds its shifted rows directly (in blocks); a wide one is a difference of prefix sums,
 * scanned 16 values at a time in registers, instead of a running sum whose dependent adds
 * serialise the row.
 * One body, inlined into a function per target, chosen from the CPU's report (as the norm
 * statistics).
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

static inline __attribute__((always_inline)) void box_blur(const float *src, float *dst, int width, int height,
                                                           int r, summed what, float *workspace) {
    const float norm = 1.0f / ((float)(2 * r + 1) * (float)(2 * r + 1));
    const int ringRows = 2 * r + 2;
    float *ring = workspace;
    float *acc = ring + (size_t)ringRows * width;
    float *padded = acc + width;
    float *prefix = padded + width + 2 * r + 32;
    float *squares = prefix + width + 2 * r + 32;
    /* Ring slot of row k (0 … height − 1): rows k − r − 1 … k + r are alive at once. */
#define RING(k) (ring + (size_t)((k) % ringRows) * width)
#define SUMS_OF(row, out)                                                               \
    (r <= DIRECT_RADIUS ? row_sums_direct((row), (out), width, r, padded, prefix)       \
                        : row_sums((row), (out), width, r, padded, prefix))
    /* Source row k (read before any output row it feeds is written: dst may be src or caps). */
#define ROW_SUMS(k, out)                                                                                        \
    do {                                                                                                        \
        const size_t at_ = (size_t)(k) * width;                                                                 \
        if (what.squares) {                                                                                     \
            /* A small window's sums read the squares where they are written. */                                \
            float *squared_ = r <= DIRECT_RADIUS ? padded + r : squares;                                        \
            squared_row(src + at_, what.caps ? what.caps + at_ : NULL, what, squared_, width);                  \
            SUMS_OF(squared_, out);                                                                             \
        } else {                                                                                                \
            SUMS_OF(src + at_, out);                                                                            \
        }                                                                                                       \
    } while (0)
    ROW_SUMS(0, RING(0));
    for (int x = 0; x < width; x++) acc[x] = (float)(r + 1) * RING(0)[x];
    for (int k = 1; k <= r; k++) {
        const int row = k < height ? k : height - 1;
        if (k < height) ROW_SUMS(row, RING(row));
        const float *h = RING(row);
        for (int x = 0; x < width; x++) acc[x] += h[x];
    }
    for (int y = 0; y < height; y++) {
        const int entering = y + r + 1 < height ? y + r + 1 : height - 1;
        const int leaving = y - r > 0 ? y - r : 0;
        if (y + r + 1 < height) ROW_SUMS(entering, RING(entering));
        const float *e = RING(entering), *l = RING(leaving);
        float *out = dst + (size_t)y * width;
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
#undef ROW_SUMS
#undef SUMS_OF
#undef RING
}

size_t stylize_box_blur_workspace(int width, int radius) {
    return (size_t)(2 * radius + 2) * (size_t)width + 2 * (size_t)width + 2 * (size_t)(width + 2 * radius + 32);
}

__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static void box_blur_avx512(const float *src, float *dst, int width, int height, int r, summed what, float *workspace) {
    box_blur(src, dst, width, height, r, what, workspace);
}

__attribute__((target("avx2,fma")))
static void box_blur_avx2(const float *src, float *dst, int width, int height, int r, summed what, float *workspace) {
    box_blur(src, dst, width, height, r, what, workspace);
}

static void blur(stylize_vector_kernel kernel, const float *src, float *dst, int width, int height, int radius,
                 summed what, float *workspace) {
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: box_blur_avx512(src, dst, width, height, radius, what, workspace); return;
    case STYLIZE_VECTOR_AVX2: box_blur_avx2(src, dst, width, height, radius, what, workspace); return;
    default: box_blur(src, dst, width, height, radius, what, workspace); return;
    }
}

void stylize_box_blur(stylize_vector_kernel kernel, const float *src, float *dst, int width, int height, int radius,
                      float *workspace) {
    blur(kernel, src, dst, width, height, radius, (summed){0, 0, NULL, 0}, workspace);
}

void stylize_box_blur_squares(stylize_vector_kernel kernel, const float *src, float offset, const float *caps, float cap,
                              float *dst, int width, int height, int radius, float *workspace) {
    blur(kernel, src, dst, width, height, radius, (summed){1, offset, caps, cap}, workspace);
}
