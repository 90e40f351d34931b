/* SPDX-License-Identifier: MIT */
/* proto.c - section view pages (see proto.h). */
#include "proto.h"

#include "frames.h"
#include "hwmap.h"
#include "vma.h"

void mm_proto_drop_view_page(mm_vad_t *view, size_t k, bool trimmed)
{
    umm_section_t *sec = view->section;
    umm_system_t *sys = sec->sys;
    MM_ASSERT_HELD(&sys->lock);
    mm_pte_t p = view->pte[k];
    if (k >= view->sec_pages || mm_pte_format(p) != PTE_VALID)
        return;
    /* a copy-on-write copy is the view's own page, never the section's (cow.h) */
    UMM_ASSERT(mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p))->vad != view->id + 1);
    size_t j = view->sec_first + k; /* the section's page */
    if (trimmed)
        MM_COUNT(view->proc, pages_trimmed, 1);
    mm_vad_forget_lock(view, k); /* only a released view drops a locked page */
    p = view->pte[k];
    mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(p);
    mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
    if (p & PTE_DIRTY)
        e->flags |= PFN_F_MODIFIED;
    mm_vad_pte_write(view, k, mm_pte_make(PTE_PROTOTYPE, mm_pte_prot(p), j) | (p & PTE_HW));
    view->proc->ws_size--;
    sys->ws_total--;
    UMM_ASSERT(sec->share[j] > 0);
    if (--sec->share[j] > 0)
        return;
    /* No view maps it any more: the frame leaves the working sets altogether. */
    mm_pte_t pp = sec->proto->pte[j];
    if (!(e->flags & PFN_F_MODIFIED) && e->slot == 0) { /* never written: zero, give it back */
        mm_vad_pte_write(sec->proto, j, mm_pte_make(PTE_DEMAND_ZERO, mm_pte_prot(pp), 0));
        mm_frame_release(sys, f, true);
        return;
    }
    mm_vad_pte_write(sec->proto, j, mm_pte_make(PTE_TRANSITION, mm_pte_prot(pp), f));
    bool dirty = e->flags & PFN_F_MODIFIED;
    e->flags &= (uint16_t)~PFN_F_MODIFIED;
    mm_pfn_move(&sys->pfn, f, dirty ? LIST_MODIFIED : (enum mm_list_id)(LIST_STANDBY0 + e->prio));
}

void mm_proto_unmap_frame(umm_section_t *sec, mm_pfn_id_t f, size_t index)
{
    umm_system_t *sys = sec->sys;
    MM_ASSERT_HELD(&sys->lock);
    for (mm_vad_t *v = sec->views; v; v = v->next_view) {
        if (!mm_view_maps(v, index))
            continue;
        size_t i = index - v->sec_first; /* the view's page */
        mm_pte_t p = v->pte[i];
        if (mm_pte_format(p) != PTE_VALID || mm_pte_num(p) != f || !mm_pte_mapped(p))
            continue;
        if (mm_hw_unmap(sys, mm_vad_page_addr(v, i, sys->page_shift), 1) == UMM_OK)
            mm_vad_pte_write(v, i, p & ~(PTE_HW | PTE_HW_RO));
        mm_vma_refresh(v, i, i + 1);
    }
}
