/* SPDX-License-Identifier: MIT */
/* paging_file.c - a paging file: 4 MiB of RAM holds 16 MiB of data. The pages that do not fit
 * are written to the paging file and read back on the next touch (hard faults); every byte
 * survives. */
#include "example.h"

#include <stdint.h>

int main(void)
{
    const size_t size = 16 << 20, page = 4096;
    umm_config_t cfg = UMM_CONFIG_INIT;
    cfg.ram_bytes = 4 << 20;
    cfg.pagefile_bytes = 32 << 20; /* an unnamed file in $TMPDIR or /tmp */
    umm_system_t *sys;
    umm_process_t *proc;
    void *base;
    CHECK(umm_system_create(&cfg, &sys));
    CHECK(umm_process_create(sys, &proc));
    CHECK(umm_reserve(proc, size, UMM_PROT_WRITE, &base));
    CHECK(umm_commit(proc, base, size, UMM_PROT_WRITE));
    uint64_t *w = base;
    for (size_t i = 0; i < size / page; i++)
        w[i * page / 8] = i * 2654435761u; /* one word per page */
    size_t wrong = 0;
    for (size_t i = 0; i < size / page; i++)
        wrong += w[i * page / 8] != i * 2654435761u;
    umm_stats_t st;
    CHECK(umm_stats_get(sys, &st));
    printf("%zu pages written through 4 MiB of RAM: %llu written out, %llu hard faults, "
           "%zu wrong\n", size / page, (unsigned long long)st.pages_output,
           (unsigned long long)st.faults_hard, wrong);
    umm_process_destroy(proc);
    umm_system_destroy(sys);
    return wrong == 0 && st.faults_hard > 0 ? 0 : 1;
}
