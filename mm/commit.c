/* commit.c - commit charge (see commit.h). */
#include "commit.h"

#include "assert.h"
#include "failpoint.h"

int commit_charge(umm_process_t *proc, uint64_t n)
{
    umm_system_t *sys = proc->sys;
    if (UMM_FAILPOINT("umm/commit/charge"))
        return UMM_E_COMMIT_LIMIT;
    if (n > sys->commit_limit || sys->committed > sys->commit_limit - n)
        return UMM_E_COMMIT_LIMIT;
    sys->committed += n;
    proc->committed += n;
    if (sys->committed > sys->commit_peak)
        sys->commit_peak = sys->committed;
    return UMM_OK;
}

void commit_uncharge(umm_process_t *proc, uint64_t n)
{
    UMM_ASSERT(proc->committed >= n && proc->sys->committed >= n);
    proc->committed -= n;
    proc->sys->committed -= n;
}
