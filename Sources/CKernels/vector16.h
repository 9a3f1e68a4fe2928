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

#endif
