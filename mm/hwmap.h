/* SPDX-License-Identifier: MIT */
/* hwmap.h - the "hardware": making the kernel's mappings of managed pages match their PTEs.
 * Three operations, each one OS call over a run of pages: map frames (the pool's, or through a
 * guest's backend), change the protection of mapped frames, unmap back to the reservation's
 * inaccessible state. They return UMM_OK or an error code (the errno is kept by the OS layer)
 * and touch no PTE or counter: callers do, under the system lock. */
#ifndef UMM_HWMAP_H
#define UMM_HWMAP_H

#include "state.h"

/* Map frames f .. f+n-1 at va, through the system's backend when it has one (a guest). `write`:
 * a write fault wants them writable now. *exact is false when some page got less than prot (see
 * mm_phys_ops_t.map). */
int mm_hw_map(umm_system_t *sys, uintptr_t va, mm_pfn_id_t f, size_t n, int prot, bool write,
              bool *exact);
/* Change the protection of n mapped pages at va. */
int mm_hw_protect(umm_system_t *sys, uintptr_t va, size_t n, int prot);
/* Replace n pages at va with inaccessible reserved memory. */
int mm_hw_unmap(umm_system_t *sys, uintptr_t va, size_t n);

#endif
