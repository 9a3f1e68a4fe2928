#include "gemm_panels.h"

#include <pthread.h>
#include <stdlib.h>

/* Each thread packs its panels into a buffer of its own, kept between calls (freed when the
   thread ends): a GEMM runs dozens of times a frame on every worker, and an allocation per call
   made the workers wait on the allocator's locks, which threads freeing each other's memory
   (frames, flows) hold too. */
typedef struct {
    void *data;
    size_t bytes;
} panel_buffer;

static pthread_key_t panel_key;
static pthread_once_t panel_once = PTHREAD_ONCE_INIT;

static void release_panel(void *p) {
    panel_buffer *b = p;
    free(b->data);
    free(b);
}

static void create_panel_key(void) {
    if (pthread_key_create(&panel_key, release_panel) != 0) abort();
}

static void *thread_panel(size_t bytes) {
    pthread_once(&panel_once, create_panel_key);
    panel_buffer *b = pthread_getspecific(panel_key);
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b || pthread_setspecific(panel_key, b) != 0) abort();
    }
    if (b->bytes < bytes) {
        free(b->data);
        b->data = aligned_alloc(64, bytes);
        if (!b->data) abort();
        b->bytes = bytes;
    }
    return b->data;
}

void stylize_gemm_panels(int m, int n, size_t panel_bytes, const void *call, gemm_pack_panel pack, gemm_run_tile tile) {
    if (m <= 0 || n <= 0) return;
    void *panel = thread_panel((panel_bytes + 63) / 64 * 64 + 64);
    for (int n0 = 0; n0 < n; n0 += GEMM_NR) {
        int cols = n - n0 < GEMM_NR ? n - n0 : GEMM_NR;
        pack(call, n0, cols, panel);
        for (int m0 = 0; m0 < m; m0 += GEMM_MR) tile(call, m0, m - m0 < GEMM_MR ? m - m0 : GEMM_MR, n0, cols, panel);
    }
}
