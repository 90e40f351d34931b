/* vma.c - VMA accounting and the budget (see vma.h). */
#include "vma.h"

#include "assert.h"
#include "hwmap.h"
#include "ws.h"

/* Does the kernel merge these two neighbouring pages into one VMA? */
static bool joins(mm_pte_t left, mm_pte_t right)
{
    bool lhw = mm_pte_mapped(left), rhw = mm_pte_mapped(right);
    if (!lhw && !rhw)
        return true;
    /* stale or read-only-shared mappings: frame unknown, count a boundary */
    if (!(left & PTE_HW) || !(right & PTE_HW) || !mm_pte_has_frame(left) || !mm_pte_has_frame(right))
        return false;
    return mm_pte_num(right) == mm_pte_num(left) + 1 && mm_pte_hw_prot(left) == mm_pte_hw_prot(right);
}

bool mm_vma_is_boundary(const mm_vad_t *vad, size_t i)
{
    return !joins(vad->pte[i], vad->pte[i + 1]);
}

void mm_vma_refresh(mm_vad_t *vad, size_t a, size_t b)
{
    size_t lo = a > 0 ? a - 1 : 0;
    size_t hi = b < vad->npages ? b : vad->npages - 1; /* pairs (i, i+1) with i < hi */
    int64_t delta = 0;
    for (size_t i = lo; i < hi; i++) {
        uint64_t bit = 1ull << (i % 64);
        bool was = vad->bbits[i / 64] & bit, is = mm_vma_is_boundary(vad, i);
        if (was != is) {
            vad->bbits[i / 64] ^= bit;
            delta += is ? 1 : -1;
        }
    }
    umm_process_t *proc = vad->proc;
    vad->boundaries = (uint64_t)((int64_t)vad->boundaries + delta);
    proc->vma_count = (uint64_t)((int64_t)proc->vma_count + delta);
    proc->sys->vma_count = (uint64_t)((int64_t)proc->sys->vma_count + delta);
}

/* Replace every run of mapped pages that are not VALID with anonymous PROT_NONE. */
static void unmap_nonvalid_runs(umm_system_t *sys, mm_vad_t *vad)
{
    size_t i = 0;
    while (i < vad->npages) {
        mm_pte_t p = vad->pte[i];
        if (!(p & PTE_HW) || mm_pte_format(p) == PTE_VALID) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < vad->npages && (vad->pte[j] & PTE_HW) && mm_pte_format(vad->pte[j]) != PTE_VALID)
            j++;
        if (mm_hw_unmap(sys, mm_vad_page_addr(vad, i, sys->page_shift), j - i) == 0) {
            for (size_t k = i; k < j; k++)
                mm_vad_pte_write(vad, k, vad->pte[k] & ~PTE_HW);
        }
        mm_vma_refresh(vad, i, j);
        i = j;
    }
}

/* Trim valid runs of the VAD, unmapping them, until the system is at target. Shortest runs
 * first: they cost the most VMAs per page kept. */
static void trim_runs_to_target(umm_system_t *sys, mm_vad_t *vad, uint64_t target)
{
    for (size_t max_len = 1; max_len <= vad->npages && sys->vma_count > target; max_len *= 4) {
        size_t i = mm_vad_next_valid_chunk(vad, 0);
        while (i < vad->npages && sys->vma_count > target) {
            if (mm_pte_format(vad->pte[i]) != PTE_VALID) {
                i = mm_vad_next_valid_chunk(vad, i + 1);
                continue;
            }
            size_t j = i + 1;
            while (j < vad->npages && mm_pte_format(vad->pte[j]) == PTE_VALID)
                j++;
            if (j - i <= max_len)
                mm_ws_trim_range(vad, i, j, WS_TRIM_ALL | WS_TRIM_UNMAP);
            i = j;
        }
    }
}

uint64_t mm_vma_coalesce(umm_system_t *sys, uint64_t target)
{
    sys->vma_coalesce_runs++;
    for (umm_process_t *p = sys->procs; p && sys->vma_count > target; p = p->next)
        for (mm_vad_t *v = p->vads; v && sys->vma_count > target; v = v->next_in_proc)
            unmap_nonvalid_runs(sys, v);
    /* Still over: take valid pages out of working sets, unmapping them. */
    for (umm_process_t *p = sys->procs; p && sys->vma_count > target; p = p->next)
        for (mm_vad_t *v = p->vads; v && sys->vma_count > target; v = v->next_in_proc)
            trim_runs_to_target(sys, v, target);
    return sys->vma_count;
}

void mm_vma_enforce_budget(umm_system_t *sys)
{
    if (sys->vma_count > sys->vma_budget)
        mm_vma_coalesce(sys, (uint64_t)sys->vma_budget * 3 / 4);
}
