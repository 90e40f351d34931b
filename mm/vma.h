/* vma.h - counting the kernel mappings (VMAs) umm's pages need, and keeping them under budget.
 *
 * The kernel's vm.max_map_count (65,530 here) is a resource: at the limit mmap, mprotect and
 * even munmap fail process-wide. Within one reservation, two neighbouring pages share a VMA when
 * both are unmapped (anonymous PROT_NONE) or both map pool frames f, f+1 with the same
 * protection. Every other neighbour pair is a boundary, and a reservation needs 1 + boundaries
 * VMAs. Each VAD records which neighbour pairs are boundaries in a bitmap; after any change of
 * kernel state, mm_vma_refresh() reconciles the bits of the pairs touching the changed pages with
 * the PTEs and adjusts the counts. Reconciling (rather than adding a before/after difference)
 * stays exact when a change nests inside another, as when the host evicts a neighbouring
 * guest frame while a fault is being mapped. umm_check recounts everything. */
#ifndef UMM_VMA_H
#define UMM_VMA_H

#include "system.h"

/* Reconcile the boundary bits of pairs (i, i+1) touching pages [a, b) with the PTEs. */
void mm_vma_refresh(mm_vad_t *vad, size_t a, size_t b);
/* Does pair (i, i+1) need two kernel mappings? (The model, for umm_check's recount.) */
bool mm_vma_is_boundary(const mm_vad_t *vad, size_t i);

/* Bring the system's count down to `target` by replacing non-valid mappings (trimmed and stale
 * pages) with anonymous PROT_NONE, then trimming valid pages. Returns the count reached. */
uint64_t mm_vma_coalesce(umm_system_t *sys, uint64_t target);
/* Called after every change that may add mappings: coalesces to 3/4 of the budget when over it. */
void mm_vma_enforce_budget(umm_system_t *sys);

#endif
