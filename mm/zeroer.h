/* SPDX-License-Identifier: MIT */
/* zeroer.h - the zero page thread's work: zeroing Free frames into the Zeroed list in idle time,
 * so demand-zero faults rarely zero in the fault path. Frames being zeroed are off every list
 * (counted Active, unowned, pinned) while the lock is dropped for the memset. */
#ifndef UMM_ZEROER_H
#define UMM_ZEROER_H

#include "state.h"

/* Zero up to max Free frames; returns how many. Takes the lock itself. */
size_t mm_zeroer_batch(umm_system_t *sys, size_t max);
/* True when Free frames are waiting (unlocked read: a hint). */
bool mm_zeroer_pending(umm_system_t *sys);

#endif
