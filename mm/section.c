/* SPDX-License-Identifier: MIT */
/* section.c - sections (CreateFileMapping + MapViewOfFile): creating, mapping and closing them,
 * and their end when the last view goes (see section.h; the pages of views are in proto.c, the
 * fault that brings them in is fault.c's). */
#include "section.h"

#include "assert.h"
#include "commit.h"
#include "filemap.h"
#include "frames.h"
#include "handle.h"
#include "pagefile.h"
#include "proto.h"
#include "vad.h"

#include <stdlib.h>

/* The hidden process that owns prototype VADs (created on first use; not in sys->procs, so the
 * balancer and umm_check's process walk leave it alone). */
static umm_process_t *section_process(umm_system_t *sys)
{
    if (!sys->section_proc) {
        sys->section_proc = calloc(1, sizeof *sys->section_proc);
        if (sys->section_proc)
            sys->section_proc->sys = sys;
    }
    return sys->section_proc;
}

int mm_section_create(umm_system_t *sys, size_t npages, mm_filemap_t *file, umm_section_t **out)
{
    umm_section_t *sec = mm_handle_alloc(HANDLE_SECTION, sizeof *sec);
    uint32_t *share = calloc(npages, sizeof *share);
    mm_lock(&sys->lock);
    umm_process_t *owner = section_process(sys);
    mm_vad_t *proto = owner ? mm_vad_alloc(owner, 0, npages << sys->page_shift, UMM_PROT_WRITE) : NULL;
    int rc = sec && share && proto ? UMM_OK : UMM_E_NOMEM;
    uint64_t charge = file ? 0 : npages; /* a file is its own backing store: no commit */
    if (rc == UMM_OK && charge)
        rc = mm_commit_charge_system(sys, charge); /* grows the paging file as a commit would */
    if (rc == UMM_OK && (rc = mm_vad_attach_id(proto)) != UMM_OK)
        mm_commit_uncharge_system(sys, charge);
    if (rc == UMM_OK) {
        /* a file's page k is in the file at page k: a paged-out page whose slot is its number */
        for (size_t i = 0; i < npages; i++)
            mm_pte_write(&proto->pte[i], file ? mm_pte_make(PTE_PAGEFILE, UMM_PROT_WRITE, i)
                                              : mm_pte_make(PTE_DEMAND_ZERO, UMM_PROT_WRITE, 0));
        proto->proto_of = sec;
        *sec = (umm_section_t){.sys = sys, .proto = proto, .share = share, .npages = npages,
                               .file = file, .next = sys->sections};
        sys->sections = sec;
        sys->section_committed += charge;
    }
    mm_unlock(&sys->lock);
    if (rc != UMM_OK) {
        mm_vad_free(proto);
        free(share);
        mm_handle_free(sec);
        return rc;
    }
    mm_handle_publish(sec);
    *out = sec;
    return UMM_OK;
}

int umm_section_create(umm_system_t *sys, size_t bytes, umm_section_t **out)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (!out)
        return UMM_E_INVAL;
    if (bytes == 0 || bytes > ((size_t)1 << 46))
        return UMM_E_RANGE;
    size_t npages = (bytes + sys->page_size - 1) >> sys->page_shift;
    /* More than the limit could ever grow to: refuse before sizing any table by it. */
    if (npages > sys->commit_limit + (sys->pf.max_slots - sys->pf.nslots))
        return UMM_E_COMMIT_LIMIT;
    return mm_section_create(sys, npages, NULL, out);
}

/* A view's protection: READ, READ|WRITE or WRITECOPY, any with EXEC. */
static bool view_prot_ok(int prot)
{
    int data = prot & ~UMM_PROT_EXEC;
    return data == UMM_PROT_READ || data == (UMM_PROT_READ | UMM_PROT_WRITE) ||
           data == UMM_PROT_WRITECOPY;
}

/* The protection a view's PTEs carry: a copy-on-write view's pages are writable (cow.h says how
 * the first write copies). */
static int view_page_prot(int prot)
{
    if (!(prot & UMM_PROT_WRITECOPY))
        return prot;
    return (prot & UMM_PROT_EXEC) | UMM_PROT_READ | UMM_PROT_WRITE;
}

/* Link the new view (its pages the section's [first, first + npages)) into the section; a
 * copy-on-write view is charged for its pages now. System locked. */
static int view_attach(mm_vad_t *view, umm_section_t *sec, size_t first, size_t npages, int prot)
{
    bool cow = prot & UMM_PROT_WRITECOPY;
    if (sec->closed) /* closed meanwhile (a race with umm_section_close) */
        return UMM_E_HANDLE;
    int rc = cow ? mm_commit_charge(view->proc, npages) : UMM_OK;
    if (rc != UMM_OK)
        return rc;
    for (size_t i = 0; i < npages; i++)
        mm_vad_pte_write(view, i, mm_pte_make(PTE_PROTOTYPE, view_page_prot(prot), first + i));
    view->committed = cow ? npages : 0;
    view->copy_on_write = cow;
    view->section = sec;
    view->sec_first = first;
    view->sec_pages = npages;
    view->next_view = sec->views;
    sec->views = view;
    return UMM_OK;
}

/* The reservation of a new view of `bytes`: at addr, or anywhere. */
static int view_reserve(umm_process_t *proc, void *addr, size_t bytes, int prot, mm_vad_t **view)
{
    size_t g = UMM_RESERVE_GRANULARITY;
    bytes = (bytes + g - 1) & ~(g - 1);
    return addr ? mm_vad_create_at(proc, (uintptr_t)addr, bytes, prot, view)
                : mm_vad_create(proc, bytes, g, prot, view);
}

int umm_section_map_view(umm_process_t *proc, umm_section_t *sec, size_t offset, size_t bytes,
                         void *addr, int prot, void **out)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    HANDLE_CHECK(sec, HANDLE_SECTION);
    if (!out || proc->sys != sec->sys || !view_prot_ok(prot))
        return UMM_E_INVAL;
    if (sec->file && (prot & ~sec->file->max_prot & UMM_PROT_WRITE))
        return UMM_E_ACCESS; /* a write view of a file opened read-only (a copy writes no file) */
    umm_system_t *sys = proc->sys;
    size_t g = UMM_RESERVE_GRANULARITY, size = sec->npages << sys->page_shift;
    if ((offset & (g - 1)) || ((uintptr_t)addr & (g - 1)))
        return UMM_E_ALIGN;
    if (offset >= size || bytes > size - offset)
        return UMM_E_RANGE;
    size_t first = offset >> sys->page_shift;
    size_t npages = bytes ? (bytes + sys->page_size - 1) >> sys->page_shift : sec->npages - first;
    mm_vad_t *view;
    int rc = view_reserve(proc, addr, npages << sys->page_shift, view_page_prot(prot), &view);
    if (rc != UMM_OK)
        return rc;
    mm_lock(&sys->lock);
    rc = view_attach(view, sec, first, npages, prot);
    mm_unlock(&sys->lock);
    if (rc != UMM_OK) {
        mm_vad_destroy_unused(view);
        return rc;
    }
    void *base = (void *)view->start;
    *out = base;
    return UMM_OK;
}

int umm_section_map(umm_process_t *proc, umm_section_t *sec, int prot, void **out)
{
    return umm_section_map_view(proc, sec, 0, 0, NULL, prot, out);
}

/* Free everything the section holds. System locked, no views. */
static void destroy_locked(umm_section_t *sec)
{
    umm_system_t *sys = sec->sys;
    mm_vad_t *proto = sec->proto;
    if (sec->file) /* its data goes to the file first (with the lock dropped) */
        mm_filemap_flush_locked(sec, 0, sec->npages);
    /* The writer may be writing some of its frames with the lock dropped: let it finish (nothing
     * else reaches the section now: its handle is closed and it has no view). */
    mm_vad_wait_io(proto, 0, sec->npages);
    for (size_t i = sec->npages; i-- > 0;) {
        mm_pte_t p = proto->pte[i];
        UMM_ASSERT(mm_pte_format(p) != PTE_VALID);
        if (mm_pte_format(p) == PTE_TRANSITION)
            mm_frame_release(sys, (mm_pfn_id_t)mm_pte_num(p), false);
        else if (mm_pte_format(p) == PTE_PAGEFILE && !sec->file)
            mm_pagefile_free(&sys->pf, mm_pte_num(p));
        mm_pte_write(&proto->pte[i], 0);
    }
    uint64_t charge = sec->file ? 0 : sec->npages;
    mm_commit_uncharge_system(sys, charge);
    sys->section_committed -= charge;
    for (umm_section_t **pp = &sys->sections; *pp; pp = &(*pp)->next)
        if (*pp == sec) {
            *pp = sec->next;
            break;
        }
    mm_vad_detach_id(proto);
}

static void destroy(umm_section_t *sec)
{
    mm_vad_free(sec->proto);
    if (sec->file)
        mm_filemap_close(sec->file);
    free(sec->share);
    mm_handle_free(sec);
}

int umm_section_close(umm_section_t *sec)
{
    HANDLE_CHECK(sec, HANDLE_SECTION);
    umm_system_t *sys = sec->sys;
    mm_handle_retire(sec); /* a second close is UMM_E_HANDLE; views keep the object alive */
    mm_lock(&sys->lock);
    bool gone = false;
    sec->closed = true;
    if (!sec->views) {
        destroy_locked(sec);
        gone = true;
    }
    mm_unlock(&sys->lock);
    if (gone)
        destroy(sec);
    return UMM_OK;
}

void mm_section_release_view(mm_vad_t *view)
{
    umm_section_t *sec = view->section;
    MM_ASSERT_HELD(&sec->sys->lock);
    mm_proto_drop_view(view);
    mm_commit_uncharge(view->proc, view->committed); /* a copy-on-write view's charge */
    view->committed = 0;
    for (mm_vad_t **pp = &sec->views; *pp; pp = &(*pp)->next_view)
        if (*pp == view) {
            *pp = view->next_view;
            break;
        }
    view->section = NULL;
    if (sec->closed && !sec->views) {
        destroy_locked(sec);
        destroy(sec);
    }
}

void mm_section_destroy_all(umm_system_t *sys)
{
    mm_lock(&sys->lock);
    while (sys->sections) {
        umm_section_t *sec = sys->sections;
        UMM_ASSERT(!sec->views);
        destroy_locked(sec);
        mm_unlock(&sys->lock);
        destroy(sec);
        mm_lock(&sys->lock);
    }
    mm_unlock(&sys->lock);
    free(sys->section_proc);
    sys->section_proc = NULL;
}
