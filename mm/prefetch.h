/* SPDX-License-Identifier: MIT */
/* prefetch.h - umm_prefetch's queue: jobs the caller leaves for the system's worker thread. */
#ifndef UMM_PREFETCH_H
#define UMM_PREFETCH_H

#include "state.h"

/* Run every queued job (the worker thread; no lock held). */
void mm_prefetch_run(umm_system_t *sys);
/* Drop the jobs still queued (system destroy, after the workers stopped). */
void mm_prefetch_drop_all(umm_system_t *sys);

#endif
