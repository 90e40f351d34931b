/* SPDX-License-Identifier: MIT */
/* section.h - sections: shared memory backed by the paging file, with prototype PTEs (the
 * structure and its invariants are in state.h; the pages of views in proto.h). System locked. */
#ifndef UMM_SECTION_H
#define UMM_SECTION_H

#include "state.h"

/* Release a view's pages and unlink it; a closed section without views is destroyed. */
void mm_section_release_view(mm_vad_t *view);
/* Commit view pages [first, first + n) (all inside its sec_pages) that are not committed: their
 * section pages are charged and committed, with `prot` in this view and its own protection in
 * every other view that maps them. UMM_E_COMMIT_LIMIT changing nothing. */
int mm_section_commit_view(mm_vad_t *view, size_t first, size_t n, int prot);
/* System destroy: every section still there (their views are gone already). */
void mm_section_destroy_all(umm_system_t *sys);

#endif
