/*
 * The temporal blend's passes over one plane (Pipeline/Temporal/TemporalBlender.swift says what
 * they do and why): the history mixed in by confidence, then each band's energy brought to its
 * target (with no bands, the whole plane's local variance). One body, inlined into a function per
 * target, chosen from the CPU's report; the operations are those of the Swift passes they replaced, in
 * their order (no fused multiply-add; min and max as Swift's, which pick +0 over −0), so the
 * pictures are the same bit for bit on every target.
 */
#include "box_blur_rows.h"

#pragma clang fp contract(off)

/* The passes below are written once for vec16 and once for the scalar tail. */
#define FOR_EACH(n, VECTOR, SCALAR)            \
    do {                                       \
        size_t i_ = 0;                         \
        for (; i_ + 16 <= (n); i_ += 16) {     \
            const size_t i = i_;               \
            VECTOR;                            \
        }                                      \
        for (; i_ < (n); i_++) {               \
            const size_t i = i_;               \
            SCALAR;                            \
        }                                      \
    } while (0)

#define L(p) vec16_load((p) + i)
#define S(p, v) vec16_store((p) + i, (v))

/* variance ← max(squares − (mean − 128)², 0): a window's variance from its mean square about 128
   (n values: a row, or a whole plane). */
static inline __attribute__((always_inline)) void variance_row(const float *mean, float *variance, size_t n) {
    const float k = 128;
    const vec16 zero = 0;
    FOR_EACH(n, { vec16 d = L(mean) - k; vec16 v = L(variance) - d * d; S(variance, MAX_OF(v, zero)); },
                { float d = mean[i] - k; float v = variance[i] - d * d; variance[i] = MAX_OF(v, 0.0f); });
}

static inline __attribute__((always_inline)) void local_moments(stylize_vector_kernel kernel, const float *src,
                                                                float *mean, float *variance, int width, int height,
                                                                int r, float *workspace) {
    stylize_box_blur(kernel, src, mean, width, height, r, workspace);
    stylize_box_blur_squares(kernel, src, 128, NULL, 0, variance, width, height, r, workspace);
    variance_row(mean, variance, (size_t)width * height);
}

/* The gain that brings `actual` to `target`: sqrt((t + 1) / (a + 1)) within min_gain … max_gain,
   then 1 + (g − 1)·share. */
#define GAIN(T, target, actual, share, min_gain, max_gain)                    \
    ({                                                                        \
        T q_ = __builtin_elementwise_sqrt(((target) + 1) / ((actual) + 1));   \
        T m_ = MAX_OF(q_, min_gain);                                          \
        T full_ = MIN_OF(m_, max_gain);                                       \
        1 + (full_ - 1) * (share);                                            \
    })

/* `deviation` within ±`limit`: the gains bring back a texture's contrast, not a sparse outlier's
   (TemporalSettings.deviationLimit says why). */
#define LIMITED(T, deviation, limit)                 \
    ({                                               \
        T l_ = (limit);                              \
        T lo_ = MAX_OF((deviation), -l_);            \
        MIN_OF(lo_, l_);                             \
    })

/* stylized += (gain − 1) · (deviation limited to deviation_limit · sqrt(actual)), the gain from
   target and actual; share NULL: the gain in full. */
static inline __attribute__((always_inline)) void add_gained(float *st, const float *deviation, const float *target,
                                                             const float *actual, const float *share, float min_gain,
                                                             float max_gain, float limit, size_t n) {
    const vec16 one16 = 1, gmin16 = min_gain, gmax16 = max_gain, k16 = limit;
    FOR_EACH(n, {
        vec16 sh = share ? L(share) : one16;
        vec16 g = GAIN(vec16, L(target), L(actual), sh, gmin16, gmax16);
        vec16 d = LIMITED(vec16, L(deviation), k16 * __builtin_elementwise_sqrt(L(actual)));
        S(st, L(st) + (g - 1) * d);
    }, {
        float sh = share ? share[i] : 1;
        float g = GAIN(float, target[i], actual[i], sh, min_gain, max_gain);
        float d = LIMITED(float, deviation[i], limit * __builtin_sqrtf(actual[i]));
        st[i] = st[i] + (g - 1) * d;
    });
}

/*
 * The blend of a plane, row by row. Its passes (as the comments below name them) chain a dozen
 * box blurs; whole planes between them would be about twenty planes of traffic a channel, and
 * with the network's tensors beside it the plane-sized blend ran half as slow again as alone.
 * So each pass runs on row y at a fixed lag behind the input row t (y = t − lag): a blur's rows
 * come out r + 1 rows after they go in, and what a later pass reads again waits in a ring of as
 * many rows as lie between the two lags. The arithmetic, and its order, is that of the passes
 * over whole planes (the reference test holds it to them bit for bit).
 */

/* Rows of a ring: row y lives in slot y mod rows. */
typedef struct {
    float *data;
    int rows, width;
} ring;

static inline __attribute__((always_inline)) float *ring_row(ring q, int y) {
    return q.data + (size_t)(y % q.rows) * q.width;
}

/* Lays out the blend's blurs and rings in memory (NULL: only counts); returns the floats used. */
typedef struct {
    row_blur split[STYLIZE_BLEND_MAX_BANDS], energy[STYLIZE_BLEND_MAX_BANDS], mean[3], squares[3];
    row_blur floor[STYLIZE_BLEND_MAX_BANDS], mixed_split[STYLIZE_BLEND_MAX_BANDS], actual[STYLIZE_BLEND_MAX_BANDS];
    row_blur final_split[STYLIZE_BLEND_MAX_BANDS], history[STYLIZE_BLEND_MAX_BANDS], history_capped[STYLIZE_BLEND_MAX_BANDS];
    ring split_out[STYLIZE_BLEND_MAX_BANDS], bands[STYLIZE_BLEND_MAX_BANDS], targets[STYLIZE_BLEND_MAX_BANDS];
    ring mixed_split_out[STYLIZE_BLEND_MAX_BANDS], mixed_bands[STYLIZE_BLEND_MAX_BANDS];
    ring final_targets[STYLIZE_BLEND_MAX_BANDS], variance_target, final_split_out[STYLIZE_BLEND_MAX_BANDS];
    ring final_bands[STYLIZE_BLEND_MAX_BANDS], history_out[STYLIZE_BLEND_MAX_BANDS];
    float *row[5]; /* single rows of scratch */
    /* Lags (rows behind the input row) of the passes. */
    int split_lag, moments_lag, floor_lag, mixed_lag, gains_lag, final_lag, history_lag, capped_lag, last_lag;
} blend_rows;

static size_t blend_rows_layout(blend_rows *m, float *memory, int width, int height, int radius, int K,
                                const int *radii) {
    size_t used = 0;
#define TAKE(count) (used += (count), memory ? memory + used - (count) : NULL)
#define BLUR(b, r, what)                                                                \
    do {                                                                                \
        float *at_ = TAKE(row_blur_floats(width, (r)));                                 \
        if (memory) row_blur_init(&(b), width, height, (r), (what), at_);               \
    } while (0)
#define RING(q, count)                                                                  \
    do {                                                                                \
        (q).rows = (count);                                                             \
        (q).width = width;                                                              \
        (q).data = TAKE((size_t)(count) * width);                                       \
    } while (0)
    const int R = radius, rK = K > 0 ? radii[K - 1] : 0;
    m->split_lag = K > 0 ? rK + 1 : 0;
    m->moments_lag = m->split_lag + R + 1;
    m->floor_lag = m->moments_lag + R + 1;
    m->mixed_lag = m->moments_lag + (K > 0 ? rK + 1 : 0);
    m->gains_lag = m->mixed_lag + R + 1;
    m->final_lag = m->gains_lag + rK + 1;
    m->history_lag = m->final_lag + R + 1;
    m->capped_lag = m->history_lag + R + 1;
    const summed plain = {0, 0, NULL, 0}, squares = {1, 0, NULL, 0}, centred = {1, 128, NULL, 0};
    for (int k = 0; k < K; k++) {
        BLUR(m->split[k], radii[k], plain);
        RING(m->split_out[k], m->split_lag - (radii[k] + 1) + 1);
        BLUR(m->energy[k], R, squares);
        RING(m->bands[k], m->moments_lag - m->split_lag + 1);
        RING(m->targets[k], m->floor_lag - m->moments_lag + 1);
        BLUR(m->floor[k], R, squares);   /* caps and cap given per row */
        RING(m->final_targets[k], m->gains_lag - m->floor_lag + 1);
        BLUR(m->mixed_split[k], radii[k], plain);
        RING(m->mixed_split_out[k], m->mixed_lag - (m->moments_lag + radii[k] + 1) + 1);
        RING(m->mixed_bands[k], m->gains_lag - m->mixed_lag + 1);
        BLUR(m->actual[k], R, squares);
        BLUR(m->final_split[k], radii[k], plain);
        RING(m->final_split_out[k], m->final_lag - (m->gains_lag + radii[k] + 1) + 1);
        RING(m->final_bands[k], m->capped_lag - m->final_lag + 1);
        BLUR(m->history[k], R, squares);
        RING(m->history_out[k], 1);
        BLUR(m->history_capped[k], R, squares);
    }
    if (K == 0) {
        /* Without bands, one gain: the plane's local variance (the stylized plane's, the carried
           one's, the plain blend's) brought to its target. */
        for (int j = 0; j < 3; j++) {
            BLUR(m->mean[j], R, plain);
            BLUR(m->squares[j], R, centred);
        }
        RING(m->variance_target, m->gains_lag - m->moments_lag + 1);
    }
    for (int j = 0; j < 5; j++) m->row[j] = TAKE((size_t)width);
    m->last_lag = K == 0 ? m->gains_lag : m->capped_lag;
#undef RING
#undef BLUR
#undef TAKE
    return used;
}

/* The bands of row x (band k = blur r_{k−1} − blur r_k, blur r_{−1} = x) from its blurred rows. */
static inline __attribute__((always_inline)) void split_row(const float *x, float *const *blurred, float *const *bands,
                                                             int K, int n) {
    const float *finer = x;
    for (int k = 0; k < K; k++) {
        const float *b = blurred[k];
        float *band = bands[k];
        FOR_EACH(n, S(band, L(finer) - L(b)), band[i] = finer[i] - b[i]);
        finer = b;
    }
}

/* One step t of the split of rows pushed into `blurs` at `lag`: each blur gives its row
   t − lag − r_k − 1 (into `blurred_rows`); once all have row y = t − lag − r_{K−1} − 1, the bands of
   row y of `plane` go into `band_rows` (bands: where they are). Returns y, or −1. */
static inline __attribute__((always_inline)) int split_step(row_blur *blurs, const ring *blurred_rows,
                                                             const ring *band_rows, int K, const int *radii, int lag,
                                                             int t, const float *plane, int w, int h,
                                                             float **bands) {
    for (int k = 0; k < K; k++) {
        const int y = t - (lag + radii[k] + 1);
        if (y >= 0 && y < h) row_blur_emit(&blurs[k], ring_row(blurred_rows[k], y));
    }
    const int y = K > 0 ? t - (lag + radii[K - 1] + 1) : -1;
    if (y < 0 || y >= h) return -1;
    float *blurred[STYLIZE_BLEND_MAX_BANDS];
    for (int k = 0; k < K; k++) {
        blurred[k] = ring_row(blurred_rows[k], y);
        bands[k] = ring_row(band_rows[k], y);
    }
    split_row(plane + (size_t)y * w, blurred, bands, K, w);
    return y;
}

static inline __attribute__((always_inline)) void contrast_blend(const stylize_contrast_blend *p) {
    const int w = p->width, h = p->height, K = p->band_count;
    const float s = p->stability, fl = p->detail_floor, cap = p->deviation_limit * p->deviation_limit;
    float *const ST = p->stylized, *const CA = p->carried;
    const vec16 zero16 = 0, top16 = 255;
    blend_rows m;
    blend_rows_layout(&m, p->memory, w, h, p->radius, K, p->band_radii);
    row_blur *const mean_own = &m.mean[0], *const squares_own = &m.squares[0];
    row_blur *const mean_carried = &m.mean[1], *const squares_carried = &m.squares[1];
    row_blur *const mean_mixed = &m.mean[2], *const squares_mixed = &m.squares[2];
    float *const variance_carried = m.row[0], *const plane_mean = m.row[1], *const actual = m.row[2];
    float *const floor = m.row[3], *const deviation = m.row[4];
    float *bands[STYLIZE_BLEND_MAX_BANDS];

    for (int t = 0; t < h + m.last_lag; t++) {
        int y = t;
        if (y < h) {
            /* The history's brightness change; the rows into the first blurs. */
            float *ca = CA + (size_t)y * w, *st = ST + (size_t)y * w;
            const float *br = p->brightness + (size_t)y * w;
            FOR_EACH(w, S(ca, L(ca) + L(br)), ca[i] += br[i]);
            for (int k = 0; k < K; k++) row_blur_push(&m.split[k], st, NULL);
            if (K == 0) {
                row_blur_push(mean_own, st, NULL);
                row_blur_push(squares_own, st, NULL);
                row_blur_push(mean_carried, ca, NULL);
                row_blur_push(squares_carried, ca, NULL);
            }
        }
        /* The stylized row's bands. */
        y = split_step(m.split, m.split_out, m.bands, K, p->band_radii, 0, t, ST, w, h, bands);
        if (y >= 0)
            for (int k = 0; k < K; k++) row_blur_push(&m.energy[k], bands[k], NULL);
        y = t - m.moments_lag;
        if (y >= 0 && y < h) {
            /* The targets: each band's energy (below), or without bands the plane's variance, the
               stylized row's and the history's mixed by the history's weight; the plain blend. */
            float *st = ST + (size_t)y * w;
            const float *ca = CA + (size_t)y * w, *conf = p->confidence + (size_t)y * w;
            if (K == 0) {
                float *ct = ring_row(m.variance_target, y);
                row_blur_emit(mean_own, plane_mean);
                row_blur_emit(squares_own, ct);
                variance_row(plane_mean, ct, w);
                row_blur_emit(mean_carried, plane_mean);
                row_blur_emit(squares_carried, variance_carried);
                variance_row(plane_mean, variance_carried, w);
                FOR_EACH(w, {
                    vec16 a = s * L(conf);
                    vec16 c = L(ct);
                    S(ct, c + a * (L(variance_carried) - c));
                }, {
                    float a = s * conf[i];
                    ct[i] += a * (variance_carried[i] - ct[i]);
                });
            }
            FOR_EACH(w, {
                vec16 x = L(st);
                S(st, x + s * L(conf) * (L(ca) - x));
            }, {
                float a = s * conf[i];
                st[i] += a * (ca[i] - st[i]);
            });
            for (int k = 0; k < K; k++) {
                float *target = ring_row(m.targets[k], y);
                row_blur_emit(&m.energy[k], target);
                /* The floor: the stylized band's energy with each pixel's square capped at
                   deviation_limit² × the window's energy (TemporalSettings.detailFloor). */
                m.floor[k].what = (summed){1, 0, target, cap};
                row_blur_push(&m.floor[k], ring_row(m.bands[k], y), target);
                row_blur_push(&m.mixed_split[k], st, NULL);
            }
            if (K == 0) {
                row_blur_push(mean_mixed, st, NULL);
                row_blur_push(squares_mixed, st, NULL);
            }
        }
        /* The plain blend's bands. */
        y = split_step(m.mixed_split, m.mixed_split_out, m.mixed_bands, K, p->band_radii, m.moments_lag, t, ST, w, h,
                       bands);
        if (y >= 0)
            for (int k = 0; k < K; k++) row_blur_push(&m.actual[k], bands[k], NULL);
        y = t - m.floor_lag;
        if (K > 0 && y >= 0 && y < h) {
            const float *conf = p->confidence + (size_t)y * w;
            /* Each band's target: the stylized band's and the carried one's energies mixed as
               amplitudes (what the new frame no longer paints fades by the history's weight a frame),
               not below the floor. Energies are blurred squares: the running sums can leave them a
               hair below 0. */
            for (int k = 0; k < K; k++) {
                const float *target = ring_row(m.targets[k], y), *c = p->carried_bands + ((size_t)k * h + y) * w;
                float *final = ring_row(m.final_targets[k], y);
                row_blur_emit(&m.floor[k], floor);
                FOR_EACH(w, {
                    vec16 v = __builtin_elementwise_sqrt(MAX_OF(L(target), zero16));
                    vec16 amplitude = v + s * L(conf) * (__builtin_elementwise_sqrt(MAX_OF(L(c), zero16)) - v);
                    vec16 mx = amplitude * amplitude;
                    S(final, MAX_OF(mx, fl * L(floor)));
                }, {
                    float v = __builtin_sqrtf(MAX_OF(target[i], 0.0f));
                    float amplitude = v + s * conf[i] * (__builtin_sqrtf(MAX_OF(c[i], 0.0f)) - v);
                    float mx = amplitude * amplitude;
                    final[i] = MAX_OF(mx, fl * floor[i]);
                });
            }
        }
        y = t - m.gains_lag;
        if (y >= 0 && y < h) {
            /* The plain blend's bands (without bands, the plane), each brought to its target by its
               own gain. */
            float *st = ST + (size_t)y * w, *ca = CA + (size_t)y * w;
            const float *share = p->share ? p->share + (size_t)y * w : NULL;
            if (K == 0) {
                float *variance = actual;
                row_blur_emit(mean_mixed, plane_mean);
                row_blur_emit(squares_mixed, variance);
                variance_row(plane_mean, variance, w);
                FOR_EACH(w, S(deviation, L(st) - L(plane_mean)), deviation[i] = st[i] - plane_mean[i]);
                add_gained(st, deviation, ring_row(m.variance_target, y), variance, share, p->min_gain, p->max_gain,
                           p->deviation_limit, (size_t)w);
            }
            for (int k = 0; k < K; k++) {
                row_blur_emit(&m.actual[k], actual);
                add_gained(st, ring_row(m.mixed_bands[k], y), ring_row(m.final_targets[k], y), actual, share,
                           p->min_gain, p->max_gain, p->deviation_limit, (size_t)w);
            }
            /* The result, clamped, into both: carried is the next frame's history. */
            FOR_EACH(w, { vec16 lo = MAX_OF(L(st), zero16); vec16 v = MIN_OF(lo, top16); S(st, v); S(ca, v); },
                        { float lo = MAX_OF(st[i], 0.0f); float v = MIN_OF(lo, 255.0f); st[i] = v; ca[i] = v; });
            for (int k = 0; k < K; k++) row_blur_push(&m.final_split[k], st, NULL);
        }
        /* The result's band energies, kept for the next frame. */
        y = split_step(m.final_split, m.final_split_out, m.final_bands, K, p->band_radii, m.gains_lag, t, ST, w, h,
                       bands);
        if (y >= 0)
            for (int k = 0; k < K; k++) row_blur_push(&m.history[k], bands[k], NULL);
        y = t - m.history_lag;
        if (K > 0 && y >= 0 && y < h) {
            for (int k = 0; k < K; k++) {
                float *energy = p->history_bands + ((size_t)k * h + y) * w;
                if (p->history_speck_cap > 0) {
                    /* Each pixel's square capped at history_speck_cap × its window's energy: a
                       speck's energy left out. */
                    float *uncapped = ring_row(m.history_out[k], y);
                    row_blur_emit(&m.history[k], uncapped);
                    m.history_capped[k].what = (summed){1, 0, uncapped, p->history_speck_cap};
                    row_blur_push(&m.history_capped[k], ring_row(m.final_bands[k], y), uncapped);
                } else {
                    row_blur_emit(&m.history[k], energy);
                }
            }
        }
        y = t - m.capped_lag;
        if (K > 0 && p->history_speck_cap > 0 && y >= 0 && y < h) {
            for (int k = 0; k < K; k++) row_blur_emit(&m.history_capped[k], p->history_bands + ((size_t)k * h + y) * w);
        }
    }
}

size_t stylize_contrast_blend_memory(int width, int radius, int band_count, const int *band_radii) {
    blend_rows m;
    return blend_rows_layout(&m, NULL, width, 1, radius, band_count, band_radii);
}

__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static void contrast_blend_avx512(const stylize_contrast_blend *p) { contrast_blend(p); }

__attribute__((target("avx2,fma")))
static void contrast_blend_avx2(const stylize_contrast_blend *p) { contrast_blend(p); }

void stylize_contrast_blend_plane(stylize_vector_kernel kernel, const stylize_contrast_blend *plane) {
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: contrast_blend_avx512(plane); return;
    case STYLIZE_VECTOR_AVX2: contrast_blend_avx2(plane); return;
    default: contrast_blend(plane); return;
    }
}

/* A plane's band energies, with the blend's own last passes (the split of the result, its band
   energies) at lag 0: the same numbers the blend keeps for the next frame. */
static inline __attribute__((always_inline)) void band_energies(const stylize_band_energies *p) {
    const int w = p->width, h = p->height, K = p->band_count;
    if (K == 0) return;
    blend_rows m;
    blend_rows_layout(&m, p->memory, w, h, p->radius, K, p->band_radii);
    float *bands[STYLIZE_BLEND_MAX_BANDS];
    const int lag = p->band_radii[K - 1] + 1 + p->radius + 1;
    for (int t = 0; t < h + lag; t++) {
        if (t < h)
            for (int k = 0; k < K; k++) row_blur_push(&m.final_split[k], p->plane + (size_t)t * w, NULL);
        if (split_step(m.final_split, m.final_split_out, m.final_bands, K, p->band_radii, 0, t, p->plane, w, h,
                       bands) >= 0)
            for (int k = 0; k < K; k++) row_blur_push(&m.history[k], bands[k], NULL);
        const int y = t - lag;
        if (y >= 0)
            for (int k = 0; k < K; k++) row_blur_emit(&m.history[k], p->energies + ((size_t)k * h + y) * w);
    }
}

__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static void band_energies_avx512(const stylize_band_energies *p) { band_energies(p); }

__attribute__((target("avx2,fma")))
static void band_energies_avx2(const stylize_band_energies *p) { band_energies(p); }

void stylize_band_energies_plane(stylize_vector_kernel kernel, const stylize_band_energies *p) {
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: band_energies_avx512(p); return;
    case STYLIZE_VECTOR_AVX2: band_energies_avx2(p); return;
    default: band_energies(p); return;
    }
}

__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static void local_moments_avx512(const float *src, float *mean, float *variance, int width, int height, int radius,
                                 float *workspace) {
    local_moments(STYLIZE_VECTOR_AVX512, src, mean, variance, width, height, radius, workspace);
}

__attribute__((target("avx2,fma")))
static void local_moments_avx2(const float *src, float *mean, float *variance, int width, int height, int radius,
                               float *workspace) {
    local_moments(STYLIZE_VECTOR_AVX2, src, mean, variance, width, height, radius, workspace);
}

void stylize_local_moments(stylize_vector_kernel kernel, const float *src, float *mean, float *variance, int width,
                           int height, int radius, float *workspace) {
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: local_moments_avx512(src, mean, variance, width, height, radius, workspace); return;
    case STYLIZE_VECTOR_AVX2: local_moments_avx2(src, mean, variance, width, height, radius, workspace); return;
    default: local_moments(STYLIZE_VECTOR_BASELINE, src, mean, variance, width, height, radius, workspace); return;
    }
}
