/* SPDX-License-Identifier: MIT */
/* common_names.c - a program that defines names umm uses internally (frames_available,
 * mm_lock, handle_check, ...) and links against libumm.a: umm's own must not collide with them
 * (the static library exports only umm_* symbols), and both must work side by side. */
#include <stdio.h>
#include <string.h>

#include "umm.h"

/* Names umm's objects define internally, or did before they were prefixed. */
int frames_available(void) { return 1; }
int frames_alloc(void) { return 2; }
int pte_write(void) { return 3; }
int vma_refresh(void) { return 4; }
int handle_check(void) { return 5; }
int mm_lock(void) { return 6; }
int mm_frames_available(void) { return 7; }
int mm_fault_resolve(void) { return 8; }
int hv_share_scan(void) { return 9; }
int registry_insert(void) { return 10; }

int main(void)
{
    int mine = frames_available() + frames_alloc() + pte_write() + vma_refresh() + handle_check() +
               mm_lock() + mm_frames_available() + mm_fault_resolve() + hv_share_scan() +
               registry_insert();
    umm_config_t cfg = UMM_CONFIG_INIT;
    cfg.ram_bytes = 4 << 20;
    cfg.flags = UMM_CFG_NO_WORKERS;
    umm_system_t *sys;
    umm_process_t *proc;
    void *base;
    if (umm_system_create(&cfg, &sys) != UMM_OK || umm_process_create(sys, &proc) != UMM_OK ||
        umm_reserve(proc, 1 << 20, UMM_PROT_WRITE, &base) != UMM_OK ||
        umm_commit(proc, base, 1 << 20, UMM_PROT_WRITE) != UMM_OK)
        return 1;
    memset(base, 0x5a, 1 << 20); /* faults resolved by umm's own internals */
    umm_stats_t st;
    umm_stats_get(sys, &st);
    umm_system_destroy(sys);
    if (mine != 55 || st.working_set != 256) {
        fprintf(stderr, "mine %d, working set %llu\n", mine, (unsigned long long)st.working_set);
        return 1;
    }
    return 0;
}
