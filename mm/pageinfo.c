/* SPDX-License-Identifier: MIT */
/* pageinfo.c - umm_query_pages (QueryWorkingSetEx): what the PTE and the PFN entry say about each
 * page of a list, one registry lookup per page and one system lock held only per page. */
#include "cow.h"
#include "handle.h"
#include "registry.h"
#include "state.h"

/* Fill *out from PTE i of vad. System locked. */
static void describe_page(umm_system_t *sys, const mm_vad_t *vad, size_t i, umm_page_info_t *out)
{
    mm_pte_t p = vad->pte[i];
    unsigned fmt = mm_pte_format(p);
    out->committed = mm_pte_committed(p) && !(vad->section && i >= vad->sec_pages);
    if (!out->committed)
        return;
    out->prot = mm_pte_prot(p) & (UMM_PROT_READ | UMM_PROT_WRITE | UMM_PROT_GUARD);
    out->valid = fmt == PTE_VALID;
    out->locked = (p & PTE_LOCKED) != 0;
    /* a copy-on-write view's copy is a private page of the process (cow.h) */
    out->shared = vad->section != NULL && !mm_cow_private(vad, i);
    out->priority = vad->proc->priority;
    out->working_set = out->valid ? vad->proc : NULL;
    if (out->shared) {
        size_t k = vad->sec_first + i; /* the section's page */
        uint32_t share = vad->section->share[k];
        out->share_count = share > 255 ? 255 : (uint8_t)share;
        p = vad->section->proto->pte[k]; /* where a view page's frame is */
        fmt = mm_pte_format(p);
    }
    if (fmt == PTE_VALID || fmt == PTE_TRANSITION) {
        const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p));
        /* a hard fault's frame is Active and pinned until its read completes */
        bool being_read = fmt == PTE_TRANSITION && (e->flags & PFN_F_IO) && e->list == LIST_ACTIVE;
        out->resident = !being_read;
        out->pinned = mm_pfn_pins(e) != 0;
        out->priority = e->prio;
    }
}

int umm_query_pages(umm_process_t *proc, umm_page_info_t *pages, size_t n)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if (!pages && n > 0)
        return UMM_E_INVAL;
    umm_system_t *sys = proc->sys;
    for (size_t k = 0; k < n; k++) {
        void *addr = pages[k].address;
        pages[k] = (umm_page_info_t){.address = addr};
        mm_vad_t *vad = mm_registry_lookup_lock((uintptr_t)addr);
        if (!vad)
            continue;
        if (vad->proc == proc && !vad->releasing)
            describe_page(sys, vad, ((uintptr_t)addr - vad->start) >> sys->page_shift, &pages[k]);
        mm_unlock(&vad->proc->sys->lock);
    }
    return UMM_OK;
}
