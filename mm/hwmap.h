/* hwmap.h - the "hardware": making the kernel's mappings of managed pages match their PTEs.
 * Three operations, each one system call over a run of pages: map pool frames, change the
 * protection of mapped frames, unmap back to the reservation's anonymous PROT_NONE. They return
 * 0 or an errno and touch no PTE or counter (callers do, under the system lock). */
#ifndef UMM_HWMAP_H
#define UMM_HWMAP_H

#include "system.h"

#include <sys/types.h>

/* Map frames f .. f+n-1 at va (MAP_FIXED, shared, populated when accessible), through the
 * system's backend when it has one (a guest). `write`: a write fault wants them writable now.
 * *exact is false when some page got less than prot (see umm_phys_ops_t.map). */
int hw_map(umm_system_t *sys, uintptr_t va, umm_pfn_id_t f, size_t n, int prot, bool write,
           bool *exact);
/* Map zero-filled private anonymous memory at va (reads see zeros; a backend's shared zero). */
int hw_map_anon(uintptr_t va, size_t len, int prot);
/* Map n pages of a memfd at va from byte offset off (the raw operation backends build on). */
int hw_map_fd(int fd, uintptr_t va, size_t len, int prot, off_t off);
/* Change the protection of n mapped pages at va. */
int hw_protect(umm_system_t *sys, uintptr_t va, size_t n, int prot);
/* Replace n pages at va with anonymous PROT_NONE (the state of reserved memory). */
int hw_unmap(umm_system_t *sys, uintptr_t va, size_t n);

#endif
