/* SPDX-License-Identifier: MIT */
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
 * guest frame while a fault is being mapped. umm_check recounts everything. Keeping the count
 * under the budget is budget.h's. */
#ifndef UMM_VMA_H
#define UMM_VMA_H

#include "state.h"

/* Reconcile the boundary bits of pairs (i, i+1) touching pages [a, b) with the PTEs. */
void mm_vma_refresh(mm_vad_t *vad, size_t a, size_t b);
/* Does pair (i, i+1) need two kernel mappings? (The model, for umm_check's recount.) */
bool mm_vma_is_boundary(const mm_vad_t *vad, size_t i);

#endif
