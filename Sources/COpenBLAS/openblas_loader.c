#define _GNU_SOURCE
#include "COpenBLAS.h"

#include "CKernels.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                         const float *, int, float, float *, int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
typedef char *(*corename_fn)(void);

static stylize_blas_status status;
static sgemm_fn p_sgemm;
static set_threads_fn p_set_threads;
static get_threads_fn p_get_threads;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char preferred[64];

/* The misdetection we correct is x86's; elsewhere the features read 0 and OpenBLAS's own choice stands. */
static void choose_core(void) {
    const stylize_cpu_features *cpu = stylize_cpu_features_get();
    preferred[0] = 0;
    if (cpu->avx512) {
        strcpy(preferred, cpu->avx512_bf16 ? "Cooperlake" : "SkylakeX");
    } else if (cpu->avx2_fma) {
        strcpy(preferred, "Haswell");
    }
}

static void load_once(void) {
    choose_core();
    const char *user = getenv("OPENBLAS_CORETYPE");
    status.coretype_from_user = user && *user;
    /* If OpenBLAS is already in the process (another library linked it), its
       core is fixed; we can only report it. RTLD_NOLOAD finds it without loading. */
    static const char *sonames[] = {"libopenblas.so.0", "libopenblasp.so.0", "libopenblas.so", NULL};
    void *handle = NULL;
    for (int i = 0; sonames[i] && !handle; i++) {
        handle = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
        if (handle) snprintf(status.library, sizeof status.library, "%s", sonames[i]);
    }
    if (!handle && !status.coretype_from_user && preferred[0]) {
        setenv("OPENBLAS_CORETYPE", preferred, 0);
        snprintf(status.requested_core, sizeof status.requested_core, "%s", preferred);
    }
    for (int i = 0; sonames[i] && !handle; i++) {
        handle = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
        if (handle) snprintf(status.library, sizeof status.library, "%s", sonames[i]);
    }
    if (!handle) {
        snprintf(status.error, sizeof status.error,
                 "OpenBLAS not found (%s); install libopenblas0-pthread", dlerror());
        return;
    }
    p_sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
    p_set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
    p_get_threads = (get_threads_fn)dlsym(handle, "openblas_get_num_threads");
    corename_fn corename = (corename_fn)dlsym(handle, "openblas_get_corename");
    if (!p_sgemm || !p_set_threads || !p_get_threads || !corename) {
        snprintf(status.error, sizeof status.error, "%s lacks the OpenBLAS symbols we need", status.library);
        return;
    }
    snprintf(status.corename, sizeof status.corename, "%s", corename());
    status.loaded = 1;
}

const stylize_blas_status *stylize_blas_load(void) {
    pthread_once(&once, load_once);
    return &status;
}

const char *stylize_blas_preferred_core(void) {
    stylize_blas_load();
    return preferred;
}

void stylize_sgemm(int order, int transA, int transB, int M, int N, int K, float alpha,
                   const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    p_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void stylize_blas_set_threads(int n) { if (p_set_threads) p_set_threads(n); }
int stylize_blas_get_threads(void) { return p_get_threads ? p_get_threads() : 1; }
