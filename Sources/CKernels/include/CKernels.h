#ifndef STYLIZE_CKERNELS_H
#define STYLIZE_CKERNELS_H
/*
 * Kernels that need instructions beyond the build's baseline (AVX512-BF16),
 * compiled per function with target attributes and chosen at run time from
 * what the CPU reports, plus that report itself.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the CPU offers and the OS saves the registers of (XGETBV); all 0 off x86. */
typedef struct {
    int avx2_fma;      /* AVX2 and FMA, with YMM state enabled */
    int avx512;        /* AVX-512 F, DQ, BW and VL, with ZMM state enabled */
    int avx512_bf16;   /* AVX512-BF16 (VDPBF16PS, VCVTNE2PS2BF16), on top of avx512 */
    int avx512_vnni;   /* AVX512-VNNI (VPDPBUSD), on top of avx512 */
    int avx_vnni;      /* AVX-VNNI (the VEX form, 256-bit), on top of avx2_fma */
    int amx_bf16;      /* AMX tiles with BF16, and the kernel granted their state */
    int amx_int8;      /* AMX tiles with INT8, and the kernel granted their state */
} stylize_cpu_features;

/* Read once (thread-safe); AMX asks the kernel for the tile state then. */
const stylize_cpu_features *stylize_cpu_features_get(void);

/*
 * bf16 GEMM: C (m × n, row-major, ldc) = A·B (+ C when accumulate), with A a
 * constant m × k matrix packed once by stylize_bf16_pack_a and B an fp32
 * k × n matrix (row-major, ldb) rounded to bf16 (nearest-even) as it is
 * packed. Products are exact in fp32 and summed in fp32.
 */
typedef enum {
    STYLIZE_BF16_PORTABLE = 0,  /* plain C; any CPU (for testing the format) */
    STYLIZE_BF16_AVX512 = 1,    /* VDPBF16PS; needs avx512_bf16 */
} stylize_bf16_kernel;

/* uint16 elements the packed form of an m × k matrix takes. */
size_t stylize_bf16_packed_count(int m, int k);
/* Packs A (m × k, row-major, lda) into `packed` (stylize_bf16_packed_count elements, 64-byte aligned). */
void stylize_bf16_pack_a(int m, int k, const float *a, int lda, uint16_t *packed);
void stylize_gemm_bf16(stylize_bf16_kernel kernel, int m, int n, int k, const uint16_t *packed_a,
                       const float *b, int ldb, int accumulate, float *c, int ldc);

/*
 * int8 GEMM, same contract: A quantized per row (symmetric, s8) when packed by
 * stylize_int8_pack_a; B quantized per call (asymmetric, u8, over its k × n
 * block) as it is packed; integer sums, scaled back to fp32.
 */
typedef enum {
    STYLIZE_INT8_PORTABLE = 0,     /* plain C; any CPU */
    STYLIZE_INT8_AVX512_VNNI = 1,  /* VPDPBUSD on zmm; needs avx512_vnni */
    STYLIZE_INT8_AVX_VNNI = 2,     /* VPDPBUSD on ymm (the VEX form); needs avx_vnni and avx2_fma */
} stylize_int8_kernel;

/* Bytes the packed form of an m × k matrix takes (quantized values, row scales and sums). */
size_t stylize_int8_packed_bytes(int m, int k);
/* Packs A (m × k, row-major, lda) into `packed` (stylize_int8_packed_bytes, 64-byte aligned). */
void stylize_int8_pack_a(int m, int k, const float *a, int lda, void *packed);
void stylize_gemm_int8(stylize_int8_kernel kernel, int m, int n, int k, const void *packed_a,
                       const float *b, int ldb, int accumulate, float *c, int ldc);

#ifdef __cplusplus
}
#endif
#endif
