/* vad.h - reservations: creating and destroying VADs and finding the one an API call names. */
#ifndef UMM_VAD_H
#define UMM_VAD_H

#include "system.h"

/* Allocate a VAD for [start, start + bytes) with an empty page table (not yet in any table). */
umm_vad_t *vad_alloc(umm_process_t *proc, uintptr_t start, size_t bytes, int prot);
void vad_free(umm_vad_t *vad);

/* Give the VAD an id and link it into its process (caller holds the system lock). */
int vad_attach(umm_vad_t *vad);
/* Unlink from the process and the id table (caller holds the system lock). */
void vad_detach(umm_vad_t *vad);
/* Only an id in the table (a section's prototype VAD: no mapping, no process list). */
int vad_attach_id(umm_vad_t *vad);
void vad_detach_id(umm_vad_t *vad);

/* Check [addr, addr + bytes) as an API range: page-aligned, non-empty, no overflow, inside one
 * reservation of proc. On success the system is locked and *vad, *first, *npages are set; on
 * failure nothing is locked and the error is returned. bytes is rounded up to pages. */
int vad_range_lock(umm_process_t *proc, const void *addr, size_t bytes, umm_vad_t **vad,
                   size_t *first, size_t *npages);

#endif
