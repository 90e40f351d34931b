/* SPDX-License-Identifier: MIT */
/* cow.h - copy-on-write views (MapViewOfFile(FILE_MAP_COPY), PAGE_WRITECOPY).
 *
 * A copy-on-write view (vad->copy_on_write) is a section view whose page is, until the view
 * writes it, the section's: PROTOTYPE, or VALID naming the section's frame (counted in share[]),
 * never dirty, so mapped at most read-only and the first write faults. That write gives the view
 * a private copy: a frame owned by the view's own PTE (the reverse map names the view, not the
 * prototype), and from then on the page is an ordinary private page of the process: VALID,
 * TRANSITION or PAGEFILE in the view's PTE, trimmed to Standby/Modified, written to the paging
 * file and read back as any private page, freed with the view. The section, its file and its
 * other views never see it.
 *
 * Commit: the view is charged for all its section pages when it is mapped (as Windows charges a
 * PAGE_WRITECOPY view), held in vad->committed, and uncharged when it is released; so the copy
 * never fails for commit, and the fault path never grows the paging file.
 *
 * Page by page: umm_protect(UMM_PROT_WRITECOPY) makes pages of any view copy-on-write (as
 * VirtualProtect(PAGE_WRITECOPY) does on Windows). Such a page still shared carries
 * UMM_PROT_WRITECOPY in its PTE's protection (with READ|WRITE, so a write is allowed and copies);
 * its copy is an ordinary private page (READ|WRITE). Commit as Windows charges it: a page is
 * charged when it becomes copy-on-write, stays charged once copied, and is uncharged if it is
 * protected back to a shared protection before any write (vad->committed counts them).
 *
 * Invariants (umm_check): a shared copy-on-write page is never DIRTY; a view's TRANSITION and
 * PAGEFILE PTEs and its VALID PTEs whose frame names the view are private copies; a view that is
 * not copy-on-write as a whole has committed == its private pages + its shared WRITECOPY pages.
 * System locked. */
#ifndef UMM_COW_H
#define UMM_COW_H

#include "state.h"

/* Is page k of view a private copy (the view's own), not the section's page? */
static inline bool mm_cow_private(const mm_vad_t *view, size_t k)
{
    mm_pte_t p = view->pte[k];
    switch (mm_pte_format(p)) {
    case PTE_VALID: return view->proc->sys->pfn.e[mm_pte_num(p)].vad == view->id + 1;
    case PTE_TRANSITION:
    case PTE_PAGEFILE: return true;
    default: return false;
    }
}

/* Is page k of view shared with the section and copy-on-write (a write copies it)? */
static inline bool mm_cow_shared(const mm_vad_t *view, size_t k)
{
    return view->section &&
           (view->copy_on_write || (mm_pte_prot(view->pte[k]) & UMM_PROT_WRITECOPY)) &&
           !mm_cow_private(view, k);
}

/* Does page k of view hold a commit charge of its own (a view not copy-on-write as a whole)? */
static inline bool mm_cow_charged(const mm_vad_t *view, size_t k)
{
    return mm_cow_private(view, k) || (mm_pte_prot(view->pte[k]) & UMM_PROT_WRITECOPY);
}

/* The protection page k of view stores for a requested `prot` with UMM_PROT_WRITECOPY: a page of
 * a copy-on-write view, or a private copy, READ|WRITE (already copy-on-write, already copied);
 * a shared page READ|WRITE|WRITECOPY. EXEC and the cache bits stay. */
int mm_cow_page_prot(const mm_vad_t *view, size_t k, int prot);

/* Around a protection change of pages [first, first + n) of vad to `prot`: begin charges the
 * pages that will become copy-on-write (UMM_E_COMMIT_LIMIT: nothing changed) and says in *before
 * how many held a charge; end, once the PTEs are written (all or, after a kernel refusal, some),
 * uncharges what the pages no longer hold. No-ops outside views that are not copy-on-write as a
 * whole. */
int mm_cow_protect_begin(mm_vad_t *vad, size_t first, size_t n, int prot, uint64_t *before);
void mm_cow_protect_end(mm_vad_t *vad, size_t first, size_t n, int prot, uint64_t before);

/* Give view page i (VALID, the section's frame) a private copy of it, mapped writable and dirty
 * in its place; the section frame loses this view's share. Async-signal-safe (a frame from the
 * lists, a memcpy through the physical view, one mapping call). UMM_OK (the access may retry),
 * UMM_E_NO_FRAMES (none available), or the kernel's refusal (nothing changed). */
int mm_cow_copy(mm_vad_t *view, size_t i);

/* Drop every page of a view being released (its mapping is gone already): its private copies
 * are freed, its section pages go back to the section (mm_proto_drop_view_page). */
void mm_cow_drop_view(mm_vad_t *view);

/* The protection umm_query reports for page i of vad: a copy-on-write view's page not written
 * yet is UMM_PROT_WRITECOPY (with its EXEC), a written one READ|WRITE, as VirtualQuery does. */
int mm_cow_query_prot(const mm_vad_t *vad, size_t i);

#endif
