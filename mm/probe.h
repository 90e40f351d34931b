/* SPDX-License-Identifier: MIT */
/* probe.h - making a range of managed memory resident for an access and pinning it there without
 * a signal (Windows' MmProbeAndLockPages), for the program's I/O (io.c) and for locking pages in
 * the working set (umm_lock). Pages are made resident by the one fault resolver
 * (mm_fault_touch); a pin is a count in the frame's PFN entry that trimming, aging, the VMA
 * budget and the host respect, and that decommit, protect and release wait for. */
#ifndef UMM_PROBE_H
#define UMM_PROBE_H

#include "state.h"

/* Pages [first, first + n) of vad, each pinned once. */
typedef struct mm_pinned {
    mm_vad_t *vad;
    size_t first, n;
} mm_pinned_t;

/* The page-aligned range [*a, *b) that covers [addr, addr + bytes); UMM_E_RANGE if it is empty
 * or overflows, UMM_E_INVAL for NULL. */
int mm_probe_round(const umm_process_t *proc, const void *addr, size_t bytes, uintptr_t *a,
                   uintptr_t *b);
/* Could [a, b) (page-aligned) be pinned for the access? Inside one reservation of proc,
 * committed, the protection allowing it, no guard page. Changes nothing. */
int mm_probe_check(umm_process_t *proc, uintptr_t a, uintptr_t b, bool write);
/* Make [a, b) resident for the access and pin every page; all or nothing. Takes and drops the
 * locks itself (called with none held). */
int mm_probe_pin(umm_process_t *proc, uintptr_t a, uintptr_t b, bool write, mm_pinned_t *out);
/* Are any pages of [a, b) (page-aligned) paged out, so that filling them whole
 * (mm_probe_overwrite) would spare their reads? False too when [a, b) is not one reservation's. */
bool mm_probe_any_paged_out(umm_process_t *proc, uintptr_t a, uintptr_t b);
/* [a, b) (page-aligned) is about to hold the b - a bytes at src: its paged-out pages get them
 * without their old contents being read back (mm_fault_overwrite); filled[k] is set for each page
 * a + k pages so filled, the others are left for the probe. Takes and drops the locks itself. */
void mm_probe_overwrite(umm_process_t *proc, uintptr_t a, uintptr_t b, const uint8_t *src,
                        bool *filled);
/* Drop the pins of mm_probe_pin. System locked (asserted). */
void mm_probe_unpin_locked(const mm_pinned_t *pins);
void mm_probe_unpin(const mm_pinned_t *pins);

#endif
