/* SPDX-License-Identifier: MIT */
/* probe.c - probe and lock (see probe.h): umm_probe_and_lock, umm_unlock_pages, umm_lock and
 * umm_unlock. */
#include "probe.h"

#include "assert.h"
#include "fault.h"
#include "handle.h"
#include "vad.h"

#include <sys/mman.h>

int mm_probe_round(const umm_process_t *proc, const void *addr, size_t bytes, uintptr_t *a,
                   uintptr_t *b)
{
    uintptr_t page = proc->sys->page_size, s = (uintptr_t)addr;
    if (!addr)
        return UMM_E_INVAL;
    if (bytes == 0 || bytes > UINTPTR_MAX - 2 * page || s > UINTPTR_MAX - bytes - page)
        return UMM_E_RANGE;
    *a = s & ~(page - 1);
    *b = (s + bytes + page - 1) & ~(page - 1);
    return UMM_OK;
}

/* May page i be made resident for the access? What the fault would raise, as an error. */
static int page_access_error(const mm_vad_t *vad, size_t i, bool write)
{
    mm_pte_t p = vad->pte[i];
    if (!mm_pte_committed(p) || (vad->section && i >= vad->section->npages))
        return UMM_E_NOT_COMMITTED;
    int prot = mm_pte_prot(p);
    if (prot & UMM_PROT_GUARD)
        return UMM_E_GUARD;
    if (!(prot & (UMM_PROT_READ | UMM_PROT_WRITE)) || (write && !(prot & UMM_PROT_WRITE)))
        return UMM_E_ACCESS;
    return UMM_OK;
}

static int range_access_error(const mm_vad_t *vad, size_t first, size_t n, bool write)
{
    for (size_t i = first; i < first + n; i++) {
        int rc = page_access_error(vad, i, write);
        if (rc != UMM_OK)
            return rc;
    }
    return UMM_OK;
}

int mm_probe_check(umm_process_t *proc, uintptr_t a, uintptr_t b, bool write)
{
    mm_vad_t *vad;
    size_t first, n;
    int rc = mm_vad_range_lock(proc, (void *)a, b - a, &vad, &first, &n);
    if (rc != UMM_OK)
        return rc;
    rc = range_access_error(vad, first, n, write);
    mm_unlock(&proc->sys->lock);
    return rc;
}

/* Is the page valid and mapped so that the access goes through without a fault? */
static bool resident_for(mm_pte_t p, bool write)
{
    if (mm_pte_format(p) != PTE_VALID)
        return false;
    int hw = mm_pte_hw_prot(p);
    return write ? (p & PTE_HW) && (hw & PROT_WRITE) : mm_pte_mapped(p) && (hw & PROT_READ);
}

static bool pin_page(umm_system_t *sys, mm_pte_t p)
{
    mm_pfn_t *e = mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p));
    UMM_ASSERT(e->list == LIST_ACTIVE); /* a VALID page's frame: the counts are in use */
    if (e->pins == UINT16_MAX)
        return false;
    if (e->pins++ == 0)
        sys->pinned_frames++;
    return true;
}

static void unpin_pages(mm_vad_t *vad, size_t a, size_t b)
{
    umm_system_t *sys = vad->proc->sys;
    MM_ASSERT_HELD(&sys->lock);
    for (size_t i = a; i < b; i++) {
        mm_pte_t p = vad->pte[i];
        UMM_ASSERT(mm_pte_format(p) == PTE_VALID); /* nothing takes a pinned page away */
        mm_pfn_t *e = mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p));
        UMM_ASSERT(e->pins > 0);
        if (--e->pins == 0)
            sys->pinned_frames--;
    }
}

void mm_probe_unpin_locked(const mm_pinned_t *pins)
{
    unpin_pages(pins->vad, pins->first, pins->first + pins->n);
}

void mm_probe_unpin(const mm_pinned_t *pins)
{
    umm_system_t *sys = pins->vad->proc->sys;
    mm_lock(&sys->lock);
    mm_probe_unpin_locked(pins);
    mm_unlock(&sys->lock);
}

/* Pin from *k on while pages are resident. System locked. UMM_E_BUSY if a frame's pin count is
 * full. */
static int pin_resident(mm_vad_t *vad, size_t *k, size_t end, bool write)
{
    umm_system_t *sys = vad->proc->sys;
    while (*k < end && resident_for(vad->pte[*k], write)) {
        if (!pin_page(sys, vad->pte[*k]))
            return UMM_E_BUSY;
        (*k)++;
    }
    return UMM_OK;
}

/* Pages [first, k) are pinned, so the VAD stays (releasing it waits for the pins); page k was
 * just faulted with the lock dropped: lock again and see that [k, end) may still be pinned. */
static int relock_after_touch(mm_vad_t *vad, size_t k, size_t end, bool write, int touched)
{
    mm_lock(&vad->proc->sys->lock);
    if (touched != UMM_OK)
        return touched;
    if (vad->releasing)
        return UMM_E_NOT_RESERVED;
    return range_access_error(vad, k, end - k, write);
}

int mm_probe_pin(umm_process_t *proc, uintptr_t a, uintptr_t b, bool write, mm_pinned_t *out)
{
    umm_system_t *sys = proc->sys;
    for (;;) {
        mm_vad_t *vad;
        size_t first, n;
        int rc = mm_vad_range_lock(proc, (void *)a, b - a, &vad, &first, &n);
        if (rc != UMM_OK)
            return rc;
        size_t k = first, end = first + n;
        bool look_up_again = false;
        rc = range_access_error(vad, first, n, write);
        while (rc == UMM_OK && (rc = pin_resident(vad, &k, end, write)) == UMM_OK && k < end) {
            bool held = k > first;
            mm_unlock(&sys->lock);
            umm_exception_t exc = {0};
            rc = mm_fault_touch(mm_vad_page_addr(vad, k, sys->page_shift), write, &exc);
            if (!held) { /* nothing pinned kept the VAD: it may be gone, look it up again */
                look_up_again = true;
                break;
            }
            rc = relock_after_touch(vad, k, end, write, rc);
        }
        if (look_up_again) {
            if (rc != UMM_OK)
                return rc;
            continue;
        }
        if (rc == UMM_OK)
            *out = (mm_pinned_t){.vad = vad, .first = first, .n = n};
        else
            unpin_pages(vad, first, k);
        mm_unlock(&sys->lock);
        return rc;
    }
}

bool mm_probe_any_paged_out(umm_process_t *proc, uintptr_t a, uintptr_t b)
{
    mm_vad_t *vad;
    size_t first, n;
    bool any = false;
    if (mm_vad_range_lock(proc, (void *)a, b - a, &vad, &first, &n) != UMM_OK)
        return false;
    for (size_t i = first; i < first + n && !any; i++)
        any = mm_pte_format(vad->pte[i]) == PTE_PAGEFILE;
    mm_unlock(&proc->sys->lock);
    return any;
}

void mm_probe_overwrite(umm_process_t *proc, uintptr_t a, uintptr_t b, const uint8_t *src,
                        bool *filled)
{
    mm_vad_t *vad;
    size_t first, n;
    if (mm_vad_range_lock(proc, (void *)a, b - a, &vad, &first, &n) != UMM_OK)
        return; /* released meanwhile: the probe reports it */
    if (range_access_error(vad, first, n, true) == UMM_OK)
        mm_fault_overwrite(vad, first, n, src, filled);
    mm_unlock(&proc->sys->lock);
}

/* ---- the public calls ---- */

static int access_kind(int access, bool *write)
{
    if (access != UMM_PROT_READ && access != UMM_PROT_WRITE && access != (UMM_PROT_READ | UMM_PROT_WRITE))
        return UMM_E_INVAL;
    *write = access & UMM_PROT_WRITE;
    return UMM_OK;
}

int umm_probe_and_lock(umm_process_t *proc, void *addr, size_t bytes, int access, umm_mdl_t *mdl)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    bool write;
    uintptr_t a, b;
    if (!mdl || access_kind(access, &write) != UMM_OK)
        return UMM_E_INVAL;
    int rc = mm_probe_round(proc, addr, bytes, &a, &b);
    mm_pinned_t pins;
    if (rc == UMM_OK)
        rc = mm_probe_pin(proc, a, b, write, &pins);
    if (rc != UMM_OK)
        return rc;
    *mdl = (umm_mdl_t){.process = proc, .address = (void *)a, .bytes = b - a,
                       .access = write ? UMM_PROT_WRITE : UMM_PROT_READ, .internal_ = pins.vad};
    return UMM_OK;
}

int umm_unlock_pages(umm_mdl_t *mdl)
{
    if (!mdl)
        return UMM_E_INVAL;
    HANDLE_CHECK(mdl->process, HANDLE_PROCESS);
    mm_vad_t *vad = mdl->internal_;
    if (!vad || vad->proc != mdl->process)
        return UMM_E_INVAL;
    unsigned shift = vad->proc->sys->page_shift;
    mm_pinned_t pins = {.vad = vad, .first = ((uintptr_t)mdl->address - vad->start) >> shift,
                        .n = mdl->bytes >> shift};
    mm_probe_unpin(&pins);
    mdl->internal_ = NULL;
    return UMM_OK;
}

/* Lock the pinned pages in the working set if the quota allows. System locked. */
static int lock_pinned(const mm_pinned_t *pins)
{
    mm_vad_t *vad = pins->vad;
    umm_process_t *proc = vad->proc;
    uint64_t fresh = 0;
    for (size_t i = pins->first; i < pins->first + pins->n; i++)
        fresh += !(vad->pte[i] & PTE_LOCKED);
    if (proc->locked_pages + fresh > proc->ws_min)
        return UMM_E_QUOTA;
    for (size_t i = pins->first; i < pins->first + pins->n; i++) {
        mm_pte_t p = vad->pte[i];
        if (p & PTE_LOCKED)
            continue;
        mm_vad_pte_write(vad, i, p | PTE_LOCKED);
        mm_pfn_entry(&proc->sys->pfn, (mm_pfn_id_t)mm_pte_num(p))->locks++;
    }
    proc->locked_pages += fresh;
    proc->sys->locked_pages += fresh;
    return UMM_OK;
}

int umm_lock(umm_process_t *proc, void *addr, size_t bytes)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    uintptr_t a, b;
    int rc = mm_probe_round(proc, addr, bytes, &a, &b);
    if (rc != UMM_OK)
        return rc;
    mm_lock(&proc->sys->lock);
    size_t quota = proc->ws_min;
    mm_unlock(&proc->sys->lock);
    if (((b - a) >> proc->sys->page_shift) > quota) /* cannot fit: fault nothing in */
        return UMM_E_QUOTA;
    mm_pinned_t pins;
    if ((rc = mm_probe_pin(proc, a, b, false, &pins)) != UMM_OK)
        return rc;
    mm_lock(&proc->sys->lock);
    rc = lock_pinned(&pins);
    mm_probe_unpin_locked(&pins);
    mm_unlock(&proc->sys->lock);
    return rc;
}

int umm_unlock(umm_process_t *proc, void *addr, size_t bytes)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    uintptr_t a, b;
    mm_vad_t *vad;
    size_t first, n;
    int rc = mm_probe_round(proc, addr, bytes, &a, &b);
    if (rc != UMM_OK || (rc = mm_vad_range_lock(proc, (void *)a, b - a, &vad, &first, &n)) != UMM_OK)
        return rc;
    for (size_t i = first; i < first + n; i++) {
        if (!(vad->pte[i] & PTE_LOCKED))
            rc = UMM_E_NOT_LOCKED;
        mm_vad_forget_lock(vad, i);
    }
    mm_unlock(&proc->sys->lock);
    return rc;
}
