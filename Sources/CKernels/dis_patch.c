/*
 * DIS's patch evaluation for 8×8 patches whose displaced window lies inside the frame
 * (OpticalFlow/DIS.swift's patchSums, which handles the rest): the bilinear sample of I1 under
 * the window, its products with the template's gradients, and the mean-normalised SSD against
 * the template. One row of the patch per 8-lane vector; one body, inlined into a function per
 * target. Contraction off and the lanes summed in order, as the Swift it replaces did: the same
 * numbers.
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

__attribute__((target("avx2,fma")))
static void patch8_avx2(const stylize_dis_patch *p, float out[4]) { patch8(p, out); }

void stylize_dis_patch8(stylize_vector_kernel kernel, const stylize_dis_patch *patch, float out[4]) {
    if (kernel >= STYLIZE_VECTOR_AVX2) {
        patch8_avx2(patch, out);
    } else {
        patch8(patch, out);
    }
}
