#ifndef STYLIZE_COPENBLAS_H
#define STYLIZE_COPENBLAS_H
/*
 * OpenBLAS, loaded at run time.
 *
 * OpenBLAS picks its kernels from the CPU when the shared library is loaded,
 * and 0.3.21 misreads some CPUs (AVX-512 EPYCs come out as "Prescott", about
 * 5x slower). The only fix it offers is the OPENBLAS_CORETYPE variable, read
 * once at load. So we do not link it: stylize_blas_load() chooses the core
 * from CPUID (on x86; other CPUs keep OpenBLAS's choice), sets the variable
 * unless the user did, then dlopen()s it.
 */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Values match CBLAS's enums, so the calls pass straight through. */
enum { STYLIZE_BLAS_ROW_MAJOR = 101 };
enum { STYLIZE_BLAS_NO_TRANS = 111, STYLIZE_BLAS_TRANS = 112 };

typedef struct {
    int loaded;                 /* 1 when the library and every symbol were found */
    char corename[64];          /* what OpenBLAS says it picked */
    char requested_core[64];    /* what we asked for ("" if we left it alone) */
    int coretype_from_user;     /* 1 if OPENBLAS_CORETYPE was already set */
    char library[256];          /* the soname that loaded */
    char error[256];            /* why loading failed, when it did */
} stylize_blas_status;

/* Loads OpenBLAS once (thread-safe, idempotent) and returns what happened. */
const stylize_blas_status *stylize_blas_load(void);

/* The core our CPUID check would choose ("SkylakeX", "Haswell", ... or "";
   always "" off x86). */
const char *stylize_blas_preferred_core(void);

/* Thin forwards; valid only after a successful load. */
void stylize_sgemm(int order, int transA, int transB, int M, int N, int K,
                   float alpha, const float *A, int lda, const float *B, int ldb,
                   float beta, float *C, int ldc);
void stylize_blas_set_threads(int n);
int stylize_blas_get_threads(void);

#ifdef __cplusplus
}
#endif
#endif
