/* SPDX-License-Identifier: MIT */
/* watch.c - write watch (GetWriteWatch / ResetWriteWatch). A write-watched reservation's committed
 * pages carry MM_PROT_WATCH (pte.h) from commit until their first write: the protection travels
 * with the PTE through every state, so trimming, paging out and back in lose nothing, and while it
 * is set the page is mapped at most read-only, so that first write faults (fault.c clears the bit).
 * Written pages are those without it. */
#include "handle.h"
#include "hwmap.h"
#include "vad.h"
#include "vma.h"

#include <sys/mman.h>

static bool written(mm_pte_t p)
{
    return mm_pte_committed(p) && !(mm_pte_prot(p) & MM_PROT_WATCH);
}

/* Unwritten again: set the bit and take write access from the mapping (one call per page whose
 * mapping changes). A page pinned for an I/O may be written by the kernel at any moment: it stays
 * written. If the kernel refuses both the protection change and the unmapping, so does the page:
 * reporting a page twice is allowed, missing a write is not. System locked. */
static void reset_page(umm_system_t *sys, mm_vad_t *vad, size_t i)
{
    mm_pte_t p = vad->pte[i];
    if (!written(p))
        return;
    mm_pte_t np = mm_pte_with_prot(p, mm_pte_prot(p) | MM_PROT_WATCH);
    if (mm_pte_format(p) == PTE_VALID && (p & PTE_HW) && mm_pte_hw_prot(p) != mm_pte_hw_prot(np)) {
        if (mm_pfn_pins(mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p))))
            return;
        uintptr_t va = mm_vad_page_addr(vad, i, sys->page_shift);
        if (mm_hw_protect(sys, va, 1, mm_pte_hw_prot(np)) != UMM_OK) {
            if (mm_hw_unmap(sys, va, 1) != UMM_OK)
                return;
            np &= ~PTE_HW;
        }
    }
    mm_vad_pte_write(vad, i, np);
}

/* The write-watched VAD that holds the range, locked; UMM_E_INVAL if it is not watched. */
static int watched_range_lock(umm_process_t *proc, void *addr, size_t bytes, mm_vad_t **vad,
                              size_t *first, size_t *n)
{
    int rc = mm_vad_range_lock(proc, addr, bytes, vad, first, n);
    if (rc == UMM_OK && !(*vad)->write_watch) {
        mm_unlock(&proc->sys->lock);
        rc = UMM_E_INVAL;
    }
    return rc;
}

int umm_write_watch_get(umm_process_t *proc, void *addr, size_t bytes, unsigned flags,
                        void **addresses, size_t *count, size_t *granularity)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if (!count || (*count > 0 && !addresses) || (flags & ~UMM_WRITE_WATCH_RESET))
        return UMM_E_INVAL;
    mm_vad_t *vad;
    size_t first, n, found = 0;
    int rc = watched_range_lock(proc, addr, bytes, &vad, &first, &n);
    if (rc != UMM_OK)
        return rc;
    umm_system_t *sys = proc->sys;
    for (size_t i = first; i < first + n && found < *count; i++) {
        if (!written(vad->pte[i]))
            continue;
        addresses[found++] = (void *)mm_vad_page_addr(vad, i, sys->page_shift);
        if (flags & UMM_WRITE_WATCH_RESET)
            reset_page(sys, vad, i);
    }
    if (flags & UMM_WRITE_WATCH_RESET)
        mm_vma_refresh(vad, first, first + n);
    mm_unlock(&sys->lock);
    *count = found;
    if (granularity)
        *granularity = sys->page_size;
    return UMM_OK;
}

int umm_write_watch_reset(umm_process_t *proc, void *addr, size_t bytes)
{
    mm_vad_t *vad;
    size_t first, n;
    int rc = watched_range_lock(proc, addr, bytes, &vad, &first, &n);
    if (rc != UMM_OK)
        return rc;
    for (size_t i = first; i < first + n; i++)
        reset_page(proc->sys, vad, i);
    mm_vma_refresh(vad, first, first + n);
    mm_unlock(&proc->sys->lock);
    return UMM_OK;
}
