#ifndef STYLIZE_VECTOR16_H
#define STYLIZE_VECTOR16_H
/*
 * Sixteen floats as one value, for kernels written once and compiled per target (the compiler
 * picks the instructions). Loads and stores go through memcpy: no alignment is assumed.
 */
#include <string.h>

typedef float vec16 __attribute__((ext_vector_type(16)));

static inline __attribute__((always_inline)) vec16 vec16_load(const float *p) {
    vec16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void vec16_store(float *p, vec16 v) { memcpy(p, &v, sizeof v); }

/* Swift's max(x, y) and min(x, y) — y >= x ? y : x and y < x ? y : x — for scalars and vectors:
   kernels that replace Swift loops bit for bit pick the same zero (+0 over −0) as they did. */
#define MAX_OF(x, y) ((y) >= (x) ? (y) : (x))
#define MIN_OF(x, y) ((y) < (x) ? (y) : (x))

#endif
