/*
 * The flow the other way, found from one flow alone (OpticalFlow/FlowField.swift's `reversed`
 * says what it is for): each pixel's motion, negated, splatted with bilinear weights to where it
 * lands, and the landings averaged. A scatter: neighbouring pixels add into the same places, so
 * it stays scalar; written in C because Swift's bounds-checked loop over SIMD4 sums took twice as
 * long. No fused multiply-add: the numbers are those of the Swift loop it replaced.
 */
#include "CKernels.h"

#include <string.h>

#pragma clang fp contract(off)

void stylize_reverse_flow(const float *u, const float *v, int width, int height, float crowding, float *sums,
                          float *ru, float *rv) {
    const int w = width, h = height;
    const size_t n = (size_t)w * h;
    memset(sums, 0, 3 * n * sizeof(float));
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            const size_t i = (size_t)y * w + x;
            const float tx = (float)x + u[i], ty = (float)y + v[i];
            if (!(tx > -1 && ty > -1 && tx < (float)w && ty < (float)h)) continue;
            const int x0 = (int)(tx + 1) - 1, y0 = (int)(ty + 1) - 1; /* floor, as tx, ty > −1 */
            const float fx = tx - (float)x0, fy = ty - (float)y0;
            const float mu = -u[i], mv = -v[i];
#define LAND(X, Y, WEIGHT)                              \
    do {                                                \
        const float k_ = (WEIGHT);                      \
        float *s_ = sums + 3 * ((size_t)(Y) * w + (X)); \
        s_[0] += mu * k_;                               \
        s_[1] += mv * k_;                               \
        s_[2] += k_;                                    \
    } while (0)
            if (y0 >= 0) {
                if (x0 >= 0) LAND(x0, y0, (1 - fx) * (1 - fy));
                if (x0 + 1 < w) LAND(x0 + 1, y0, fx * (1 - fy));
            }
            if (y0 + 1 < h) {
                if (x0 >= 0) LAND(x0, y0 + 1, (1 - fx) * fy);
                if (x0 + 1 < w) LAND(x0 + 1, y0 + 1, fx * fy);
            }
#undef LAND
        }
    }
    for (size_t j = 0; j < n; j++) {
        const float *s = sums + 3 * j;
        if (!(s[2] > 0)) {
            ru[j] = 0;
            rv[j] = 0;
        } else if (s[2] > crowding) {
            ru[j] = __builtin_nanf("");
            rv[j] = __builtin_nanf("");
        } else {
            ru[j] = s[0] / s[2];
            rv[j] = s[1] / s[2];
        }
    }
}
