/* SPDX-License-Identifier: MIT */
/* commit.c - commit charge (see commit.h). */
#include "commit.h"

#include "assert.h"
#include "failpoint.h"
#include "store.h"

/* Past 90 % of the limit, grow the paging file (toward its maximum) so that the charge stays
 * under 90 %: by what is missing, but at least a quarter of its size so growth is rare. */
static void grow_if_needed(umm_system_t *sys, uint64_t n)
{
    mm_pagefile_t *pf = &sys->pf;
    if (pf->fd < 0 || pf->nslots >= pf->max_slots)
        return;
    uint64_t after = sys->committed + n;
    if (after * 10 <= sys->commit_limit * 9)
        return;
    uint64_t missing = after * 10 / 9 + 1 - sys->commit_limit;
    uint64_t step = pf->nslots / 4 > missing ? pf->nslots / 4 : missing;
    sys->commit_limit += mm_pagefile_grow(pf, step);
}

int mm_commit_charge(umm_process_t *proc, uint64_t n)
{
    int rc = mm_commit_charge_system(proc->sys, n);
    if (rc == UMM_OK)
        proc->committed += n;
    return rc;
}

int mm_commit_charge_system(umm_system_t *sys, uint64_t n)
{
    MM_ASSERT_HELD(&sys->lock);
    if (UMM_FAILPOINT(COMMIT_CHARGE))
        return UMM_E_COMMIT_LIMIT;
    grow_if_needed(sys, n);
    if (n > sys->commit_limit)
        return UMM_E_COMMIT_LIMIT;
    if (sys->committed > sys->commit_limit - n && sys->phys && sys->phys->deflate)
        sys->phys->deflate(sys, sys->committed - (sys->commit_limit - n)); /* balloon gives back */
    if (sys->committed > sys->commit_limit - n)
        return UMM_E_COMMIT_LIMIT;
    sys->committed += n;
    if (sys->committed > sys->commit_peak)
        sys->commit_peak = sys->committed;
    return UMM_OK;
}

void mm_commit_uncharge(umm_process_t *proc, uint64_t n)
{
    UMM_ASSERT(proc->committed >= n);
    proc->committed -= n;
    mm_commit_uncharge_system(proc->sys, n);
}

void mm_commit_uncharge_system(umm_system_t *sys, uint64_t n)
{
    MM_ASSERT_HELD(&sys->lock);
    UMM_ASSERT(sys->committed >= n);
    sys->committed -= n;
}
