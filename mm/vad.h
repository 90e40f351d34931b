/* SPDX-License-Identifier: MIT */
/* vad.h - reservations: creating and destroying VADs and finding the one an API call names. */
#ifndef UMM_VAD_H
#define UMM_VAD_H

#include "state.h"

/* A new reservation of proc: `bytes` of address space aligned to `alignment`, and its VAD with an
 * empty page table, attached to the process and registered. Takes the locks itself. */
int mm_vad_create(umm_process_t *proc, size_t bytes, size_t alignment, int prot, mm_vad_t **out);
/* As mm_vad_create, at the highest free address umm finds (MEM_TOP_DOWN, os.h). */
int mm_vad_create_top_down(umm_process_t *proc, size_t bytes, size_t alignment, int prot,
                           mm_vad_t **out);
/* As mm_vad_create, at exactly `addr` (UMM_E_BUSY when the range is in use). */
int mm_vad_create_at(umm_process_t *proc, uintptr_t addr, size_t bytes, int prot, mm_vad_t **out);
/* Undo mm_vad_create for a reservation nothing has used yet (nothing committed, no view). */
void mm_vad_destroy_unused(mm_vad_t *vad);

/* Allocate a VAD for [start, start + bytes) with an empty page table (not yet in any table). */
mm_vad_t *mm_vad_alloc(umm_process_t *proc, uintptr_t start, size_t bytes, int prot);
void mm_vad_free(mm_vad_t *vad);

/* Give the VAD an id and link it into its process (the system lock held: asserted). */
int mm_vad_attach(mm_vad_t *vad);
/* Unlink from the process and the id table (the system lock held: asserted). */
void mm_vad_detach(mm_vad_t *vad);
/* Only an id in the table (a section's prototype VAD: no mapping, no process list). */
int mm_vad_attach_id(mm_vad_t *vad);
void mm_vad_detach_id(mm_vad_t *vad);

/* Check [addr, addr + bytes) as an API range: page-aligned, non-empty, no overflow, inside one
 * reservation of proc. On success the system is locked and *vad, *first, *npages are set; on
 * failure nothing is locked and the error is returned. bytes is rounded up to pages. */
int mm_vad_range_lock(umm_process_t *proc, const void *addr, size_t bytes, mm_vad_t **vad,
                   size_t *first, size_t *npages);

/* Does paging I/O hold a frame of [a, b), or is a fault through this VAD reading with the lock
 * dropped? Such pages must not be freed, nor the VAD released, until it ends. System locked. */
bool mm_vad_io_busy(const mm_vad_t *vad, size_t a, size_t b);
/* Wait (lock dropped, CPU yielded) until it does not. The caller has claimed the VAD (releasing)
 * or re-validates it afterwards. */
void mm_vad_wait_io(mm_vad_t *vad, size_t a, size_t b);

#endif
