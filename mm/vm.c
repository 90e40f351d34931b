/* SPDX-License-Identifier: MIT */
/* vm.c - the virtual memory API: reserve, commit, decommit, release, protect, query. */
#include "vm.h"

#include "handle.h"
#include "assert.h"
#include "commit.h"
#include "cow.h"
#include "frames.h"
#include "hwmap.h"
#include "os.h"
#include "store.h"
#include "reclaim.h"
#include "registry.h"
#include "section.h"
#include "vad.h"
#include "budget.h"
#include "vma.h"
#include "ws.h"


#define PROT_VALID_BITS                                                                          \
    (UMM_PROT_READ | UMM_PROT_WRITE | UMM_PROT_EXEC | UMM_PROT_GUARD | UMM_PROT_NOCACHE |       \
     UMM_PROT_WRITECOMBINE)
#define PROT_CACHE_BITS (UMM_PROT_NOCACHE | UMM_PROT_WRITECOMBINE)

/* Known bits only; a cache attribute alone, with a page that has some access and without GUARD
 * (Windows refuses PAGE_NOCACHE | PAGE_WRITECOMBINE, PAGE_GUARD | PAGE_NOCACHE, and
 * PAGE_NOACCESS | PAGE_NOCACHE). */
static bool prot_ok(int prot)
{
    if (prot < 0 || (prot & ~PROT_VALID_BITS) != 0)
        return false;
    int cache = prot & PROT_CACHE_BITS;
    if (cache == PROT_CACHE_BITS)
        return false;
    return !cache || ((prot & ~PROT_CACHE_BITS & ~UMM_PROT_GUARD) != 0 && !(prot & UMM_PROT_GUARD));
}

int umm_reserve(umm_process_t *proc, size_t bytes, int prot, void **out)
{
    return umm_reserve_aligned(proc, bytes, UMM_RESERVE_GRANULARITY, prot, out);
}

int umm_reserve_at(umm_process_t *proc, void *addr, size_t bytes, int prot, unsigned flags,
                   void **out)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    size_t g = UMM_RESERVE_GRANULARITY;
    if (!out || !prot_ok(prot) || (flags & ~(unsigned)(UMM_RESERVE_TOP_DOWN | UMM_MEM_WRITE_WATCH)))
        return UMM_E_INVAL;
    if (!addr)
        return umm_reserve_ex(proc, bytes, g, prot, flags, out);
    if ((uintptr_t)addr & (g - 1))
        return UMM_E_ALIGN;
    if (bytes == 0 || bytes > ((size_t)1 << 46))
        return UMM_E_RANGE;
    mm_vad_t *vad;
    int rc = mm_vad_create_at(proc, (uintptr_t)addr, (bytes + g - 1) & ~(g - 1), prot, &vad);
    if (rc != UMM_OK)
        return rc;
    mm_lock(&proc->sys->lock);
    vad->write_watch = flags & UMM_MEM_WRITE_WATCH;
    mm_budget_enforce(proc->sys);
    mm_unlock(&proc->sys->lock);
    *out = addr;
    return UMM_OK;
}

int umm_reserve_aligned(umm_process_t *proc, size_t bytes, size_t alignment, int prot, void **out)
{
    return umm_reserve_ex(proc, bytes, alignment, prot, 0, out);
}

int umm_reserve_ex(umm_process_t *proc, size_t bytes, size_t alignment, int prot, unsigned flags,
                   void **out)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if (!out || !prot_ok(prot) || (flags & ~(unsigned)(UMM_MEM_WRITE_WATCH | UMM_RESERVE_TOP_DOWN)))
        return UMM_E_INVAL;
    size_t g = UMM_RESERVE_GRANULARITY;
    if (alignment < g || (alignment & (alignment - 1)) != 0 || alignment > ((size_t)1 << 40))
        return UMM_E_ALIGN;
    if (bytes == 0 || bytes > ((size_t)1 << 46))
        return UMM_E_RANGE;
    mm_vad_t *vad;
    size_t size = (bytes + g - 1) & ~(g - 1);
    int rc = flags & UMM_RESERVE_TOP_DOWN ? mm_vad_create_top_down(proc, size, alignment, prot, &vad)
                                          : mm_vad_create(proc, size, alignment, prot, &vad);
    if (rc != UMM_OK)
        return rc;
    mm_lock(&proc->sys->lock);
    vad->write_watch = flags & UMM_MEM_WRITE_WATCH;
    mm_budget_enforce(proc->sys);
    mm_unlock(&proc->sys->lock);
    void *base = (void *)vad->start;
    *out = base;
    return UMM_OK;
}

static int protect_locked(mm_vad_t *vad, size_t first, size_t n, int prot);

/* A view's protection may not go above what it was mapped with (Windows: ERROR_INVALID_PARAMETER
 * from VirtualProtect and VirtualAlloc alike). */
static bool above_view(const mm_vad_t *vad, int prot)
{
    return vad->section && (((prot & UMM_PROT_WRITE) && !(vad->prot & UMM_PROT_WRITE)) ||
                            ((prot & UMM_PROT_EXEC) && !(vad->prot & UMM_PROT_EXEC)));
}

/* Give the committed pages of [first, first + n) protection `prot`, run by run (Windows'
 * VirtualAlloc(MEM_COMMIT) of committed pages sets the new protection). */
static int reprotect_committed(mm_vad_t *vad, size_t first, size_t n, int prot)
{
    int rc = UMM_OK;
    for (size_t i = first; i < first + n && rc == UMM_OK;) {
        size_t j = i;
        while (j < first + n && mm_pte_committed(vad->pte[j]) && mm_pte_prot(vad->pte[j]) != prot)
            j++;
        if (j > i)
            rc = protect_locked(vad, i, j - i, prot);
        i = j + (j == i);
    }
    return rc;
}

int umm_commit(umm_process_t *proc, void *addr, size_t bytes, int prot)
{
    mm_vad_t *vad;
    size_t first, n;
    if (prot != -1 && !prot_ok(prot))
        return UMM_E_INVAL;
    int rc = mm_vm_range_lock_idle(proc, addr, bytes, &vad, &first, &n); /* a guard protection trims */
    if (rc != UMM_OK)
        return rc;
    bool keep = prot == -1;
    if (keep)
        prot = vad->prot;
    if (vad->section) { /* a view's pages are the section's (a reserved one's committed now, for
                           every view); its tail is not a part of it */
        rc = above_view(vad, prot) ? UMM_E_INVAL
             : first + n > vad->sec_pages ? UMM_E_ACCESS : UMM_OK;
        if (rc == UMM_OK)
            rc = mm_section_commit_view(vad, first, n, prot);
        if (rc == UMM_OK && !keep)
            rc = reprotect_committed(vad, first, n, prot);
        mm_unlock(&proc->sys->lock);
        return rc;
    }
    uint64_t fresh = 0;
    int watch = vad->write_watch ? MM_PROT_WATCH : 0; /* committed pages start unwritten */
    for (size_t i = first; i < first + n; i++)
        fresh += !mm_pte_committed(vad->pte[i]);
    rc = mm_commit_charge(proc, fresh);
    if (rc == UMM_OK) { /* the new pages first: charged, they are committed whatever follows */
        for (size_t i = first; i < first + n; i++)
            if (!mm_pte_committed(vad->pte[i]))
                mm_vad_pte_write(vad, i, mm_pte_make(PTE_DEMAND_ZERO, prot | watch, 0));
        vad->committed += fresh;
        if (!keep)
            rc = reprotect_committed(vad, first, n, prot);
    }
    mm_budget_enforce(proc->sys);
    mm_unlock(&proc->sys->lock);
    return rc;
}

/* Drop whatever page i holds (frame, paging-file copy); the PTE is left to the caller. The
 * kernel mapping must already be gone, so no thread can reach the frame any more. */
static void discard_page(mm_vad_t *vad, size_t i)
{
    umm_system_t *sys = vad->proc->sys;
    mm_pte_t p = vad->pte[i];
    if (mm_pte_has_frame(p)) {
        mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(p);
        if (mm_pte_format(p) == PTE_VALID) {
            vad->proc->ws_size--;
            sys->ws_total--;
        }
        mm_frame_release(sys, f, false); /* frees its paging-file copy too */
    } else if (mm_pte_format(p) == PTE_PAGEFILE) {
        mm_stores_free(&sys->stores, mm_pte_num(p));
    }
}

/* mm_vad_range_lock, once no paging I/O holds a frame of the range (pages about to be freed or
 * trimmed must not be): while it does, unlock, yield and look the range up again. */
int mm_vm_range_lock_idle(umm_process_t *proc, const void *addr, size_t bytes, mm_vad_t **vad,
                          size_t *first, size_t *n)
{
    for (;;) {
        int rc = mm_vad_range_lock(proc, addr, bytes, vad, first, n);
        if (rc != UMM_OK || !mm_vad_io_busy(*vad, *first, *first + *n))
            return rc;
        mm_unlock(&proc->sys->lock);
        mm_os_yield();
    }
}

/* Decommit pages [first, first + n) of a locked VAD: PTEs become `to` (DECOMMITTED or NONE). */
static int decommit_locked(mm_vad_t *vad, size_t first, size_t n, unsigned to)
{
    umm_system_t *sys = vad->proc->sys;
    bool mapped = false;
    for (size_t i = first; i < first + n && !mapped; i++)
        mapped = mm_pte_mapped(vad->pte[i]);
    int rc = mapped ? mm_hw_unmap(sys, mm_vad_page_addr(vad, first, sys->page_shift), n) : UMM_OK;
    if (rc != UMM_OK)
        return rc;
    uint64_t dropped = 0;
    for (size_t k = first + n; k-- > first;) {
        mm_pte_t p = vad->pte[k];
        if (!mm_pte_committed(p) && !mm_pte_mapped(p)) {
            if (to == PTE_NONE && p != 0)
                mm_vad_pte_write(vad, k, 0);
            continue;
        }
        dropped += mm_pte_committed(p);
        mm_vad_forget_lock(vad, k); /* decommitting a locked page unlocks it */
        discard_page(vad, k);
        mm_vad_pte_write(vad, k, mm_pte_make(to, 0, 0));
    }
    mm_vma_refresh(vad, first, first + n);
    vad->committed -= dropped;
    mm_commit_uncharge(vad->proc, dropped);
    return UMM_OK;
}

int umm_decommit(umm_process_t *proc, void *addr, size_t bytes)
{
    mm_vad_t *vad;
    size_t first, n;
    int rc = mm_vm_range_lock_idle(proc, addr, bytes, &vad, &first, &n);
    if (rc != UMM_OK)
        return rc;
    if (vad->section) { /* a view's pages belong to its section: no decommit (as Windows) */
        mm_unlock(&proc->sys->lock);
        return UMM_E_ACCESS;
    }
    rc = decommit_locked(vad, first, n, PTE_DECOMMITTED);
    mm_budget_enforce(proc->sys);
    mm_unlock(&proc->sys->lock);
    mm_reclaim_wake_workers(proc->sys); /* frames went to Free: the zero page thread has work */
    return rc;
}

void mm_vm_release_locked(mm_vad_t *vad)
{
    MM_ASSERT_HELD(&vad->proc->sys->lock);
    mm_vad_wait_io(vad, 0, vad->npages);
    mm_os_release((void *)vad->start, vad->end - vad->start);
    for (size_t i = 0; i < vad->npages; i++) /* the mapping is gone: no HW anywhere */
        if (mm_pte_mapped(vad->pte[i]))
            mm_vad_pte_write(vad, i, vad->pte[i] & ~(PTE_HW | PTE_HW_RO));
    mm_vma_refresh(vad, 0, vad->npages);
    if (vad->section)
        mm_section_release_view(vad); /* its frames stay with the section */
    else
        decommit_locked(vad, 0, vad->npages, PTE_NONE);
    mm_vad_detach(vad);
}

int umm_release(umm_process_t *proc, void *base)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if (!base)
        return UMM_E_INVAL;
    mm_vad_t *vad = mm_registry_lookup_lock((uintptr_t)base);
    if (!vad)
        return UMM_E_NOT_RESERVED;
    umm_system_t *sys = vad->proc->sys;
    int rc = UMM_OK;
    if (vad->proc != proc || vad->releasing)
        rc = UMM_E_NOT_RESERVED;
    else if (vad->start != (uintptr_t)base)
        rc = UMM_E_INVAL;
    else
        vad->releasing = true;
    mm_unlock(&sys->lock);
    if (rc != UMM_OK)
        return rc;
    mm_registry_remove(vad); /* registry before system lock: the lock order */
    mm_lock(&sys->lock);
    mm_vm_release_locked(vad);
    mm_unlock(&sys->lock);
    mm_vad_free(vad);
    return UMM_OK;
}

/* The PTE with the caller's protection; umm's own write-watch bit stays. */
static mm_pte_t with_user_prot(mm_pte_t p, int prot)
{
    return mm_pte_with_prot(p, prot | (mm_pte_prot(p) & MM_PROT_WATCH));
}

/* The PTE page k gets for `prot`: the protection it stores for it (per page for WRITECOPY, cow.h),
 * umm's write-watch bit kept; a shared copy-on-write page is clean, mapped at most read-only. */
static mm_pte_t protected_pte(const mm_vad_t *vad, size_t k, int prot)
{
    mm_pte_t np = with_user_prot(vad->pte[k], mm_cow_page_prot(vad, k, prot));
    return (mm_pte_prot(np) & UMM_PROT_WRITECOPY) ? np & ~PTE_DIRTY : np;
}

static void write_protected(mm_vad_t *vad, size_t k, mm_pte_t np)
{
    if (vad->pte[k] & ~np & PTE_DIRTY) /* what the page had written is the section frame's */
        mm_pfn_entry(&vad->proc->sys->pfn, (mm_pfn_id_t)mm_pte_num(np))->flags |= PFN_F_MODIFIED;
    mm_vad_pte_write(vad, k, np);
}

static int protect_pages(mm_vad_t *vad, size_t first, size_t n, int prot);

/* Set protection of committed pages [first, first+n), with the commit charge of pages made
 * copy-on-write or no longer so (cow.h). */
static int protect_locked(mm_vad_t *vad, size_t first, size_t n, int prot)
{
    uint64_t before;
    int rc = mm_cow_protect_begin(vad, first, n, prot, &before);
    if (rc != UMM_OK)
        return rc;
    rc = protect_pages(vad, first, n, prot);
    mm_cow_protect_end(vad, first, n, prot, before);
    return rc;
}

/* Set protection of committed pages [first, first+n): PTEs, then kernel mappings, per run. */
static int protect_pages(mm_vad_t *vad, size_t first, size_t n, int prot)
{
    umm_system_t *sys = vad->proc->sys;
    if (prot & UMM_PROT_GUARD) { /* a guard page must fault on its next access: not valid */
        for (size_t i = first; i < first + n; i++)
            if (vad->pte[i] & PTE_LOCKED) /* a locked page stays valid */
                return UMM_E_ACCESS;
        mm_ws_trim_range(vad, first, first + n, WS_TRIM_UNMAP);
        for (size_t i = first; i < first + n; i++)
            if (mm_pte_format(vad->pte[i]) == PTE_VALID) /* the kernel refused to unmap */
                return UMM_E_VMA_LIMIT;
    }
    int rc = UMM_OK;
    for (size_t i = first; i < first + n;) {
        if (vad->pte[i] & PTE_HW_RO) { /* shared read-only: drop it, the next access remaps */
            if ((rc = mm_hw_unmap(sys, mm_vad_page_addr(vad, i, sys->page_shift), 1)) != UMM_OK)
                break;
            mm_vad_pte_write(vad, i, vad->pte[i] & ~PTE_HW_RO);
        }
        mm_pte_t np = protected_pte(vad, i, prot);
        size_t j = i + 1;
        bool hw_valid = mm_pte_format(np) == PTE_VALID && (np & PTE_HW);
        int hwp = mm_pte_hw_prot(np);
        while (j < first + n && hw_valid && mm_pte_format(vad->pte[j]) == PTE_VALID &&
               (vad->pte[j] & PTE_HW) && mm_pte_hw_prot(protected_pte(vad, j, prot)) == hwp)
            j++;
        if (hw_valid &&
            (rc = mm_hw_protect(sys, mm_vad_page_addr(vad, i, sys->page_shift), j - i, hwp)) != UMM_OK)
            break;
        for (size_t k = i; k < j; k++)
            write_protected(vad, k, protected_pte(vad, k, prot));
        i = j;
    }
    mm_vma_refresh(vad, first, first + n);
    return rc;
}

/* UMM_PROT_WRITECOPY in umm_protect: a view's pages only, optionally with EXEC, nothing else (as
 * VirtualProtect(PAGE_WRITECOPY / PAGE_EXECUTE_WRITECOPY)). */
static bool writecopy_ok(const mm_vad_t *vad, int prot)
{
    return !(prot & UMM_PROT_WRITECOPY) ||
           (vad->section && !(prot & ~(UMM_PROT_WRITECOPY | UMM_PROT_EXEC)));
}

int umm_protect(umm_process_t *proc, void *addr, size_t bytes, int prot, int *old_prot)
{
    mm_vad_t *vad;
    size_t first, n;
    if (prot < 0 || !prot_ok(prot & ~UMM_PROT_WRITECOPY))
        return UMM_E_INVAL;
    int rc = mm_vm_range_lock_idle(proc, addr, bytes, &vad, &first, &n); /* guard protection trims */
    if (rc != UMM_OK)
        return rc;
    if (above_view(vad, prot) || !writecopy_ok(vad, prot))
        rc = UMM_E_INVAL; /* not above what the view was mapped with; WRITECOPY on views only */
    for (size_t i = first; i < first + n && rc == UMM_OK; i++)
        if (!mm_pte_committed(vad->pte[i]))
            rc = UMM_E_NOT_COMMITTED;
    if (rc == UMM_OK) {
        if (old_prot)
            *old_prot = mm_cow_query_prot(vad, first); /* as umm_query reports it */
        rc = protect_locked(vad, first, n, prot);
        mm_budget_enforce(proc->sys);
    }
    mm_unlock(&proc->sys->lock);
    return rc;
}

static void query_run(const mm_vad_t *vad, size_t i, unsigned shift, umm_region_info_t *out)
{
    mm_pte_t p = vad->pte[i];
    bool committed = mm_pte_committed(p);
    int prot = committed ? mm_cow_query_prot(vad, i) : 0;
    size_t j = i, resident = 0;
    while (j < vad->npages && mm_pte_committed(vad->pte[j]) == committed &&
           (!committed || mm_cow_query_prot(vad, j) == prot)) {
        resident += mm_pte_format(vad->pte[j]) == PTE_VALID;
        j++;
    }
    out->base = (void *)mm_vad_page_addr(vad, i, shift);
    out->size = (j - i) << shift;
    out->allocation_base = (void *)vad->start;
    out->allocation_size = vad->end - vad->start;
    out->allocation_prot = vad->copy_on_write
                               ? (vad->prot & ~(UMM_PROT_READ | UMM_PROT_WRITE)) | UMM_PROT_WRITECOPY
                               : vad->prot;
    out->state = committed ? UMM_REGION_COMMITTED : UMM_REGION_RESERVED;
    out->prot = prot;
    out->resident_pages = resident;
    out->type = vad->section ? UMM_REGION_TYPE_MAPPED : UMM_REGION_TYPE_PRIVATE;
}

int umm_query(umm_process_t *proc, const void *addr, umm_region_info_t *out)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if (!out)
        return UMM_E_INVAL;
    size_t page = proc->sys->page_size;
    *out = (umm_region_info_t){0};
    out->base = (void *)((uintptr_t)addr & ~(uintptr_t)(page - 1));
    out->size = page;
    out->state = UMM_REGION_FREE;
    mm_vad_t *vad = mm_registry_lookup_lock((uintptr_t)addr);
    if (!vad)
        return UMM_E_NOT_RESERVED; /* not memory umm manages; *out says FREE */
    bool ours = vad->proc == proc && !vad->releasing;
    if (ours)
        query_run(vad, ((uintptr_t)addr - vad->start) >> proc->sys->page_shift,
                  proc->sys->page_shift, out);
    mm_unlock(&vad->proc->sys->lock);
    return ours ? UMM_OK : UMM_E_NOT_RESERVED;
}
