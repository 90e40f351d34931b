/* SPDX-License-Identifier: MIT */
/* workers.h - the system's background thread: one libuv loop running the balance-set manager
 * (a timer every balance interval, and on demand through an async handle the fault path may
 * signal), the modified page writer (after each balance pass that finds work) and the zero page
 * thread (an idle handle, active only while Free frames wait to be zeroed). */
#ifndef UMM_WORKERS_H
#define UMM_WORKERS_H

#include "state.h"

int mm_workers_start(umm_system_t *sys, mm_workers_t **out);
/* Stop and join; any write in flight completes first. */
void mm_workers_stop(mm_workers_t *w);
/* Run fn(sys) on the worker thread soon (coalesced: several posts before it runs make one call).
 * For the layers above the fault resolver (prefetch.c), which the workers must not include: the
 * caller's queue holds the work, fn drains it. One kind of job per system. */
typedef void (*mm_workers_job_fn)(umm_system_t *sys);
void mm_workers_post(mm_workers_t *w, mm_workers_job_fn fn);
/* Request a balance pass (async-signal-safe). */
void mm_workers_wake(mm_workers_t *w);

#endif
