/*
 * DIS's variational refinement, the iterations (OpticalFlow/DISVariational.swift sets up the
 * planes and describes the energy): lagged robust weights, the smoothness weights on the edges,
 * the 2×2 systems, then red-black SOR. Every plane is padded by one pixel on each side (stride
 * width + 2), where the smoothness weights of edges leaving the frame are 0, so no sweep clamps.
 * One body, inlined into a function per target, chosen by the caller; no fused multiply-add, so
 * every target computes the same numbers.
 */
#include "CKernels.h"
#include "vector16.h"

#pragma clang fp contract(off)

#define ALWAYS_INLINE inline __attribute__((always_inline))

typedef float vec8 __attribute__((ext_vector_type(8)));

static const float epsilon_squared = 1e-6f;

/* The robust weights of pixels p … p + n − 1 of one row (n ≤ 16: lanes past n are not stored). */
static ALWAYS_INLINE void weights(const stylize_variational *s, size_t p, int n, vec16 last_column, int last_row) {
    size_t W = (size_t)s->width + 2, plane = W * ((size_t)s->height + 2);
    float lanes[16];
#define LOAD(q) (n == 16 ? vec16_load(q) : (memcpy(lanes, q, sizeof(float) * (size_t)n), vec16_load(lanes)))
    vec16 u = LOAD(s->u + p), v = LOAD(s->v + p);
    vec16 du = u - LOAD(s->u0 + p), dv = v - LOAD(s->v0 + p);
    vec16 gx = LOAD(s->ix + p), gy = LOAD(s->iy + p), t = LOAD(s->it + p), nz = LOAD(s->norm + p);
    vec16 r = t + gx * du + gy * dv;
    vec16 d = nz / (2 * __builtin_elementwise_sqrt(r * r * nz * (1 / s->delta) + epsilon_squared));
    vec16 a11 = d * gx * gx, a12 = d * gx * gy, a22 = d * gy * gy, b1 = d * gx * t, b2 = d * gy * t;
    if (s->constancy) {
        /* Gradient constancy: the same linearised residual for I_x and I_y (planes xx, xy, yy, xt, yt, n1, n2). */
        const float *g = s->constancy + p;
        vec16 xx = LOAD(g), xy = LOAD(g + plane), yy = LOAD(g + 2 * plane), xt = LOAD(g + 3 * plane);
        vec16 yt = LOAD(g + 4 * plane), n1 = LOAD(g + 5 * plane), n2 = LOAD(g + 6 * plane);
        vec16 r1 = xt + xx * du + xy * dv, r2 = yt + xy * du + yy * dv;
        vec16 e = s->gamma / (2 * __builtin_elementwise_sqrt(r1 * r1 * n1 + r2 * r2 * n2 + epsilon_squared));
        vec16 e1 = e * n1, e2 = e * n2, zero = 0;
        a11 += nz > 0 ? e1 * xx * xx + e2 * xy * xy : zero;
        a12 += nz > 0 ? e1 * xx * xy + e2 * xy * yy : zero;
        a22 += nz > 0 ? e1 * xy * xy + e2 * yy * yy : zero;
        b1 += nz > 0 ? e1 * xx * xt + e2 * xy * yt : zero;
        b2 += nz > 0 ? e1 * xy * xt + e2 * yy * yt : zero;
    }
    vec16 ux = LOAD(s->u + p + 1) - u, vx = LOAD(s->v + p + 1) - v;
    vec16 uy = LOAD(s->u + p + W) - u, vy = LOAD(s->v + p + W) - v;
#undef LOAD
    /* Differences across the frame's edge (into the padding) count as 0. */
    vec16 s2 = last_column * (ux * ux + vx * vx) + (last_row ? 0.0f : 1.0f) * (uy * uy + vy * vy);
    vec16 smooth = s->alpha / (2 * __builtin_elementwise_sqrt(s2 + epsilon_squared));  /* ψ_s, for now */
    vec16 out[6] = {a11, a12, a22, b1, b2, smooth};
    float *planes[6] = {s->a11, s->a12, s->a22, s->b1, s->b2, s->smooth};
    for (int k = 0; k < 6; k++) {
        if (n == 16) {
            vec16_store(planes[k] + p, out[k]);
        } else {
            vec16_store(lanes, out[k]);
            memcpy(planes[k] + p, lanes, sizeof(float) * (size_t)n);
        }
    }
}

/* One colour's pixels of row y: p = first, first + 2, … ≤ end. */
static ALWAYS_INLINE void sor_row(const stylize_variational *s, size_t p, size_t end, float omega) {
    size_t W = (size_t)s->width + 2;
    float *U = s->u, *V = s->v;
    const float *cH = s->c_horizontal, *cV = s->c_vertical;
    /* 8 pixels of this colour at a time: even / odd lanes of 16 consecutive floats. */
    for (; p + 14 <= end; p += 16) {
#define EVEN(x) ((vec8)__builtin_shufflevector(x, x, 0, 2, 4, 6, 8, 10, 12, 14))
#define ODD(x) ((vec8)__builtin_shufflevector(x, x, 1, 3, 5, 7, 9, 11, 13, 15))
        vec16 l = vec16_load(cH + p - 1), up = vec16_load(cV + p - W);
        vec8 cl = EVEN(l), cr = ODD(l), cu = EVEN(up), cd = EVEN(vec16_load(cV + p));
        vec16 uc = vec16_load(U + p - 1), vc = vec16_load(V + p - 1);
        vec16 ur = vec16_load(U + p + 1), vr = vec16_load(V + p + 1);
        vec16 uu = vec16_load(U + p - W), vu = vec16_load(V + p - W), ud = vec16_load(U + p + W), vd = vec16_load(V + p + W);
        vec8 su = cl * EVEN(uc) + cr * EVEN(ur) + cu * EVEN(uu) + cd * EVEN(ud);
        vec8 sv = cl * EVEN(vc) + cr * EVEN(vr) + cu * EVEN(vu) + cd * EVEN(vd);
        vec8 a12 = EVEN(vec16_load(s->a12 + p)), u = ODD(uc), v = ODD(vc);
        vec8 un = u + omega * ((su - a12 * v + EVEN(vec16_load(s->b1 + p))) * EVEN(vec16_load(s->a11 + p)) - u);
        vec8 vn = v + omega * ((sv - a12 * un + EVEN(vec16_load(s->b2 + p))) * EVEN(vec16_load(s->a22 + p)) - v);
        vec16_store(U + p - 1, __builtin_shufflevector(EVEN(uc), un, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15));
        vec16_store(V + p - 1, __builtin_shufflevector(EVEN(vc), vn, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15));
#undef EVEN
#undef ODD
    }
    for (; p <= end; p += 2) {
        float cl = cH[p - 1], cr = cH[p], cu = cV[p - W], cd = cV[p];
        float su = cl * U[p - 1] + cr * U[p + 1] + cu * U[p - W] + cd * U[p + W];
        float sv = cl * V[p - 1] + cr * V[p + 1] + cu * V[p - W] + cd * V[p + W];
        float a12 = s->a12[p], u = U[p], v = V[p];
        /* Gauss–Seidel targets for the total flow, over-relaxed. */
        float un = u + omega * ((su - a12 * v + s->b1[p]) * s->a11[p] - u);
        float vn = v + omega * ((sv - a12 * un + s->b2[p]) * s->a22[p] - v);
        U[p] = un;
        V[p] = vn;
    }
}

static ALWAYS_INLINE void refine(const stylize_variational *s) {
    int w = s->width, h = s->height;
    size_t W = (size_t)w + 2;
    float *cH = s->c_horizontal, *cV = s->c_vertical, *sW = s->smooth;
    vec16 index = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int iteration = 0; iteration < s->iterations; iteration++) {
        for (int y = 1; y <= h; y++) {
            size_t row = (size_t)y * W;
            for (int x = 0; x < w; x += 16) {
                int n = w - x < 16 ? w - x : 16;
                vec16 last_column = (index + (float)x) == (float)(w - 1) ? 0.0f : 1.0f;
                weights(s, row + 1 + (size_t)x, n, last_column, y == h);
            }
        }
        for (int y = 1; y <= h; y++) {
            size_t row = (size_t)y * W;
            for (size_t p = row + 1; p < row + (size_t)w; p++) cH[p] = 0.5f * (sW[p] + sW[p + 1]);
            cH[row + (size_t)w] = 0;
            for (size_t p = row + 1; p <= row + (size_t)w; p++) cV[p] = y < h ? 0.5f * (sW[p] + sW[p + W]) : 0;
        }
        for (int y = 1; y <= h; y++) {
            size_t row = (size_t)y * W;
            for (size_t p = row + 1; p <= row + (size_t)w; p++) {
                float sw = cH[p - 1] + cH[p] + cV[p - W] + cV[p];
                sW[p] = sw;
                /* Constant parts of the right-hand sides, for solving in the total flow U = U0 + du. */
                s->b1[p] = s->a12[p] * s->v0[p] + s->a11[p] * s->u0[p] - s->b1[p];
                s->b2[p] = s->a12[p] * s->u0[p] + s->a22[p] * s->v0[p] - s->b2[p];
                /* Diagonals of the 2×2 systems, inverted once (constant during the SOR sweeps). */
                s->a11[p] = 1 / (s->a11[p] + sw + 1e-12f);
                s->a22[p] = 1 / (s->a22[p] + sw + 1e-12f);
            }
        }
        /* Red-black SOR: each colour's pixels depend only on the other colour's. */
        for (int sweep = 0; sweep < s->sor_iterations; sweep++) {
            for (int colour = 0; colour < 2; colour++) {
                for (int y = 1; y <= h; y++) {
                    size_t row = (size_t)y * W;
                    sor_row(s, row + 1 + (size_t)((y + colour) & 1), row + (size_t)w, s->omega);
                }
            }
        }
    }
}

__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static void refine_avx512(const stylize_variational *s) { refine(s); }

__attribute__((target("avx2,fma")))
static void refine_avx2(const stylize_variational *s) { refine(s); }

void stylize_variational_refine(stylize_vector_kernel kernel, const stylize_variational *s) {
    if (s->width < 2 || s->height < 2) return;
    switch (kernel) {
    case STYLIZE_VECTOR_AVX512: refine_avx512(s); return;
    case STYLIZE_VECTOR_AVX2: refine_avx2(s); return;
    default: refine(s); return;
    }
}
