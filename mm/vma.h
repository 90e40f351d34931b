/* vma.h - counting the kernel mappings (VMAs) umm's pages need, and keeping them under budget.
 *
 * The kernel's vm.max_map_count (65,530 here) is a resource: at the limit mmap, mprotect and
 * even munmap fail process-wide. Within one reservation, two neighbouring pages share a VMA when
 * both are unmapped (anonymous PROT_NONE) or both map pool frames f, f+1 with the same
 * protection. Every other neighbour pair is a boundary, and a reservation needs 1 + boundaries
 * VMAs. Each change of kernel state is bracketed by vma_span_boundaries() before and
 * vma_span_update() after, so the counts stay exact with respect to this model (umm_check
 * recounts them). */
#ifndef UMM_VMA_H
#define UMM_VMA_H

#include "system.h"

/* Boundaries between pairs (i, i+1) that touch pages [a, b) of the VAD. */
uint64_t vma_span_boundaries(const umm_vad_t *vad, size_t a, size_t b);
/* Apply the change from `before` to `after` boundaries to the VAD, process and system counts. */
void vma_span_update(umm_vad_t *vad, uint64_t before, uint64_t after);

/* Bring the system's count down to `target` by replacing non-valid mappings (trimmed and stale
 * pages) with anonymous PROT_NONE, then trimming valid pages. Returns the count reached. */
uint64_t vma_coalesce(umm_system_t *sys, uint64_t target);
/* Called after every change that may add mappings: coalesces to 3/4 of the budget when over it. */
void vma_enforce_budget(umm_system_t *sys);

#endif
