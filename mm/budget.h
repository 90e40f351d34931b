/* SPDX-License-Identifier: MIT */
/* budget.h - the VMA budget: umm must never reach the kernel's vm.max_map_count (at the limit
 * mmap, mprotect and even munmap fail process-wide), so when its estimate (vma.h) passes the
 * budget it coalesces: first it replaces the mappings of pages that are not valid (trimmed and
 * stale ones) with the reservation's anonymous PROT_NONE, then it trims valid pages, shortest
 * runs first (they cost the most mappings per page kept). The system lock is held (asserted). */
#ifndef UMM_BUDGET_H
#define UMM_BUDGET_H

#include "state.h"

/* Bring the system's count down to `target` by replacing non-valid mappings (trimmed and stale
 * pages) with anonymous PROT_NONE, then trimming valid pages. Returns the count reached. */
uint64_t mm_budget_coalesce(umm_system_t *sys, uint64_t target);
/* Called after every change that may add mappings: coalesces to 3/4 of the budget when over it. */
void mm_budget_enforce(umm_system_t *sys);

#endif
