/* fault.c - fault resolution (see fault.h). */
#include "fault.h"

#include "assert.h"
#include "frames.h"
#include "hwmap.h"
#include "vma.h"

/* The largest cluster; frames for one fault sit on the signal stack. */
#define FAULT_MAX_CLUSTER 256

static bool raise_exc(umm_exception_t *exc, umm_vad_t *vad, umm_exception_code_t code, int error)
{
    exc->code = code;
    exc->error = error;
    exc->process = vad->proc;
    switch (code) {
    case UMM_EXC_ACCESS_VIOLATION: UMM_COUNT(vad->proc, faults_access_violation, 1); break;
    case UMM_EXC_IN_PAGE_ERROR: UMM_COUNT(vad->proc, faults_in_page_error, 1); break;
    case UMM_EXC_GUARD_PAGE: UMM_COUNT(vad->proc, faults_guard, 1); break;
    }
    return false;
}

/* Map [lo, hi) of the VAD, whose PTEs are already VALID with consecutive-frame sub-runs, one
 * kernel call per run of consecutive frames and equal protection. */
static int map_valid_run(umm_vad_t *vad, size_t lo, size_t hi)
{
    umm_system_t *sys = vad->proc->sys;
    for (size_t i = lo; i < hi;) {
        umm_pte_t p = vad->pte[i];
        size_t j = i + 1;
        while (j < hi && pte_num(vad->pte[j]) == pte_num(p) + (j - i) &&
               pte_hw_prot(vad->pte[j]) == pte_hw_prot(p) &&
               (vad->pte[j] & PTE_HW) == (p & PTE_HW))
            j++;
        uintptr_t va = vad_page_addr(vad, i, sys->page_shift);
        int err = (p & PTE_HW) ? hw_protect(sys, va, j - i, pte_hw_prot(p))
                               : hw_map(sys, va, (umm_pfn_id_t)pte_num(p), j - i, pte_hw_prot(p));
        if (err)
            return err;
        for (size_t k = i; k < j; k++)
            pte_write(&vad->pte[k], vad->pte[k] | PTE_HW);
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

static void ws_grow(umm_process_t *proc, size_t n)
{
    proc->ws_size += n;
    proc->sys->ws_total += n;
    if (proc->ws_size > proc->ws_peak)
        proc->ws_peak = proc->ws_size;
}

/* Undo PTEs [lo, hi) that were made VALID but could not be mapped: back to demand-zero. */
static void unwind_demand_zero(umm_vad_t *vad, size_t lo, size_t hi, int prot)
{
    umm_system_t *sys = vad->proc->sys;
    for (size_t k = hi; k-- > lo;) {
        umm_pfn_id_t f = (umm_pfn_id_t)pte_num(vad->pte[k]);
        pte_write(&vad->pte[k], pte_make(PTE_DEMAND_ZERO, prot, 0) | (vad->pte[k] & PTE_HW));
        frame_release(sys, f, true);
    }
}

/* Demand-zero: zeroed frames for the page and its demand-zero neighbours in the cluster. */
static bool demand_zero_fault(umm_vad_t *vad, size_t i, bool write, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    size_t lo, hi;
    cluster_around(vad, i, same_demand_zero, &lo, &hi);
    if (frames_available(sys) < hi - lo)
        lo = i, hi = i + 1;
    umm_pfn_id_t frames[FAULT_MAX_CLUSTER];
    int rc = frames_alloc_zeroed(sys, hi - lo, contiguity_hint(vad, lo, hi), frames, vad->proc);
    if (rc != UMM_OK)
        return raise_exc(exc, vad, UMM_EXC_IN_PAGE_ERROR, rc);
    int prot = pte_prot(vad->pte[i]);
    umm_pte_t bits = PTE_ACCESSED | (write ? PTE_DIRTY : 0);
    uint64_t before = vma_span_boundaries(vad, lo, hi);
    for (size_t k = lo; k < hi; k++) {
        frame_set_owner(sys, frames[k - lo], vad, k);
        pte_write(&vad->pte[k], pte_make(PTE_VALID, prot, frames[k - lo]) | bits);
    }
    int err = map_valid_run(vad, lo, hi);
    /* Pages the kernel refused stay demand-zero; the fault fails only if page i is one. */
    size_t mapped_hi = lo;
    while (mapped_hi < hi && (vad->pte[mapped_hi] & PTE_HW))
        mapped_hi++;
    if (err)
        unwind_demand_zero(vad, mapped_hi, hi, prot);
    vma_span_update(vad, before, vma_span_boundaries(vad, lo, hi));
    ws_grow(vad->proc, mapped_hi - lo);
    UMM_COUNT(vad->proc, faults_demand_zero, mapped_hi - lo);
    if (i >= mapped_hi)
        return raise_exc(exc, vad, UMM_EXC_IN_PAGE_ERROR, UMM_E_VMA_LIMIT);
    return true;
}

/* Transition (soft) fault: the frame is still on Standby or Modified; bring it and its
 * neighbours in the cluster whose frames continue it back without I/O. */
static bool transition_fault(umm_vad_t *vad, size_t i, bool write, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    size_t lo, hi;
    cluster_around(vad, i, same_transition, &lo, &hi);
    if (pfn_entry(&sys->pfn, (umm_pfn_id_t)pte_num(vad->pte[i]))->flags & PFN_F_IO)
        return true; /* a paging write holds it: retry once the writer is done */
    uint64_t before = vma_span_boundaries(vad, lo, hi);
    umm_pte_t saved[FAULT_MAX_CLUSTER];
    for (size_t k = lo; k < hi; k++) {
        umm_pte_t p = vad->pte[k];
        saved[k - lo] = p;
        umm_pfn_id_t f = (umm_pfn_id_t)pte_num(p);
        umm_pfn_t *e = pfn_entry(&sys->pfn, f);
        bool dirty = e->list == LIST_MODIFIED || e->list == LIST_MODIFIED_NOWRITE || write;
        pfn_move(&sys->pfn, f, LIST_ACTIVE);
        if (write)
            e->slot = 0; /* the paging-file copy is stale from now on */
        pte_write(&vad->pte[k], pte_make(PTE_VALID, pte_prot(p), f) | (p & PTE_HW) | PTE_ACCESSED |
                                    (dirty ? PTE_DIRTY : 0));
    }
    if (map_valid_run(vad, lo, hi) != 0) {
        for (size_t k = hi; k-- > lo;) { /* put them back exactly as they were */
            umm_pfn_id_t f = (umm_pfn_id_t)pte_num(saved[k - lo]);
            bool dirty = vad->pte[k] & PTE_DIRTY;
            pte_write(&vad->pte[k], saved[k - lo] | (vad->pte[k] & PTE_HW));
            pfn_move(&sys->pfn, f, dirty ? LIST_MODIFIED : (enum umm_list_id)(LIST_STANDBY0 + pfn_entry(&sys->pfn, f)->prio));
        }
        vma_span_update(vad, before, vma_span_boundaries(vad, lo, hi));
        return raise_exc(exc, vad, UMM_EXC_IN_PAGE_ERROR, UMM_E_VMA_LIMIT);
    }
    vma_span_update(vad, before, vma_span_boundaries(vad, lo, hi));
    ws_grow(vad->proc, hi - lo);
    UMM_COUNT(vad->proc, faults_transition, hi - lo);
    return true;
}

/* A valid page faulted: an emulated accessed or dirty bit to set, a mapping to restore, or a
 * fault another thread already resolved. */
static bool valid_fault(umm_vad_t *vad, size_t i, bool write, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    umm_pte_t p = vad->pte[i];
    umm_pte_t np = p | PTE_ACCESSED | (write ? PTE_DIRTY : 0);
    if (np == p && (p & PTE_HW)) {
        UMM_COUNT(vad->proc, faults_spurious, 1);
        return true;
    }
    if (!(p & PTE_ACCESSED))
        UMM_COUNT(vad->proc, faults_access_bit, 1);
    else if (write && !(p & PTE_DIRTY))
        UMM_COUNT(vad->proc, faults_dirty_bit, 1);
    if (write && !(p & PTE_DIRTY))
        pfn_entry(&sys->pfn, (umm_pfn_id_t)pte_num(p))->slot = 0; /* paging-file copy now stale */
    uint64_t before = vma_span_boundaries(vad, i, i + 1);
    pte_write(&vad->pte[i], np);
    int err = map_valid_run(vad, i, i + 1);
    if (err)
        pte_write(&vad->pte[i], p);
    vma_span_update(vad, before, vma_span_boundaries(vad, i, i + 1));
    return err ? raise_exc(exc, vad, UMM_EXC_IN_PAGE_ERROR, UMM_E_VMA_LIMIT) : true;
}

static bool dispatch(umm_vad_t *vad, uintptr_t addr, int access, umm_exception_t *exc);

bool fault_resolve(umm_vad_t *vad, uintptr_t addr, int access, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    if (sys->vma_count + 2 > sys->vma_budget) /* make room before adding mappings */
        vma_coalesce(sys, (uint64_t)sys->vma_budget * 3 / 4);
    bool ok = dispatch(vad, addr, access, exc);
    vma_enforce_budget(sys);
    return ok;
}

static bool dispatch(umm_vad_t *vad, uintptr_t addr, int access, umm_exception_t *exc)
{
    umm_system_t *sys = vad->proc->sys;
    size_t i = (addr - vad->start) >> sys->page_shift;
    UMM_COUNT(vad->proc, faults_total, 1);
    exc->address = (void *)addr;
    exc->is_write = access;
    umm_pte_t p = vad->pte[i];
    if (!pte_committed(p) || vad->releasing)
        return raise_exc(exc, vad, UMM_EXC_ACCESS_VIOLATION, 0);
    int prot = pte_prot(p);
    if (prot & UMM_PROT_GUARD) {
        pte_write(&vad->pte[i], pte_with_prot(p, prot & ~UMM_PROT_GUARD));
        return raise_exc(exc, vad, UMM_EXC_GUARD_PAGE, 0);
    }
    bool write = access == FAULT_WRITE || (access == FAULT_UNKNOWN && (prot & UMM_PROT_WRITE));
    if (!(prot & (UMM_PROT_READ | UMM_PROT_WRITE)) || (write && !(prot & UMM_PROT_WRITE)))
        return raise_exc(exc, vad, UMM_EXC_ACCESS_VIOLATION, 0);
    switch (pte_format(p)) {
    case PTE_VALID: return valid_fault(vad, i, write, exc);
    case PTE_TRANSITION: return transition_fault(vad, i, write, exc);
    case PTE_DEMAND_ZERO: return demand_zero_fault(vad, i, write, exc);
    default: return raise_exc(exc, vad, UMM_EXC_IN_PAGE_ERROR, UMM_E_NOT_SUPPORTED);
    }
}
