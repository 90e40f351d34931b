/* SPDX-License-Identifier: MIT */
/* reclaim.h - getting frames back when a fault finds none: on the faulting thread itself (no
 * waiting for a worker), and waking the workers when available memory runs low. */
#ifndef UMM_RECLAIM_H
#define UMM_RECLAIM_H

#include "state.h"

/* Make frames available for a fault: write a modified cluster, else trim the largest working
 * set, else (a guest that would otherwise fail) deflate its balloon, else wait for frames that
 * the zero page thread or a write in flight holds. System locked; may drop
 * and retake the lock, so the caller must re-fault afterwards.
 * Returns false when nothing could be done (the fault then fails with no frames). */
bool mm_reclaim_for_fault(umm_system_t *sys);

/* Ask the workers for a balance pass now. Async-signal-safe (uv_async_send). */
void mm_reclaim_wake_workers(umm_system_t *sys);

#endif
