/* SPDX-License-Identifier: MIT */
/* heap.c - malloc on umm memory: a heap whose pages are umm's (paged and commit-charged).
 * It needs jemalloc at run time (libjemalloc2, loaded with dlopen); without it the example says
 * so and exits 0. */
#include "example.h"

#include <string.h>
#include <umm_heap.h>

int main(void)
{
    umm_config_t cfg = UMM_CONFIG_INIT;
    cfg.ram_bytes = 32 << 20;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_heap_t *heap;
    CHECK(umm_system_create(&cfg, &sys));
    CHECK(umm_process_create(sys, &proc));
    int rc = umm_heap_create(proc, &heap);
    if (rc == UMM_E_NOT_SUPPORTED) {
        printf("heap skipped: %s\n", umm_heap_load_error());
        umm_process_destroy(proc);
        umm_system_destroy(sys);
        return 0;
    }
    CHECK(rc);
    char *s[1000];
    for (int i = 0; i < 1000; i++) {
        s[i] = umm_heap_malloc(heap, 100 + i);
        if (!s[i])
            return 1;
        memset(s[i], 'a' + i % 26, 100 + (size_t)i);
    }
    int wrong = 0;
    for (int i = 0; i < 1000; i++) {
        wrong += s[i][99 + i] != 'a' + i % 26;
        umm_heap_free(heap, s[i]);
    }
    printf("1000 heap allocations on umm memory: %d wrong\n", wrong);
    umm_heap_destroy(heap);
    umm_process_destroy(proc);
    umm_system_destroy(sys);
    return wrong != 0;
}
