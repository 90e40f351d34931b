/* SPDX-License-Identifier: MIT */
/* check.c - umm_check: recompute every derived quantity and compare (tests call it after each
 * step; debug builds are the audience, but it works in any build). */
#include "handle.h"
#include "state.h"

#include "cow.h"
#include "frames.h"
#include "section.h"
#include "vma.h"

#include <stdio.h>
#include <stdlib.h>

/* UMM_CHECK_VERBOSE=1 in the environment names the invariant that failed (stderr). */
static bool report(bool ok, const char *what)
{
    static int verbose = -1;
    if (verbose < 0) {
        const char *v = getenv("UMM_CHECK_VERBOSE");
        verbose = v && *v == '1';
    }
    if (!ok && verbose)
        fprintf(stderr, "umm_check: %s does not hold\n", what);
    return ok;
}

/* Each frame that names an owner is named back by that owner's PTE, in the right format. */
static bool frames_match_ptes(umm_system_t *sys)
{
    for (mm_pfn_id_t f = 0; f < sys->pfn.nframes; f++) {
        const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
        enum mm_list_id l = (enum mm_list_id)e->list;
        bool owned = l == LIST_ACTIVE || mm_pfn_list_is_standby(l) || l == LIST_MODIFIED ||
                     l == LIST_MODIFIED_NOWRITE;
        if ((e->flags & PFN_F_READAHEAD) && !mm_pfn_list_is_standby(l))
            return false; /* read ahead and unused: only ever on Standby */
        if ((e->flags & PFN_F_READ_BACK) && l != LIST_ACTIVE)
            return false; /* mapped clean by a read fault: only while Active */
        if (!owned)
            continue;
        mm_vad_t *vad = mm_pfn_owner_vad(sys, f);
        if (!vad && l == LIST_ACTIVE && (e->flags & PFN_F_BALLOON))
            continue; /* held by a balloon driver */
        if (!vad || e->index >= vad->npages)
            return false;
        mm_pte_t p = vad->pte[e->index];
        /* Active frames under a paging read are named by TRANSITION PTEs until it completes. */
        bool reading = l == LIST_ACTIVE && (e->flags & PFN_F_IO);
        unsigned want = l == LIST_ACTIVE && !reading ? PTE_VALID : PTE_TRANSITION;
        if (mm_pte_format(p) != want || mm_pte_num(p) != f)
            return false;
    }
    return true;
}

/* Recount one VAD: its PTEs name frames that name them back (a view's frames name its
 * section's prototype PTE, a view charges nothing); committed and boundaries add up. *valid
 * counts valid PTEs, *shared those of views. */
/* Each PTE that names a frame is named back by it (a view's frames name the section's prototype
 * PTE); *valid counts valid PTEs, *shared those of views, *committed committed ones. */
static bool vad_frames_consistent(umm_system_t *sys, const mm_vad_t *vad, uint64_t *valid,
                                  uint64_t *shared, uint64_t *committed)
{
    for (size_t i = 0; i < vad->npages; i++) {
        mm_pte_t p = vad->pte[i];
        /* a copy-on-write view charges its pages itself; another view its copy-on-write pages
         * and their copies (cow.h); its private pages are its own */
        *committed += vad->section && !vad->copy_on_write
                          ? mm_cow_charged(vad, i)
                          : mm_pte_committed(p);
        if (mm_pte_has_frame(p) && mm_pte_num(p) >= sys->pfn.nframes)
            return false;
        bool own = !vad->section || mm_cow_private(vad, i);
        if (mm_cow_shared(vad, i) && (p & PTE_DIRTY))
            return false; /* would be mapped writable: writes would reach the section */
        if (!mm_pte_has_frame(p))
            continue;
        const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p));
        uint32_t owner = own ? vad->id + 1 : vad->section->proto->id + 1;
        if (e->vad != owner || e->index != i + (own ? 0 : vad->sec_first))
            return false;
        *valid += mm_pte_format(p) == PTE_VALID;
        *shared += !own;
    }
    return true;
}

static bool vad_chunks_consistent(const mm_vad_t *vad)
{
    for (size_t c = 0; c <= (vad->npages - 1) >> VAD_CHUNK_SHIFT; c++) {
        unsigned n = 0;
        for (size_t i = c << VAD_CHUNK_SHIFT; i < vad->npages && i < (c + 1) << VAD_CHUNK_SHIFT; i++)
            n += mm_pte_format(vad->pte[i]) == PTE_VALID;
        if (n != vad->chunk_valid[c])
            return false;
    }
    return true;
}

static bool vad_boundaries_consistent(const mm_vad_t *vad)
{
    uint64_t boundaries = 0;
    for (size_t i = 0; i + 1 < vad->npages; i++) {
        bool bit = (vad->bbits[i / 64] >> (i % 64)) & 1;
        if (bit != mm_vma_is_boundary(vad, i))
            return false;
        boundaries += bit;
    }
    return boundaries == vad->boundaries;
}

/* Recount one VAD: sentinels, reverse maps, per-chunk valid counts, VMA boundary bits, the
 * committed count. */
static bool vad_consistent(umm_system_t *sys, const mm_vad_t *vad, uint64_t *valid,
                           uint64_t *shared)
{
    uint64_t committed = 0;
    return report(vad->pte[-1] == 0 && vad->pte[vad->npages] == 0, "a VAD's sentinel PTEs") &&
           report(vad_frames_consistent(sys, vad, valid, shared, &committed),
                  "a VAD's PTE -> frame reverse map") &&
           report(vad_chunks_consistent(vad), "a VAD's per-chunk valid counts") &&
           report(vad_boundaries_consistent(vad), "a VAD's VMA boundary bits") &&
           report(committed == vad->committed, "a VAD's committed count");
}

/* Each section: share[i] counts the views whose PTE i is valid and names its frame (not a
 * copy-on-write copy); its prototype PTE i is valid exactly when that is non-zero; its views'
 * PTE i is committed exactly when the prototype's is, and `committed` counts those. *resident
 * counts valid prototype PTEs. */
static bool sections_consistent(umm_system_t *sys, uint64_t *resident, uint64_t *charged)
{
    for (umm_section_t *sec = sys->sections; sec; sec = sec->next) {
        *charged += sec->file ? 0 : sec->committed; /* a file section charges nothing */
        size_t committed = 0;
        for (size_t i = 0; i < sec->npages; i++) {
            uint32_t n = 0;
            bool is_committed = mm_pte_committed(sec->proto->pte[i]);
            for (mm_vad_t *v = sec->views; v; v = v->next_view) {
                if (!mm_view_maps(v, i))
                    continue;
                mm_pte_t p = v->pte[i - v->sec_first];
                if (mm_pte_committed(p) != is_committed)
                    return false; /* a view page is committed exactly when its section's is */
                n += mm_pte_format(p) == PTE_VALID &&
                     !mm_cow_private(v, i - v->sec_first); /* a copy is not the section's */
            }
            bool valid = mm_pte_format(sec->proto->pte[i]) == PTE_VALID;
            if (n != sec->share[i] || valid != (n > 0))
                return false;
            *resident += valid;
            committed += is_committed;
        }
        if (committed != sec->committed)
            return false;
    }
    return true;
}

static bool processes_consistent(umm_system_t *sys)
{
    uint64_t committed = 0, ws = 0, vmas = 1, view_valid = 0, resident = 0, charged = 0;
    if (!report(sections_consistent(sys, &resident, &charged), "a section's share counts"))
        return false;
    for (umm_process_t *p = sys->procs; p; p = p->next) {
        uint64_t pc = 0, pv = 0, pvma = 0;
        for (mm_vad_t *v = p->vads; v; v = v->next_in_proc) {
            if (!vad_consistent(sys, v, &pv, &view_valid))
                return false;
            pc += v->committed;
            pvma += 1 + v->boundaries;
        }
        if (!report(pc == p->committed && pv == p->ws_size && pvma == p->vma_count,
                    "a process's committed/working-set/VMA counts"))
            return false;
        committed += pc;
        ws += pv;
        vmas += pvma;
    }
    /* Active frames are the valid pages plus frames in transit (being read in) or held by a
     * balloon. Balloon frames are charged to the system's commit, not to a process. */
    uint64_t balloon = 0;
    for (mm_pfn_id_t f = 0; f < sys->pfn.nframes; f++)
        balloon += (mm_pfn_entry(&sys->pfn, f)->flags & PFN_F_BALLOON) != 0;
    uint64_t in_transit = 0;
    for (mm_pfn_id_t f = 0; f < sys->pfn.nframes; f++)
        in_transit += mm_pfn_list(&sys->pfn, f) == LIST_ACTIVE &&
                      (mm_pfn_entry(&sys->pfn, f)->flags & (PFN_F_IO | PFN_F_BALLOON));
    /* A section frame mapped by several views is one Active frame but several valid PTEs. */
    uint64_t active = ws - view_valid + resident + in_transit;
    return report(committed + balloon + charged == sys->committed &&
                      charged == sys->section_committed, "commit charge = committed pages") &&
           report(ws == sys->ws_total, "working set = valid pages") &&
           report(vmas == sys->vma_count, "VMA estimate = recount") &&
           report(active == mm_pfn_list_count(&sys->pfn, LIST_ACTIVE), "active = valid + in transit") &&
           report(sys->committed <= sys->commit_limit, "charge <= limit");
}

/* Locked pages: each process's count is its PTEs with PTE_LOCKED, the system's their sum; each
 * frame's `locks` counts the locked PTEs naming it; a frame with pins or locks is Active; the
 * system counts the pinned frames. */
static bool locks_consistent(umm_system_t *sys)
{
    uint32_t *locks = calloc(sys->pfn.nframes ? sys->pfn.nframes : 1, sizeof *locks);
    if (!locks)
        return true; /* no memory to recount with: nothing to say */
    uint64_t total = 0, pinned = 0;
    bool ok = true;
    for (umm_process_t *p = sys->procs; p && ok; p = p->next) {
        uint64_t n = 0;
        for (mm_vad_t *v = p->vads; v; v = v->next_in_proc)
            for (size_t i = 0; i < v->npages; i++)
                if (v->pte[i] & PTE_LOCKED) {
                    n++;
                    locks[mm_pte_num(v->pte[i])]++;
                }
        ok = n == p->locked_pages;
        total += n;
    }
    for (mm_pfn_id_t f = 0; ok && f < sys->pfn.nframes; f++) {
        const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
        /* only an Active frame has counts (mm_pfn_t): a PTE_LOCKED naming a frame on a list
         * shows up here as locks[f] != 0 */
        pinned += mm_pfn_pins(e) != 0;
        ok = mm_pfn_locks(e) == locks[f];
    }
    free(locks);
    return ok && total == sys->locked_pages && pinned == sys->pinned_frames;
}

/* Mark slot s as referenced; false if it already was or the paging file does not have it used. */
static bool claim_slot(umm_system_t *sys, uint64_t *seen, uint64_t s)
{
    if (s >= sys->stores.end || !mm_stores_slot_used(&sys->stores, s) || (seen[s / 64] >> (s % 64)) & 1)
        return false;
    seen[s / 64] |= 1ull << (s % 64);
    return true;
}

static bool claim_pagefile_ptes(umm_system_t *sys, const mm_vad_t *v, uint64_t *seen, uint64_t *refs)
{
    for (size_t i = 0; i < v->npages; i++)
        if (mm_pte_format(v->pte[i]) == PTE_PAGEFILE) {
            if (!claim_slot(sys, seen, mm_pte_num(v->pte[i])))
                return false;
            (*refs)++;
        }
    return true;
}

/* Every used slot is referenced exactly once: by a PAGEFILE PTE or by a frame's copy (or kept
 * for its next write: a stale slot, never on a Standby frame, whose copy standby relies on). */
static bool slots_consistent(umm_system_t *sys)
{
    if (!mm_sys_has_pagefile(sys))
        return true;
    uint64_t *seen = calloc((sys->stores.end + 64) / 64, sizeof *seen);
    if (!seen)
        return false;
    uint64_t refs = 0, stale = 0;
    bool ok = true;
    for (mm_pfn_id_t f = 0; ok && f < sys->pfn.nframes; f++) {
        const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
        if (e->flags & PFN_F_STALE_SLOT) {
            ok = e->slot != 0 && !mm_pfn_list_is_standby((enum mm_list_id)e->list) &&
                 !mm_frame_in_file(sys, f);
            stale++;
        }
        if (ok && e->slot && !mm_frame_in_file(sys, f)) {
            ok = claim_slot(sys, seen, e->slot - 1);
            refs++;
        }
    }
    ok = ok && stale == sys->stale_slots;
    for (umm_process_t *p = sys->procs; ok && p; p = p->next)
        for (mm_vad_t *v = p->vads; ok && v; v = v->next_in_proc)
            ok = claim_pagefile_ptes(sys, v, seen, &refs);
    for (umm_section_t *sec = sys->sections; ok && sec; sec = sec->next)
        if (!sec->file) /* a file section's PAGEFILE PTEs name its file's pages, not slots */
            ok = claim_pagefile_ptes(sys, sec->proto, seen, &refs);
    free(seen);
    return ok && refs == mm_stores_used(&sys->stores);
}

/* May this frame's bytes be read now without making a guest's host page it in? */
static bool frame_readable(umm_system_t *sys, mm_pfn_id_t f)
{
    return !sys->phys || !sys->phys->resident || sys->phys->resident(sys, f);
}

/* The zero promises the fault and trim paths rely on: every frame on Zeroed holds zeros, and
 * every VALID page that is clean and has no paging-file copy holds zeros (trimming returns such a
 * page to demand-zero without looking). A frame that breaks either would hand one page's data to
 * another page's fresh demand-zero fault. */
static bool zero_promises_hold(umm_system_t *sys)
{
    for (mm_pfn_id_t f = mm_pfn_list_head(&sys->pfn, LIST_ZEROED); f != PFN_NIL;
         f = mm_pfn_entry(&sys->pfn, f)->next)
        if (frame_readable(sys, f) && !mm_frame_is_zero(sys, f))
            return false;
    for (umm_process_t *p = sys->procs; p; p = p->next)
        for (mm_vad_t *v = p->vads; v; v = v->next_in_proc) {
            if (v->section)
                continue;
            for (size_t i = 0; i < v->npages; i++) {
                mm_pte_t q = v->pte[i];
                if (mm_pte_format(q) != PTE_VALID || (q & PTE_DIRTY))
                    continue;
                mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(q);
                if (mm_pfn_entry(&sys->pfn, f)->slot == 0 && frame_readable(sys, f) &&
                    !mm_frame_is_zero(sys, f))
                    return false;
            }
        }
    return true;
}

int umm_check(umm_system_t *sys)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    mm_lock(&sys->lock);
    bool ok = report(mm_pfndb_check(&sys->pfn), "the page lists") &&
              report(frames_match_ptes(sys), "the frame -> PTE reverse map") &&
              report(processes_consistent(sys), "the process/VAD counts") &&
              report(locks_consistent(sys), "locked pages and pinned frames") &&
              report(slots_consistent(sys), "the paging-file slot accounting") &&
              report(zero_promises_hold(sys), "zeroed frames and clean pages without a copy hold zeros");
    mm_unlock(&sys->lock);
    return ok ? UMM_OK : UMM_E_STATE;
}
