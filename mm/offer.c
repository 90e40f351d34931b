/* SPDX-License-Identifier: MIT */
/* offer.c - contents the program no longer needs: umm_offer, umm_reclaim, umm_discard
 * (OfferVirtualMemory, ReclaimVirtualMemory, DiscardVirtualMemory; MEM_RESET, MEM_RESET_UNDO).
 * An offered page is TRANSITION on Standby with PFN_F_OFFERED and no paging-file copy: the writer
 * never sees it (it writes Modified frames only) and repurposing it leaves the page demand-zero
 * with PTE_DISCARDED, which umm_reclaim reports. Touching an offered page reclaims it (fault.c). */
#include "frames.h"
#include "handle.h"
#include "hwmap.h"
#include "reclaim.h"
#include "vm.h"
#include "vma.h"
#include "ws.h"

/* The private VAD that holds the range, locked once no I/O holds its frames. */
static int private_range_lock(umm_process_t *proc, void *addr, size_t bytes, mm_vad_t **vad,
                              size_t *first, size_t *n)
{
    int rc = mm_vm_range_lock_idle(proc, addr, bytes, vad, first, n);
    if (rc == UMM_OK && (*vad)->section) { /* a view's pages are its section's */
        mm_unlock(&proc->sys->lock);
        rc = UMM_E_ACCESS;
    }
    return rc;
}

/* Page i, trimmed already (not VALID), is offered at priority prio. System locked. */
static void offer_page(umm_system_t *sys, mm_vad_t *vad, size_t i, unsigned prio)
{
    mm_pte_t p = vad->pte[i];
    if (mm_pte_format(p) == PTE_PAGEFILE) { /* only on disk: nothing in RAM to keep */
        mm_stores_free(&sys->stores, mm_pte_num(p));
        mm_vad_pte_write(vad, i, mm_pte_make(PTE_DEMAND_ZERO, mm_pte_prot(p), 0) | PTE_DISCARDED |
                                     (p & PTE_HW));
        return;
    }
    if (mm_pte_format(p) != PTE_TRANSITION)
        return; /* demand-zero (nothing to lose) or a locked or pinned page that stayed */
    mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(p);
    mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
    mm_frame_drop_copy(sys, f);
    e->flags |= PFN_F_OFFERED;
    e->prio = (uint8_t)prio;
    mm_pfn_move(&sys->pfn, f, (enum mm_list_id)(LIST_STANDBY0 + prio));
}

int umm_offer(umm_process_t *proc, void *addr, size_t bytes, unsigned priority)
{
    mm_vad_t *vad;
    size_t first, n;
    if (priority >= STANDBY_PRIORITIES)
        return UMM_E_INVAL;
    int rc = private_range_lock(proc, addr, bytes, &vad, &first, &n);
    if (rc != UMM_OK)
        return rc;
    mm_ws_trim_range(vad, first, first + n, 0); /* locked and pinned pages stay */
    for (size_t i = first; i < first + n; i++)
        offer_page(proc->sys, vad, i, priority);
    mm_vma_refresh(vad, first, first + n);
    mm_unlock(&proc->sys->lock);
    return UMM_OK;
}

int umm_reclaim(umm_process_t *proc, void *addr, size_t bytes, int *lost)
{
    mm_vad_t *vad;
    size_t first, n;
    int rc = private_range_lock(proc, addr, bytes, &vad, &first, &n);
    if (rc != UMM_OK)
        return rc;
    umm_system_t *sys = proc->sys;
    bool any_lost = false;
    for (size_t i = first; i < first + n; i++) {
        mm_pte_t p = vad->pte[i];
        if (p & PTE_DISCARDED && mm_pte_format(p) == PTE_DEMAND_ZERO) {
            any_lost = true;
            mm_vad_pte_write(vad, i, p & ~PTE_DISCARDED);
        } else if (mm_pte_format(p) == PTE_TRANSITION) {
            mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(p);
            mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
            if (e->flags & PFN_F_OFFERED) { /* kept: its contents matter again, write them out */
                e->flags &= (uint16_t)~PFN_F_OFFERED;
                mm_pfn_move(&sys->pfn, f, LIST_MODIFIED);
            }
        }
    }
    mm_unlock(&sys->lock);
    if (lost)
        *lost = any_lost;
    return UMM_OK;
}

/* Drop page i's contents: its frame or slot goes, it reads zeros. Not VALID, not mapped. */
static void discard_page(umm_system_t *sys, mm_vad_t *vad, size_t i)
{
    mm_pte_t p = vad->pte[i];
    if (mm_pte_format(p) == PTE_TRANSITION) {
        mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p))->flags &= (uint16_t)~PFN_F_OFFERED;
        mm_frame_release(sys, (mm_pfn_id_t)mm_pte_num(p), false); /* its copy goes too */
    } else if (mm_pte_format(p) == PTE_PAGEFILE) {
        mm_stores_free(&sys->stores, mm_pte_num(p));
    } else if (mm_pte_format(p) != PTE_DEMAND_ZERO) {
        return; /* uncommitted, or a locked or pinned page that stayed valid */
    }
    mm_vad_pte_write(vad, i, mm_pte_make(PTE_DEMAND_ZERO, mm_pte_prot(p), 0));
}

int umm_discard(umm_process_t *proc, void *addr, size_t bytes)
{
    mm_vad_t *vad;
    size_t first, n;
    int rc = private_range_lock(proc, addr, bytes, &vad, &first, &n);
    if (rc != UMM_OK)
        return rc;
    umm_system_t *sys = proc->sys;
    mm_ws_trim_range(vad, first, first + n, WS_TRIM_UNMAP);
    for (size_t i = first; i < first + n && rc == UMM_OK; i++) {
        mm_pte_t p = vad->pte[i];
        if (mm_pte_format(p) == PTE_VALID)
            continue; /* locked or pinned */
        if (mm_pte_mapped(p)) { /* a trimmed page's PROT_NONE mapping of the frame that goes */
            rc = mm_hw_unmap(sys, mm_vad_page_addr(vad, i, sys->page_shift), 1);
            if (rc != UMM_OK)
                break;
            mm_vad_pte_write(vad, i, p & ~(PTE_HW | PTE_HW_RO));
        }
        discard_page(sys, vad, i);
    }
    mm_vma_refresh(vad, first, first + n);
    mm_unlock(&sys->lock);
    mm_reclaim_wake_workers(sys); /* frames went to Free */
    return rc;
}
