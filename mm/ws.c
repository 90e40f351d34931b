/* SPDX-License-Identifier: MIT */
/* ws.c - trimming and aging working sets (see ws.h). */
#include "ws.h"

#include "assert.h"
#include "cluster.h"
#include "cow.h"
#include "frames.h"
#include "handle.h"
#include "hwmap.h"
#include "proto.h"
#include "vma.h"

#include <sys/mman.h>

/* May the program touch this page without a fault? (HW: the kernel maps it with the protection the
 * PTE derives, PROT_NONE when not accessed; HW_RO: read-only, whatever the PTE says.) A valid
 * page with neither is assumed to: most have no mapping (a call removed it: a guest's shared page
 * aged, a refused fault undone), but a failure path leaves some with part of a mapping live (a
 * refused mapping whose undoing was refused too, fault.c), the PTE cannot tell them apart, and
 * trimming one without a call would leave the program a mapping of a frame that goes to another
 * page. The call costs one mprotect of nothing for the others. */
static bool kernel_allows(mm_pte_t p)
{
    if (!(p & (PTE_HW | PTE_HW_RO)))
        return mm_pte_format(p) == PTE_VALID;
    return (p & PTE_HW_RO) || mm_pte_hw_prot(p) != PROT_NONE;
}

/* Take the kernel's access to the HW-mapped pages of [a, b) away. Unmapping: one call per run of
 * mapped pages. Otherwise only pages the program may still touch need a call, one per run of
 * them that pages already inaccessible may interrupt (an aged page, not accessed since, costs
 * nothing: its mapping stays, PROT_NONE, and a soft fault restores it with one mprotect).
 * Returns false if the kernel refused (the pages then stay as they are). */
static bool revoke_runs(umm_system_t *sys, mm_vad_t *vad, size_t a, size_t b, bool unmap)
{
    bool (*needs_call)(mm_pte_t) = unmap ? mm_pte_mapped : kernel_allows;
    size_t i = a;
    while (i < b) {
        if (!needs_call(vad->pte[i])) {
            i++;
            continue;
        }
        bool ro = vad->pte[i] & PTE_HW_RO;
        size_t j = i + 1, end = i + 1; /* end: one past the last page that needs the call */
        for (; j < b && (unmap ? mm_pte_mapped(vad->pte[j]) : true); j++)
            if (needs_call(vad->pte[j])) {
                ro |= (vad->pte[j] & PTE_HW_RO) != 0;
                end = j + 1;
            }
        j = end;
        uintptr_t va = mm_vad_page_addr(vad, i, sys->page_shift);
        bool unmapped = unmap || ro; /* a read-only shared mapping is replaced, never kept */
        int err = unmapped ? mm_hw_unmap(sys, va, j - i) : mm_hw_protect(sys, va, j - i, PROT_NONE);
        if (err && !unmap) /* at the VMA limit mprotect may fail where a full replace works */
            err = mm_hw_unmap(sys, va, j - i), unmapped = true;
        if (err)
            return false;
        if (unmapped)
            for (size_t k = i; k < j; k++)
                mm_vad_pte_write(vad, k, vad->pte[k] & ~(PTE_HW | PTE_HW_RO));
        i = j;
    }
    return true;
}

/* Does this valid page, its access revoked, hold only zeros? */
static bool trimmed_page_is_zero(umm_system_t *sys, mm_pte_t p)
{
    mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(p);
    if (mm_frame_has_copy(sys, f))
        return false; /* it has a copy on disk: keep the frame as a cheap cache of it */
    /* A clean page without a paging-file copy was never written: it is zero by construction.
     * A guest frame the host has paged out is not paged in only to be checked. */
    if (!(p & PTE_DIRTY))
        return true;
    if (sys->phys && sys->phys->resident && !sys->phys->resident(sys, f))
        return false;
    return mm_frame_is_zero(sys, f);
}

/* Move one valid page whose access was revoked out of the working set. */
static void trim_page(umm_system_t *sys, mm_vad_t *vad, size_t k, bool zero)
{
    mm_pte_t p = vad->pte[k];
    mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(p);
    mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
    mm_pte_t hw = p & PTE_HW;
    if (zero) {
        mm_vad_pte_write(vad, k, mm_pte_make(PTE_DEMAND_ZERO, mm_pte_prot(p), 0) | hw);
        mm_frame_release(sys, f, true);
        MM_COUNT(vad->proc, pages_trimmed_zero, 1);
    } else {
        mm_vad_pte_write(vad, k, mm_pte_make(PTE_TRANSITION, mm_pte_prot(p), f) | hw);
        e->prio = vad->proc->priority;
        bool dirty = p & PTE_DIRTY;
        mm_pfn_move(&sys->pfn, f, dirty ? LIST_MODIFIED : (enum mm_list_id)(LIST_STANDBY0 + e->prio));
    }
    vad->proc->ws_size--;
    sys->ws_total--;
    MM_COUNT(vad->proc, pages_trimmed, 1);
}

/* Trim [a, b), all VALID and none pinned. */
static size_t trim_unpinned_run(mm_vad_t *vad, size_t a, size_t b, bool unmap)
{
    umm_system_t *sys = vad->proc->sys;
    if (!revoke_runs(sys, vad, a, b, unmap)) { /* the kernel refused: the pages stay */
        mm_vma_refresh(vad, a, b);
        return 0;
    }
    if (vad->section) { /* a view: shared frames, the section decides where they go; a copy-on-
                           write view's copy is private and dirty (never a zero page) */
        for (size_t k = a; k < b; k++)
            if (mm_cow_private(vad, k))
                trim_page(sys, vad, k, false);
            else
                mm_proto_drop_view_page(vad, k, true);
    } else {
        /* First page first onto Modified/Standby, so the writer lays the run out in ascending
         * slots and a later sequential read runs forward; zero frames last page first, because
         * they go to the head of Zeroed and should come out in order. */
        for (size_t k = a; k < b; k++)
            if (!trimmed_page_is_zero(sys, vad->pte[k]))
                trim_page(sys, vad, k, false);
        for (size_t k = b; k-- > a;)
            if (mm_pte_format(vad->pte[k]) == PTE_VALID)
                trim_page(sys, vad, k, true);
    }
    mm_vma_refresh(vad, a, b);
    return b - a;
}

/* Call fn on each run of [a, b) (all VALID) whose pages are not pinned: locked pages and pages
 * pinned for an I/O keep their frames and mappings. Returns the sum of what fn returns. */
static size_t for_each_unpinned_run(mm_vad_t *vad, size_t a, size_t b, bool unmap,
                                    size_t (*fn)(mm_vad_t *, size_t, size_t, bool))
{
    const umm_system_t *sys = vad->proc->sys;
    size_t n = 0;
    for (size_t i = a; i < b;) {
        if (mm_page_pinned(sys, vad->pte[i])) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < b && !mm_page_pinned(sys, vad->pte[j]))
            j++;
        n += fn(vad, i, j, unmap);
        i = j;
    }
    return n;
}

/* Trim the pages of [a, b) (all VALID) that are not pinned. */
static size_t trim_valid_run(mm_vad_t *vad, size_t a, size_t b, bool unmap)
{
    return for_each_unpinned_run(vad, a, b, unmap, trim_unpinned_run);
}

/* Clear the accessed bit of [a, b), all VALID, accessed, unpinned (one mprotect per HW run). */
static size_t age_unpinned_run(mm_vad_t *vad, size_t a, size_t b, bool unused)
{
    (void)unused;
    umm_system_t *sys = vad->proc->sys;
    size_t i = a;
    while (i < b) {
        size_t j = i + 1;
        mm_pte_t kind = vad->pte[i] & (PTE_HW | PTE_HW_RO);
        while (j < b && (vad->pte[j] & (PTE_HW | PTE_HW_RO)) == kind)
            j++;
        uintptr_t va = mm_vad_page_addr(vad, i, sys->page_shift);
        /* exact mappings lose access (one mprotect); read-only shared ones are dropped */
        int err = kind == PTE_HW ? mm_hw_protect(sys, va, j - i, PROT_NONE)
                : kind == PTE_HW_RO ? mm_hw_unmap(sys, va, j - i) : 0;
        if (err == 0)
            for (size_t k = i; k < j; k++)
                mm_vad_pte_write(vad, k, mm_pte_with_age(vad->pte[k] & ~(PTE_ACCESSED | PTE_HW_RO), 0));
        i = j;
    }
    mm_vma_refresh(vad, a, b);
    return b - a;
}

/* Age [a, b) (all VALID and accessed) but its pinned pages, which must stay accessible. */
static void age_valid_run(mm_vad_t *vad, size_t a, size_t b)
{
    for_each_unpinned_run(vad, a, b, false, age_unpinned_run);
}

size_t mm_ws_trim_range(mm_vad_t *vad, size_t a, size_t b, unsigned flags)
{
    MM_ASSERT_HELD(&vad->proc->sys->lock);
    size_t n = 0, i = mm_vad_next_valid_chunk(vad, a);
    while (i < b) {
        if (mm_pte_format(vad->pte[i]) != PTE_VALID) {
            i = mm_vad_next_valid_chunk(vad, i + 1);
            continue;
        }
        size_t j = i + 1;
        while (j < b && mm_pte_format(vad->pte[j]) == PTE_VALID)
            j++;
        n += trim_valid_run(vad, i, j, flags & WS_TRIM_UNMAP);
        i = j;
    }
    return n;
}

/* The Standby frame that page j's data is in, or PFN_NIL: a private page's transition frame, a
 * view's through its prototype. */
static mm_pfn_id_t standby_frame_of(const mm_vad_t *vad, size_t j)
{
    umm_system_t *sys = vad->proc->sys;
    mm_pte_t p = vad->pte[j];
    if (mm_pte_format(p) == PTE_PROTOTYPE)
        p = vad->section->proto->pte[vad->sec_first + j];
    if (mm_pte_format(p) != PTE_TRANSITION)
        return PFN_NIL;
    mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(p);
    return mm_pfn_list_is_standby(mm_pfn_list(&sys->pfn, f)) ? f : PFN_NIL;
}

size_t mm_ws_drop_range(mm_vad_t *vad, size_t a, size_t b)
{
    umm_system_t *sys = vad->proc->sys;
    size_t n = mm_ws_trim_range(vad, a, b, 0);
    if (n == 0)
        return 0;
    for (size_t j = b; j-- > a;) {
        mm_pfn_id_t f = standby_frame_of(vad, j);
        if (f != PFN_NIL) {
            enum mm_list_id l = mm_pfn_list(&sys->pfn, f);
            mm_pfn_unlink(&sys->pfn, f);
            mm_pfn_link_head(&sys->pfn, f, l);
        }
    }
    return n;
}

/* A clock flag beside ws_trim_flags: only a dirty page gets a second chance (see clock_takes). */
#define CLOCK_CHANCE_DIRTY_ONLY (1u << 8)

/* The clock's view of one cluster-aligned group of a VAD's pages (see clock_group). Invariant:
 * first <= end <= first + cluster_pages, and flags are the sweep's, less CLOCK_CHANCE_DIRTY_ONLY
 * when the group was whole and partly dirty as the sweep reached it. */
typedef struct clock_group {
    size_t first, end; /* the group [first, end) */
    unsigned flags;    /* the sweep's flags for its pages */
} clock_group_t;

/* The flags for the group holding page k. Under CLOCK_CHANCE_DIRTY_ONLY a group whose pages are
 * all valid and accessed, some dirty (a scan's cluster, writing some of its pages), keeps second
 * chances for all of them: the dirty ones left behind would break every cluster's frames and
 * slots into pieces (test_scan_maps_clusters_in_few_calls). */
static const clock_group_t *clock_group(const mm_vad_t *vad, size_t k, unsigned flags, clock_group_t *g)
{
    if (k >= g->first && k < g->end)
        return g;
    size_t cl = vad->proc->sys->cluster_pages;
    mm_cluster_window(vad, k, cl, &g->first, &g->end);
    UMM_ASSERT(g->first <= k && k < g->end && g->end - g->first <= cl);
    g->flags = flags;
    if (!(flags & CLOCK_CHANCE_DIRTY_ONLY))
        return g;
    bool whole = true, dirty = false;
    for (size_t m = g->first; m < g->end && whole; m++) {
        mm_pte_t q = vad->pte[m];
        whole = mm_pte_format(q) == PTE_VALID && (q & PTE_ACCESSED);
        dirty |= (q & PTE_DIRTY) != 0;
    }
    if (whole && dirty)
        g->flags &= ~CLOCK_CHANCE_DIRTY_ONLY;
    return g;
}

/* Does the clock trim this valid page now, rather than revoke its access for a second chance?
 * A second chance costs an accessed-bit fault when the page is used again. Trimming a clean page
 * costs at most a soft fault, the same, if it is used again while on Standby, so under
 * CLOCK_CHANCE_DIRTY_ONLY only a dirty page, whose trim would cost a write, gets one. */
static bool clock_takes(mm_pte_t p, unsigned flags)
{
    if ((flags & WS_TRIM_ALL) || !(p & PTE_ACCESSED))
        return true;
    return (flags & CLOCK_CHANCE_DIRTY_ONLY) && !(p & PTE_DIRTY);
}

/* One clock sweep over [from, vad->npages): trims unaccessed pages, ages accessed ones. */
static size_t clock_sweep_vad(mm_vad_t *vad, size_t from, size_t want, unsigned flags,
                              size_t *stopped_at)
{
    size_t n = 0, i = mm_vad_next_valid_chunk(vad, from);
    clock_group_t g = {0, 0, flags};
    while (i < vad->npages && n < want) {
        mm_pte_t p = vad->pte[i];
        if (mm_pte_format(p) != PTE_VALID) {
            i = mm_vad_next_valid_chunk(vad, i + 1);
            continue;
        }
        bool trim = clock_takes(p, clock_group(vad, i, flags, &g)->flags);
        size_t j = i + 1;
        while (j < vad->npages && mm_pte_format(vad->pte[j]) == PTE_VALID &&
               clock_takes(vad->pte[j], clock_group(vad, j, flags, &g)->flags) == trim &&
               (!trim || n + (j - i) < want))
            j++;
        if (trim)
            n += trim_valid_run(vad, i, j, flags & WS_TRIM_UNMAP);
        else
            age_valid_run(vad, i, j);
        i = j;
    }
    *stopped_at = i;
    return n;
}

/* The VAD the clock hand is in, or the process's first VAD. */
static mm_vad_t *clock_vad(umm_process_t *proc)
{
    umm_system_t *sys = proc->sys;
    uint32_t id = proc->clock_vad;
    if (id < sys->nvad_slots && sys->vads[id] && sys->vads[id]->proc == proc)
        return sys->vads[id];
    proc->clock_page = 0;
    return proc->vads;
}

static bool fifo(const umm_process_t *proc)
{
    return proc->sys->cfg.trim_policy == UMM_TRIM_FIFO;
}

size_t mm_ws_trim_locked(umm_process_t *proc, size_t want, unsigned flags)
{
    MM_ASSERT_HELD(&proc->sys->lock);
    if (fifo(proc)) /* FIFO uses no accessed bit: a second chance would cost the fault it avoids */
        flags |= WS_TRIM_ALL;
    else if (proc->sys->cfg.trim_policy == UMM_TRIM_AGING)
        flags |= CLOCK_CHANCE_DIRTY_ONLY;
    size_t n = 0;
    mm_vad_t *v = clock_vad(proc);
    size_t page = proc->clock_page;
    /* Two revolutions plus the partial VAD the hand started in. */
    for (uint64_t steps = 0; v && n < want && proc->ws_size > 0 && steps <= 2 * proc->nvads + 1;
         steps++) {
        size_t stopped;
        n += clock_sweep_vad(v, page, want - n, flags, &stopped);
        if (stopped < v->npages && n >= want) {
            page = stopped;
            break;
        }
        v = v->next_in_proc ? v->next_in_proc : proc->vads;
        page = 0;
    }
    if (v) {
        proc->clock_vad = v->id;
        proc->clock_page = page;
    }
    return n;
}

/* Walk maximal runs of valid pages of every VAD of proc, calling fn(vad, a, b, arg) on each. */
typedef size_t (*run_fn)(mm_vad_t *vad, size_t a, size_t b, void *arg);

static size_t for_each_valid_run(umm_process_t *proc, bool (*sel)(const mm_vad_t *, mm_pte_t, unsigned),
                                 unsigned sel_arg, run_fn fn, void *arg, size_t limit)
{
    size_t total = 0;
    for (mm_vad_t *v = proc->vads; v && total < limit; v = v->next_in_proc) {
        size_t i = mm_vad_next_valid_chunk(v, 0);
        while (i < v->npages && total < limit) {
            if (mm_pte_format(v->pte[i]) != PTE_VALID || !sel(v, v->pte[i], sel_arg)) {
                i = mm_vad_next_valid_chunk(v, i + 1);
                continue;
            }
            size_t j = i + 1;
            while (j < v->npages && j - i < limit - total && mm_pte_format(v->pte[j]) == PTE_VALID &&
                   sel(v, v->pte[j], sel_arg))
                j++;
            total += fn(v, i, j, arg);
            i = j;
        }
    }
    return total;
}

static bool sel_accessed(const mm_vad_t *v, mm_pte_t p, unsigned unused)
{
    (void)v;
    (void)unused;
    return p & PTE_ACCESSED;
}

/* arg: the minimum age, plus SEL_ANY_ACCESSED when the accessed bit does not count (FIFO), plus
 * SEL_PRIVATE to pass over pages whose frame the backend shares (trimming them frees nothing). */
#define SEL_ANY_ACCESSED 0x100u
#define SEL_PRIVATE 0x200u

static bool sel_aged(const mm_vad_t *v, mm_pte_t p, unsigned arg)
{
    bool eligible = (arg & SEL_ANY_ACCESSED) || !(p & PTE_ACCESSED);
    bool skip_shared = (arg & SEL_PRIVATE) &&
                       mm_frame_backend_shared(v->proc->sys, (mm_pfn_id_t)mm_pte_num(p));
    return eligible && mm_pte_age(p) >= (arg & 0xffu) && !skip_shared;
}

static size_t age_run_cb(mm_vad_t *vad, size_t a, size_t b, void *arg)
{
    (void)arg;
    age_valid_run(vad, a, b);
    return b - a;
}

static size_t trim_run_cb(mm_vad_t *vad, size_t a, size_t b, void *arg)
{
    (void)arg;
    return trim_valid_run(vad, a, b, false);
}

/* Does aging take this page's access away within a span? (Valid and accessed, neither pinned,
 * which must stay accessible, nor mapped read-only shared, which is replaced run by run.) */
static bool ages_in_span(const umm_system_t *sys, mm_pte_t p)
{
    return mm_pte_format(p) == PTE_VALID && (p & PTE_ACCESSED) && !(p & PTE_HW_RO) &&
           !mm_page_pinned(sys, p);
}

/* Clear the accessed bit of the pages of [lo, hi) that ages_in_span: one mprotect for the whole
 * span, whose other pages the kernel already denies. A span the kernel refuses keeps its bits
 * (the run-by-run pass after it tries again). */
static void age_span(mm_vad_t *vad, size_t lo, size_t hi)
{
    umm_system_t *sys = vad->proc->sys;
    if (mm_hw_protect(sys, mm_vad_page_addr(vad, lo, sys->page_shift), hi - lo, PROT_NONE) != UMM_OK)
        return;
    for (size_t k = lo; k < hi; k++)
        if (ages_in_span(sys, vad->pte[k]))
            mm_vad_pte_write(vad, k, mm_pte_with_age(vad->pte[k] & ~PTE_ACCESSED, 0));
    mm_vma_refresh(vad, lo, hi);
}

/* One aging pass over a VAD: unaccessed valid pages grow one older; accessed ones lose the bit
 * and restart at 0, one kernel call per span between pages the program must keep touching (not
 * one per run of accessed pages: scattered hot pages would cost one call each). */
static uint64_t age_vad(mm_vad_t *v)
{
    const umm_system_t *sys = v->proc->sys;
    uint64_t aged = 0;
    size_t lo = SIZE_MAX, hi = 0; /* the open span: its first and one past its last accessed page */
    for (size_t i = mm_vad_next_valid_chunk(v, 0); i < v->npages; i = mm_vad_next_valid_chunk(v, i + 1)) {
        mm_pte_t p = v->pte[i];
        if (ages_in_span(sys, p)) {
            lo = lo == SIZE_MAX ? i : lo;
            hi = i + 1;
            continue;
        }
        if (kernel_allows(p) && lo != SIZE_MAX) { /* it must stay touchable: the span ends here */
            age_span(v, lo, hi);
            lo = SIZE_MAX;
        }
        if (mm_pte_format(p) == PTE_VALID && !(p & PTE_ACCESSED)) {
            mm_vad_pte_write(v, i, mm_pte_with_age(p, mm_pte_age(p) < 7 ? mm_pte_age(p) + 1 : 7));
            aged++;
        }
    }
    if (lo != SIZE_MAX)
        age_span(v, lo, hi);
    return aged;
}

uint64_t mm_ws_age(umm_process_t *proc)
{
    MM_ASSERT_HELD(&proc->sys->lock);
    uint64_t aged = 0;
    for (mm_vad_t *v = proc->vads; v; v = v->next_in_proc)
        aged += age_vad(v);
    /* what the spans left: read-only shared pages, spans the kernel refused (pinned pages stay) */
    for_each_valid_run(proc, sel_accessed, 0, age_run_cb, NULL, SIZE_MAX);
    return aged;
}

uint64_t mm_ws_age_fifo(umm_process_t *proc)
{
    MM_ASSERT_HELD(&proc->sys->lock);
    uint64_t aged = 0;
    for (mm_vad_t *v = proc->vads; v; v = v->next_in_proc)
        for (size_t i = mm_vad_next_valid_chunk(v, 0); i < v->npages; i = mm_vad_next_valid_chunk(v, i + 1)) {
            mm_pte_t p = v->pte[i];
            if (mm_pte_format(p) != PTE_VALID)
                continue;
            mm_vad_pte_write(v, i, mm_pte_with_age(p, mm_pte_age(p) < 7 ? mm_pte_age(p) + 1 : 7));
            aged++;
        }
    return aged;
}

void mm_ws_age_histogram(umm_process_t *proc, uint64_t hist[8])
{
    MM_ASSERT_HELD(&proc->sys->lock);
    for (int a = 0; a < 8; a++)
        hist[a] = 0;
    for (mm_vad_t *v = proc->vads; v; v = v->next_in_proc)
        for (size_t i = mm_vad_next_valid_chunk(v, 0); i < v->npages; i = mm_vad_next_valid_chunk(v, i + 1))
            if (mm_pte_format(v->pte[i]) == PTE_VALID && (fifo(proc) || !(v->pte[i] & PTE_ACCESSED)))
                hist[mm_pte_age(v->pte[i])]++;
}

size_t mm_ws_trim_aged(umm_process_t *proc, unsigned min_age, size_t want, unsigned flags)
{
    MM_ASSERT_HELD(&proc->sys->lock);
    if (want == 0)
        return 0;
    unsigned arg = min_age | (fifo(proc) || (flags & WS_AGED_ANY) ? SEL_ANY_ACCESSED : 0) |
                   (flags & WS_AGED_PRIVATE ? SEL_PRIVATE : 0);
    return for_each_valid_run(proc, sel_aged, arg, trim_run_cb, NULL, want);
}

int umm_ws_set_limits(umm_process_t *proc, size_t min_pages, size_t max_pages, unsigned flags)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if (max_pages == 0 || min_pages > max_pages || (flags & ~UMM_WS_HARD_MAX))
        return UMM_E_INVAL;
    mm_lock(&proc->sys->lock);
    int rc = UMM_OK;
    if (min_pages > proc->sys->pfn.nframes) {
        rc = UMM_E_NO_FRAMES;
    } else {
        proc->ws_min = min_pages;
        proc->ws_max = max_pages;
        proc->ws_flags = flags;
        if ((flags & UMM_WS_HARD_MAX) && proc->ws_size > max_pages)
            mm_ws_trim_locked(proc, proc->ws_size - max_pages, WS_TRIM_ALL);
    }
    mm_unlock(&proc->sys->lock);
    return rc;
}

int umm_ws_get_limits(umm_process_t *proc, size_t *min_pages, size_t *max_pages, unsigned *flags)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    mm_lock(&proc->sys->lock);
    if (min_pages)
        *min_pages = proc->ws_min;
    if (max_pages)
        *max_pages = proc->ws_max;
    if (flags)
        *flags = proc->ws_flags;
    mm_unlock(&proc->sys->lock);
    return UMM_OK;
}
