/*
 * DIS's variational refinement, the iterations (OpticalFlow/DISVariational.swift sets up the
 * planes and describes the energy): lagged robust weights, the smoothness weights on the edges,
 * the 2×2 systems, then red-black SOR. Every plane is padded by one pixel on each side (stride
 * width + 2), where the smoothness weights of edges leaving the frame are 0, so no sweep clamps;
 * the sweeps run on planes of each colour's own (`colour_planes`).
 * One body, inlined into a function per target, chosen by the caller; no fused multiply-add, so
 * every target computes the same numbers.
 */
#include "CKernels.h"
#include "vector16.h"

#pragma clang fp contract(off)

#define ALWAYS_INLINE inline __attribute__((always_inline))

static const float epsilon_squared = 1e-6f;

/* n ≤ 16 floats (the rest of the lanes 0), and back. */
static ALWAYS_INLINE vec16 load_n(const float *p, int n) {
    if (n >= 16) return vec16_load(p);
    float lanes[16] = {0};
    if (n > 0) memcpy(lanes, p, sizeof(float) * (size_t)n);
    return vec16_load(lanes);
}

static ALWAYS_INLINE void store_n(float *p, vec16 v, int n) {
    if (n >= 16) {
        vec16_store(p, v);
    } else if (n > 0) {
        float lanes[16];
        vec16_store(lanes, v);
        memcpy(p, lanes, sizeof(float) * (size_t)n);
    }
}

/* The planes the weights go to, in the padded layout: a11, a12, a22, b1, b2 and the smoothness weight. */
typedef struct {
    float *planes[6];
} weight_planes;

/* The robust weights of pixels p … p + n − 1 of one row (n ≤ 16: lanes past n are not stored). */
static ALWAYS_INLINE void weights(const stylize_variational *s, const weight_planes *to, size_t p, int n, vec16 last_column,
                                  int last_row) {
    size_t W = (size_t)s->width + 2, plane = W * ((size_t)s->height + 2);
    vec16 u = load_n(s->u + p, n), v = load_n(s->v + p, n);
    vec16 du = u - load_n(s->u0 + p, n), dv = v - load_n(s->v0 + p, n);
    vec16 gx = load_n(s->ix + p, n), gy = load_n(s->iy + p, n), t = load_n(s->it + p, n), nz = load_n(s->norm + p, n);
    vec16 r = t + gx * du + gy * dv;
    vec16 d = nz / (2 * __builtin_elementwise_sqrt(r * r * nz * (1 / s->delta) + epsilon_squared));
    vec16 a11 = d * gx * gx, a12 = d * gx * gy, a22 = d * gy * gy, b1 = d * gx * t, b2 = d * gy * t;
    if (s->constancy) {
        /* Gradient constancy: the same linearised residual for I_x and I_y (planes xx, xy, yy, xt, yt, n1, n2). */
        const float *g = s->constancy + p;
        vec16 xx = load_n(g, n), xy = load_n(g + plane, n), yy = load_n(g + 2 * plane, n), xt = load_n(g + 3 * plane, n);
        vec16 yt = load_n(g + 4 * plane, n), n1 = load_n(g + 5 * plane, n), n2 = load_n(g + 6 * plane, n);
        vec16 r1 = xt + xx * du + xy * dv, r2 = yt + xy * du + yy * dv;
        vec16 e = s->gamma / (2 * __builtin_elementwise_sqrt(r1 * r1 * n1 + r2 * r2 * n2 + epsilon_squared));
        vec16 e1 = e * n1, e2 = e * n2, zero = 0;
        a11 += nz > 0 ? e1 * xx * xx + e2 * xy * xy : zero;
        a12 += nz > 0 ? e1 * xx * xy + e2 * xy * yy : zero;
        a22 += nz > 0 ? e1 * xy * xy + e2 * yy * yy : zero;
        b1 += nz > 0 ? e1 * xx * xt + e2 * xy * yt : zero;
        b2 += nz > 0 ? e1 * xy * xt + e2 * yy * yt : zero;
    }
    vec16 ux = load_n(s->u + p + 1, n) - u, vx = load_n(s->v + p + 1, n) - v;
    vec16 uy = load_n(s->u + p + W, n) - u, vy = load_n(s->v + p + W, n) - v;
    /* Differences across the frame's edge (into the padding) count as 0. */
    vec16 s2 = last_column * (ux * ux + vx * vx) + (last_row ? 0.0f : 1.0f) * (uy * uy + vy * vy);
    vec16 smooth = s->alpha / (2 * __builtin_elementwise_sqrt(s2 + epsilon_squared));  /* ψ_s, for now */
    vec16 out[6] = {a11, a12, a22, b1, b2, smooth};
    for (int k = 0; k < 6; k++) store_n(to->planes[k] + p, out[k], n);
}

/* The SOR sweeps run on the two colours apart, each in planes of its own ("packed"): pixel x of
   padded row y is colour (x + y + 1) & 1, at column (x − 1) >> 1 of its colour's row (plus one
   column of padding on the left). A pixel's left and right neighbours are then the other colour's
   columns j − 1 + o and j + o (o: the colour's offset in the row, (y + colour) & 1), the upper and
   lower its column j: sixteen pixels of a colour are sixteen consecutive floats. */
enum { U, V, LEFT, RIGHT, UP, DOWN, A11, A12, A22, B1, B2, packed_plane_count };

typedef struct {
    float *plane[packed_plane_count];
} colour_planes;

enum { normal_plane_count = 8, packed_slack = 32 };

static size_t packed_stride(int width) { return (size_t)(width >> 1) + 2; }

/* Floats of one packed plane: the rows, then slack for the last vector's reads past the end. */
static size_t packed_plane(int width, int height) { return packed_stride(width) * ((size_t)height + 2) + packed_slack; }

size_t stylize_variational_workspace(int width, int height) {
    size_t normal = ((size_t)width + 2) * ((size_t)height + 2);
    return normal_plane_count * normal + 2 * packed_plane_count * packed_plane(width, height);
}

static inline size_t packed_index(size_t stride, int x, int y) { return (size_t)y * stride + 1 + (size_t)((x - 1) >> 1); }

/* The pixels of one colour in row y. */
static ALWAYS_INLINE void sor_row(const colour_planes *me, const colour_planes *other, size_t stride, int width,
                                  int y, int colour, float omega) {
    const int o = (y + colour) & 1, count = (width + 1 - o) >> 1;
    const size_t row = (size_t)y * stride + 1;
    float *const *mine = me->plane;
    const float *Uo = other->plane[U] + row, *Vo = other->plane[V] + row;
    float *u_row = mine[U] + row, *v_row = mine[V] + row;
    const float *cl = mine[LEFT] + row, *cr = mine[RIGHT] + row, *cu = mine[UP] + row, *cd = mine[DOWN] + row;
    const float *a11 = mine[A11] + row, *a12 = mine[A12] + row, *a22 = mine[A22] + row, *b1 = mine[B1] + row;
    const float *b2 = mine[B2] + row;
    const ptrdiff_t left = o - 1, right = o, up = -(ptrdiff_t)stride, down = (ptrdiff_t)stride;
    vec16 index = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int j = 0; j < count; j += 16) {
        vec16 wl = vec16_load(cl + j), wr = vec16_load(cr + j), wu = vec16_load(cu + j), wd = vec16_load(cd + j);
        vec16 su = wl * vec16_load(Uo + j + left) + wr * vec16_load(Uo + j + right) + wu * vec16_load(Uo + j + up)
                   + wd * vec16_load(Uo + j + down);
        vec16 sv = wl * vec16_load(Vo + j + left) + wr * vec16_load(Vo + j + right) + wu * vec16_load(Vo + j + up)
                   + wd * vec16_load(Vo + j + down);
        vec16 u = vec16_load(u_row + j), v = vec16_load(v_row + j), c12 = vec16_load(a12 + j);
        /* Gauss–Seidel targets for the total flow, over-relaxed. */
        vec16 un = u + omega * ((su - c12 * v + vec16_load(b1 + j)) * vec16_load(a11 + j) - u);
        vec16 vn = v + omega * ((sv - c12 * un + vec16_load(b2 + j)) * vec16_load(a22 + j) - v);
        if (j + 16 <= count) {
            vec16_store(u_row + j, un);
            vec16_store(v_row + j, vn);
        } else {
            /* Lanes past the row keep what they hold (the other colour's padding reads it). */
            vec16 inside = (index + (float)j) < (float)count ? 1.0f : 0.0f;
            vec16_store(u_row + j, inside != 0 ? un : u);
            vec16_store(v_row + j, inside != 0 ? vn : v);
        }
    }
}

#define EVEN_LANES(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
#define ODD_LANES(a, b) __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31)

/* Pixels x … x + 31 of row y (x odd; those up to the row's last): what the sweeps read of them,
   to their colours' planes. */
static ALWAYS_INLINE void pack_block(const stylize_variational *s, const colour_planes *colours, size_t stride, int y,
                                     int x, const float *a11_plane, const float *a12_plane, const float *a22_plane,
                                     const float *b1, const float *b2, const float *cH, const float *cV) {
    const size_t W = (size_t)s->width + 2, p = (size_t)y * W + (size_t)x, q = packed_index(stride, x, y);
    const int n = s->width - x + 1 < 32 ? s->width - x + 1 : 32;
    const colour_planes *even = &colours[(x + y + 1) & 1], *odd = &colours[(x + y) & 1];
    vec16 values[2][packed_plane_count];
    for (int half = 0; half < 2; half++) {
        const size_t i = p + 16 * (size_t)half;
        const int k = n - 16 * half;
        vec16 cl = load_n(cH + i - 1, k), cr = load_n(cH + i, k), cu = load_n(cV + i - W, k), cd = load_n(cV + i, k);
        vec16 sw = cl + cr + cu + cd;
        vec16 a11 = load_n(a11_plane + i, k), a12 = load_n(a12_plane + i, k), a22 = load_n(a22_plane + i, k);
        vec16 u0 = load_n(s->u0 + i, k), v0 = load_n(s->v0 + i, k);
        vec16 *out = values[half];
        out[U] = load_n(s->u + i, k), out[V] = load_n(s->v + i, k);
        out[LEFT] = cl, out[RIGHT] = cr, out[UP] = cu, out[DOWN] = cd;
        /* Diagonals of the 2×2 systems inverted once (constant during the sweeps); the constant
           parts of the right-hand sides, for solving in the total flow U = U0 + du. */
        out[A11] = 1 / (a11 + sw + 1e-12f), out[A12] = a12, out[A22] = 1 / (a22 + sw + 1e-12f);
        out[B1] = a12 * v0 + a11 * u0 - load_n(b1 + i, k);
        out[B2] = a12 * u0 + a22 * v0 - load_n(b2 + i, k);
    }
    for (int k = 0; k < packed_plane_count; k++) {
        store_n(even->plane[k] + q, EVEN_LANES(values[0][k], values[1][k]), (n + 1) / 2);
        store_n(odd->plane[k] + q, ODD_LANES(values[0][k], values[1][k]), n / 2);
    }
}

/* The flow of pixels x … x + 31 of row y (as `pack_block`) back from its colours' planes. */
static ALWAYS_INLINE void unpack_block(const stylize_variational *s, const colour_planes *colours, size_t stride, int y,
                                       int x) {
    const size_t p = (size_t)y * ((size_t)s->width + 2) + (size_t)x, q = packed_index(stride, x, y);
    const int n = s->width - x + 1 < 32 ? s->width - x + 1 : 32;
    const colour_planes *even = &colours[(x + y + 1) & 1], *odd = &colours[(x + y) & 1];
    float *flow[2] = {s->u, s->v};
    const float *even_flow[2] = {even->plane[U], even->plane[V]}, *odd_flow[2] = {odd->plane[U], odd->plane[V]};
    for (int c = 0; c < 2; c++) {
        vec16 e = load_n(even_flow[c] + q, (n + 1) / 2), o = load_n(odd_flow[c] + q, n / 2);
        store_n(flow[c] + p, __builtin_shufflevector(e, o, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), n);
        store_n(flow[c] + p + 16, __builtin_shufflevector(e, o, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31),
                n - 16);
    }
}

static ALWAYS_INLINE void refine(const stylize_variational *s) {
    int w = s->width, h = s->height;
    size_t W = (size_t)w + 2, normal = W * ((size_t)h + 2);
    float *cH = s->workspace, *cV = cH + normal, *sW = cV + normal;
    float *a11 = sW + normal, *a12 = a11 + normal, *a22 = a12 + normal, *b1 = a22 + normal, *b2 = b1 + normal;
    const size_t stride = packed_stride(w), packed = packed_plane(w, h);
    colour_planes colours[2];
    for (int c = 0; c < 2; c++) {
        for (int k = 0; k < packed_plane_count; k++) {
            colours[c].plane[k] = b2 + normal + ((size_t)c * packed_plane_count + (size_t)k) * packed;
        }
    }
    const weight_planes out = {{a11, a12, a22, b1, b2, sW}};
    vec16 index = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int iteration = 0; iteration < s->iterations; iteration++) {
        for (int y = 1; y <= h; y++) {
            size_t row = (size_t)y * W;
            for (int x = 0; x < w; x += 16) {
                int n = w - x < 16 ? w - x : 16;
                vec16 last_column = (index + (float)x) == (float)(w - 1) ? 0.0f : 1.0f;
                weights(s, &out, row + 1 + (size_t)x, n, last_column, y == h);
            }
        }
        for (int y = 1; y <= h; y++) {
            size_t row = (size_t)y * W;
            for (size_t p = row + 1; p < row + (size_t)w; p++) cH[p] = 0.5f * (sW[p] + sW[p + 1]);
            cH[row + (size_t)w] = 0;
            for (size_t p = row + 1; p <= row + (size_t)w; p++) cV[p] = y < h ? 0.5f * (sW[p] + sW[p + W]) : 0;
        }
        for (int y = 1; y <= h; y++) {
            for (int x = 1; x <= w; x += 32) pack_block(s, colours, stride, y, x, a11, a12, a22, b1, b2, cH, cV);
        }
        /* Red-black SOR: each colour's pixels depend only on the other colour's. */
        for (int sweep = 0; sweep < s->sor_iterations; sweep++) {
            for (int colour = 0; colour < 2; colour++) {
                for (int y = 1; y <= h; y++) sor_row(&colours[colour], &colours[1 - colour], stride, w, y, colour, s->omega);
            }
        }
        for (int y = 1; y <= h; y++) {
            for (int x = 1; x <= w; x += 32) unpack_block(s, colours, stride, y, x);
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
