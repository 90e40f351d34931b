/* SPDX-License-Identifier: MIT */
/* balancer.h - the balance-set manager: keeps available memory (Zeroed + Free + Standby) above
 * the high threshold by aging working sets with the emulated accessed bit and trimming their
 * oldest pages, from the processes that are over their minimum, largest and least active
 * first; then lets the modified page writer turn the trimmed dirty pages into Standby. */
#ifndef UMM_BALANCER_H
#define UMM_BALANCER_H

#include "state.h"

enum balancer_aging {
    BAL_NO_AGING,  /* on-demand passes only trim, so that two passes a few milliseconds apart
                      do not make every hot page look idle */
    BAL_AGE_IF_DUE,/* the timer's passes: age when half an interval has passed since the last */
    BAL_AGE_NOW    /* umm_balance(): the caller sets the pace */
};

/* One pass. Takes the lock. */
void mm_balancer_pass(umm_system_t *sys, enum balancer_aging aging);
/* Trim up to `need` pages whose frames the backend does not share, idlest first, accessed ones
 * last (system locked): a guest's balloon driver finds no private frame free. Returns how many. */
uint64_t mm_balancer_trim_private(umm_system_t *sys, uint64_t need);

#endif
