/* SPDX-License-Identifier: MIT */
/* phys.h - a frame backend: what a system whose frames are not its own pool (a hypervisor guest)
 * supplies, so that mm/ can map, read and reclaim its frames. The hypervisor implements it
 * (hv/guest.c) and hands it to mm/ through the door (mm/guest.h). */
#ifndef UMM_PHYS_H
#define UMM_PHYS_H

#include "umm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a system's frames live. NULL for an ordinary system (its own memfd pool). A guest of the
 * hypervisor supplies these: its frames are guest-physical pages backed on demand by host
 * frames. Called with the system locked; they may take the host's lock (order: guest, host). */
typedef struct mm_phys_ops {
    /* Map frames f .. f+n-1 at va with `prot`. `write` asks for them privately writable now (a
     * write fault). *exact is set false when a page had to be mapped with less than prot (a
     * shared frame read-only): the caller marks those PTE_HW_RO instead of PTE_HW. UMM_OK or an
     * error code: UMM_E_NO_FRAMES when no frame could be had behind this one. */
    int (*map)(umm_system_t *sys, uintptr_t va, uint32_t f, size_t n, int prot, bool write,
               bool *exact);
    /* The frame's bytes, made present (and private when `write`) first; NULL when that failed
     * (no host frame, a host swap read error): the caller gives up without losing data. */
    void *(*frame_ptr)(umm_system_t *sys, uint32_t f, bool write);
    /* Are the frame's bytes in memory now (not paged out by the host)? A hint for checks that
     * may be skipped, so they do not page a frame in just to look at it. */
    bool (*resident)(umm_system_t *sys, uint32_t f);
    /* Give back up to n frames held by a balloon (deflate on pressure); returns how many. */
    size_t (*deflate)(umm_system_t *sys, size_t n);
} mm_phys_ops_t;

#endif
