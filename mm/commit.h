/* SPDX-License-Identifier: MIT */
/* commit.h - commit charge: every committed page is charged against the commit limit
 * (RAM + paging file), so that touching a committed page never fails for lack of memory.
 * Invariant: sys->committed = sum of process charges = committed PTEs, <= commit_limit. */
#ifndef UMM_COMMIT_H
#define UMM_COMMIT_H

#include "state.h"

/* Charge n pages to proc, or UMM_E_COMMIT_LIMIT changing nothing. System locked. */
int mm_commit_charge(umm_process_t *proc, uint64_t n);
/* Charge n pages to the system alone (a section, a balloon): the same growth and limit. */
int mm_commit_charge_system(umm_system_t *sys, uint64_t n);
void mm_commit_uncharge(umm_process_t *proc, uint64_t n);
void mm_commit_uncharge_system(umm_system_t *sys, uint64_t n);

#endif
