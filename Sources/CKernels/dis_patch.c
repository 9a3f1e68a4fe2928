/*
 * DIS's patch evaluation for 8×8 patches whose displaced window lies inside the frame
 * (OpticalFlow/DIS.swift's patchSums, which handles the rest): the bilinear sample of I1 under
 * the window, its products with the template's gradients, and the mean-normalised SSD against
 * the template, or the trimmed distance that ignores particles (CKernels.h). One row of the
 * patch per 8-lane vector; one body, inlined into a function per target. Contraction off and the
 * lanes summed in order, as the Swift it replaced did: the same numbers for the plain distance
 * (DIS.swift's loop for the other patches sums the trimmed one in another order).
 */
#include "CKernels.h"

#include <string.h>

#pragma clang fp contract(off)

typedef float vec8 __attribute__((ext_vector_type(8)));

static inline __attribute__((always_inline)) vec8 load8(const float *p) {
    vec8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) float sum8(vec8 v) {
    float s = -0.0f;
    for (int i = 0; i < 8; i++) s += v[i];
    return s;
}

static inline __attribute__((always_inline)) void patch8(const stylize_dis_patch *p, float out[4]) {
    vec8 agx = 0, agy = 0, aw = 0, ad = 0, add = 0;
    for (int j = 0; j < 8; j++) {
        const float *a = p->i1 + (size_t)(p->iy + j) * p->width + p->ix, *b = a + p->width;
        size_t r0 = (size_t)(p->py + j) * p->width + p->px;
        vec8 sv = p->w00 * load8(a) + p->w01 * load8(a + 1) + p->w10 * load8(b) + p->w11 * load8(b + 1);
        vec8 d = sv - load8(p->i0 + r0);
        agx += load8(p->gx + r0) * sv;
        agy += load8(p->gy + r0) * sv;
        aw += sv;
        ad += d;
        add += d * d;
    }
    float sd = sum8(ad);
    out[0] = sum8(agx);
    out[1] = sum8(agy);
    out[2] = sum8(aw);
    out[3] = (sum8(add) - sd * sd * p->inv_n) * p->inv_n;
}

/* The distance that ignores a minority of the patch (see CKernels.h): the rows' differences d
   stay in registers for the passes over them. */
static inline __attribute__((always_inline)) void patch8_trimmed(const stylize_dis_patch *p, float out[5]) {
    vec8 d[8], sum = 0;
    for (int j = 0; j < 8; j++) {
        const float *a = p->i1 + (size_t)(p->iy + j) * p->width + p->ix, *b = a + p->width;
        size_t r0 = (size_t)(p->py + j) * p->width + p->px;
        vec8 sv = p->w00 * load8(a) + p->w01 * load8(a + 1) + p->w10 * load8(b) + p->w11 * load8(b + 1);
        d[j] = sv - load8(p->i0 + r0);
        sum += d[j];
    }
    float c = p->outlier, mean = sum8(sum) * p->inv_n;
    /* The mean of the differences near the plain mean, which a few outliers shift. */
    vec8 count = 0, near = 0;
    for (int j = 0; j < 8; j++) {
        vec8 e = __builtin_elementwise_abs(d[j] - mean);
        vec8 in = e <= 3 * c ? (vec8)1 : (vec8)0;
        count += in;
        near += in * d[j];
    }
    float n = sum8(count);
    if (n > 0) mean = sum8(near) / n;
    /* Noise wider than `outlier` widens the cut. */
    if (p->outlier_scale > 0) {
        vec8 size = 0;
        count = 0;
        for (int j = 0; j < 8; j++) {
            vec8 e = __builtin_elementwise_abs(d[j] - mean);
            vec8 in = e <= 3 * c ? (vec8)1 : (vec8)0;
            count += in;
            size += in * e;
        }
        n = sum8(count);
        if (n > 0) {
            float spread = p->outlier_scale * sum8(size) / n;
            if (spread > c) c = spread;
        }
    }
    float standout = 6 * c > p->particle_level ? 6 * c : p->particle_level;
    vec8 agx = 0, agy = 0, apsi = 0, acost = 0, aout = 0;
    for (int j = 0; j < 8; j++) {
        size_t r0 = (size_t)(p->py + j) * p->width + p->px;
        vec8 r = d[j] - mean, rr = r * r;
        vec8 psi = rr <= c * c ? r : (vec8)0;
        agx += load8(p->gx + r0) * psi;
        agy += load8(p->gy + r0) * psi;
        apsi += psi;
        acost += __builtin_elementwise_min(rr, (vec8)(c * c));
        aout += rr > standout * standout ? (vec8)1 : (vec8)0;
    }
    out[0] = sum8(agx);
    out[1] = sum8(agy);
    out[2] = sum8(apsi);
    out[3] = sum8(acost) * p->inv_n;
    out[4] = sum8(aout);
}

__attribute__((target("avx2,fma")))
static void patch8_avx2(const stylize_dis_patch *p, float out[5]) {
    if (p->outlier > 0) patch8_trimmed(p, out); else patch8(p, out);
}

void stylize_dis_patch8(stylize_vector_kernel kernel, const stylize_dis_patch *patch, float out[5]) {
    if (kernel >= STYLIZE_VECTOR_AVX2) {
        patch8_avx2(patch, out);
    } else if (patch->outlier > 0) {
        patch8_trimmed(patch, out);
    } else {
        patch8(patch, out);
    }
}
