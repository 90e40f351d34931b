/* SPDX-License-Identifier: MIT */
/* vma.c - VMA accounting and the budget (see vma.h). */
#include "vma.h"

#include "assert.h"

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
    MM_ASSERT_HELD(&vad->proc->sys->lock);
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

