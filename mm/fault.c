/* fault.c - fault resolution (see fault.h). */
#include "fault.h"

#include "assert.h"
#include "frames.h"
#include "hwmap.h"
#include "os.h"
#include "pagefile.h"
#include "reclaim.h"
#include "section.h"
#include "vma.h"
#include "ws.h"

#include <errno.h>

enum fault_result mm_fault_raise(umm_exception_t *exc, mm_vad_t *vad, umm_exception_code_t code,
                              int error)
{
    exc->code = code;
    exc->error = error;
    exc->os_error = code == UMM_EXC_IN_PAGE_ERROR ? mm_os_last_error() : 0;
    exc->process = vad->proc;
    switch (code) {
    case UMM_EXC_ACCESS_VIOLATION: MM_COUNT(vad->proc, faults_access_violation, 1); break;
    case UMM_EXC_IN_PAGE_ERROR: MM_COUNT(vad->proc, faults_in_page_error, 1); break;
    case UMM_EXC_GUARD_PAGE: MM_COUNT(vad->proc, faults_guard, 1); break;
    }
    return FAULT_EXCEPTION;
}

/* Map [lo, hi) of the VAD, whose PTEs are already VALID with consecutive-frame sub-runs, one
 * kernel call per run of consecutive frames and equal protection. `write`: a write fault. */
static int map_valid_run(mm_vad_t *vad, size_t lo, size_t hi, bool write)
{
    umm_system_t *sys = vad->proc->sys;
    for (size_t i = lo; i < hi;) {
        mm_pte_t p = vad->pte[i];
        size_t j = i + 1;
        while (j < hi && mm_pte_num(vad->pte[j]) == mm_pte_num(p) + (j - i) &&
               mm_pte_hw_prot(vad->pte[j]) == mm_pte_hw_prot(p) &&
               (vad->pte[j] & (PTE_HW | PTE_HW_RO)) == (p & (PTE_HW | PTE_HW_RO)))
            j++;
        uintptr_t va = mm_vad_page_addr(vad, i, sys->page_shift);
        bool exact = true;
        int err = (p & PTE_HW) ? mm_hw_protect(sys, va, j - i, mm_pte_hw_prot(p))
                               : mm_hw_map(sys, va, (mm_pfn_id_t)mm_pte_num(p), j - i, mm_pte_hw_prot(p),
                                        write, &exact);
        if (err)
            return err;
        for (size_t k = i; k < j; k++)
            mm_vad_pte_write(vad, k, (vad->pte[k] & ~PTE_HW_RO) | (exact ? PTE_HW : PTE_HW_RO));
        i = j;
    }
    return 0;
}

/* The aligned cluster window around page i, clipped to the VAD, shrunk to the pages around i
 * that `same(vad, k)` accepts. */
static void cluster_around(mm_vad_t *vad, size_t i, bool (*same)(mm_vad_t *, size_t, size_t),
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

static bool same_demand_zero(mm_vad_t *vad, size_t i, size_t k)
{
    return mm_pte_format(vad->pte[k]) == PTE_DEMAND_ZERO && mm_pte_prot(vad->pte[k]) == mm_pte_prot(vad->pte[i]);
}

static bool same_transition(mm_vad_t *vad, size_t i, size_t k)
{
    mm_pte_t p = vad->pte[i], q = vad->pte[k];
    mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(q);
    return mm_pte_format(q) == PTE_TRANSITION && mm_pte_prot(q) == mm_pte_prot(p) &&
           (q & PTE_HW) == (p & PTE_HW) && mm_pte_num(q) == mm_pte_num(p) + (k - i) &&
           !(mm_pfn_entry(&vad->proc->sys->pfn, f)->flags & PFN_F_IO);
}

/* The frame that would continue the mapping left of lo, so the new run merges with it. */
static mm_pfn_id_t contiguity_hint(mm_vad_t *vad, size_t lo, size_t hi)
{
    if (lo > 0 && mm_pte_format(vad->pte[lo - 1]) == PTE_VALID)
        return (mm_pfn_id_t)mm_pte_num(vad->pte[lo - 1]) + 1;
    if (hi < vad->npages && mm_pte_format(vad->pte[hi]) == PTE_VALID && mm_pte_num(vad->pte[hi]) >= hi - lo)
        return (mm_pfn_id_t)(mm_pte_num(vad->pte[hi]) - (hi - lo));
    return PFN_NIL;
}

/* A process with a hard working-set maximum makes room first and takes no more than fits. */
static void limit_cluster(umm_process_t *proc, size_t i, size_t *lo, size_t *hi)
{
    if (!(proc->ws_flags & UMM_WS_HARD_MAX))
        return;
    if (proc->ws_size + (*hi - *lo) > proc->ws_max)
        mm_ws_trim_locked(proc, proc->ws_size + (*hi - *lo) - proc->ws_max, 0);
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
static enum fault_result cluster_frames(mm_vad_t *vad, size_t i,
                                        bool (*same)(mm_vad_t *, size_t, size_t), bool zero,
                                        size_t *lo, size_t *hi, mm_pfn_id_t *frames,
                                        umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    cluster_around(vad, i, same, lo, hi);
    limit_cluster(vad->proc, i, lo, hi);
    if (mm_frames_available(sys) < *hi - *lo)
        *lo = i, *hi = i + 1;
    if (mm_frames_available(sys) == 0 && mm_reclaim_for_fault(sys))
        return FAULT_BUSY;
    int rc = mm_frames_alloc(sys, *hi - *lo, contiguity_hint(vad, *lo, *hi), frames, vad->proc, zero);
    return rc == UMM_OK ? FAULT_DONE : mm_fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, rc);
}

/* Pages [lo, hi) were made VALID but the kernel refused to map them. A failed mapping call may
 * leave part of it behind (a guest maps in chunks; a failed MAP_FIXED may even leave a hole), and
 * another thread may have stored through that part: so the range is first replaced by anonymous
 * PROT_NONE, and the frames go to Free (zeroed again before reuse), never to Zeroed. If even the
 * replacement fails, no frame may be freed while a mapping of it may remain: the pages stay VALID
 * with their frames, dirty (a store through a leftover mapping is not seen), and the access is
 * retried. Returns true when the pages went back to demand-zero. */
static bool unwind_demand_zero(mm_vad_t *vad, size_t lo, size_t hi, const mm_pte_t *orig)
{
    umm_system_t *sys = vad->proc->sys;
    if (mm_hw_unmap(sys, mm_vad_page_addr(vad, lo, sys->page_shift), hi - lo) != 0) {
        for (size_t k = lo; k < hi; k++)
            mm_vad_pte_write(vad, k, vad->pte[k] | PTE_DIRTY);
        return false;
    }
    for (size_t k = hi; k-- > lo;) {
        mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(vad->pte[k]);
        mm_vad_pte_write(vad, k, orig[k - lo] & ~PTE_HW);
        mm_frame_release(sys, f, false);
    }
    return true;
}

/* Demand-zero: zeroed frames for the page and its demand-zero neighbours in the cluster. */
static enum fault_result demand_zero_fault(mm_vad_t *vad, size_t i, bool write, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    size_t lo, hi;
    mm_pfn_id_t frames[FAULT_MAX_CLUSTER];
    enum fault_result got = cluster_frames(vad, i, same_demand_zero, true, &lo, &hi, frames, exc);
    if (got != FAULT_DONE)
        return got;
    int prot = mm_pte_prot(vad->pte[i]);
    mm_pte_t bits = PTE_ACCESSED | (write ? PTE_DIRTY : 0);
    mm_pte_t orig[FAULT_MAX_CLUSTER];
    for (size_t k = lo; k < hi; k++)
        orig[k - lo] = vad->pte[k];
    for (size_t k = lo; k < hi; k++) {
        mm_frame_set_owner(sys, frames[k - lo], vad, k);
        mm_vad_pte_write(vad, k, mm_pte_make(PTE_VALID, prot, frames[k - lo]) | bits);
    }
    int err = map_valid_run(vad, lo, hi, write);
    /* Pages the kernel refused go back to demand-zero; the fault fails only if page i is one. */
    size_t mapped_hi = lo;
    while (mapped_hi < hi && mm_pte_mapped(vad->pte[mapped_hi]))
        mapped_hi++;
    size_t kept = err && unwind_demand_zero(vad, mapped_hi, hi, orig + (mapped_hi - lo)) ? mapped_hi : hi;
    mm_vma_refresh(vad, lo, hi);
    ws_grow(vad->proc, kept - lo);
    MM_COUNT(vad->proc, faults_demand_zero, kept - lo);
    if (i >= kept)
        return mm_fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, err);
    return FAULT_DONE;
}

/* Transition (soft) fault: the frame is still on Standby or Modified; bring it and its
 * neighbours in the cluster whose frames continue it back without I/O. */
static enum fault_result make_transition_valid(mm_vad_t *vad, size_t i, size_t lo, size_t hi,
                                               bool write, bool soft, umm_exception_t *exc);

static enum fault_result transition_fault(mm_vad_t *vad, size_t i, bool write, umm_exception_t *exc)
{
    size_t lo, hi;
    cluster_around(vad, i, same_transition, &lo, &hi);
    limit_cluster(vad->proc, i, &lo, &hi);
    return make_transition_valid(vad, i, lo, hi, write, true, exc);
}

/* The end of a hard fault: the page just read becomes valid (counted as hard, not soft). */
static enum fault_result finish_hard_fault(mm_vad_t *vad, size_t i, bool write,
                                           umm_exception_t *exc)
{
    return make_transition_valid(vad, i, i, i + 1, write, false, exc);
}

static enum fault_result make_transition_valid(mm_vad_t *vad, size_t i, size_t lo, size_t hi,
                                               bool write, bool soft, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    if (mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(vad->pte[i]))->flags & PFN_F_IO)
        return FAULT_BUSY; /* paging I/O holds it: retry once that is done */
    mm_pte_t saved[FAULT_MAX_CLUSTER];
    uint8_t was_on[FAULT_MAX_CLUSTER];
    for (size_t k = lo; k < hi; k++) {
        mm_pte_t p = vad->pte[k];
        mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(p);
        mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
        saved[k - lo] = p;
        was_on[k - lo] = e->list;
        bool dirty = e->list == LIST_MODIFIED || e->list == LIST_MODIFIED_NOWRITE || write;
        mm_pfn_move(&sys->pfn, f, LIST_ACTIVE);
        mm_vad_pte_write(vad, k, mm_pte_make(PTE_VALID, mm_pte_prot(p), f) | (p & PTE_HW) | PTE_ACCESSED |
                                    (dirty ? PTE_DIRTY : 0));
    }
    int err = map_valid_run(vad, lo, hi, write);
    bool unmapped = err && mm_hw_unmap(sys, mm_vad_page_addr(vad, lo, sys->page_shift), hi - lo) == 0;
    if (unmapped) {
        /* Back to transition (unmapped: a failed call may have mapped part of the run) and to
         * the lists they came from. Nothing was written: frames and copies are as they were. */
        for (size_t k = hi; k-- > lo;) {
            mm_vad_pte_write(vad, k, saved[k - lo] & ~PTE_HW);
            mm_pfn_move(&sys->pfn, (mm_pfn_id_t)mm_pte_num(saved[k - lo]), (enum mm_list_id)was_on[k - lo]);
        }
        mm_vma_refresh(vad, lo, hi);
        return mm_fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, err);
    }
    /* Mapped; or the kernel refused the mapping and then its replacement, so what it maps there
     * is unknown: the pages stay valid and dirty (a store through a leftover mapping would not be
     * seen) and the access is retried. Either way their paging-file copies may be stale now. */
    for (size_t k = lo; k < hi; k++) {
        if (err)
            mm_vad_pte_write(vad, k, (vad->pte[k] & ~(PTE_HW | PTE_HW_RO)) | PTE_DIRTY);
        if (write || err)
            mm_frame_drop_copy(sys, (mm_pfn_id_t)mm_pte_num(vad->pte[k]));
    }
    mm_vma_refresh(vad, lo, hi);
    ws_grow(vad->proc, hi - lo);
    if (soft)
        MM_COUNT(vad->proc, faults_transition, hi - lo);
    return FAULT_DONE;
}

static bool same_pagefile(mm_vad_t *vad, size_t i, size_t k)
{
    mm_pte_t p = vad->pte[i], q = vad->pte[k];
    return mm_pte_format(q) == PTE_PAGEFILE && mm_pte_prot(q) == mm_pte_prot(p) &&
           mm_pte_num(q) == mm_pte_num(p) + (k - i);
}

/* The iovecs that read into frames (contiguous bytes become one), or -1. System locked: a
 * guest's frames are made present here, before the I/O runs unlocked. */
static int read_iovecs(umm_system_t *sys, const mm_pfn_id_t *frames, size_t n, struct iovec *iov)
{
    int niov = 0;
    for (size_t k = 0; k < n; k++) {
        uint8_t *b = mm_frame_ptr(sys, frames[k], true);
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
static bool start_read(mm_vad_t *vad, size_t i, size_t lo, size_t hi, const mm_pfn_id_t *frames)
{
    umm_system_t *sys = vad->proc->sys;
    for (size_t k = lo; k < hi; k++) {
        if (k == i || !(vad->pte[k] & PTE_HW))
            continue;
        size_t j = k + 1;
        while (j < hi && j != i && (vad->pte[j] & PTE_HW))
            j++;
        if (mm_hw_unmap(sys, mm_vad_page_addr(vad, k, sys->page_shift), j - k) != 0)
            return false;
        for (size_t m = k; m < j; m++)
            mm_vad_pte_write(vad, m, vad->pte[m] & ~PTE_HW);
        k = j - 1;
    }
    for (size_t k = lo; k < hi; k++) {
        mm_pte_t p = vad->pte[k];
        mm_pfn_id_t f = frames[k - lo];
        mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
        mm_frame_set_owner(sys, f, vad, k);
        e->slot = (uint32_t)mm_pte_num(p) + 1;
        e->flags |= PFN_F_IO;
        e->prio = vad->proc->priority;
        mm_vad_pte_write(vad, k, mm_pte_make(PTE_TRANSITION, mm_pte_prot(p), f));
    }
    mm_vma_refresh(vad, lo, hi);
    return true;
}

/* The read failed: the pages go back to their slots, the frames to Free. */
static void abort_read(mm_vad_t *vad, size_t lo, size_t hi)
{
    umm_system_t *sys = vad->proc->sys;
    for (size_t k = hi; k-- > lo;) {
        mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(vad->pte[k]);
        mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
        uint64_t slot = e->slot - 1;
        e->slot = 0; /* the PTE takes the slot back: do not free it */
        e->flags &= (uint16_t)~PFN_F_IO;
        mm_vad_pte_write(vad, k, mm_pte_make(PTE_PAGEFILE, mm_pte_prot(vad->pte[k]), slot));
        mm_frame_release(sys, f, false);
    }
}

/* Hard fault: read the page and its paged-out neighbours (consecutive slots, same cluster) in
 * one I/O on this thread, with the system unlocked; map the page, put the others on Standby. */
static enum fault_result hard_fault(mm_vad_t *vad, size_t i, bool write, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    size_t lo, hi;
    mm_pfn_id_t frames[FAULT_MAX_CLUSTER];
    enum fault_result got = cluster_frames(vad, i, same_pagefile, false, &lo, &hi, frames, exc);
    if (got != FAULT_DONE)
        return got;
    uint64_t slot = mm_pte_num(vad->pte[lo]);
    if (!start_read(vad, i, lo, hi, frames)) {
        for (size_t k = hi - lo; k-- > 0;)
            mm_frame_release(sys, frames[k], false);
        return mm_fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, UMM_E_VMA_LIMIT);
    }
    struct iovec iov[FAULT_MAX_CLUSTER];
    int niov = read_iovecs(sys, frames, hi - lo, iov);
    int err = EIO; /* a guest frame its host could not produce: an in-page error, nothing lost */
    if (niov > 0) {
        mm_unlock(&sys->lock); /* the frames are pinned: no one frees, repurposes or maps them */
        err = mm_pagefile_read(&sys->pf, slot, iov, niov);
        mm_lock(&sys->lock);
    }
    sys->ctr.page_reads++;
    if (err) {
        sys->ctr.read_errors++;
        abort_read(vad, lo, hi);
        return mm_fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, UMM_E_IO);
    }
    sys->ctr.pages_input += hi - lo;
    for (size_t k = lo; k < hi; k++) {
        mm_pfn_id_t f = frames[k - lo];
        mm_pfn_entry(&sys->pfn, f)->flags &= (uint16_t)~PFN_F_IO;
        mm_pfn_move(&sys->pfn, f, (enum mm_list_id)(LIST_STANDBY0 + mm_pfn_entry(&sys->pfn, f)->prio));
    }
    MM_COUNT(vad->proc, faults_hard, 1);
    /* Page i is now an ordinary transition page: the soft-fault path makes it valid. */
    return finish_hard_fault(vad, i, write, exc);
}

/* A valid page faulted: an emulated accessed or dirty bit to set, a mapping to restore, or a
 * fault another thread already resolved. */
static enum fault_result valid_fault(mm_vad_t *vad, size_t i, bool write, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    mm_pte_t p = vad->pte[i];
    mm_pte_t np = p | PTE_ACCESSED | (write ? PTE_DIRTY : 0);
    if (np == p && (p & PTE_HW)) /* another thread won the race (or a failed call left less
                                    than the PTE says: the mprotect below puts it right) */
        MM_COUNT(vad->proc, faults_spurious, 1);
    if ((np & PTE_HW_RO) && write)
        np &= ~PTE_HW_RO; /* read-only because shared: map again, the backend breaks sharing */
    mm_vad_pte_write(vad, i, np);
    int err = map_valid_run(vad, i, i + 1, write);
    if (err) { /* a failed MAP_FIXED may have removed the old mapping: start from none */
        mm_vad_pte_write(vad, i, mm_hw_unmap(sys, mm_vad_page_addr(vad, i, sys->page_shift), 1) == 0
                                    ? p & ~(PTE_HW | PTE_HW_RO) : p);
        mm_vma_refresh(vad, i, i + 1);
        return mm_fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, err);
    }
    if (!(p & PTE_ACCESSED))
        MM_COUNT(vad->proc, faults_access_bit, 1);
    else if (write && !(p & PTE_DIRTY))
        MM_COUNT(vad->proc, faults_dirty_bit, 1);
    /* Only now that the page is writable is its paging-file copy stale: freed before, a failed
     * mapping would leave a clean page without a copy, which trimming takes for a zero page. */
    if (write && !(p & PTE_DIRTY))
        mm_frame_drop_copy(sys, (mm_pfn_id_t)mm_pte_num(p));
    mm_vma_refresh(vad, i, i + 1);
    return FAULT_DONE;
}

static enum fault_result dispatch(mm_vad_t *vad, uintptr_t addr, int access, umm_exception_t *exc);

enum fault_result mm_fault_resolve(mm_vad_t *vad, uintptr_t addr, int access, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    mm_os_clear_error(); /* exc->os_error reports only this fault's kernel errors */
    if (sys->vma_count + 2 > sys->vma_budget) /* make room before adding mappings */
        mm_vma_coalesce(sys, (uint64_t)sys->vma_budget * 3 / 4);
    enum fault_result r = dispatch(vad, addr, access, exc);
    mm_vma_enforce_budget(sys);
    if (!sys->low_memory && mm_frames_available(sys) < sys->low_pages)
        mm_reclaim_wake_workers(sys); /* async-signal-safe: uv_async_send */
    return r;
}

static enum fault_result dispatch(mm_vad_t *vad, uintptr_t addr, int access, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    size_t i = (addr - vad->start) >> sys->page_shift;
    MM_COUNT(vad->proc, faults_total, 1);
    exc->address = (void *)addr;
    exc->is_write = access;
    mm_pte_t p = vad->pte[i];
    if (!mm_pte_committed(p) || vad->releasing)
        return mm_fault_raise(exc, vad, UMM_EXC_ACCESS_VIOLATION, 0);
    int prot = mm_pte_prot(p);
    if (prot & UMM_PROT_GUARD) {
        mm_vad_pte_write(vad, i, mm_pte_with_prot(p, prot & ~UMM_PROT_GUARD));
        return mm_fault_raise(exc, vad, UMM_EXC_GUARD_PAGE, 0);
    }
    bool write = access == FAULT_WRITE || (access == FAULT_UNKNOWN && (prot & UMM_PROT_WRITE));
    if (!(prot & (UMM_PROT_READ | UMM_PROT_WRITE)) || (write && !(prot & UMM_PROT_WRITE)))
        return mm_fault_raise(exc, vad, UMM_EXC_ACCESS_VIOLATION, 0);
    switch (mm_pte_format(p)) {
    case PTE_VALID: return valid_fault(vad, i, write, exc);
    case PTE_TRANSITION: return transition_fault(vad, i, write, exc);
    case PTE_DEMAND_ZERO: return demand_zero_fault(vad, i, write, exc);
    case PTE_PAGEFILE: return hard_fault(vad, i, write, exc);
    case PTE_PROTOTYPE: return mm_section_fault(vad, i, write, exc);
    default: return mm_fault_raise(exc, vad, UMM_EXC_IN_PAGE_ERROR, UMM_E_NOT_SUPPORTED);
    }
}
