/* fault.c - fault resolution (see fault.h). */
#include "fault.h"

#include "assert.h"
#include "frames.h"
#include "hwmap.h"
#include "pagefile.h"
#include "reclaim.h"
#include "section.h"
#include "vma.h"
#include "ws.h"

#include <errno.h>

enum fault_result fault_raise(umm_exception_t *exc, umm_vad_t *vad, umm_exception_code_t code,
                              int error)
{
    exc->code = code;
    exc->error = error;
    exc->process = vad->proc;
    switch (code) {
    case UMM_EXC_ACCESS_VIOLATION: UMM_COUNT(vad->proc, faults_access_violation, 1); break;
    case UMM_EXC_IN_PAGE_ERROR: UMM_COUNT(vad->proc, faults_in_page_error, 1); break;
    case UMM_EXC_GUARD_PAGE: UMM_COUNT(vad->proc, faults_guard, 1); break;
    }
    return FAULT_EXCEPTION;
}

int fault_map_error(int err)
{
    return err == ENOSPC ? UMM_E_NO_FRAMES : UMM_E_VMA_LIMIT;
}

/* Map [lo, hi) of the VAD, whose PTEs are already VALID with consecutive-frame sub-runs, one
 * kernel call per run of consecutive frames and equal protection. `write`: a write fault. */
static int map_valid_run(umm_vad_t *vad, size_t lo, size_t hi, bool write)
{
    umm_system_t *sys = vad->proc->sys;
    for (size_t i = lo; i < hi;) {
        umm_pte_t p = vad->pte[i];
        size_t j = i + 1;
        while (j < hi && pte_num(vad->pte[j]) == pte_num(p) + (j - i) &&
               pte_hw_prot(vad->pte[j]) == pte_hw_prot(p) &&
               (vad->pte[j] & (PTE_HW | PTE_HW_RO)) == (p & (PTE_HW | PTE_HW_RO)))
            j++;
        uintptr_t va = vad_page_addr(vad, i, sys->page_shift);
        bool exact = true;
        int err = (p & PTE_HW) ? hw_protect(sys, va, j - i, pte_hw_prot(p))
                               : hw_map(sys, va, (umm_pfn_id_t)pte_num(p), j - i, pte_hw_prot(p),
                                        write, &exact);
        if (err)
            return err;
        for (size_t k = i; k < j; k++)
            vad_pte_write(vad, k, (vad->pte[k] & ~PTE_HW_RO) | (exact ? PTE_HW : PTE_HW_RO));
        i = j;
    }
    return 0;
}

/* The aligned cluster window around page i, clipped to the VAD, shrunk to the pages around i
 * that `same(vad, k)` accepts. */
static void cluster_around(umm_vad_t *vad, size_t i, bool (*same)(umm_vad_t *, size_t, size_t),
                           size_t *lo, size_t *hi)
{
    size_t c = vad->proc->sys->cluster_pages;
    size_t w0 = i - i % c, w1 = w0 + c < vad->npages ? w0 + c : vad->npages;
    size_t a = i, b = i + 1;
    while (a > w0 && same(vad, i, a - 1))
        a--;
    while (b < w1 && same(vad, i, b))
        b++;
    *lo = a;
    *hi = b;
}

static bool same_demand_zero(umm_vad_t *vad, size_t i, size_t k)
{
    return pte_format(vad->pte[k]) == PTE_DEMAND_ZERO && pte_prot(vad->pte[k]) == pte_prot(vad->pte[i]);
}

static bool same_transition(umm_vad_t *vad, size_t i, size_t k)
{
    umm_pte_t p = vad->pte[i], q = vad->pte[k];
    umm_pfn_id_t f = (umm_pfn_id_t)pte_num(q);
    return pte_format(q) == PTE_TRANSITION && pte_prot(q) == pte_prot(p) &&
           (q & PTE_HW) == (p & PTE_HW) && pte_num(q) == pte_num(p) + (k - i) &&
           !(pfn_entry(&vad->proc->sys->pfn, f)->flags & PFN_F_IO);
}

/* The frame that would continue the mapping left of lo, so the new run merges with it. */
static umm_pfn_id_t contiguity_hint(umm_vad_t *vad, size_t lo, size_t hi)
{
    if (lo > 0 && pte_format(vad->pte[lo - 1]) == PTE_VALID)
        return (umm_pfn_id_t)pte_num(vad->pte[lo - 1]) + 1;
    if (hi < vad->npages && pte_format(vad->pte[hi]) == PTE_VALID && pte_num(vad->pte[hi]) >= hi - lo)
        return (umm_pfn_id_t)(pte_num(vad->pte[hi]) - (hi - lo));
    return PFN_NIL;
}

/* A process with a hard working-set maximum makes room first and takes no more than fits. */
static void limit_cluster(umm_process_t *proc, size_t i, size_t *lo, size_t *hi)
{
    if (!(proc->ws_flags & UMM_WS_HARD_MAX))
        return;
    if (proc->ws_size + (*hi - *lo) > proc->ws_max)
        ws_trim_locked(proc, proc->ws_size + (*hi - *lo) - proc->ws_max, 0);
    size_t room = proc->ws_size < proc->ws_max ? proc->ws_max - proc->ws_size : 1;
    if (*hi - *lo > room) {
        *lo = i;
        *hi = i + 1;
    }
}

static void ws_grow(umm_process_t *proc, size_t n)
{
    proc->ws_size += n;
    proc->sys->ws_total += n;
    if (proc->ws_size > proc->ws_peak)
        proc->ws_peak = proc->ws_size;
}

/* The cluster [*lo, *hi) around page i whose pages `same` accepts, and frames for it (zeroed when
 * `zero`): the whole cluster when enough frames are available, else page i alone; with none at
 * all, frames are reclaimed on this thread and the fault retried (FAULT_BUSY). */
static enum fault_result cluster_frames(umm_vad_t *vad, size_t i,
                                        bool (*same)(umm_vad_t *, size_t, size_t), bool zero,
                                        size_t *lo, size_t *hi, umm_pfn_id_t *frames,
                                        umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    cluster_around(vad, i, same, lo, hi);
    limit_cluster(vad->proc, i, lo, hi);
    if (frames_available(sys) < *hi - *lo)
        *lo = i, *hi = i + 1;
    if (frames_available(sys) == 0 && reclaim_for_fault(sys))
        return FAULT_BUSY;
    int rc = frames_alloc(sys, *hi - *lo, contiguity_hint(vad, *lo, *hi), frames, vad->proc, zero);
    return rc == UMM_OK ? FAULT_DONE : fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, rc);
}

/* Pages [lo, hi) were made VALID but the kernel refused to map them. A failed mapping call may
 * leave part of it behind (a guest maps in chunks; a failed MAP_FIXED may even leave a hole), and
 * another thread may have stored through that part: so the range is first replaced by anonymous
 * PROT_NONE, and the frames go to Free (zeroed again before reuse), never to Zeroed. If even the
 * replacement fails, no frame may be freed while a mapping of it may remain: the pages stay VALID
 * with their frames, dirty (a store through a leftover mapping is not seen), and the access is
 * retried. Returns true when the pages went back to demand-zero. */
static bool unwind_demand_zero(umm_vad_t *vad, size_t lo, size_t hi, const umm_pte_t *orig)
{
    umm_system_t *sys = vad->proc->sys;
    if (hw_unmap(sys, vad_page_addr(vad, lo, sys->page_shift), hi - lo) != 0) {
        for (size_t k = lo; k < hi; k++)
            vad_pte_write(vad, k, vad->pte[k] | PTE_DIRTY);
        return false;
    }
    for (size_t k = hi; k-- > lo;) {
        umm_pfn_id_t f = (umm_pfn_id_t)pte_num(vad->pte[k]);
        vad_pte_write(vad, k, orig[k - lo] & ~PTE_HW);
        frame_release(sys, f, false);
    }
    return true;
}

/* Demand-zero: zeroed frames for the page and its demand-zero neighbours in the cluster. */
static enum fault_result demand_zero_fault(umm_vad_t *vad, size_t i, bool write, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    size_t lo, hi;
    umm_pfn_id_t frames[FAULT_MAX_CLUSTER];
    enum fault_result got = cluster_frames(vad, i, same_demand_zero, true, &lo, &hi, frames, exc);
    if (got != FAULT_DONE)
        return got;
    int prot = pte_prot(vad->pte[i]);
    umm_pte_t bits = PTE_ACCESSED | (write ? PTE_DIRTY : 0);
    umm_pte_t orig[FAULT_MAX_CLUSTER];
    for (size_t k = lo; k < hi; k++)
        orig[k - lo] = vad->pte[k];
    for (size_t k = lo; k < hi; k++) {
        frame_set_owner(sys, frames[k - lo], vad, k);
        vad_pte_write(vad, k, pte_make(PTE_VALID, prot, frames[k - lo]) | bits);
    }
    int err = map_valid_run(vad, lo, hi, write);
    /* Pages the kernel refused go back to demand-zero; the fault fails only if page i is one. */
    size_t mapped_hi = lo;
    while (mapped_hi < hi && pte_mapped(vad->pte[mapped_hi]))
        mapped_hi++;
    size_t kept = err && unwind_demand_zero(vad, mapped_hi, hi, orig + (mapped_hi - lo)) ? mapped_hi : hi;
    vma_refresh(vad, lo, hi);
    ws_grow(vad->proc, kept - lo);
    UMM_COUNT(vad->proc, faults_demand_zero, kept - lo);
    if (i >= kept)
        return fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, fault_map_error(err));
    return FAULT_DONE;
}

/* Transition (soft) fault: the frame is still on Standby or Modified; bring it and its
 * neighbours in the cluster whose frames continue it back without I/O. */
static enum fault_result make_transition_valid(umm_vad_t *vad, size_t i, size_t lo, size_t hi,
                                               bool write, bool soft, umm_exception_t *exc);

static enum fault_result transition_fault(umm_vad_t *vad, size_t i, bool write, umm_exception_t *exc)
{
    size_t lo, hi;
    cluster_around(vad, i, same_transition, &lo, &hi);
    limit_cluster(vad->proc, i, &lo, &hi);
    return make_transition_valid(vad, i, lo, hi, write, true, exc);
}

/* The end of a hard fault: the page just read becomes valid (counted as hard, not soft). */
static enum fault_result finish_hard_fault(umm_vad_t *vad, size_t i, bool write,
                                           umm_exception_t *exc)
{
    return make_transition_valid(vad, i, i, i + 1, write, false, exc);
}

static enum fault_result make_transition_valid(umm_vad_t *vad, size_t i, size_t lo, size_t hi,
                                               bool write, bool soft, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    if (pfn_entry(&sys->pfn, (umm_pfn_id_t)pte_num(vad->pte[i]))->flags & PFN_F_IO)
        return FAULT_BUSY; /* paging I/O holds it: retry once that is done */
    umm_pte_t saved[FAULT_MAX_CLUSTER];
    uint8_t was_on[FAULT_MAX_CLUSTER];
    for (size_t k = lo; k < hi; k++) {
        umm_pte_t p = vad->pte[k];
        umm_pfn_id_t f = (umm_pfn_id_t)pte_num(p);
        umm_pfn_t *e = pfn_entry(&sys->pfn, f);
        saved[k - lo] = p;
        was_on[k - lo] = e->list;
        bool dirty = e->list == LIST_MODIFIED || e->list == LIST_MODIFIED_NOWRITE || write;
        pfn_move(&sys->pfn, f, LIST_ACTIVE);
        vad_pte_write(vad, k, pte_make(PTE_VALID, pte_prot(p), f) | (p & PTE_HW) | PTE_ACCESSED |
                                    (dirty ? PTE_DIRTY : 0));
    }
    int err = map_valid_run(vad, lo, hi, write);
    bool unmapped = err && hw_unmap(sys, vad_page_addr(vad, lo, sys->page_shift), hi - lo) == 0;
    if (unmapped) {
        /* Back to transition (unmapped: a failed call may have mapped part of the run) and to
         * the lists they came from. Nothing was written: frames and copies are as they were. */
        for (size_t k = hi; k-- > lo;) {
            vad_pte_write(vad, k, saved[k - lo] & ~PTE_HW);
            pfn_move(&sys->pfn, (umm_pfn_id_t)pte_num(saved[k - lo]), (enum umm_list_id)was_on[k - lo]);
        }
        vma_refresh(vad, lo, hi);
        return fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, fault_map_error(err));
    }
    /* Mapped; or the kernel refused the mapping and then its replacement, so what it maps there
     * is unknown: the pages stay valid and dirty (a store through a leftover mapping would not be
     * seen) and the access is retried. Either way their paging-file copies may be stale now. */
    for (size_t k = lo; k < hi; k++) {
        if (err)
            vad_pte_write(vad, k, (vad->pte[k] & ~(PTE_HW | PTE_HW_RO)) | PTE_DIRTY);
        if (write || err)
            frame_drop_copy(sys, (umm_pfn_id_t)pte_num(vad->pte[k]));
    }
    vma_refresh(vad, lo, hi);
    ws_grow(vad->proc, hi - lo);
    if (soft)
        UMM_COUNT(vad->proc, faults_transition, hi - lo);
    return FAULT_DONE;
}

static bool same_pagefile(umm_vad_t *vad, size_t i, size_t k)
{
    umm_pte_t p = vad->pte[i], q = vad->pte[k];
    return pte_format(q) == PTE_PAGEFILE && pte_prot(q) == pte_prot(p) &&
           pte_num(q) == pte_num(p) + (k - i);
}

/* The iovecs that read into frames (contiguous bytes become one), or -1. System locked: a
 * guest's frames are made present here, before the I/O runs unlocked. */
static int read_iovecs(umm_system_t *sys, const umm_pfn_id_t *frames, size_t n, struct iovec *iov)
{
    int niov = 0;
    for (size_t k = 0; k < n; k++) {
        uint8_t *b = frame_ptr(sys, frames[k], true);
        if (!b)
            return -1;
        if (niov > 0 && (uint8_t *)iov[niov - 1].iov_base + iov[niov - 1].iov_len == b) {
            iov[niov - 1].iov_len += sys->page_size;
            continue;
        }
        iov[niov].iov_base = b;
        iov[niov++].iov_len = sys->page_size;
    }
    return niov;
}

/* Pin [lo, hi) for a read: frames owned, copies recorded, PTEs in transition. A stale mapping
 * left on a read-ahead neighbour is unmapped (it would be a transition PTE's promise); the
 * faulting page's is not: its new mapping replaces it once the read completes. */
static bool start_read(umm_vad_t *vad, size_t i, size_t lo, size_t hi, const umm_pfn_id_t *frames)
{
    umm_system_t *sys = vad->proc->sys;
    for (size_t k = lo; k < hi; k++) {
        if (k == i || !(vad->pte[k] & PTE_HW))
            continue;
        size_t j = k + 1;
        while (j < hi && j != i && (vad->pte[j] & PTE_HW))
            j++;
        if (hw_unmap(sys, vad_page_addr(vad, k, sys->page_shift), j - k) != 0)
            return false;
        for (size_t m = k; m < j; m++)
            vad_pte_write(vad, m, vad->pte[m] & ~PTE_HW);
        k = j - 1;
    }
    for (size_t k = lo; k < hi; k++) {
        umm_pte_t p = vad->pte[k];
        umm_pfn_id_t f = frames[k - lo];
        umm_pfn_t *e = pfn_entry(&sys->pfn, f);
        frame_set_owner(sys, f, vad, k);
        e->slot = (uint32_t)pte_num(p) + 1;
        e->flags |= PFN_F_IO;
        e->prio = vad->proc->priority;
        vad_pte_write(vad, k, pte_make(PTE_TRANSITION, pte_prot(p), f));
    }
    vma_refresh(vad, lo, hi);
    return true;
}

/* The read failed: the pages go back to their slots, the frames to Free. */
static void abort_read(umm_vad_t *vad, size_t lo, size_t hi)
{
    umm_system_t *sys = vad->proc->sys;
    for (size_t k = hi; k-- > lo;) {
        umm_pfn_id_t f = (umm_pfn_id_t)pte_num(vad->pte[k]);
        umm_pfn_t *e = pfn_entry(&sys->pfn, f);
        uint64_t slot = e->slot - 1;
        e->slot = 0; /* the PTE takes the slot back: do not free it */
        e->flags &= (uint16_t)~PFN_F_IO;
        vad_pte_write(vad, k, pte_make(PTE_PAGEFILE, pte_prot(vad->pte[k]), slot));
        frame_release(sys, f, false);
    }
}

/* Hard fault: read the page and its paged-out neighbours (consecutive slots, same cluster) in
 * one I/O on this thread, with the system unlocked; map the page, put the others on Standby. */
static enum fault_result hard_fault(umm_vad_t *vad, size_t i, bool write, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    size_t lo, hi;
    umm_pfn_id_t frames[FAULT_MAX_CLUSTER];
    enum fault_result got = cluster_frames(vad, i, same_pagefile, false, &lo, &hi, frames, exc);
    if (got != FAULT_DONE)
        return got;
    uint64_t slot = pte_num(vad->pte[lo]);
    if (!start_read(vad, i, lo, hi, frames)) {
        for (size_t k = hi - lo; k-- > 0;)
            frame_release(sys, frames[k], false);
        return fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, UMM_E_VMA_LIMIT);
    }
    struct iovec iov[FAULT_MAX_CLUSTER];
    int niov = read_iovecs(sys, frames, hi - lo, iov);
    int err = EIO; /* a guest frame its host could not produce: an in-page error, nothing lost */
    if (niov > 0) {
        umm_unlock(&sys->lock); /* the frames are pinned: no one frees, repurposes or maps them */
        err = pagefile_read(&sys->pf, slot, iov, niov);
        umm_lock(&sys->lock);
    }
    sys->ctr.page_reads++;
    if (err) {
        sys->ctr.read_errors++;
        abort_read(vad, lo, hi);
        return fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, UMM_E_IO);
    }
    sys->ctr.pages_input += hi - lo;
    for (size_t k = lo; k < hi; k++) {
        umm_pfn_id_t f = frames[k - lo];
        pfn_entry(&sys->pfn, f)->flags &= (uint16_t)~PFN_F_IO;
        pfn_move(&sys->pfn, f, (enum umm_list_id)(LIST_STANDBY0 + pfn_entry(&sys->pfn, f)->prio));
    }
    UMM_COUNT(vad->proc, faults_hard, 1);
    /* Page i is now an ordinary transition page: the soft-fault path makes it valid. */
    return finish_hard_fault(vad, i, write, exc);
}

/* A valid page faulted: an emulated accessed or dirty bit to set, a mapping to restore, or a
 * fault another thread already resolved. */
static enum fault_result valid_fault(umm_vad_t *vad, size_t i, bool write, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    umm_pte_t p = vad->pte[i];
    umm_pte_t np = p | PTE_ACCESSED | (write ? PTE_DIRTY : 0);
    if (np == p && (p & PTE_HW)) /* another thread won the race (or a failed call left less
                                    than the PTE says: the mprotect below puts it right) */
        UMM_COUNT(vad->proc, faults_spurious, 1);
    if ((np & PTE_HW_RO) && write)
        np &= ~PTE_HW_RO; /* read-only because shared: map again, the backend breaks sharing */
    vad_pte_write(vad, i, np);
    int err = map_valid_run(vad, i, i + 1, write);
    if (err) { /* a failed MAP_FIXED may have removed the old mapping: start from none */
        vad_pte_write(vad, i, hw_unmap(sys, vad_page_addr(vad, i, sys->page_shift), 1) == 0
                                    ? p & ~(PTE_HW | PTE_HW_RO) : p);
        vma_refresh(vad, i, i + 1);
        return fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, fault_map_error(err));
    }
    if (!(p & PTE_ACCESSED))
        UMM_COUNT(vad->proc, faults_access_bit, 1);
    else if (write && !(p & PTE_DIRTY))
        UMM_COUNT(vad->proc, faults_dirty_bit, 1);
    /* Only now that the page is writable is its paging-file copy stale: freed before, a failed
     * mapping would leave a clean page without a copy, which trimming takes for a zero page. */
    if (write && !(p & PTE_DIRTY))
        frame_drop_copy(sys, (umm_pfn_id_t)pte_num(p));
    vma_refresh(vad, i, i + 1);
    return FAULT_DONE;
}

static enum fault_result dispatch(umm_vad_t *vad, uintptr_t addr, int access, umm_exception_t *exc);

enum fault_result fault_resolve(umm_vad_t *vad, uintptr_t addr, int access, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    if (sys->vma_count + 2 > sys->vma_budget) /* make room before adding mappings */
        vma_coalesce(sys, (uint64_t)sys->vma_budget * 3 / 4);
    enum fault_result r = dispatch(vad, addr, access, exc);
    vma_enforce_budget(sys);
    if (!sys->low_memory && frames_available(sys) < sys->low_pages)
        reclaim_wake_workers(sys); /* async-signal-safe: uv_async_send */
    return r;
}

static enum fault_result dispatch(umm_vad_t *vad, uintptr_t addr, int access, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    size_t i = (addr - vad->start) >> sys->page_shift;
    UMM_COUNT(vad->proc, faults_total, 1);
    exc->address = (void *)addr;
    exc->is_write = access;
    umm_pte_t p = vad->pte[i];
    if (!pte_committed(p) || vad->releasing)
        return fault_raise(exc, vad, UMM_EXC_ACCESS_VIOLATION, 0);
    int prot = pte_prot(p);
    if (prot & UMM_PROT_GUARD) {
        vad_pte_write(vad, i, pte_with_prot(p, prot & ~UMM_PROT_GUARD));
        return fault_raise(exc, vad, UMM_EXC_GUARD_PAGE, 0);
    }
    bool write = access == FAULT_WRITE || (access == FAULT_UNKNOWN && (prot & UMM_PROT_WRITE));
    if (!(prot & (UMM_PROT_READ | UMM_PROT_WRITE)) || (write && !(prot & UMM_PROT_WRITE)))
        return fault_raise(exc, vad, UMM_EXC_ACCESS_VIOLATION, 0);
    switch (pte_format(p)) {
    case PTE_VALID: return valid_fault(vad, i, write, exc);
    case PTE_TRANSITION: return transition_fault(vad, i, write, exc);
    case PTE_DEMAND_ZERO: return demand_zero_fault(vad, i, write, exc);
    case PTE_PAGEFILE: return hard_fault(vad, i, write, exc);
    case PTE_PROTOTYPE: return section_fault(vad, i, write, exc);
    default: return fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, UMM_E_NOT_SUPPORTED);
    }
}
