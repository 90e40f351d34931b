/* SPDX-License-Identifier: MIT */
/* vad.c - reservation objects (see vad.h). */
#include "vad.h"

#include "assert.h"
#include "handle.h"
#include "os.h"
#include "registry.h"

#include <stdlib.h>

mm_vad_t *mm_vad_alloc(umm_process_t *proc, uintptr_t start, size_t bytes, int prot)
{
    mm_vad_t *vad = calloc(1, sizeof *vad);
    if (!vad)
        return NULL;
    vad->npages = bytes >> proc->sys->page_shift;
    /* calloc: large tables come from fresh mmap, so untouched parts cost no memory */
    vad->pte_alloc = calloc(vad->npages + 2, sizeof(mm_pte_t));
    vad->bbits = calloc(vad->npages / 64 + 1, sizeof *vad->bbits);
    vad->chunk_valid = calloc((vad->npages >> VAD_CHUNK_SHIFT) + 1, 1);
    if (!vad->pte_alloc || !vad->bbits || !vad->chunk_valid) {
        free(vad->pte_alloc);
        free(vad->bbits);
        free(vad->chunk_valid);
        free(vad);
        return NULL;
    }
    vad->pte = vad->pte_alloc + 1;
    vad->start = start;
    vad->end = start + bytes;
    vad->prot = prot;
    vad->proc = proc;
    return vad;
}

void mm_vad_free(mm_vad_t *vad)
{
    if (!vad)
        return;
    free(vad->pte_alloc);
    free(vad->bbits);
    free(vad->chunk_valid);
    free(vad);
}

int mm_vad_attach_id(mm_vad_t *vad)
{
    MM_ASSERT_HELD(&vad->proc->sys->lock);
    umm_system_t *sys = vad->proc->sys;
    uint32_t id = 0;
    while (id < sys->nvad_slots && sys->vads[id])
        id++;
    if (id == sys->nvad_slots) {
        uint32_t n = sys->nvad_slots ? sys->nvad_slots * 2 : 16;
        mm_vad_t **t = realloc(sys->vads, n * sizeof *t);
        if (!t)
            return UMM_E_NOMEM;
        for (uint32_t i = sys->nvad_slots; i < n; i++)
            t[i] = NULL;
        sys->vads = t;
        sys->nvad_slots = n;
    }
    vad->id = id;
    sys->vads[id] = vad;
    return UMM_OK;
}

void mm_vad_detach_id(mm_vad_t *vad)
{
    MM_ASSERT_HELD(&vad->proc->sys->lock);
    vad->proc->sys->vads[vad->id] = NULL;
}

int mm_vad_attach(mm_vad_t *vad)
{
    MM_ASSERT_HELD(&vad->proc->sys->lock);
    umm_system_t *sys = vad->proc->sys;
    int rc = mm_vad_attach_id(vad);
    if (rc != UMM_OK)
        return rc;
    vad->next_in_proc = vad->proc->vads;
    vad->proc->vads = vad;
    vad->proc->nvads++;
    vad->proc->vma_count += 1;
    sys->vma_count += 1;
    return UMM_OK;
}

void mm_vad_detach(mm_vad_t *vad)
{
    MM_ASSERT_HELD(&vad->proc->sys->lock);
    umm_process_t *proc = vad->proc;
    umm_system_t *sys = proc->sys;
    for (mm_vad_t **pp = &proc->vads; *pp; pp = &(*pp)->next_in_proc)
        if (*pp == vad) {
            *pp = vad->next_in_proc;
            break;
        }
    proc->nvads--;
    proc->vma_count -= 1 + vad->boundaries;
    sys->vma_count -= 1 + vad->boundaries;
    sys->vads[vad->id] = NULL;
}

int mm_vad_range_lock(umm_process_t *proc, const void *addr, size_t bytes, mm_vad_t **vadp,
                   size_t *first, size_t *npages)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    size_t page = proc->sys->page_size;
    uintptr_t a = (uintptr_t)addr;
    if (!addr)
        return UMM_E_INVAL;
    if (a & (page - 1))
        return UMM_E_ALIGN;
    if (bytes == 0 || bytes > SIZE_MAX - page + 1)
        return UMM_E_RANGE;
    size_t rounded = (bytes + page - 1) & ~(page - 1);
    if (a > UINTPTR_MAX - rounded)
        return UMM_E_RANGE;
    mm_vad_t *vad = mm_registry_lookup_lock(a);
    if (!vad)
        return UMM_E_NOT_RESERVED;
    if (vad->proc != proc || vad->releasing) {
        mm_unlock(&vad->proc->sys->lock);
        return UMM_E_NOT_RESERVED;
    }
    if (a + rounded > vad->end) {
        mm_unlock(&proc->sys->lock);
        return UMM_E_RANGE;
    }
    *vadp = vad;
    *first = (a - vad->start) >> proc->sys->page_shift;
    *npages = rounded >> proc->sys->page_shift;
    return UMM_OK;
}

bool mm_vad_io_busy(const mm_vad_t *vad, size_t a, size_t b)
{
    umm_system_t *sys = vad->proc->sys;
    MM_ASSERT_HELD(&sys->lock);
    if (vad->io_pending)
        return true;
    for (size_t i = a; i < b; i++) {
        if (!mm_pte_has_frame(vad->pte[i]))
            continue;
        const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(vad->pte[i]));
        if ((e->flags & PFN_F_IO) || mm_pfn_pins(e)) /* paging I/O, or a program's I/O (probe-and-lock) */
            return true;
    }
    return false;
}

void mm_vad_wait_io(mm_vad_t *vad, size_t a, size_t b)
{
    umm_system_t *sys = vad->proc->sys;
    while (mm_vad_io_busy(vad, a, b)) {
        mm_unlock(&sys->lock);
        mm_os_yield();
        mm_lock(&sys->lock);
    }
}

/* The VAD of a reservation just made at [base, base + bytes): attached and registered, or the
 * address space is given back. */
static int vad_register(umm_process_t *proc, void *base, size_t bytes, int prot, mm_vad_t **out)
{
    int rc;
    mm_vad_t *vad = mm_vad_alloc(proc, (uintptr_t)base, bytes, prot);
    if (!vad) {
        mm_os_release(base, bytes);
        return UMM_E_NOMEM;
    }
    mm_lock(&proc->sys->lock);
    rc = mm_vad_attach(vad);
    mm_unlock(&proc->sys->lock);
    if (rc == UMM_OK && (rc = mm_registry_insert(vad)) != UMM_OK) { /* registry, then system */
        mm_lock(&proc->sys->lock);
        mm_vad_detach(vad);
        mm_unlock(&proc->sys->lock);
    }
    if (rc != UMM_OK) {
        mm_vad_free(vad);
        mm_os_release(base, bytes);
        return rc;
    }
    *out = vad;
    return UMM_OK;
}

int mm_vad_create(umm_process_t *proc, size_t bytes, size_t alignment, int prot, mm_vad_t **out)
{
    void *base;
    int rc = mm_os_reserve(bytes, alignment, &base);
    return rc == UMM_OK ? vad_register(proc, base, bytes, prot, out) : rc;
}

int mm_vad_create_top_down(umm_process_t *proc, size_t bytes, size_t alignment, int prot,
                           mm_vad_t **out)
{
    void *base;
    int rc = mm_os_reserve_top_down(bytes, alignment, &base);
    return rc == UMM_OK ? vad_register(proc, base, bytes, prot, out) : rc;
}

int mm_vad_create_at(umm_process_t *proc, uintptr_t addr, size_t bytes, int prot, mm_vad_t **out)
{
    int rc = mm_os_reserve_at((void *)addr, bytes);
    return rc == UMM_OK ? vad_register(proc, (void *)addr, bytes, prot, out) : rc;
}

void mm_vad_destroy_unused(mm_vad_t *vad)
{
    umm_system_t *sys = vad->proc->sys;
    mm_registry_remove(vad);
    mm_lock(&sys->lock);
    UMM_ASSERT(vad->committed == 0 && !vad->section && vad->boundaries == 0);
    mm_vad_detach(vad);
    mm_unlock(&sys->lock);
    mm_os_release((void *)vad->start, vad->end - vad->start);
    mm_vad_free(vad);
}
