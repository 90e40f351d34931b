/* SPDX-License-Identifier: MIT */
/* phys.h - a frame backend: what a system whose frames are not its own pool (a hypervisor guest)
 * supplies, so that mm/ can map, read and reclaim its frames. The hypervisor implements it
 * (hv/guest.c) and hands it to mm/ through the door (mm/guest.h). */
#ifndef UMM_PHYS_H
#define UMM_PHYS_H

#include "store.h"
#include "umm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the caller of frame_ptr will do with the frame's bytes. OVERWRITE: every byte is about
 * to be written (zeroing, a paging-file read, a whole-page copy), so the old contents need not
 * be produced: a backend that paged them out drops them instead of reading them back. */
typedef enum mm_frame_use {
    MM_FRAME_READ = 0,
    MM_FRAME_WRITE = 1,
    MM_FRAME_OVERWRITE = 2,
} mm_frame_use_t;

/* Where a system's frames live. NULL for an ordinary system (its own memfd pool). A guest of the
 * hypervisor supplies these: its frames are guest-physical pages backed on demand by host
 * frames. Called with the system locked (unless said otherwise); they may take the host's lock
 * (order: guest, host). */
typedef struct mm_phys_ops {
    /* Map frames f .. f+n-1 at va with `prot`. `write` asks for them privately writable now (a
     * write fault). *exact is set false when a page had to be mapped with less than prot (a
     * shared frame read-only): the caller marks those PTE_HW_RO instead of PTE_HW. UMM_OK or an
     * error code: UMM_E_NO_FRAMES when no frame could be had behind this one. */
    int (*map)(umm_system_t *sys, uintptr_t va, uint32_t f, size_t n, int prot, bool write,
               bool *exact);
    /* The frame's bytes, made present first (and private unless `use` is READ); NULL when that
     * failed (no host frame, a host swap read error): the caller gives up without losing data
     * (with OVERWRITE the old contents were not wanted anyway). */
    void *(*frame_ptr)(umm_system_t *sys, uint32_t f, mm_frame_use_t use);
    /* Are the frame's bytes in memory now (not paged out by the host)? A hint for checks that
     * may be skipped, so they do not page a frame in just to look at it. */
    bool (*resident)(umm_system_t *sys, uint32_t f);
    /* Give back up to n frames held by a balloon (deflate on pressure); returns how many. */
    size_t (*deflate)(umm_system_t *sys, size_t n);
    /* Optional. Is the frame's content on the backend's own disk (the host's swap file)? Then
     * the writer hands it over with write_swapped instead of reading it through a frame. */
    bool (*on_disk)(umm_system_t *sys, uint32_t f);
    /* Copy an on_disk frame's content straight to local `slot` of store `st` (disk to disk,
     * no frame, when the store is a paging file).
     * Called WITHOUT the system lock, the frame pinned (PFN_F_IO), so the backend leaves it
     * where it is meanwhile. UMM_OK or UMM_E_IO (nothing changed on either side). */
    int (*write_swapped)(umm_system_t *sys, uint32_t f, mm_store_t *st, uint64_t slot);
    /* Optional. Does reclaiming the frame free nothing behind it (the host shares its bytes
     * with other frames)? A hint: the trimmer and the balloon take such frames last. */
    bool (*shared)(umm_system_t *sys, uint32_t f);
} mm_phys_ops_t;

#endif
