/* SPDX-License-Identifier: MIT */
/* section.h - sections: shared memory backed by the paging file, with prototype PTEs (the
 * structure and its invariants are in state.h; the pages of views in proto.h). System locked. */
#ifndef UMM_SECTION_H
#define UMM_SECTION_H

#include "state.h"

struct mm_filemap;
/* A section of npages, backed by `file` (it takes it over: closed with the section) or, when
 * NULL, by the paging file (charged now). Not locked. */
int mm_section_create(umm_system_t *sys, size_t npages, struct mm_filemap *file, umm_section_t **out);
/* Release a view's pages and unlink it; a closed section without views is destroyed. */
void mm_section_release_view(mm_vad_t *view);
/* System destroy: every section still there (their views are gone already). */
void mm_section_destroy_all(umm_system_t *sys);

#endif
