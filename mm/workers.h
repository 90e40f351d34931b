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
/* Run the queued prefetch jobs (prefetch.c) on the worker thread. */
void mm_workers_prefetch(mm_workers_t *w);
/* Request a balance pass (async-signal-safe). */
void mm_workers_wake(mm_workers_t *w);

#endif
