/* SPDX-License-Identifier: MIT */
/* commit_limit.c - the commit limit: with 8 MiB of RAM and no paging file, umm refuses to
 * promise more memory than it has (UMM_E_COMMIT_LIMIT), as Windows does, instead of failing
 * later when the memory is touched. */
#include "example.h"

int main(void)
{
    umm_config_t cfg = UMM_CONFIG_INIT;
    cfg.ram_bytes = 8 << 20;
    umm_system_t *sys;
    umm_process_t *proc;
    void *base;
    CHECK(umm_system_create(&cfg, &sys));
    CHECK(umm_process_create(sys, &proc));
    CHECK(umm_reserve(proc, 64 << 20, UMM_PROT_WRITE, &base));
    umm_stats_t st;
    CHECK(umm_stats_get(sys, &st));
    printf("commit limit %llu pages\n", (unsigned long long)st.commit_limit);
    int rc = umm_commit(proc, base, 64 << 20, UMM_PROT_WRITE);
    printf("commit 64 MiB: %s\n", umm_error_name(rc));
    if (rc != UMM_E_COMMIT_LIMIT)
        return 1;
    CHECK(umm_commit(proc, base, 4 << 20, UMM_PROT_WRITE)); /* within the limit: granted */
    CHECK(umm_stats_get(sys, &st));
    printf("commit 4 MiB: UMM_OK, %llu pages charged\n", (unsigned long long)st.committed);
    umm_process_destroy(proc);
    umm_system_destroy(sys);
    return 0;
}
