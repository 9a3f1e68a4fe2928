#include "gemm_panels.h"

#include <stdlib.h>

void stylize_gemm_panels(int m, int n, size_t panel_bytes, const void *call, gemm_pack_panel pack, gemm_run_tile tile) {
    if (m <= 0 || n <= 0) return;
    void *panel = aligned_alloc(64, (panel_bytes + 63) / 64 * 64 + 64);
    if (!panel) abort();
    for (int n0 = 0; n0 < n; n0 += GEMM_NR) {
        int cols = n - n0 < GEMM_NR ? n - n0 : GEMM_NR;
        pack(call, n0, cols, panel);
        for (int m0 = 0; m0 < m; m0 += GEMM_MR) tile(call, m0, m - m0 < GEMM_MR ? m - m0 : GEMM_MR, n0, cols, panel);
    }
    free(panel);
}
