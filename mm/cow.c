/* SPDX-License-Identifier: MIT */
/* cow.c - copy-on-write views (see cow.h): the copy a first write makes, and freeing it. */
#include "cow.h"

#include "assert.h"
#include "commit.h"
#include "frames.h"
#include "hwmap.h"
#include "store.h"
#include "proto.h"
#include "vma.h"

#include <string.h>

/* Page i's lock (umm_lock) moves from the section's frame to its copy f. */
static void move_lock(mm_vad_t *view, size_t i, mm_pfn_id_t f)
{
    umm_system_t *sys = view->proc->sys;
    mm_vad_pte_write(view, i, view->pte[i] | PTE_LOCKED);
    mm_pfn_entry(&sys->pfn, f)->locks++;
    view->proc->locked_pages++;
    sys->locked_pages++;
}

/* The copy f is mapped at page i (exact or read-only shared): the view's share of the section
 * frame goes, the PTE names f. */
static void install_copy(mm_vad_t *view, size_t i, mm_pte_t np)
{
    mm_pte_t p = view->pte[i];
    mm_vad_pte_write(view, i, p & ~(PTE_HW | PTE_HW_RO)); /* that mapping was replaced */
    mm_proto_drop_view_page(view, i, false);              /* share - 1, and the lock */
    mm_vad_pte_write(view, i, np);
    if (p & PTE_LOCKED)
        move_lock(view, i, (mm_pfn_id_t)mm_pte_num(np));
    view->proc->ws_size++;
    view->proc->sys->ws_total++;
}

int mm_cow_copy(mm_vad_t *view, size_t i)
{
    umm_system_t *sys = view->proc->sys;
    MM_ASSERT_HELD(&sys->lock);
    mm_pte_t p = view->pte[i];
    UMM_ASSERT(mm_cow_shared(view, i) && mm_pte_format(p) == PTE_VALID);
    mm_pfn_id_t src = (mm_pfn_id_t)mm_pte_num(p), f;
    int rc = mm_frames_alloc(sys, 1, PFN_NIL, &f, view->proc, false);
    if (rc != UMM_OK)
        return rc;
    const void *from = mm_frame_ptr(sys, src, MM_FRAME_READ);
    void *to = from ? mm_frame_ptr(sys, f, MM_FRAME_OVERWRITE) : NULL;
    if (!to) { /* a guest frame its host could not produce: nothing changed */
        mm_frame_release(sys, f, false);
        return UMM_E_NO_FRAMES;
    }
    memcpy(to, from, sys->page_size);
    mm_frame_set_owner(sys, f, view, i);
    /* the copy is READ|WRITE: no longer copy-on-write */
    mm_pte_t np = mm_pte_make(PTE_VALID, mm_pte_prot(p) & ~UMM_PROT_WRITECOPY, f) | PTE_ACCESSED |
                  PTE_DIRTY;
    uintptr_t va = mm_vad_page_addr(view, i, sys->page_shift);
    bool exact = true;
    rc = mm_hw_map(sys, va, f, 1, mm_pte_hw_prot(np), true, &exact);
    if (rc != UMM_OK && mm_hw_unmap(sys, va, 1) == UMM_OK) {
        /* the old mapping may be gone too: the page stays the section's, unmapped */
        mm_vad_pte_write(view, i, p & ~(PTE_HW | PTE_HW_RO));
        mm_frame_release(sys, f, false);
        mm_vma_refresh(view, i, i + 1);
        return rc;
    }
    /* Mapped; or refused and not even unmapped: the copy is the page then, unmapped (what the
     * kernel left there is at most a read-only mapping of equal bytes), mapped when the access
     * is retried, as make_transition_valid does. */
    install_copy(view, i, rc == UMM_OK ? np | (exact ? PTE_HW : PTE_HW_RO) : np);
    mm_vma_refresh(view, i, i + 1);
    MM_COUNT(view->proc, faults_copy_on_write, 1);
    return UMM_OK;
}

/* Free private page k of a view being released (its mapping is gone); the PTE becomes NONE. */
static void release_page(mm_vad_t *view, size_t k)
{
    umm_system_t *sys = view->proc->sys;
    MM_ASSERT_HELD(&sys->lock);
    UMM_ASSERT(mm_cow_private(view, k));
    mm_vad_forget_lock(view, k);
    mm_pte_t p = view->pte[k];
    if (mm_pte_format(p) == PTE_PAGEFILE) {
        mm_stores_free(&sys->stores, mm_pte_num(p));
    } else {
        if (mm_pte_format(p) == PTE_VALID) {
            view->proc->ws_size--;
            sys->ws_total--;
        }
        mm_frame_release(sys, (mm_pfn_id_t)mm_pte_num(p), false); /* and its paging-file copy */
    }
    mm_vad_pte_write(view, k, 0);
}

int mm_cow_query_prot(const mm_vad_t *vad, size_t i)
{
    int prot = mm_pte_prot(vad->pte[i]) & ~MM_PROT_WATCH;
    if (!(prot & UMM_PROT_WRITE) || !mm_cow_shared(vad, i))
        return prot;
    return (prot & ~(UMM_PROT_READ | UMM_PROT_WRITE)) | UMM_PROT_WRITECOPY;
}

int mm_cow_page_prot(const mm_vad_t *view, size_t k, int prot)
{
    if (!(prot & UMM_PROT_WRITECOPY))
        return prot;
    int rw = (prot & ~UMM_PROT_WRITECOPY) | UMM_PROT_READ | UMM_PROT_WRITE;
    return view->copy_on_write || mm_cow_private(view, k) ? rw : rw | UMM_PROT_WRITECOPY;
}

static bool charged_alone(const mm_vad_t *vad)
{
    return vad->section && !vad->copy_on_write;
}

static uint64_t count_charged(const mm_vad_t *view, size_t first, size_t n)
{
    uint64_t c = 0;
    for (size_t k = first; k < first + n; k++)
        c += mm_cow_charged(view, k);
    return c;
}

int mm_cow_protect_begin(mm_vad_t *vad, size_t first, size_t n, int prot, uint64_t *before)
{
    MM_ASSERT_HELD(&vad->proc->sys->lock);
    *before = 0;
    if (!charged_alone(vad))
        return UMM_OK;
    *before = count_charged(vad, first, n);
    if (!(prot & UMM_PROT_WRITECOPY))
        return UMM_OK;
    uint64_t gain = n - *before; /* every page is charged once WRITECOPY */
    int rc = gain ? mm_commit_charge(vad->proc, gain) : UMM_OK;
    if (rc == UMM_OK)
        vad->committed += gain;
    return rc;
}

void mm_cow_protect_end(mm_vad_t *vad, size_t first, size_t n, int prot, uint64_t before)
{
    MM_ASSERT_HELD(&vad->proc->sys->lock);
    if (!charged_alone(vad))
        return;
    uint64_t charged = (prot & UMM_PROT_WRITECOPY) ? n : before; /* what begin left charged */
    uint64_t excess = charged - count_charged(vad, first, n);
    mm_commit_uncharge(vad->proc, excess);
    vad->committed -= excess;
}

void mm_cow_drop_view(mm_vad_t *view)
{
    for (size_t k = 0; k < view->npages; k++) {
        if (mm_cow_private(view, k))
            release_page(view, k);
        else
            mm_proto_drop_view_page(view, k, false);
        if (view->pte[k] != 0)
            mm_vad_pte_write(view, k, 0);
    }
}
