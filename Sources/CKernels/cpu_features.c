#define _GNU_SOURCE
#include "CKernels.h"

#include <pthread.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

static stylize_cpu_features features;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__)
/* XGETBV: the OS must save the wide registers, or the CPU flag means nothing. */
static unsigned long long xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

/* Linux hands out the AMX tile state only on request (arch_prctl ARCH_REQ_XCOMP_PERM);
   a refusal, or a kernel that does not know the request, means no AMX. */
static int amx_permitted(void) {
    enum { ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 };
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

static void detect(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx) return;
    unsigned long long xcr0 = xgetbv0();
    int ymm_ok = (xcr0 & 0x6) == 0x6, zmm_ok = (xcr0 & 0xe6) == 0xe6;
    int tiles_ok = (xcr0 & 0x60000) == 0x60000;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    int avx2 = (b >> 5) & 1;
    int avx512 = zmm_ok && ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
    int vnni512 = (c >> 11) & 1;
    int amx_tile = (d >> 24) & 1, amx_bf16 = (d >> 22) & 1, amx_int8 = (d >> 25) & 1;
    int bf16 = 0, avx_vnni = 0;
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) {
        bf16 = (a >> 5) & 1;
        avx_vnni = (a >> 4) & 1;
    }
    features.avx2_fma = ymm_ok && avx2 && fma;
    features.avx512 = avx512;
    features.avx512_bf16 = avx512 && bf16;
    features.avx512_vnni = avx512 && vnni512;
    features.avx_vnni = features.avx2_fma && avx_vnni;
    int amx = avx512 && tiles_ok && amx_tile && (amx_bf16 || amx_int8) && amx_permitted();
    features.amx_bf16 = amx && amx_bf16;
    features.amx_int8 = amx && amx_int8;
}
#else
static void detect(void) {}
#endif

const stylize_cpu_features *stylize_cpu_features_get(void) {
    pthread_once(&once, detect);
    return &features;
}
