/* section.h - sections: shared memory backed by the paging file, with prototype PTEs.
 *
 * A section's pages live in a prototype VAD (no address range, not in the registry; owned by
 * the system's hidden section process): one prototype PTE per page, DEMAND_ZERO, VALID (the
 * frame is Active: at least one view maps it), TRANSITION (the frame is on Standby/Modified) or
 * PAGEFILE. A frame's reverse map names the prototype PTE. A view is an ordinary reservation of a
 * process whose PTEs are PROTOTYPE (index) or VALID (the section's frame, mapped here).
 *
 * Invariants (umm_check): share[i] = views whose PTE i is VALID; the prototype PTE i is VALID
 * exactly when share[i] > 0, and then every VALID view PTE i names its frame; a view charges no
 * commit (the section did, once); a view's pages past the section's (its reservation's 64 KiB
 * tail) stay uncommitted: commit and protect refuse them, and refuse to raise a view's
 * protection above what it was mapped with (as Windows). Caller holds the system lock for everything but the API. */
#ifndef UMM_SECTION_H
#define UMM_SECTION_H

#include "fault.h"
#include "system.h"

struct umm_section {
    umm_system_t *sys;
    mm_vad_t *proto;      /* prototype PTEs; the owner of the section's frames */
    uint32_t *share;       /* per page: VALID view PTEs naming its frame */
    mm_vad_t *views;      /* linked through next_view */
    size_t npages;
    bool closed;           /* the handle is closed: the section goes with its last view */
    umm_section_t *next;   /* sys->sections */
};

/* A fault on a view page whose PTE is PROTOTYPE: make the section page resident (demand zero,
 * soft, or a hard fault read with the lock held) and map its frame here. */
enum fault_result mm_section_fault(mm_vad_t *view, size_t i, bool write, umm_exception_t *exc);
/* View page k (VALID, its mapping already revoked) leaves the working set: back to PROTOTYPE;
 * when no view maps the frame any more it goes to Modified, Standby, or (never written) Free. */
void mm_section_drop_view_page(mm_vad_t *view, size_t k, bool trimmed);
/* Release a view's pages and unlink it; a closed section without views is destroyed. */
void mm_section_release_view(mm_vad_t *view);
/* Take every view's kernel mapping of section frame f away (the host reclaiming it). */
void mm_section_invalidate_frame(umm_section_t *sec, mm_pfn_id_t f, size_t index);
/* System destroy: every section still there (their views are gone already). */
void mm_section_destroy_all(umm_system_t *sys);

#endif
