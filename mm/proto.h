/* SPDX-License-Identifier: MIT */
/* proto.h - the pages of section views: a view's PTE is PROTOTYPE (the section page is not mapped
 * here) or VALID (the section's frame, mapped here, counted in share[]); the section's prototype
 * PTE is VALID exactly while some view maps its frame (see struct umm_section in state.h). These
 * are the moves between the two that trimming, releasing and the host need; the fault that makes
 * a view page VALID is in fault.c. The system lock is held (asserted). */
#ifndef UMM_PROTO_H
#define UMM_PROTO_H

#include "state.h"

/* View page k (VALID, its mapping already revoked) leaves the working set: back to PROTOTYPE.
 * When no view maps the frame any more it goes to Modified (written through some view since it
 * was last written out), Standby (it has a paging-file copy) or, never written, back to Zeroed
 * with the prototype demand-zero again. `trimmed`: count it as a trim. */
void mm_proto_drop_view_page(mm_vad_t *view, size_t k, bool trimmed);
/* Take every view's kernel mapping of section frame f (prototype index `index`) away. */
void mm_proto_unmap_frame(umm_section_t *sec, mm_pfn_id_t f, size_t index);

#endif
