/* SPDX-License-Identifier: MIT */
/* fault.c - fault resolution (see fault.h): one resolver per PTE state, for private pages and
 * section pages alike.
 *
 * A fault site says where the PTE being resolved lives. For a private page it is the faulting
 * VAD's own PTE: the resolver makes it VALID and maps it there, with its cluster. For a section
 * view's PROTOTYPE page it is the section's prototype PTE: the same resolvers make that resident
 * (demand-zero, soft or hard, one page; a hard fault reads its neighbours ahead onto Standby), in
 * a VAD with no addresses where nothing is mapped, and then the view maps the frame. */
#include "fault.h"

#include "assert.h"
#include "budget.h"
#include "cluster.h"
#include "cow.h"
#include "dirtypredict.h"
#include "filemap.h"
#include "frames.h"
#include "hwmap.h"
#include "os.h"
#include "proto.h"
#include "readahead.h"
#include "readbuf.h"
#include "reclaim.h"
#include "registry.h"
#include "store.h"
#include "vma.h"
#include "ws.h"

#include <string.h>
#include <sys/mman.h>

/* Where the PTE being resolved lives and who faulted. */
typedef struct fault_site {
    mm_vad_t *vad;        /* the PTE's VAD: the faulting one, or a section's prototypes */
    size_t i;             /* the PTE's index in it */
    bool write;           /* the access is a write */
    umm_process_t *proc;  /* the faulting process: counters, working-set limits */
    mm_vad_t *fault_vad;  /* the faulting VAD (the view, for a prototype) */
    umm_exception_t *exc;
} fault_site_t;

/* Is the PTE mapped where it lives (a process's page), or only resident (a prototype)? */
static bool site_maps(const fault_site_t *s)
{
    return s->vad->proto_of == NULL;
}

/* Fill *exc with an exception on vad (counted on its process and system); FAULT_EXCEPTION. */
static enum fault_result fault_raise(umm_exception_t *exc, mm_vad_t *vad,
                                        umm_exception_code_t code, int error)
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

static enum fault_result site_raise(const fault_site_t *s, int error)
{
    return fault_raise(s->exc, s->fault_vad, UMM_EXC_IN_PAGE_ERROR, error);
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
                               : mm_hw_map(sys, va, (mm_pfn_id_t)mm_pte_num(p), j - i,
                                           mm_pte_hw_prot(p), write, &exact);
        if (err)
            return err;
        for (size_t k = i; k < j; k++)
            mm_vad_pte_write(vad, k, (vad->pte[k] & ~PTE_HW_RO) | (exact ? PTE_HW : PTE_HW_RO));
        i = j;
    }
    return UMM_OK;
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

/* The pages the fault resolves: the page's cluster when it is mapped where it lives, else the
 * page alone (a prototype becomes VALID only as a view maps it). `ahead`: a read may fill
 * neighbours that only go to Standby, which prototypes allow too. */
static void site_cluster(const fault_site_t *s, mm_cluster_same_fn same, bool ahead, size_t *lo,
                         size_t *hi)
{
    if (!site_maps(s) && !ahead) {
        *lo = s->i;
        *hi = s->i + 1;
        return;
    }
    /* a read's window adapts to how much of the last one was used; a mapping's is the cluster */
    size_t window = ahead ? mm_readahead_window(s->vad, s->i) : s->vad->proc->sys->cluster_pages;
    mm_cluster_around(s->vad, s->i, window, same, lo, hi);
    if (site_maps(s))
        limit_cluster(s->proc, s->i, lo, hi);
}

/* The frame a prototype's read window starts at: the one after the frame of the section page
 * before it (resident, or on a list), so a sequential read's windows continue each other's frames
 * and a view maps each window in one call, merged with its neighbours into one kernel VMA; else
 * PFN_NIL (mm_frames_alloc takes any free run). */
static mm_pfn_id_t proto_read_hint(const mm_vad_t *proto, size_t lo)
{
    if (lo == 0)
        return PFN_NIL;
    mm_pte_t p = proto->pte[lo - 1];
    unsigned fmt = mm_pte_format(p);
    return fmt == PTE_VALID || fmt == PTE_TRANSITION ? (mm_pfn_id_t)mm_pte_num(p) + 1 : PFN_NIL;
}

/* Frames for [*lo, *hi) (zeroed when `zero`): the whole cluster when enough are available, else
 * as many as are, from page i up (page i alone when none is); with none at all, frames are
 * reclaimed on this thread and the fault retried. */
static enum fault_result cluster_frames(const fault_site_t *s, bool zero, size_t *lo, size_t *hi,
                                        mm_pfn_id_t *frames)
{
    umm_system_t *sys = s->vad->proc->sys;
    uint64_t avail = mm_frames_available(sys);
    if (avail < *hi - *lo) {
        size_t n = avail > 0 ? (size_t)avail : 1;
        *lo = *hi - s->i >= n ? s->i : *hi - n;
        *hi = *lo + n;
    }
    if (avail == 0 && mm_reclaim_for_fault(sys))
        return FAULT_BUSY;
    mm_pfn_id_t hint = site_maps(s) ? mm_cluster_hint(s->vad, *lo, *hi)
                                    : proto_read_hint(s->vad, *lo);
    int rc = mm_frames_alloc(sys, *hi - *lo, hint, frames, s->proc, zero);
    return rc == UMM_OK ? FAULT_DONE : site_raise(s, rc);
}

/* Pages [lo, hi) were given new frames (a demand-zero fault, or a program's read that filled them
 * whole: mm_fault_overwrite) and made VALID, but the kernel refused to map them. A failed mapping
 * call may leave part of it behind (a guest maps in chunks; a failed MAP_FIXED may even leave a
 * hole), and another thread may have stored through that part: so the range is first replaced by
 * anonymous PROT_NONE, the PTEs go back to what they were (orig: demand-zero, or their paging-file
 * slots) and the frames to Free (zeroed again before reuse), never to Zeroed. If even the
 * replacement fails, no frame may be freed while a mapping of it may remain: the pages stay VALID
 * with their frames, dirty (a store through a leftover mapping is not seen), and the access is
 * retried. Returns true when the PTEs went back. */
static bool unwind_fresh_frames(mm_vad_t *vad, size_t lo, size_t hi, const mm_pte_t *orig)
{
    umm_system_t *sys = vad->proc->sys;
    if (mm_hw_unmap(sys, mm_vad_page_addr(vad, lo, sys->page_shift), hi - lo) != UMM_OK) {
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
static enum fault_result demand_zero_fault(const fault_site_t *s)
{
    mm_vad_t *vad = s->vad;
    umm_system_t *sys = vad->proc->sys;
    size_t lo, hi;
    mm_pfn_id_t frames[FAULT_MAX_CLUSTER];
    site_cluster(s, mm_cluster_same_demand_zero, false, &lo, &hi);
    enum fault_result got = cluster_frames(s, true, &lo, &hi, frames);
    if (got != FAULT_DONE)
        return got;
    int prot = mm_pte_prot(vad->pte[s->i]);
    mm_pte_t bits = site_maps(s) ? PTE_ACCESSED | (s->write ? PTE_DIRTY : 0) : 0;
    mm_pte_t orig[FAULT_MAX_CLUSTER];
    for (size_t k = lo; k < hi; k++) {
        orig[k - lo] = vad->pte[k];
        mm_frame_set_owner(sys, frames[k - lo], vad, k);
        mm_vad_pte_write(vad, k, mm_pte_make(PTE_VALID, prot, frames[k - lo]) | bits);
    }
    if (!site_maps(s))
        return FAULT_DONE;
    int err = map_valid_run(vad, lo, hi, s->write);
    /* Pages the kernel refused go back to demand-zero; the fault fails only if page i is one. */
    size_t mapped_hi = lo;
    while (mapped_hi < hi && mm_pte_mapped(vad->pte[mapped_hi]))
        mapped_hi++;
    size_t kept = err && unwind_fresh_frames(vad, mapped_hi, hi, orig + (mapped_hi - lo)) ? mapped_hi : hi;
    mm_vma_refresh(vad, lo, hi);
    ws_grow(s->proc, kept - lo);
    MM_COUNT(s->proc, faults_demand_zero, kept - lo);
    return s->i >= kept ? site_raise(s, err) : FAULT_DONE;
}

/* Why pages in transition are made valid, which says how they count. */
enum valid_how {
    VALID_SOFT,     /* a soft fault's cluster: each page a soft fault */
    VALID_UNCOUNTED, /* the page of a hard fault (counted as hard), or a view's neighbour */
    VALID_READ,     /* what a stream's hard fault read: each page but the faulting one a soft
                     * fault (the program would have taken it), each read-ahead page a hit */
};

/* [lo, hi) are TRANSITION (frames on Standby or Modified, or just read): make them VALID, mapped
 * where they live, counted as `how` says. Returns UMM_OK, or the kernel's refusal with the pages
 * back in transition. */
static int transition_to_valid(const fault_site_t *s, size_t lo, size_t hi, enum valid_how how)
{
    mm_vad_t *vad = s->vad;
    umm_system_t *sys = vad->proc->sys;
    bool maps = site_maps(s);
    /* a read of a page its VAD will likely write soon is mapped as a write (dirtypredict.h) */
    bool predicted = maps && !s->write && mm_dirtypredict_write(vad);
    bool write = maps && (s->write || predicted);
    mm_pte_t saved[FAULT_MAX_CLUSTER];
    uint8_t was_on[FAULT_MAX_CLUSTER];
    bool was_offered[FAULT_MAX_CLUSTER];
    size_t mapped_clean = 0;
    for (size_t k = lo; k < hi; k++) {
        mm_pte_t p = vad->pte[k];
        mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(p);
        mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
        saved[k - lo] = p;
        was_on[k - lo] = e->list;
        was_offered[k - lo] = e->flags & PFN_F_OFFERED;
        /* the scan goes on over what a stream's fault read: each page used as a soft fault's
         * page would be (a hit); a soft fault's neighbours are not evidence */
        mm_readahead_use(vad, f, k, how == VALID_READ ? k : s->i);
        /* an offered frame has no copy: back in use, it is as dirty as a Modified one */
        bool modified = e->list == LIST_MODIFIED || e->list == LIST_MODIFIED_NOWRITE ||
                        (e->flags & PFN_F_OFFERED);
        e->flags &= (uint16_t)~PFN_F_OFFERED;
        mm_pfn_move(&sys->pfn, f, LIST_ACTIVE);
        if (!maps) { /* a prototype: resident for the view; a section frame keeps its dirt here */
            if (modified)
                e->flags |= PFN_F_MODIFIED;
            mm_vad_pte_write(vad, k, mm_pte_make(PTE_VALID, mm_pte_prot(p), f));
            continue;
        }
        mm_vad_pte_write(vad, k, mm_pte_make(PTE_VALID, mm_pte_prot(p), f) | (p & PTE_HW) |
                                     PTE_ACCESSED | (modified || write ? PTE_DIRTY : 0));
        if (!modified && !write) { /* clean: its first write tells the dirty prediction */
            e->flags |= PFN_F_READ_BACK;
            mapped_clean++;
        }
    }
    if (!maps)
        return UMM_OK;
    int err = map_valid_run(vad, lo, hi, write);
    bool unmapped = err && mm_hw_unmap(sys, mm_vad_page_addr(vad, lo, sys->page_shift), hi - lo) == UMM_OK;
    if (unmapped) {
        /* Back to transition (unmapped: a failed call may have mapped part of the run) and to
         * the lists they came from. Nothing was written: frames and copies are as they were. */
        for (size_t k = hi; k-- > lo;) {
            mm_vad_pte_write(vad, k, saved[k - lo] & ~PTE_HW);
            mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(saved[k - lo]);
            mm_pfn_move(&sys->pfn, f, (enum mm_list_id)was_on[k - lo]);
            if (was_offered[k - lo]) /* still without a copy */
                mm_pfn_entry(&sys->pfn, f)->flags |= PFN_F_OFFERED;
        }
        mm_vma_refresh(vad, lo, hi);
        return err;
    }
    /* Mapped; or the kernel refused a mapping and then the replacement of the whole cluster: the
     * pages stay valid and dirty (a store through a mapping left would not be seen) and the
     * access is retried. They keep the HW bits map_valid_run left: a run it mapped before the
     * refusal is mapped, with the access the PTE derives, and trimming must take that access
     * away (without HW it would trim them with no kernel call, the mapping live over a frame that
     * goes to another page); a run not reached keeps its transition mapping, PROT_NONE, and the
     * refused run at most what the PTE derives (valid_fault gives the rest). A refused new
     * mapping has no HW and its pages may hold part of it: trimming calls for them too
     * (kernel_allows in ws.c). Either way their paging-file copies may be stale now. */
    for (size_t k = lo; k < hi; k++) {
        if (err)
            mm_vad_pte_write(vad, k, vad->pte[k] | PTE_DIRTY);
        if (write || err)
            mm_frame_stale_copy(sys, (mm_pfn_id_t)mm_pte_num(vad->pte[k]));
    }
    mm_vma_refresh(vad, lo, hi);
    ws_grow(s->proc, hi - lo);
    if (how != VALID_UNCOUNTED)
        MM_COUNT(s->proc, faults_transition, hi - lo - (how == VALID_READ && lo <= s->i && s->i < hi));
    mm_dirtypredict_mapped_clean(vad, mapped_clean);
    if (predicted)
        MM_COUNT(s->proc, pages_dirty_predicted, hi - lo);
    return UMM_OK;
}

/* [lo, hi), page i among them, are TRANSITION: make them VALID as transition_to_valid does, or
 * raise what stopped it. */
static enum fault_result make_transition_valid(const fault_site_t *s, size_t lo, size_t hi,
                                               enum valid_how how)
{
    umm_system_t *sys = s->vad->proc->sys;
    if (mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(s->vad->pte[s->i]))->flags & PFN_F_IO)
        return FAULT_BUSY; /* paging I/O holds it: retry once that is done */
    int err = transition_to_valid(s, lo, hi, how);
    return err == UMM_OK ? FAULT_DONE : site_raise(s, err);
}

/* Transition (soft) fault: the frame is still on Standby or Modified; bring it and its
 * neighbours in the cluster whose frames continue it back without I/O. */
static enum fault_result transition_fault(const fault_site_t *s)
{
    size_t lo, hi;
    site_cluster(s, mm_cluster_same_transition, false, &lo, &hi);
    return make_transition_valid(s, lo, hi, VALID_SOFT);
}

/* The iovecs that read into frames (contiguous bytes become one), or -1. System locked: a
 * guest's frames are made present here, before the I/O runs unlocked. */
static int read_iovecs(umm_system_t *sys, const mm_pfn_id_t *frames, size_t n, struct iovec *iov)
{
    int niov = 0;
    for (size_t k = 0; k < n; k++) {
        uint8_t *b = mm_frame_ptr(sys, frames[k], MM_FRAME_OVERWRITE); /* the read fills it */
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
static int start_read(const fault_site_t *s, size_t lo, size_t hi, const mm_pfn_id_t *frames)
{
    mm_vad_t *vad = s->vad;
    umm_system_t *sys = vad->proc->sys;
    for (size_t k = lo; k < hi; k++) {
        if (k == s->i || !(vad->pte[k] & PTE_HW))
            continue;
        size_t j = k + 1;
        while (j < hi && j != s->i && (vad->pte[j] & PTE_HW))
            j++;
        int rc = mm_hw_unmap(sys, mm_vad_page_addr(vad, k, sys->page_shift), j - k);
        if (rc != UMM_OK) {
            mm_vma_refresh(vad, lo, hi); /* runs before this one were unmapped */
            return rc;
        }
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
        e->prio = s->proc->priority;
        mm_vad_pte_write(vad, k, mm_pte_make(PTE_TRANSITION, mm_pte_prot(p), f));
    }
    if (site_maps(s))
        mm_vma_refresh(vad, lo, hi);
    return UMM_OK;
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

/* Read n pages at slot into frames with the system unlocked: the frames are pinned (nobody frees,
 * repurposes or maps them) and the faulting VAD counts the read, so releasing it waits for the
 * read to end. Into a warm read buffer, then the kernel copies it into the frames, when one is
 * free (readbuf.h: a store through the physical view may cost a host fault per frame), else
 * straight into the frames, as an O_DIRECT paging file always does. */
static int read_unlocked(const fault_site_t *s, uint64_t slot, const mm_pfn_id_t *frames, size_t n)
{
    umm_system_t *sys = s->vad->proc->sys;
    struct iovec iov[FAULT_MAX_CLUSTER];
    mm_filemap_t *fm = mm_vad_file(s->vad); /* a file section's page: from its file */
    /* an O_DIRECT file: the device fills the frames, no store of ours to spare them; the
     * store that holds the slot decides (a second paging file or a remote store may differ) */
    bool direct = fm ? fm->store.direct : mm_stores_slot_direct(&sys->stores, slot);
    uint8_t *buf = direct ? NULL : mm_readbuf_take(sys, n);
    int niov = buf ? 1 : read_iovecs(sys, frames, n, iov);
    if (niov <= 0) /* a guest frame its host could not produce: an in-page error, nothing lost */
        return UMM_E_NO_FRAMES;
    if (buf)
        iov[0] = (struct iovec){buf, n << sys->page_shift};
    s->fault_vad->io_pending++;
    mm_unlock(&sys->lock);
    int err = fm ? mm_pagefile_read(&fm->store, slot, iov, niov)
                 : mm_stores_read(&sys->stores, slot, iov, niov);
    if (err == UMM_OK && buf)
        err = mm_frames_write_pool(sys, frames, n, buf);
    mm_lock(&sys->lock);
    s->fault_vad->io_pending--;
    if (buf) {
        mm_readbuf_give(sys, buf);
        sys->ctr.page_reads_buffered++;
    }
    return err;
}

/* A read into frames completed: unpinned, they wait on Standby (at their priority). */
static void unpin_read(umm_system_t *sys, const mm_pfn_id_t *frames, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        mm_pfn_t *e = mm_pfn_entry(&sys->pfn, frames[k]);
        e->flags &= (uint16_t)~PFN_F_IO;
        mm_pfn_move(&sys->pfn, frames[k], (enum mm_list_id)(LIST_STANDBY0 + e->prio));
    }
}

/* One read of a hard fault, the faulting page's run or another run of its read window: pages
 * [lo, hi) in consecutive slots from slot, into frames, and how the read ended. Invariant:
 * lo < hi, within the window, the runs of one fault disjoint; until the read has ended the pages
 * are TRANSITION to frames[0 .. hi - lo), pinned (PFN_F_IO). */
typedef struct read_run {
    size_t lo, hi;
    uint64_t slot;
    mm_pfn_id_t *frames;
    int err;
} read_run_t;

/* Frames for pages [a, b), pinned for a read, when speculation may take them. */
static bool take_run(const fault_site_t *s, size_t a, size_t b, mm_pfn_id_t *frames)
{
    umm_system_t *sys = s->vad->proc->sys;
    if (!mm_frames_spare_for_speculation(sys, b - a, sys->cluster_pages, s->proc->priority) ||
        mm_frames_alloc(sys, b - a, mm_cluster_hint(s->vad, a, b), frames, s->proc, false) != UMM_OK)
        return false;
    if (start_read(s, a, b, frames) == UMM_OK)
        return true;
    for (size_t k = b - a; k-- > 0;)
        mm_frame_release(sys, frames[k], false);
    return false;
}

/* The other runs of paged-out pages in the read window of a hard fault whose own run is
 * [lo, hi): a scan over a partly resident range finds the missing pages of a window in several
 * runs of slots, and reading them with the faulting run saves a fault for each (Linux's swap
 * readahead reads a window's scattered slots at once too). Their frames come after `used` in
 * frames. Returns how many runs were taken into runs. */
static size_t window_runs(const fault_site_t *s, size_t lo, size_t hi, mm_pfn_id_t *frames,
                          size_t used, read_run_t *runs)
{
    mm_vad_t *vad = s->vad;
    size_t w = vad->ra.window, n = 0;
    if (!site_maps(s) || w <= hi - lo)
        return 0;
    size_t w0, w1;
    mm_cluster_window(vad, s->i, w, &w0, &w1);
    int prot = mm_pte_prot(vad->pte[s->i]);
    for (size_t a = w0; a < w1 && n < FAULT_MAX_CLUSTER;) {
        if (a == lo) {
            a = hi;
            continue;
        }
        /* the faulting page's protection only: a stream maps them as it maps that page */
        if (mm_pte_format(vad->pte[a]) != PTE_PAGEFILE || mm_pte_prot(vad->pte[a]) != prot) {
            a++;
            continue;
        }
        size_t b = a + 1;
        while (b < w1 && b != lo && mm_cluster_same_pagefile(vad, a, b))
            b++;
        uint64_t slot = mm_pte_num(vad->pte[a]); /* before the PTEs turn to transition */
        if (!take_run(s, a, b, frames + used))
            break;
        runs[n++] = (read_run_t){a, b, slot, frames + used, UMM_OK};
        used += b - a;
        a = b;
    }
    return n;
}

/* A read of a hard fault ended: onto Standby (the faulting run's other pages, and every page of
 * the window's other runs, as read-ahead), or back to their slots. The faulting run comes first:
 * the other runs widen the stream it records. */
static void finish_run(const fault_site_t *s, const read_run_t *r, bool faulting)
{
    umm_system_t *sys = s->vad->proc->sys;
    MM_ASSERT_HELD(&sys->lock);
    UMM_ASSERT(r->lo < r->hi && mm_pte_format(s->vad->pte[r->lo]) == PTE_TRANSITION);
    sys->ctr.page_reads++;
    if (r->err != UMM_OK) {
        sys->ctr.read_errors++;
        abort_read(s->vad, r->lo, r->hi);
        return;
    }
    sys->ctr.pages_input += r->hi - r->lo;
    if (faulting)
        mm_readahead_read_done(s->vad, s->i, r->lo, r->hi, r->frames);
    else
        mm_readahead_read_more(s->vad, r->lo, r->hi, r->frames);
    unpin_read(sys, r->frames, r->hi - r->lo);
}

/* Does a hard fault map all it read, not only its page? When it continues a stream: the scan
 * will touch them next, and on this design a soft fault costs a signal where the kernel's
 * minor fault costs a trap (as a file view's stream fault maps around, mm_filemap_around_pages).
 * A process with a hard working-set maximum maps only its page. */
static bool maps_what_it_read(const fault_site_t *s)
{
    return site_maps(s) && s->vad->ra.stream && !(s->proc->ws_flags & UMM_WS_HARD_MAX);
}

/* The reads of a hard fault have ended, well for the faulting run, runs[0]: make page i valid,
 * and what else maps_what_it_read says. */
static enum fault_result map_what_was_read(const fault_site_t *s, const read_run_t *runs,
                                           size_t nruns)
{
    if (!maps_what_it_read(s))
        /* Page i is now an ordinary transition page: the soft-fault path makes it valid. */
        return make_transition_valid(s, s->i, s->i + 1, VALID_UNCOUNTED);
    enum fault_result got = make_transition_valid(s, runs[0].lo, runs[0].hi, VALID_READ);
    for (size_t r = 1; r < nruns && got == FAULT_DONE; r++)
        if (runs[r].err == UMM_OK) /* a refused mapping leaves them on Standby: nothing lost */
            (void)transition_to_valid(s, runs[r].lo, runs[r].hi, VALID_READ);
    return got;
}

/* A long stream's hard fault gives up the pages it has passed (mm_readahead_passed) before it
 * takes frames, when free frames are short (so its frames would otherwise be some other page's):
 * its own are then theirs. Not under a hard working-set maximum, whose own trimming decides. */
static void drop_passed(const fault_site_t *s)
{
    umm_system_t *sys = s->vad->proc->sys;
    size_t lo, hi;
    if (mm_frames_free_or_zeroed(sys) < 2 * (uint64_t)sys->cluster_pages && maps_what_it_read(s) &&
        mm_readahead_passed(s->vad, s->i, &lo, &hi))
        MM_COUNT(s->proc, pages_dropped_behind, mm_ws_drop_range(s->vad, lo, hi));
}

/* Hard fault: read the page and its paged-out neighbours (consecutive slots, same cluster) in
 * one I/O on this thread, with the system unlocked, and the window's other paged-out runs with
 * it; the page becomes valid, the others go to Standby. */
static enum fault_result hard_fault(const fault_site_t *s)
{
    mm_vad_t *vad = s->vad;
    umm_system_t *sys = vad->proc->sys;
    size_t lo, hi;
    mm_pfn_id_t frames[FAULT_MAX_CLUSTER];
    read_run_t runs[FAULT_MAX_CLUSTER + 1]; /* the faulting run, then up to 63 others (window_runs) */
    site_cluster(s, mm_cluster_same_pagefile, true, &lo, &hi);
    drop_passed(s);
    enum fault_result got = cluster_frames(s, false, &lo, &hi, frames);
    if (got != FAULT_DONE)
        return got;
    uint64_t slot = mm_pte_num(vad->pte[lo]);
    int err = start_read(s, lo, hi, frames);
    if (err != UMM_OK) {
        for (size_t k = hi - lo; k-- > 0;)
            mm_frame_release(sys, frames[k], false);
        return site_raise(s, err);
    }
    runs[0] = (read_run_t){lo, hi, slot, frames, UMM_OK};
    size_t nruns = 1 + window_runs(s, lo, hi, frames, hi - lo, runs + 1);
    for (size_t r = 0; r < nruns; r++)
        runs[r].err = read_unlocked(s, runs[r].slot, runs[r].frames, runs[r].hi - runs[r].lo);
    for (size_t r = 0; r < nruns; r++)
        finish_run(s, &runs[r], r == 0);
    if (runs[0].err != UMM_OK)
        return site_raise(s, runs[0].err);
    if (site_maps(s))
        MM_COUNT(s->proc, faults_hard, 1);
    return map_what_was_read(s, runs, nruns);
}

/* Frames for a read-ahead of n pages from page lo of proto, when speculation at priority prio
 * may have them and leave FILEMAP_AHEAD_RESERVE (mm_frames_spare_for_speculation); their
 * iovecs (at most PAGEFILE_MAX_IOV) in iov. Returns the iovecs, or 0 (nothing taken). */
static int ahead_frames(mm_vad_t *proto, size_t lo, size_t n, unsigned prio, mm_pfn_id_t *frames,
                        struct iovec *iov)
{
    umm_system_t *sys = proto->proc->sys;
    if (!mm_frames_spare_for_speculation(sys, n, FILEMAP_AHEAD_RESERVE, prio) ||
        mm_frames_alloc(sys, n, proto_read_hint(proto, lo), frames, proto->proc, false) != UMM_OK)
        return 0;
    int niov = read_iovecs(sys, frames, n, iov);
    if (niov > 0 && niov <= PAGEFILE_MAX_IOV)
        return niov;
    for (size_t k = n; k-- > 0;) /* scattered frames: not worth a read of many small pieces */
        mm_frame_release(sys, frames[k], false);
    return 0;
}

int mm_fault_read_file_ahead(mm_vad_t *proto, size_t lo, size_t hi, unsigned prio)
{
    umm_system_t *sys = proto->proc->sys;
    mm_filemap_t *fm = mm_vad_file(proto);
    MM_ASSERT_HELD(&sys->lock);
    UMM_ASSERT(fm && fm->direct.fd >= 0 && hi - lo <= FILEMAP_AHEAD_PIECE);
    while (lo < hi && mm_pte_format(proto->pte[lo]) != PTE_PAGEFILE)
        lo++; /* resident, or on a list: maybe newer than the file */
    size_t e = lo;
    while (e < hi && mm_pte_format(proto->pte[e]) == PTE_PAGEFILE)
        e++;
    if (e == lo)
        return UMM_OK;
    mm_pfn_id_t frames[FILEMAP_AHEAD_PIECE];
    struct iovec iov[FILEMAP_AHEAD_PIECE];
    int niov = ahead_frames(proto, lo, e - lo, prio, frames, iov);
    if (niov == 0)
        return UMM_E_NO_FRAMES;
    uint64_t slot = mm_pte_num(proto->pte[lo]); /* the file's page: lo */
    umm_exception_t unused = {0};
    fault_site_t s = {.vad = proto, .i = lo, .proc = proto->proc, .fault_vad = proto, .exc = &unused};
    int err = start_read(&s, lo, e, frames); /* no mapping to remove: it cannot fail */
    UMM_ASSERT(err == UMM_OK);
    mm_unlock(&sys->lock); /* the piece's queue entry holds proto->io_pending */
    err = mm_pagefile_read(&fm->direct, slot, iov, niov);
    mm_lock(&sys->lock);
    sys->ctr.page_reads++;
    if (err != UMM_OK) { /* the pages go back: a fault reads them and reports the error */
        abort_read(proto, lo, e);
        return err;
    }
    sys->ctr.file_reads_direct++;
    sys->ctr.pages_input += e - lo;
    MM_COUNT(proto->proc, pages_read_ahead, e - lo);
    for (size_t k = 0; k < e - lo; k++) {
        mm_pfn_t *pf = mm_pfn_entry(&sys->pfn, frames[k]);
        pf->flags |= PFN_F_READAHEAD;
        pf->prio = (uint8_t)prio; /* start_read gave the prototype's owner's, not the reader's */
    }
    unpin_read(sys, frames, e - lo);
    return UMM_OK;
}

/* Is page k valid with its access revoked by aging (mapped PROT_NONE, exact, not pinned)? A
 * cluster test (mm_cluster_same_fn), whatever page i is. */
static bool access_revoked(const mm_vad_t *vad, size_t i, size_t k)
{
    (void)i;
    mm_pte_t p = vad->pte[k];
    return mm_pte_format(p) == PTE_VALID && !(p & (PTE_ACCESSED | PTE_HW_RO)) && (p & PTE_HW) &&
           !mm_page_pinned(vad->proc->sys, p);
}

/* [*lo, *hi): page i of an accessed-bit fault, and with it, when the VAD's last hard fault
 * continued a stream, the pages around it in its cluster whose access aging also revoked: a
 * scan passing over resident pages would take one accessed-bit fault per page (the clock
 * revokes a dirty page's access for its second chance), and it touches them next. They get
 * their access back in the same call, marked accessed. */
static void regrant_cluster(const fault_site_t *s, size_t *lo, size_t *hi)
{
    mm_vad_t *vad = s->vad;
    *lo = s->i, *hi = s->i + 1;
    if (site_maps(s) && vad->ra.stream && access_revoked(vad, s->i, s->i))
        mm_cluster_around(vad, s->i, vad->proc->sys->cluster_pages, access_revoked, lo, hi);
}

/* A valid page faulted: an emulated accessed or dirty bit to set, a mapping to restore, or a
 * fault another thread already resolved. */
static enum fault_result valid_fault(const fault_site_t *s)
{
    mm_vad_t *vad = s->vad;
    size_t i = s->i;
    umm_system_t *sys = vad->proc->sys;
    mm_pte_t p = vad->pte[i];
    mm_pte_t np = p | PTE_ACCESSED | (s->write ? PTE_DIRTY : 0);
    if (np == p && (p & PTE_HW)) /* another thread won the race (or a failed call left less
                                    than the PTE says: the mprotect below puts it right) */
        MM_COUNT(s->proc, faults_spurious, 1);
    if ((np & PTE_HW_RO) && s->write)
        np &= ~PTE_HW_RO; /* read-only because shared: map again, the backend breaks sharing */
    size_t lo, hi;
    regrant_cluster(s, &lo, &hi);
    for (size_t k = lo; k < hi; k++)
        mm_vad_pte_write(vad, k, k == i ? np : vad->pte[k] | PTE_ACCESSED);
    int err = map_valid_run(vad, lo, hi, s->write);
    if (err) { /* a failed MAP_FIXED may have removed the old mapping: start from none. The
                  * neighbours keep their accessed bit: a run the calls gave back is accessible,
                  * and one they did not takes a spurious fault that puts it right */
        mm_vad_pte_write(vad, i, mm_hw_unmap(sys, mm_vad_page_addr(vad, i, sys->page_shift), 1) == UMM_OK
                                     ? p & ~(PTE_HW | PTE_HW_RO) : p);
        mm_vma_refresh(vad, lo, hi);
        return site_raise(s, err);
    }
    if (!(p & PTE_ACCESSED))
        MM_COUNT(s->proc, faults_access_bit, 1);
    else if (s->write && !(p & PTE_DIRTY)) {
        MM_COUNT(s->proc, faults_dirty_bit, 1);
        mm_dirtypredict_dirtied(vad, mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p)));
    }
    /* Only now that the page is writable is its paging-file copy stale: freed before, a failed
     * mapping would leave a clean page without a copy, which trimming takes for a zero page. */
    if (s->write && !(p & PTE_DIRTY))
        mm_frame_stale_copy(sys, (mm_pfn_id_t)mm_pte_num(p));
    mm_vma_refresh(vad, lo, hi);
    return FAULT_DONE;
}

/* Resolve the PTE of a site by its state. */
static enum fault_result resolve(const fault_site_t *s)
{
    switch (mm_pte_format(s->vad->pte[s->i])) {
    case PTE_VALID: return site_maps(s) ? valid_fault(s) : FAULT_DONE; /* resident for a view */
    case PTE_TRANSITION: return transition_fault(s);
    case PTE_DEMAND_ZERO: return demand_zero_fault(s);
    case PTE_PAGEFILE: return hard_fault(s);
    default: return site_raise(s, UMM_E_STATE);
    }
}

/* View page i now maps section page k's resident frame: VALID, accessed (dirty for a write),
 * counted in share[] and the view's working set. Not mapped yet. */
static void view_page_valid(mm_vad_t *view, size_t i, bool write)
{
    umm_section_t *sec = view->section;
    size_t k = view->sec_first + i; /* the section's page */
    mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(sec->proto->pte[k]);
    mm_vad_pte_write(view, i, mm_pte_make(PTE_VALID, mm_pte_prot(view->pte[i]), f) | PTE_ACCESSED |
                                  (write ? PTE_DIRTY : 0));
    sec->share[k]++;
    ws_grow(view->proc, 1);
}

/* Map the section's resident frame into view page i for a write (counted in share[]). */
static enum fault_result map_into_view(mm_vad_t *view, size_t i, umm_exception_t *exc)
{
    umm_system_t *sys = view->proc->sys;
    view_page_valid(view, i, true);
    mm_pte_t np = view->pte[i];
    mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(np);
    bool exact = true;
    int err = mm_hw_map(sys, mm_vad_page_addr(view, i, sys->page_shift), f, 1, mm_pte_hw_prot(np),
                        true, &exact);
    if (err) { /* a failed MAP_FIXED may leave anything: unmap, then back to prototype (clean:
                  nothing was written through this mapping) */
        mm_hw_unmap(sys, mm_vad_page_addr(view, i, sys->page_shift), 1);
        mm_vad_pte_write(view, i, np & ~PTE_DIRTY);
        mm_proto_drop_view_page(view, i, false);
        mm_vma_refresh(view, i, i + 1);
        return fault_raise(exc, view, UMM_EXC_IN_PAGE_ERROR, err);
    }
    mm_frame_stale_copy(sys, f); /* writable now: the paging-file copy is stale */
    mm_vad_pte_write(view, i, np | (exact ? PTE_HW : PTE_HW_RO));
    mm_vma_refresh(view, i, i + 1);
    return FAULT_DONE;
}

/* May view page j be mapped along with page i's fault? Its PTE is a PROTOTYPE of the same
 * protection, and its section page is resident or on a list with no I/O holding it. */
static bool around_candidate(mm_vad_t *view, size_t i, size_t j)
{
    if (j >= view->sec_pages || mm_pte_format(view->pte[j]) != PTE_PROTOTYPE ||
        mm_pte_prot(view->pte[j]) != mm_pte_prot(view->pte[i]))
        return false;
    mm_pte_t p = view->section->proto->pte[view->sec_first + j];
    umm_system_t *sys = view->proc->sys;
    return mm_pte_format(p) == PTE_VALID ||
           (mm_pte_format(p) == PTE_TRANSITION &&
            !(mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p))->flags & PFN_F_IO));
}

/* Map view pages [a, b), just made VALID (clean) with consecutive frames, in one kernel call; on
 * a refusal they go back to PROTOTYPE (clean: nothing was written through them) and the error is
 * returned. */
static int map_view_run(mm_vad_t *view, size_t a, size_t b)
{
    umm_system_t *sys = view->proc->sys;
    uintptr_t va = mm_vad_page_addr(view, a, sys->page_shift);
    bool exact = true;
    int err = mm_hw_map(sys, va, (mm_pfn_id_t)mm_pte_num(view->pte[a]), b - a,
                        mm_pte_hw_prot(view->pte[a]), false, &exact);
    if (err != UMM_OK) { /* a failed MAP_FIXED may leave anything: unmap first */
        mm_hw_unmap(sys, va, b - a);
        for (size_t j = b; j-- > a;)
            mm_proto_drop_view_page(view, j, false);
        return err;
    }
    for (size_t j = a; j < b; j++)
        mm_vad_pte_write(view, j, view->pte[j] | (exact ? PTE_HW : PTE_HW_RO));
    return UMM_OK;
}

/* May view page j join read-faulting page i's window? A candidate whose section page is on a
 * list is made resident first (a soft fault, not counted: page i's fault counts once). */
static bool around_join(mm_vad_t *view, size_t i, size_t j)
{
    if (!around_candidate(view, i, j))
        return false;
    umm_section_t *sec = view->section;
    size_t k = view->sec_first + j;
    umm_exception_t unused = {0};
    fault_site_t s = {.vad = sec->proto, .i = k, .proc = view->proc, .fault_vad = view, .exc = &unused};
    if (mm_pte_format(sec->proto->pte[k]) == PTE_TRANSITION &&
        make_transition_valid(&s, k, k + 1, VALID_UNCOUNTED) != FAULT_DONE)
        return false;
    view_page_valid(view, j, false);
    return true;
}

/* The window of a read fault on view page i, as the kernel's fault-around for file mappings: its
 * cluster, or while a sequential stream reads the file ahead, from the cluster's start up to
 * FILEMAP_AROUND_MAX pages (the pages read ahead are mapped by this one fault). A process with
 * a hard working-set maximum takes its pages one at a time, within the maximum. */
static void read_window(const mm_vad_t *view, size_t i, size_t *lo, size_t *hi)
{
    size_t w = view->proc->sys->cluster_pages;
    *lo = i / w * w;
    if (view->proc->ws_flags & UMM_WS_HARD_MAX) {
        *lo = i;
        w = 1;
    } else if (view->section->file)
        w = mm_filemap_around_pages(view->section, view->sec_first + i, w);
    *hi = *lo + w < view->npages ? *lo + w : view->npages;
}

/* A read fault on view page i: the page and its window's neighbours whose section pages are
 * resident or still on a list (read ahead) are made VALID, accessed and clean, and mapped one
 * kernel call per run of consecutive frames (a sequential read's window: one call), so a scan of
 * a view takes one fault and one mapping per window. A refused run goes back to PROTOTYPE; the
 * fault fails only when page i's run was refused. */
static enum fault_result map_read_window(mm_vad_t *view, size_t i, umm_exception_t *exc)
{
    view_page_valid(view, i, false);
    size_t lo, hi, run = SIZE_MAX; /* run: the first page of the run being built */
    read_window(view, i, &lo, &hi);
    int err = UMM_OK;
    for (size_t j = lo; j <= hi; j++) {
        bool joins = j < hi && (j == i || around_join(view, i, j));
        if (joins && run != SIZE_MAX &&
            mm_pte_num(view->pte[j]) == mm_pte_num(view->pte[run]) + (j - run))
            continue; /* extends the run */
        if (run != SIZE_MAX) {
            int rc = map_view_run(view, run, j);
            if (rc != UMM_OK && run <= i && i < j)
                err = rc;
        }
        run = joins ? j : SIZE_MAX;
    }
    mm_vma_refresh(view, lo, hi);
    return err == UMM_OK ? FAULT_DONE : fault_raise(exc, view, UMM_EXC_IN_PAGE_ERROR, err);
}

/* A view page whose PTE is PROTOTYPE: make the section page resident through the same resolvers,
 * then map it here. Counted on the view's process as the page came: demand-zero, hard, or
 * transition (from a list, or resident for another view, as Windows counts a shared page). */
static enum fault_result prototype_fault(mm_vad_t *view, size_t i, bool write, umm_exception_t *exc)
{
    umm_section_t *sec = view->section;
    umm_process_t *proc = view->proc;
    /* A hard working-set maximum makes room first: trimming after the frame is resident could
     * take this frame's last other mapping in this process and send it to a list. */
    if ((proc->ws_flags & UMM_WS_HARD_MAX) && proc->ws_size >= proc->ws_max)
        mm_ws_trim_locked(proc, proc->ws_size - proc->ws_max + 1, 0);
    size_t k = view->sec_first + i; /* the section's page */
    fault_site_t s = {.vad = sec->proto, .i = k, .write = write, .proc = proc, .fault_vad = view,
                      .exc = exc};
    if (!write && sec->file && mm_filemap_wait_ahead(view, k))
        return FAULT_BUSY; /* its read-ahead was in flight, has ended: retry */
    unsigned came_from = mm_pte_format(sec->proto->pte[k]);
    enum fault_result r = resolve(&s);
    if (r != FAULT_DONE)
        return r;
    /* A read dropped the lock, but nothing turns this view PTE from PROTOTYPE meanwhile: another
     * fault on it waits for the read (busy), and releasing the view waits for io_pending. */
    UMM_ASSERT(mm_pte_format(view->pte[i]) == PTE_PROTOTYPE);
    r = write ? map_into_view(view, i, exc) : map_read_window(view, i, exc);
    if (r != FAULT_DONE)
        return r;
    if (!write && sec->file)
        mm_filemap_stream(view, i); /* keep I/O threads reading ahead of a stream */
    if (came_from == PTE_DEMAND_ZERO)
        MM_COUNT(proc, faults_demand_zero, 1);
    else if (came_from == PTE_PAGEFILE)
        MM_COUNT(proc, faults_hard, 1);
    else
        MM_COUNT(proc, faults_transition, 1);
    return FAULT_DONE;
}

/* A write to a page of a copy-on-write view that is still the section's: the section page is
 * brought in and mapped as for a read, then the view gets its own copy of it (cow.h). */
static enum fault_result cow_write_fault(mm_vad_t *view, size_t i, umm_exception_t *exc)
{
    umm_system_t *sys = view->proc->sys;
    if (mm_pte_format(view->pte[i]) == PTE_PROTOTYPE) {
        enum fault_result r = prototype_fault(view, i, false, exc);
        if (r != FAULT_DONE)
            return r;
    }
    if (mm_frames_available(sys) == 0 && mm_reclaim_for_fault(sys))
        return FAULT_BUSY; /* reclaim may have trimmed the page: the retry starts again */
    int rc = mm_cow_copy(view, i);
    return rc == UMM_OK ? FAULT_DONE : fault_raise(exc, view, UMM_EXC_IN_PAGE_ERROR, rc);
}

/* An access of unknown kind is resolved as a read unless the page is writable. A write to a read-only
 * page that is mapped readable would then be "resolved" again and again; so when the same thread
 * faults at the same address again while the page is mapped readable (a read would not have
 * faulted), the access is a write: an access violation, or a copy-on-write, as it should be. */
static int deduce_access(mm_pte_t p, int access)
{
    if (access != FAULT_UNKNOWN_AGAIN)
        return access;
    bool mapped = mm_pte_format(p) == PTE_VALID && (p & (PTE_HW | PTE_HW_RO));
    return mapped && (mm_pte_hw_prot(p) & PROT_READ) ? FAULT_WRITE : FAULT_UNKNOWN;
}

/* May a page of protection `prot` be read, written or executed (an instruction fetch: DEP)? */
static bool access_allowed(int prot, bool exec, bool write)
{
    if (exec)
        return (prot & UMM_PROT_EXEC) != 0;
    return (prot & (UMM_PROT_READ | UMM_PROT_WRITE)) && (!write || (prot & UMM_PROT_WRITE));
}

/* May the access that hit a guard page be resolved in the same fault? When the protection
 * (guard cleared) allows it and it needs neither I/O nor reclaim, which drop the system lock (the
 * VAD must stay valid for the exception): what could still refuse it (an access violation, an
 * in-page error) is then met, and counted, only when the access retries. */
static bool guard_access_resolvable(umm_system_t *sys, mm_pte_t p, int prot, int access)
{
    int f = mm_pte_format(p);
    if (f == PTE_DEMAND_ZERO && mm_frames_available(sys) == 0)
        return false;
    bool write = access == FAULT_WRITE || (access == FAULT_UNKNOWN && (prot & UMM_PROT_WRITE));
    return access_allowed(prot, access == FAULT_EXEC, write) &&
           (f == PTE_VALID || f == PTE_TRANSITION || f == PTE_DEMAND_ZERO);
}

/* Resolve an access to page i of vad as its PTE says, or describe the exception. */
static enum fault_result resolve_access(mm_vad_t *vad, size_t i, int access, umm_exception_t *exc)
{
    mm_pte_t p = vad->pte[i];
    if (!mm_pte_committed(p) || vad->releasing)
        return fault_raise(exc, vad, UMM_EXC_ACCESS_VIOLATION, 0);
    int prot = mm_pte_prot(p);
    if (prot & UMM_PROT_GUARD) {
        mm_vad_pte_write(vad, i, mm_pte_with_prot(p, prot & ~UMM_PROT_GUARD));
        if (guard_access_resolvable(vad->proc->sys, p, prot, access)) {
            /* resolved now too, so continuing after the exception does not fault again */
            umm_exception_t ignored = *exc;
            (void)resolve_access(vad, i, access, &ignored);
        }
        return fault_raise(exc, vad, UMM_EXC_GUARD_PAGE, 0);
    }
    /* a copy-on-write page still shared copies only on a known write (a read shares) */
    bool shared_cow = mm_cow_shared(vad, i);
    bool write = access == FAULT_WRITE ||
                 (access == FAULT_UNKNOWN && (prot & UMM_PROT_WRITE) && !shared_cow);
    if (!access_allowed(prot, access == FAULT_EXEC, write))
        return fault_raise(exc, vad, UMM_EXC_ACCESS_VIOLATION, 0);
    if (write && (prot & MM_PROT_WATCH)) /* a write-watched page is written: record it */
        mm_vad_pte_write(vad, i, mm_pte_with_prot(p, prot & ~MM_PROT_WATCH));
    if (write && shared_cow)
        return cow_write_fault(vad, i, exc);
    if (mm_pte_format(p) == PTE_PROTOTYPE)
        return prototype_fault(vad, i, write, exc);
    fault_site_t s = {.vad = vad, .i = i, .write = write, .proc = vad->proc, .fault_vad = vad,
                      .exc = exc};
    return resolve(&s);
}

static enum fault_result dispatch(mm_vad_t *vad, uintptr_t addr, int access, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    size_t i = (addr - vad->start) >> sys->page_shift;
    MM_COUNT(vad->proc, faults_total, 1);
    access = deduce_access(vad->pte[i], access);
    exc->address = (void *)addr;
    exc->is_write = access == FAULT_EXEC ? UMM_EXC_EXECUTE : access;
    return resolve_access(vad, i, access, exc);
}

enum fault_result mm_fault_resolve(mm_vad_t *vad, uintptr_t addr, int access, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    MM_ASSERT_HELD(&sys->lock);
    mm_os_clear_error(); /* exc->os_error reports only this fault's kernel errors */
    if (sys->vma_count + 2 > sys->vma_budget) /* make room before adding mappings */
        mm_budget_coalesce(sys, (uint64_t)sys->vma_budget * 3 / 4);
    enum fault_result r = dispatch(vad, addr, access, exc);
    mm_budget_enforce(sys);
    if (!sys->low_memory && mm_frames_available(sys) < sys->low_pages)
        mm_reclaim_wake_workers(sys); /* async-signal-safe: uv_async_send */
    return r;
}

/* ---- filling paged-out pages whole, without reading them back (a program's read, io.c) ---- */

/* Is page i of a private VAD paged out and writable, so new contents may simply replace it? */
static bool overwritable(const mm_vad_t *vad, size_t i)
{
    mm_pte_t p = vad->pte[i];
    int prot = mm_pte_prot(p);
    return mm_pte_format(p) == PTE_PAGEFILE && mm_pte_committed(p) && (prot & UMM_PROT_WRITE) &&
           !(prot & UMM_PROT_GUARD);
}

/* Pages [lo, hi), all overwritable: new frames holding src's bytes (written before any PTE names
 * them, so no thread ever sees a frame's previous contents), VALID,
 * dirty, mapped; their slots freed. Returns how many pages it filled from lo (0: no frames, a
 * guest frame its host could not produce, or a refused mapping: the pages stay as they were).
 * filled[k] is set for page lo + k. */
static size_t overwrite_run(mm_vad_t *vad, size_t lo, size_t hi, const uint8_t *src, bool *filled)
{
    umm_system_t *sys = vad->proc->sys;
    mm_pfn_id_t frames[FAULT_MAX_CLUSTER];
    mm_pte_t orig[FAULT_MAX_CLUSTER] = {0};
    size_t avail = (size_t)mm_frames_available(sys);
    if (avail < hi - lo)
        hi = lo + avail;
    if (hi == lo || mm_frames_alloc(sys, hi - lo, mm_cluster_hint(vad, lo, hi), frames, vad->proc,
                                    false) != UMM_OK)
        return 0;
    if (mm_frames_fill(sys, frames, hi - lo, src) != UMM_OK) {
        for (size_t k = hi - lo; k-- > 0;)
            mm_frame_release(sys, frames[k], false);
        return 0;
    }
    for (size_t k = lo; k < hi; k++) {
        orig[k - lo] = vad->pte[k];
        int prot = mm_pte_prot(orig[k - lo]) & ~MM_PROT_WATCH; /* written: write watch records it */
        mm_frame_set_owner(sys, frames[k - lo], vad, k);
        mm_vad_pte_write(vad, k, mm_pte_make(PTE_VALID, prot, frames[k - lo]) | PTE_ACCESSED | PTE_DIRTY);
    }
    int err = map_valid_run(vad, lo, hi, true);
    size_t mapped_hi = lo;
    while (mapped_hi < hi && mm_pte_mapped(vad->pte[mapped_hi]))
        mapped_hi++;
    /* refused pages go back to their slots (unwound as a refused demand-zero cluster is) */
    size_t kept = err && unwind_fresh_frames(vad, mapped_hi, hi, orig + (mapped_hi - lo)) ? mapped_hi : hi;
    for (size_t k = lo; k < kept; k++) {
        mm_stores_free(&sys->stores, mm_pte_num(orig[k - lo])); /* the new contents replace the copy */
        filled[k - lo] = true;
    }
    mm_vma_refresh(vad, lo, hi);
    ws_grow(vad->proc, kept - lo);
    MM_COUNT(vad->proc, io_reads_skipped, kept - lo);
    return kept - lo;
}

size_t mm_fault_overwrite(mm_vad_t *vad, size_t first, size_t n, const uint8_t *src, bool *filled)
{
    umm_system_t *sys = vad->proc->sys;
    MM_ASSERT_HELD(&sys->lock);
    /* a hard working-set maximum would need the trimming of a fault: those pages take the probe */
    if (vad->section || vad->proto_of || vad->releasing || (vad->proc->ws_flags & UMM_WS_HARD_MAX))
        return 0;
    if (sys->vma_count + 2 > sys->vma_budget)
        mm_budget_coalesce(sys, (uint64_t)sys->vma_budget * 3 / 4);
    size_t done = 0;
    for (size_t i = first; i < first + n;) {
        if (!overwritable(vad, i)) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < first + n && j - i < FAULT_MAX_CLUSTER && overwritable(vad, j))
            j++;
        size_t got = overwrite_run(vad, i, j, src + ((i - first) << sys->page_shift), filled + (i - first));
        if (got == 0)
            break; /* the rest goes through the probe, which reclaims or reports */
        done += got;
        i += got;
    }
    mm_budget_enforce(sys);
    return done;
}

/* ---- resolving a fault without a signal (probe-and-lock, umm_lock, prefetch) ---- */

/* The error a program's I/O gets for an exception the fault would have raised. */
static int exception_error(const umm_exception_t *exc)
{
    switch (exc->code) {
    case UMM_EXC_GUARD_PAGE: return UMM_E_GUARD;
    case UMM_EXC_IN_PAGE_ERROR: return exc->error ? exc->error : UMM_E_IO;
    default: return UMM_E_ACCESS;
    }
}

int mm_fault_touch(uintptr_t addr, bool write, umm_exception_t *exc)
{
    for (;;) {
        mm_vad_t *vad = mm_registry_lookup_lock(addr); /* registry, then system: as the handler */
        if (!vad)
            return UMM_E_NOT_RESERVED;
        umm_system_t *sys = vad->proc->sys;
        enum fault_result r = mm_fault_resolve(vad, addr, write ? FAULT_WRITE : FAULT_READ, exc);
        mm_unlock(&sys->lock);
        if (r == FAULT_DONE)
            return UMM_OK;
        if (r == FAULT_EXCEPTION)
            return exception_error(exc);
        mm_os_yield(); /* busy: another thread's I/O holds the page */
    }
}
