/* SPDX-License-Identifier: MIT */
/* embed_touch.c - embed umm and touch its memory: a system with 16 MiB of "RAM", a process,
 * 1 MiB committed and written with plain stores (each first touch is a demand-zero fault that
 * umm's SIGSEGV handler resolves), then read back. */
#include "example.h"

#include <string.h>

int main(void)
{
    printf("umm %s (header %s)\n", umm_version(), UMM_VERSION_STRING);
    umm_config_t cfg = UMM_CONFIG_INIT;
    cfg.ram_bytes = 16 << 20;
    umm_system_t *sys;
    umm_process_t *proc;
    void *base;
    CHECK(umm_system_create(&cfg, &sys));
    CHECK(umm_process_create(sys, &proc));
    CHECK(umm_reserve(proc, 4 << 20, UMM_PROT_WRITE, &base));
    CHECK(umm_commit(proc, base, 1 << 20, UMM_PROT_WRITE));
    memset(base, 0xab, 1 << 20);
    unsigned char *p = base;
    for (size_t i = 0; i < (1 << 20); i++)
        if (p[i] != 0xab) {
            fprintf(stderr, "byte %zu reads %#x\n", i, p[i]);
            return 1;
        }
    umm_stats_t st;
    CHECK(umm_stats_get(sys, &st));
    printf("1 MiB written and read back: %llu demand-zero faults, working set %llu pages\n",
           (unsigned long long)st.faults_demand_zero, (unsigned long long)st.working_set);
    umm_process_destroy(proc);
    umm_system_destroy(sys);
    return st.faults_demand_zero > 0 ? 0 : 1;
}
