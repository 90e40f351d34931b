/* SPDX-License-Identifier: MIT */
/* notify.h - memory resource notifications (Windows' CreateMemoryResourceNotification): a
 * low-memory and a high-memory state evaluated against available memory, each exposed as a file
 * descriptor (an mm_os_event_t) that is readable exactly while the state holds, plus an optional
 * callback on change.
 * Evaluated by the workers after every balance pass and by umm_balance(). */
#ifndef UMM_NOTIFY_H
#define UMM_NOTIFY_H

#include "state.h"

/* Re-evaluate both states and signal the notifications whose state changed. Takes the lock
 * to read, calls callbacks without it. */
void mm_notify_evaluate(umm_system_t *sys);
/* Destroy every notification still registered (system destroy). */
void mm_notify_destroy_all(umm_system_t *sys);

#endif
