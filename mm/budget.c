/* SPDX-License-Identifier: MIT */
/* budget.c - keeping the kernel mappings under the VMA budget (see budget.h). */
#include "budget.h"

#include "hwmap.h"
#include "vma.h"
#include "ws.h"

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
    /* The last pass takes runs of any length (max_len >= npages): one long valid run can hold
     * many boundaries (its pages' protections differ). */
    for (size_t max_len = 1, last = 0; !last && sys->vma_count > target; max_len *= 4) {
        last = max_len >= vad->npages;
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

uint64_t mm_budget_coalesce(umm_system_t *sys, uint64_t target)
{
    MM_ASSERT_HELD(&sys->lock);
    sys->ctr.vma_coalesce_runs++;
    for (umm_process_t *p = sys->procs; p && sys->vma_count > target; p = p->next)
        for (mm_vad_t *v = p->vads; v && sys->vma_count > target; v = v->next_in_proc)
            unmap_nonvalid_runs(sys, v);
    /* Still over: take valid pages out of working sets, unmapping them. */
    for (umm_process_t *p = sys->procs; p && sys->vma_count > target; p = p->next)
        for (mm_vad_t *v = p->vads; v && sys->vma_count > target; v = v->next_in_proc)
            trim_runs_to_target(sys, v, target);
    return sys->vma_count;
}

void mm_budget_enforce(umm_system_t *sys)
{
    MM_ASSERT_HELD(&sys->lock);
    if (sys->vma_count > sys->vma_budget)
        mm_budget_coalesce(sys, (uint64_t)sys->vma_budget * 3 / 4);
}
