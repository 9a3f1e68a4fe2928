/*
 * The temporal blend's passes over one plane (Pipeline/Temporal/TemporalBlender.swift says what
 * they do and why): the history mixed in by confidence, then the local contrast and the fine
 * band's energy brought back to their targets. One body, inlined into a function per target,
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
    FOR_EACH(n, { vec16 d = L(src) - k; S(variance, d * d); },
                { float d = src[i] - k; variance[i] = d * d; });
    stylize_box_blur(kernel, src, mean, width, height, r, workspace);
    stylize_box_blur(kernel, variance, variance, width, height, r, workspace);
    const vec16 zero = 0;
    FOR_EACH(n, { vec16 d = L(mean) - k; vec16 v = L(variance) - d * d; S(variance, MAX_OF(v, zero)); },
                { float d = mean[i] - k; float v = variance[i] - d * d; variance[i] = MAX_OF(v, 0.0f); });
}

static inline __attribute__((always_inline)) void fine_energy(stylize_vector_kernel kernel, const float *plane,
                                                              float *energy, float *band, int width, int height,
                                                              int fine_radius, int radius, float *workspace) {
    const size_t n = (size_t)width * height;
    stylize_box_blur(kernel, plane, band, width, height, fine_radius, workspace);
    FOR_EACH(n, { vec16 d = L(plane) - L(band); S(band, d); S(energy, d * d); },
                { float d = plane[i] - band[i]; band[i] = d; energy[i] = d * d; });
    stylize_box_blur(kernel, energy, energy, width, height, radius, workspace);
}

/* The gain that brings `actual` to `target`: sqrt((t + 1) / (a + 1)) within 1 … max_gain, then
   1 + (g − 1)·share. */
#define GAIN(T, target, actual, share, max_gain, one)                         \
    ({                                                                        \
        T q_ = __builtin_elementwise_sqrt(((target) + 1) / ((actual) + 1));   \
        T m_ = MAX_OF(q_, one);                                               \
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

static inline __attribute__((always_inline)) void contrast_blend(stylize_vector_kernel kernel,
                                                                 const stylize_contrast_blend *p) {
    const int w = p->width, h = p->height, r = p->radius, f = p->fine_radius;
    const size_t n = (size_t)w * h;
    const float s = p->stability;
    float *const st = p->stylized, *const ca = p->carried;
    const float *const conf = p->confidence, *const share = p->share;
    float *const ma = p->mean_a, *const va = p->variance_a, *const mb = p->mean_b, *const vb = p->variance_b;
    float *const ft = p->fine_target, *const fv = p->fine_variance, *const bd = p->band;
    const vec16 one16 = 1, zero16 = 0, top16 = 255, gmax16 = p->max_gain;
    const float gmax = p->max_gain, k = p->deviation_limit;
    const vec16 k16 = k;

    FOR_EACH(n, S(ca, L(ca) + L(p->brightness)), ca[i] += p->brightness[i]);
    local_moments(kernel, st, ma, va, w, h, r, p->workspace);
    local_moments(kernel, ca, mb, vb, w, h, r, p->workspace);
    if (f > 0) fine_energy(kernel, st, ft, bd, w, h, f, r, p->workspace);
    /* The target variances (into variance_a and fine_target) and the plain blend (into stylized). */
    FOR_EACH(n, {
        vec16 a = s * L(conf);
        vec16 v = L(va);
        S(va, v + a * (L(vb) - v));
        vec16 x = L(st);
        S(st, x + a * (L(ca) - x));
    }, {
        float a = s * conf[i];
        va[i] += a * (vb[i] - va[i]);
        st[i] += a * (ca[i] - st[i]);
    });
    if (f > 0) {
        const float *cf = p->carried_fine;
        FOR_EACH(n, { vec16 t = L(ft); S(ft, t + s * L(conf) * (L(cf) - t)); },
                    { ft[i] += s * conf[i] * (cf[i] - ft[i]); });
    }
    local_moments(kernel, st, mb, vb, w, h, r, p->workspace);
    FOR_EACH(n, {
        vec16 sh = share ? L(share) : one16;
        vec16 g = GAIN(vec16, L(va), L(vb), sh, gmax16, one16);
        vec16 x = L(st);
        vec16 d = LIMITED(vec16, x - L(mb), k16 * __builtin_elementwise_sqrt(L(vb)));
        vec16 v = x + (g - 1) * d;
        vec16 lo = MAX_OF(v, zero16);
        S(st, MIN_OF(lo, top16));
    }, {
        float sh = share ? share[i] : 1;
        float g = GAIN(float, va[i], vb[i], sh, gmax, 1.0f);
        float d = LIMITED(float, st[i] - mb[i], k * __builtin_sqrtf(vb[i]));
        float v = st[i] + (g - 1) * d;
        float lo = MAX_OF(v, 0.0f);
        st[i] = MIN_OF(lo, 255.0f);
    });
    if (f > 0) {
        /* The fine band's own gain, on the result of the first. */
        fine_energy(kernel, st, fv, bd, w, h, f, r, p->workspace);
        FOR_EACH(n, {
            vec16 sh = share ? L(share) : one16;
            vec16 g = GAIN(vec16, L(ft), L(fv), sh, gmax16, one16);
            vec16 d = LIMITED(vec16, L(bd), k16 * __builtin_elementwise_sqrt(L(fv)));
            vec16 v = L(st) + (g - 1) * d;
            vec16 lo = MAX_OF(v, zero16);
            S(st, MIN_OF(lo, top16));
        }, {
            float sh = share ? share[i] : 1;
            float g = GAIN(float, ft[i], fv[i], sh, gmax, 1.0f);
            float d = LIMITED(float, bd[i], k * __builtin_sqrtf(fv[i]));
            float v = st[i] + (g - 1) * d;
            float lo = MAX_OF(v, 0.0f);
            st[i] = MIN_OF(lo, 255.0f);
        });
        fine_energy(kernel, st, p->history_fine, bd, w, h, f, r, p->workspace);
    }
    memcpy(ca, st, n * sizeof(float));
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
static void fine_energy_avx512(const float *plane, float *energy, float *band, int width, int height, int fine_radius,
                               int radius, float *workspace) {
    fine_energy(STYLIZE_VECTOR_AVX512, plane, energy, band, width, height, fine_radius, radius, workspace);
}

__attribute__((target("avx2,fma")))
static void fine_energy_avx2(const float *plane, float *energy, float *band, int width, int height, int fine_radius,
                             int radius, float *workspace) {
    fine_energy(STYLIZE_VECTOR_AVX2, plane, energy, band, width, height, fine_radius, radius, workspace);
}

void stylize_fine_energy(stylize_vector_kernel kernel, const float *plane, float *energy, float *band, int width,
                         int height, int fine_radius, int radius, float *workspace) {
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: fine_energy_avx512(plane, energy, band, width, height, fine_radius, radius, workspace); return;
    case STYLIZE_VECTOR_AVX2: fine_energy_avx2(plane, energy, band, width, height, fine_radius, radius, workspace); return;
    default: fine_energy(STYLIZE_VECTOR_BASELINE, plane, energy, band, width, height, fine_radius, radius, workspace); return;
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
