/* section.c - sections: shared memory with prototype PTEs (see section.h). */
#include "handle.h"
#include "section.h"

#include "assert.h"
#include "commit.h"
#include "frames.h"
#include "hwmap.h"
#include "pagefile.h"
#include "reclaim.h"
#include "vad.h"
#include "vma.h"
#include "ws.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>

/* The hidden process that owns prototype VADs (created on first use; not in sys->procs, so the
 * balancer and umm_check's process walk leave it alone). */
static umm_process_t *section_process(umm_system_t *sys)
{
    if (!sys->section_proc) {
        sys->section_proc = calloc(1, sizeof *sys->section_proc);
        if (sys->section_proc)
            sys->section_proc->sys = sys;
    }
    return sys->section_proc;
}

int umm_section_create(umm_system_t *sys, size_t bytes, umm_section_t **out)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (!out)
        return UMM_E_INVAL;
    if (bytes == 0 || bytes > ((size_t)1 << 46))
        return UMM_E_RANGE;
    size_t npages = (bytes + sys->page_size - 1) >> sys->page_shift;
    /* More than the limit could ever grow to: refuse before sizing any table by it. */
    if (npages > sys->commit_limit + (sys->pf.max_slots - sys->pf.nslots))
        return UMM_E_COMMIT_LIMIT;
    umm_section_t *sec = mm_handle_alloc(HANDLE_SECTION, sizeof *sec);
    uint32_t *share = calloc(npages, sizeof *share);
    mm_lock(&sys->lock);
    umm_process_t *owner = section_process(sys);
    mm_vad_t *proto = owner ? mm_vad_alloc(owner, 0, npages << sys->page_shift, UMM_PROT_WRITE) : NULL;
    int rc = sec && share && proto ? UMM_OK : UMM_E_NOMEM;
    if (rc == UMM_OK)
        rc = mm_commit_charge_system(sys, npages); /* grows the paging file as a commit would */
    if (rc == UMM_OK && (rc = mm_vad_attach_id(proto)) != UMM_OK) {
        sys->committed -= npages;
    }
    if (rc == UMM_OK) {
        for (size_t i = 0; i < npages; i++)
            mm_pte_write(&proto->pte[i], mm_pte_make(PTE_DEMAND_ZERO, UMM_PROT_WRITE, 0));
        proto->proto_of = sec;
        *sec = (umm_section_t){.sys = sys, .proto = proto, .share = share, .npages = npages,
                               .next = sys->sections};
        sys->sections = sec;
        sys->section_committed += npages;
    }
    mm_unlock(&sys->lock);
    if (rc != UMM_OK) {
        mm_vad_free(proto);
        free(share);
        mm_handle_free(sec);
        return rc;
    }
    mm_handle_publish(sec);
    *out = sec;
    return UMM_OK;
}

int umm_section_map(umm_process_t *proc, umm_section_t *sec, int prot, void **out)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    HANDLE_CHECK(sec, HANDLE_SECTION);
    if (!out || proc->sys != sec->sys ||
        (prot != UMM_PROT_READ && prot != (UMM_PROT_READ | UMM_PROT_WRITE)))
        return UMM_E_INVAL;
    umm_system_t *sys = proc->sys;
    void *base;
    int rc = umm_reserve(proc, sec->npages << sys->page_shift, prot, &base);
    if (rc != UMM_OK)
        return rc;
    mm_lock(&sys->lock);
    if (sec->closed) {
        rc = UMM_E_STATE;
    } else {
        mm_vad_t *view = proc->vads;
        while (view->start != (uintptr_t)base) /* the reservation just made */
            view = view->next_in_proc;
        for (size_t i = 0; i < sec->npages; i++)
            mm_vad_pte_write(view, i, mm_pte_make(PTE_PROTOTYPE, prot, i));
        view->section = sec;
        view->next_view = sec->views;
        sec->views = view;
    }
    mm_unlock(&sys->lock);
    if (rc != UMM_OK) {
        umm_release(proc, base);
        return rc;
    }
    *out = base;
    return UMM_OK;
}

/* Free everything the section holds. System locked, no views. */
static void destroy_locked(umm_section_t *sec)
{
    umm_system_t *sys = sec->sys;
    mm_vad_t *proto = sec->proto;
    for (size_t i = sec->npages; i-- > 0;) {
        mm_pte_t p = proto->pte[i];
        UMM_ASSERT(mm_pte_format(p) != PTE_VALID);
        if (mm_pte_format(p) == PTE_TRANSITION)
            mm_frame_release(sys, (mm_pfn_id_t)mm_pte_num(p), false);
        else if (mm_pte_format(p) == PTE_PAGEFILE)
            mm_pagefile_free(&sys->pf, mm_pte_num(p));
        mm_pte_write(&proto->pte[i], 0);
    }
    sys->committed -= sec->npages;
    sys->section_committed -= sec->npages;
    for (umm_section_t **pp = &sys->sections; *pp; pp = &(*pp)->next)
        if (*pp == sec) {
            *pp = sec->next;
            break;
        }
    mm_vad_detach_id(proto);
}

static void destroy(umm_section_t *sec)
{
    mm_vad_free(sec->proto);
    free(sec->share);
    mm_handle_free(sec);
}

int umm_section_close(umm_section_t *sec)
{
    HANDLE_CHECK(sec, HANDLE_SECTION);
    umm_system_t *sys = sec->sys;
    mm_handle_retire(sec); /* a second close is UMM_E_HANDLE; views keep the object alive */
    mm_lock(&sys->lock);
    bool gone = false;
    sec->closed = true;
    if (!sec->views) {
        destroy_locked(sec);
        gone = true;
    }
    mm_unlock(&sys->lock);
    if (gone)
        destroy(sec);
    return UMM_OK;
}

/* How a section page became resident, for the fault counters. */
enum resident_kind { WAS_RESIDENT, FROM_LIST, DEMAND_ZERO, FROM_PAGEFILE };

/* Make prototype page idx resident: its frame, Active, prototype PTE VALID. */
static int make_resident(umm_section_t *sec, size_t idx, umm_process_t *for_proc,
                         enum resident_kind *kind)
{
    umm_system_t *sys = sec->sys;
    mm_vad_t *proto = sec->proto;
    mm_pte_t p = proto->pte[idx];
    mm_pfn_id_t f;
    switch (mm_pte_format(p)) {
    case PTE_VALID:
        *kind = WAS_RESIDENT;
        return UMM_OK;
    case PTE_TRANSITION: {
        f = (mm_pfn_id_t)mm_pte_num(p);
        mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
        if (e->flags & PFN_F_IO)
            return UMM_E_BUSY;
        if (e->list == LIST_MODIFIED || e->list == LIST_MODIFIED_NOWRITE)
            e->flags |= PFN_F_MODIFIED; /* not on disk yet */
        mm_pfn_move(&sys->pfn, f, LIST_ACTIVE);
        *kind = FROM_LIST;
        break;
    }
    case PTE_DEMAND_ZERO: {
        int rc = mm_frames_alloc(sys, 1, PFN_NIL, &f, for_proc, true);
        if (rc != UMM_OK)
            return rc;
        mm_frame_set_owner(sys, f, proto, idx);
        *kind = DEMAND_ZERO;
        break;
    }
    case PTE_PAGEFILE: {
        /* read with the lock held: simpler than the private path's pinning, and sections are
         * read back far less often than private memory */
        int rc = mm_frames_alloc(sys, 1, PFN_NIL, &f, for_proc, false);
        if (rc != UMM_OK)
            return rc;
        void *bytes = mm_frame_ptr(sys, f, true);
        struct iovec iov = {bytes, sys->page_size};
        sys->ctr.page_reads++;
        if (!bytes || mm_pagefile_read(&sys->pf, mm_pte_num(p), &iov, 1) != 0) {
            sys->ctr.read_errors++;
            mm_frame_release(sys, f, false);
            return UMM_E_IO;
        }
        sys->ctr.pages_input++;
        mm_frame_set_owner(sys, f, proto, idx);
        mm_pfn_entry(&sys->pfn, f)->slot = (uint32_t)mm_pte_num(p) + 1;
        *kind = FROM_PAGEFILE;
        break;
    }
    default:
        return UMM_E_STATE;
    }
    mm_pte_write(&proto->pte[idx], mm_pte_make(PTE_VALID, mm_pte_prot(p), f));
    return UMM_OK;
}

enum fault_result mm_section_fault(mm_vad_t *view, size_t i, bool write, umm_exception_t *exc)
{
    umm_section_t *sec = view->section;
    umm_system_t *sys = sec->sys;
    mm_pte_t p = view->pte[i];
    size_t idx = mm_pte_num(p);
    unsigned fmt = mm_pte_format(sec->proto->pte[idx]);
    bool needs_frame = fmt == PTE_DEMAND_ZERO || fmt == PTE_PAGEFILE;
    if (needs_frame && mm_frames_available(sys) == 0 && mm_reclaim_for_fault(sys))
        return FAULT_BUSY;
    umm_process_t *proc = view->proc;
    /* A hard working-set maximum makes room first: trimming after the frame is resident could
     * take this frame's last other mapping in this process and send it to a list. */
    if ((proc->ws_flags & UMM_WS_HARD_MAX) && proc->ws_size >= proc->ws_max)
        mm_ws_trim_locked(proc, proc->ws_size - proc->ws_max + 1, 0);
    enum resident_kind kind;
    int rc = make_resident(sec, idx, view->proc, &kind);
    if (rc == UMM_E_BUSY)
        return FAULT_BUSY;
    if (rc != UMM_OK)
        return mm_fault_raise(exc, view, UMM_EXC_IN_PAGE_ERROR, rc);
    mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(sec->proto->pte[idx]);
    mm_pte_t np = mm_pte_make(PTE_VALID, mm_pte_prot(p), f) | PTE_ACCESSED | (write ? PTE_DIRTY : 0);
    mm_vad_pte_write(view, i, np);
    sec->share[idx]++;
    view->proc->ws_size++;
    sys->ws_total++;
    if (view->proc->ws_size > view->proc->ws_peak)
        view->proc->ws_peak = view->proc->ws_size;
    bool exact = true;
    int err = mm_hw_map(sys, mm_vad_page_addr(view, i, sys->page_shift), f, 1, mm_pte_hw_prot(np), write, &exact);
    if (err) { /* a failed MAP_FIXED may leave anything: unmap, then back to prototype (clean:
                  nothing was written through this mapping) */
        mm_hw_unmap(sys, mm_vad_page_addr(view, i, sys->page_shift), 1);
        mm_vad_pte_write(view, i, np & ~PTE_DIRTY);
        mm_section_drop_view_page(view, i, false);
        mm_vma_refresh(view, i, i + 1);
        return mm_fault_raise(exc, view, UMM_EXC_IN_PAGE_ERROR, err);
    }
    if (write) /* writable now: the paging-file copy is stale */
        mm_frame_drop_copy(sys, f);
    mm_vad_pte_write(view, i, np | (exact ? PTE_HW : PTE_HW_RO));
    mm_vma_refresh(view, i, i + 1);
    switch (kind) {
    case DEMAND_ZERO: MM_COUNT(view->proc, faults_demand_zero, 1); break;
    case FROM_PAGEFILE: MM_COUNT(view->proc, faults_hard, 1); break;
    default: /* from Standby/Modified, or resident for another view: Windows counts both as
                transition faults (a page "being used by another process sharing the page") */
        MM_COUNT(view->proc, faults_transition, 1);
        break;
    }
    return FAULT_DONE;
}

void mm_section_drop_view_page(mm_vad_t *view, size_t k, bool trimmed)
{
    umm_section_t *sec = view->section;
    umm_system_t *sys = sec->sys;
    mm_pte_t p = view->pte[k];
    if (k >= sec->npages || mm_pte_format(p) != PTE_VALID)
        return;
    if (trimmed)
        MM_COUNT(view->proc, pages_trimmed, 1);
    size_t idx = k;
    mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(p);
    mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
    if (p & PTE_DIRTY)
        e->flags |= PFN_F_MODIFIED;
    mm_vad_pte_write(view, k, mm_pte_make(PTE_PROTOTYPE, mm_pte_prot(p), idx) | (p & PTE_HW));
    view->proc->ws_size--;
    sys->ws_total--;
    UMM_ASSERT(sec->share[idx] > 0);
    if (--sec->share[idx] > 0)
        return;
    /* No view maps it any more: the frame leaves the working sets altogether. */
    mm_pte_t pp = sec->proto->pte[idx];
    if (!(e->flags & PFN_F_MODIFIED) && e->slot == 0) { /* never written: zero, give it back */
        mm_pte_write(&sec->proto->pte[idx], mm_pte_make(PTE_DEMAND_ZERO, mm_pte_prot(pp), 0));
        mm_frame_release(sys, f, true);
        return;
    }
    mm_pte_write(&sec->proto->pte[idx], mm_pte_make(PTE_TRANSITION, mm_pte_prot(pp), f));
    bool dirty = e->flags & PFN_F_MODIFIED;
    e->flags &= (uint16_t)~PFN_F_MODIFIED;
    mm_pfn_move(&sys->pfn, f, dirty ? LIST_MODIFIED : (enum mm_list_id)(LIST_STANDBY0 + e->prio));
}

void mm_section_release_view(mm_vad_t *view)
{
    umm_section_t *sec = view->section;
    for (size_t k = 0; k < view->npages; k++) {
        mm_section_drop_view_page(view, k, false);
        if (view->pte[k] != 0)
            mm_vad_pte_write(view, k, 0);
    }
    for (mm_vad_t **pp = &sec->views; *pp; pp = &(*pp)->next_view)
        if (*pp == view) {
            *pp = view->next_view;
            break;
        }
    view->section = NULL;
    if (sec->closed && !sec->views) {
        destroy_locked(sec);
        destroy(sec);
    }
}

void mm_section_invalidate_frame(umm_section_t *sec, mm_pfn_id_t f, size_t index)
{
    umm_system_t *sys = sec->sys;
    for (mm_vad_t *v = sec->views; v; v = v->next_view) {
        mm_pte_t p = v->pte[index];
        if (mm_pte_format(p) != PTE_VALID || mm_pte_num(p) != f || !mm_pte_mapped(p))
            continue;
        if (mm_hw_unmap(sys, mm_vad_page_addr(v, index, sys->page_shift), 1) == 0)
            mm_vad_pte_write(v, index, p & ~(PTE_HW | PTE_HW_RO));
        mm_vma_refresh(v, index, index + 1);
    }
}

void mm_section_destroy_all(umm_system_t *sys)
{
    mm_lock(&sys->lock);
    while (sys->sections) {
        umm_section_t *sec = sys->sections;
        UMM_ASSERT(!sec->views);
        destroy_locked(sec);
        mm_unlock(&sys->lock);
        destroy(sec);
        mm_lock(&sys->lock);
    }
    mm_unlock(&sys->lock);
    free(sys->section_proc);
    sys->section_proc = NULL;
}
