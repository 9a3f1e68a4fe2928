/*
 * The temporal blend's passes over one plane (Pipeline/Temporal/TemporalBlender.swift says what
 * they do and why): the history mixed in by confidence, then each band's energy and the coarse
 * rest's local variance brought to their targets. One body, inlined into a function per target,
 * chosen from the CPU's report; the operations are those of the Swift passes they replaced, in
 * their order (no fused multiply-add; min and max as Swift's, which pick +0 over −0), so the
 * pictures are the same bit for bit on every target.
 */
#include "CKernels.h"
#include "vector16.h"

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

static inline __attribute__((always_inline)) void local_moments(stylize_vector_kernel kernel, const float *src,
                                                                float *mean, float *variance, int width, int height,
                                                                int r, float *workspace) {
    const size_t n = (size_t)width * height;
    const float k = 128;
    stylize_box_blur(kernel, src, mean, width, height, r, workspace);
    stylize_box_blur_squares(kernel, src, k, NULL, 0, variance, width, height, r, workspace);
    const vec16 zero = 0;
    FOR_EACH(n, { vec16 d = L(mean) - k; vec16 v = L(variance) - d * d; S(variance, MAX_OF(v, zero)); },
                { float d = mean[i] - k; float v = variance[i] - d * d; variance[i] = MAX_OF(v, 0.0f); });
}

/* The bands of x: band k = box(x, r_{k−1}) − box(x, r_k), with box(x, r_{−1}) = x, into bands[k];
   the rest, box(x, r_{K−1}) (x itself when there are no bands), into coarse. tmp: one plane of scratch. */
static inline __attribute__((always_inline)) void split_bands(stylize_vector_kernel kernel, const float *x, float *const *bands,
                                                              float *coarse, float *tmp, int count, const int *radii,
                                                              int width, int height, float *workspace) {
    const size_t n = (size_t)width * height;
    if (count == 0) memcpy(coarse, x, n * sizeof(float));
    const float *finer = x;
    for (int k = 0; k < count; k++) {
        float *band = bands[k];
        stylize_box_blur(kernel, x, tmp, width, height, radii[k], workspace);
        FOR_EACH(n, { vec16 b = L(tmp); S(band, L(finer) - b); S(coarse, b); },
                    { float b = tmp[i]; band[i] = finer[i] - b; coarse[i] = b; });
        finer = coarse;
    }
}

/* energy ← the mean of band² over each pixel's window of radius. */
static inline __attribute__((always_inline)) void band_energy(stylize_vector_kernel kernel, const float *band, float *energy,
                                                              int width, int height, int radius, float *workspace) {
    stylize_box_blur_squares(kernel, band, 0, NULL, 0, energy, width, height, radius, workspace);
}

/* dst ← the mean over each pixel's window of band² capped at cap × energy (that window's energy
   uncapped): the band's energy with a speck standing far out of its surroundings counted as no
   more than a stroke. dst may be energy. */
static inline __attribute__((always_inline)) void capped_energy(stylize_vector_kernel kernel, const float *band,
                                                                const float *energy, float cap, float *dst,
                                                                int width, int height, int radius, float *workspace) {
    stylize_box_blur_squares(kernel, band, 0, energy, cap, dst, width, height, radius, workspace);
}

/* The energies of x's bands; with speck_cap > 0, their specks capped (capped_energy). */
static inline __attribute__((always_inline)) void band_energies(stylize_vector_kernel kernel, const float *x, float *energies,
                                                                int count, const int *radii, int width, int height,
                                                                int radius, float speck_cap, float *scratch,
                                                                float *workspace) {
    const size_t n = (size_t)width * height;
    float *bands[STYLIZE_BLEND_MAX_BANDS];
    for (int k = 0; k < count; k++) bands[k] = scratch + (size_t)k * n;
    float *coarse = scratch + (size_t)count * n, *tmp = coarse + n;
    split_bands(kernel, x, bands, coarse, tmp, count, radii, width, height, workspace);
    for (int k = 0; k < count; k++) {
        float *e = energies + (size_t)k * n;
        const float *band = bands[k];
        band_energy(kernel, band, e, width, height, radius, workspace);
        if (speck_cap > 0) capped_energy(kernel, band, e, speck_cap, e, width, height, radius, workspace);
    }
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

static inline __attribute__((always_inline)) void contrast_blend(stylize_vector_kernel kernel,
                                                                 const stylize_contrast_blend *p) {
    const int w = p->width, h = p->height, r = p->radius, K = p->band_count;
    const size_t n = (size_t)w * h;
    const float s = p->stability;
    float *const st = p->stylized, *const ca = p->carried;
    const float *const conf = p->confidence, *const share = p->share;
    float *bands[STYLIZE_BLEND_MAX_BANDS], *targets[STYLIZE_BLEND_MAX_BANDS];
    for (int k = 0; k < K; k++) {
        bands[k] = p->scratch + (size_t)k * n;
        targets[k] = p->scratch + (size_t)(K + k) * n;
    }
    float *const coarse = p->scratch + (size_t)2 * K * n, *const tmp = coarse + n, *const mean = tmp + n,
                 *const coarse_target = mean + n, *const variance = coarse_target + n, *const energy = variance + n;
    const vec16 zero16 = 0, top16 = 255;

    FOR_EACH(n, S(ca, L(ca) + L(p->brightness)), ca[i] += p->brightness[i]);
    /* The targets: each band's energy and the rest's variance, the stylized frame's and the
       history's mixed by the history's weight (the history's band energies as it was painted). */
    split_bands(kernel, st, bands, coarse, tmp, K, p->band_radii, w, h, p->workspace);
    for (int k = 0; k < K; k++) band_energy(kernel, bands[k], targets[k], w, h, r, p->workspace);
    local_moments(kernel, coarse, mean, coarse_target, w, h, r, p->workspace);
    if (K > 0) {
        stylize_box_blur(kernel, ca, tmp, w, h, p->band_radii[K - 1], p->workspace);
        local_moments(kernel, tmp, mean, variance, w, h, r, p->workspace);
    } else {
        local_moments(kernel, ca, mean, variance, w, h, r, p->workspace);
    }
    FOR_EACH(n, {
        vec16 a = s * L(conf);
        vec16 t = L(coarse_target);
        S(coarse_target, t + a * (L(variance) - t));
        vec16 x = L(st);
        S(st, x + a * (L(ca) - x));
    }, {
        float a = s * conf[i];
        coarse_target[i] += a * (variance[i] - coarse_target[i]);
        st[i] += a * (ca[i] - st[i]);
    });
    /* The floor: the stylized band's energy with each pixel's square capped at deviation_limit²
       × the window's energy, so that a sparse speck the network paints somewhere new does not
       raise it (TemporalSettings.detailFloor). */
    const float fl = p->detail_floor, cap = p->deviation_limit * p->deviation_limit;
    for (int k = 0; k < K; k++) {
        float *t = targets[k];
        const float *c = p->carried_bands + (size_t)k * n, *band = bands[k];
        capped_energy(kernel, band, t, cap, energy, w, h, r, p->workspace);
        FOR_EACH(n, { vec16 v = L(t); vec16 m = v + s * L(conf) * (L(c) - v); S(t, MAX_OF(m, fl * L(energy))); },
                    { float v = t[i]; float m = v + s * conf[i] * (c[i] - v); t[i] = MAX_OF(m, fl * energy[i]); });
    }
    /* The plain blend's bands, each brought to its target by its own gain. */
    split_bands(kernel, st, bands, coarse, tmp, K, p->band_radii, w, h, p->workspace);
    local_moments(kernel, coarse, mean, variance, w, h, r, p->workspace);
    FOR_EACH(n, S(tmp, L(coarse) - L(mean)), tmp[i] = coarse[i] - mean[i]);
    add_gained(st, tmp, coarse_target, variance, share, p->min_gain, p->max_gain, p->deviation_limit, n);
    for (int k = 0; k < K; k++) {
        band_energy(kernel, bands[k], energy, w, h, r, p->workspace);
        add_gained(st, bands[k], targets[k], energy, share, p->min_gain, p->max_gain, p->deviation_limit, n);
    }
    /* The result, clamped, into both: carried is the next frame's history. */
    FOR_EACH(n, { vec16 lo = MAX_OF(L(st), zero16); vec16 v = MIN_OF(lo, top16); S(st, v); S(ca, v); },
                { float lo = MAX_OF(st[i], 0.0f); float v = MIN_OF(lo, 255.0f); st[i] = v; ca[i] = v; });
    if (K > 0) band_energies(kernel, st, p->history_bands, K, p->band_radii, w, h, r, p->history_speck_cap, p->scratch,
                             p->workspace);
}

__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static void contrast_blend_avx512(const stylize_contrast_blend *p) { contrast_blend(STYLIZE_VECTOR_AVX512, p); }

__attribute__((target("avx2,fma")))
static void contrast_blend_avx2(const stylize_contrast_blend *p) { contrast_blend(STYLIZE_VECTOR_AVX2, p); }

void stylize_contrast_blend_plane(stylize_vector_kernel kernel, const stylize_contrast_blend *plane) {
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: contrast_blend_avx512(plane); return;
    case STYLIZE_VECTOR_AVX2: contrast_blend_avx2(plane); return;
    default: contrast_blend(STYLIZE_VECTOR_BASELINE, plane); return;
    }
}

__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static void band_energies_avx512(const stylize_band_energies *p) {
    band_energies(STYLIZE_VECTOR_AVX512, p->plane, p->energies, p->band_count, p->band_radii, p->width, p->height,
                  p->radius, 0, p->scratch, p->workspace);
}

__attribute__((target("avx2,fma")))
static void band_energies_avx2(const stylize_band_energies *p) {
    band_energies(STYLIZE_VECTOR_AVX2, p->plane, p->energies, p->band_count, p->band_radii, p->width, p->height,
                  p->radius, 0, p->scratch, p->workspace);
}

void stylize_band_energies_plane(stylize_vector_kernel kernel, const stylize_band_energies *p) {
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: band_energies_avx512(p); return;
    case STYLIZE_VECTOR_AVX2: band_energies_avx2(p); return;
    default:
        band_energies(STYLIZE_VECTOR_BASELINE, p->plane, p->energies, p->band_count, p->band_radii, p->width, p->height,
                      p->radius, 0, p->scratch, p->workspace);
        return;
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
