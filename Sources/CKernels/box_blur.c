/*
 * Separable box blur with clamped borders, in one pass over memory: each row's horizontal sum
 * goes into a ring of the 2r + 2 rows the vertical window spans (it stays in cache), and the
 * vertical running sums read it from there; nothing plane-sized in between. The horizontal sum
 * of a small window adds its shifted rows directly; a wide one is a difference of prefix sums,
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

/* The same sums for a small window (r ≤ DIRECT_RADIUS, all the temporal blend's radii): 2r + 1
   shifted loads per 16 outputs, four output vectors at a time so that their adds overlap, where
   the scan's carry serialises the row. `padded` as above. */
#define DIRECT_RADIUS 8
static inline __attribute__((always_inline)) void row_sums_direct(const float *row, float *out, int width, int r,
                                                                  float *padded) {
    const float first = row[0], last = row[width - 1];
    for (int i = 0; i < r; i++) padded[i] = first;
    memcpy(padded + r, row, (size_t)width * sizeof(float));
    for (int i = 0; i < r; i++) padded[r + width + i] = last;
    const int taps = 2 * r + 1;
    int x = 0;
    for (; x + 64 <= width; x += 64) {
        const float *p = padded + x;
        vec16 s0 = vec16_load(p), s1 = vec16_load(p + 16), s2 = vec16_load(p + 32), s3 = vec16_load(p + 48);
        for (int k = 1; k < taps; k++) {
            s0 += vec16_load(p + k);
            s1 += vec16_load(p + 16 + k);
            s2 += vec16_load(p + 32 + k);
            s3 += vec16_load(p + 48 + k);
        }
        vec16_store(out + x, s0);
        vec16_store(out + x + 16, s1);
        vec16_store(out + x + 32, s2);
        vec16_store(out + x + 48, s3);
    }
    for (; x + 16 <= width; x += 16) {
        vec16 s = vec16_load(padded + x);
        for (int k = 1; k < taps; k++) s += vec16_load(padded + x + k);
        vec16_store(out + x, s);
    }
    for (; x < width; x++) {
        float s = padded[x];
        for (int k = 1; k < taps; k++) s += padded[x + k];
        out[x] = s;
    }
}

static inline __attribute__((always_inline)) void box_blur(const float *src, float *dst, int width, int height,
                                                           int r, float *workspace) {
    const float norm = 1.0f / ((float)(2 * r + 1) * (float)(2 * r + 1));
    const int ringRows = 2 * r + 2;
    float *ring = workspace;
    float *acc = ring + (size_t)ringRows * width;
    float *padded = acc + width;
    float *prefix = padded + width + 2 * r + 32;
    /* Ring slot of row k (0 … height − 1): rows k − r − 1 … k + r are alive at once. */
#define RING(k) (ring + (size_t)((k) % ringRows) * width)
#define ROW_SUMS(row, out)                                                              \
    (r <= DIRECT_RADIUS ? row_sums_direct((row), (out), width, r, padded)               \
                        : row_sums((row), (out), width, r, padded, prefix))
    ROW_SUMS(src, RING(0));
    for (int x = 0; x < width; x++) acc[x] = (float)(r + 1) * RING(0)[x];
    for (int k = 1; k <= r; k++) {
        const int row = k < height ? k : height - 1;
        if (k < height) ROW_SUMS(src + (size_t)row * width, RING(row));
        const float *h = RING(row);
        for (int x = 0; x < width; x++) acc[x] += h[x];
    }
    for (int y = 0; y < height; y++) {
        const int entering = y + r + 1 < height ? y + r + 1 : height - 1;
        const int leaving = y - r > 0 ? y - r : 0;
        /* Read the entering row before this output row is written (dst may be src). */
        if (y + r + 1 < height) ROW_SUMS(src + (size_t)entering * width, RING(entering));
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
#undef RING
}

size_t stylize_box_blur_workspace(int width, int radius) {
    return (size_t)(2 * radius + 2) * (size_t)width + (size_t)width + 2 * (size_t)(width + 2 * radius + 32);
}

__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static void box_blur_avx512(const float *src, float *dst, int width, int height, int r, float *workspace) {
    box_blur(src, dst, width, height, r, workspace);
}

__attribute__((target("avx2,fma")))
static void box_blur_avx2(const float *src, float *dst, int width, int height, int r, float *workspace) {
    box_blur(src, dst, width, height, r, workspace);
}

void stylize_box_blur(stylize_vector_kernel kernel, const float *src, float *dst, int width, int height, int radius,
                      float *workspace) {
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: box_blur_avx512(src, dst, width, height, radius, workspace); return;
    case STYLIZE_VECTOR_AVX2: box_blur_avx2(src, dst, width, height, radius, workspace); return;
    default: box_blur(src, dst, width, height, radius, workspace); return;
    }
}
