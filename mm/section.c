/* SPDX-License-Identifier: MIT */
/* section.c - sections (CreateFileMapping + MapViewOfFile): creating, mapping and closing them,
 * and their end when the last view goes (see section.h; the pages of views are in proto.c, the
 * fault that brings them in is fault.c's). */
#include "section.h"

#include "assert.h"
#include "commit.h"
#include "cow.h"
#include "filemap.h"
#include "filerd.h"
#include "frames.h"
#include "handle.h"
#include "store.h"
#include "proto.h"
#include "vad.h"

#include <stdlib.h>
#include <string.h>

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

/* A view's or a section's protection: READ or READ|WRITE, either with EXEC. */
static bool view_prot_ok(int prot)
{
    int data = prot & ~UMM_PROT_EXEC;
    return data == UMM_PROT_READ || data == (UMM_PROT_READ | UMM_PROT_WRITE);
}

/* NULL, or 1..UMM_SECTION_NAME_MAX bytes. */
static bool name_ok(const char *name)
{
    return !name || (name[0] && strnlen(name, UMM_SECTION_NAME_MAX + 1) <= UMM_SECTION_NAME_MAX);
}

/* The open section of sys with that name, or NULL. System locked. */
static umm_section_t *find_named(umm_system_t *sys, const char *name)
{
    MM_ASSERT_HELD(&sys->lock);
    for (umm_section_t *sec = sys->sections; sec; sec = sec->next)
        if (sec->name && !sec->closed && strcmp(sec->name, name) == 0)
            return sec;
    return NULL;
}

/* The commit a section charges: its committed pages; a file is its own backing store: none. */
static uint64_t section_charge(const umm_section_t *sec)
{
    return sec->file ? 0 : sec->committed;
}

/* Charge and link a new section (its fields set, its prototype VAD allocated). System locked. */
static int create_locked(umm_section_t *sec)
{
    umm_system_t *sys = sec->sys;
    if (sec->name && find_named(sys, sec->name))
        return UMM_E_EXISTS;
    uint64_t charge = section_charge(sec);
    int rc = mm_commit_charge_system(sys, charge); /* grows the paging file as a commit would */
    if (rc == UMM_OK && (rc = mm_vad_attach_id(sec->proto)) != UMM_OK)
        mm_commit_uncharge_system(sys, charge);
    if (rc != UMM_OK)
        return rc;
    /* committed: all of them, or none (RESERVE); a file's page k is in the file at page k, a
     * paged-out page whose slot is its number */
    for (size_t i = 0; i < sec->committed; i++)
        mm_pte_write(&sec->proto->pte[i], sec->file ? mm_pte_make(PTE_PAGEFILE, UMM_PROT_WRITE, i)
                                                    : mm_pte_make(PTE_DEMAND_ZERO, UMM_PROT_WRITE, 0));
    sec->proto->proto_of = sec;
    sec->next = sys->sections;
    sys->sections = sec;
    sys->section_committed += charge;
    return UMM_OK;
}

/* A section of npages, backed by `file` (it takes it over: closed with the section) or, when
 * NULL, by the paging file (charged now). Not locked. */
static int section_create(umm_system_t *sys, size_t npages, int prot, unsigned flags,
                             const char *name, mm_filemap_t *file, umm_section_t **out)
{
    umm_section_t *sec = mm_handle_alloc(HANDLE_SECTION, sizeof *sec);
    uint32_t *share = calloc(npages, sizeof *share);
    char *copy = name ? strdup(name) : NULL;
    mm_lock(&sys->lock);
    umm_process_t *owner = section_process(sys);
    mm_vad_t *proto = owner ? mm_vad_alloc(owner, 0, npages << sys->page_shift, UMM_PROT_WRITE) : NULL;
    int rc = sec && share && proto && (!name || copy) ? UMM_OK : UMM_E_NOMEM;
    if (rc == UMM_OK) {
        *sec = (umm_section_t){.sys = sys, .proto = proto, .share = share, .npages = npages,
                               .committed = flags & UMM_SEC_RESERVE ? 0 : npages, .prot = prot,
                               .flags = flags, .name = copy, .handles = 1, .file = file};
        rc = create_locked(sec);
    }
    if (rc == UMM_OK) /* live before its name can be found: umm_section_open hands it out */
        mm_handle_publish(sec);
    mm_unlock(&sys->lock);
    if (rc != UMM_OK) {
        mm_vad_free(proto);
        free(share);
        free(copy);
        mm_handle_free(sec);
        return rc;
    }
    *out = sec;
    return UMM_OK;
}

int umm_section_create(umm_system_t *sys, size_t bytes, umm_section_t **out)
{
    /* any view, as before sections had a protection of their own */
    return umm_section_create_ex(sys, bytes, UMM_PROT_READ | UMM_PROT_WRITE | UMM_PROT_EXEC, 0,
                                 NULL, out);
}

int umm_section_create_ex(umm_system_t *sys, size_t bytes, int prot, unsigned flags,
                          const char *name, umm_section_t **out)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (!out || !view_prot_ok(prot) || (flags & ~(unsigned)UMM_SEC_RESERVE) ||
        !name_ok(name))
        return UMM_E_INVAL;
    if (bytes == 0 || bytes > ((size_t)1 << 46))
        return UMM_E_RANGE;
    size_t npages = (bytes + sys->page_size - 1) >> sys->page_shift;
    /* More than the limit could ever grow to: refuse before sizing any table by it. */
    if (npages > sys->commit_limit + (sys->pf.max_slots - sys->pf.nslots))
        return UMM_E_COMMIT_LIMIT;
    return section_create(sys, npages, prot, flags, name, NULL, out);
}

int umm_section_open(umm_system_t *sys, const char *name, umm_section_t **out)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (!out || !name || !name_ok(name))
        return UMM_E_INVAL;
    mm_lock(&sys->lock);
    umm_section_t *sec = find_named(sys, name);
    if (sec)
        sec->handles++;
    mm_unlock(&sys->lock);
    if (!sec)
        return UMM_E_NOT_FOUND;
    *out = sec;
    return UMM_OK;
}

int umm_section_query(umm_section_t *sec, umm_section_info_t *out)
{
    HANDLE_CHECK(sec, HANDLE_SECTION);
    if (!out)
        return UMM_E_INVAL;
    umm_system_t *sys = sec->sys;
    mm_lock(&sys->lock);
    *out = (umm_section_info_t){.bytes = sec->npages << sys->page_shift, .prot = sec->prot,
                                .flags = sec->flags,
                                .committed_bytes = sec->committed << sys->page_shift};
    mm_unlock(&sys->lock);
    return UMM_OK;
}

int umm_section_create_file(umm_system_t *sys, int fd, uint64_t bytes, int prot, umm_section_t **out)
{
    return umm_section_create_file_ex(sys, fd, bytes, prot, NULL, out);
}

int umm_section_create_file_ex(umm_system_t *sys, int fd, uint64_t bytes, int prot,
                               const char *name, umm_section_t **out)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (!out || (prot != UMM_PROT_READ && prot != (UMM_PROT_READ | UMM_PROT_WRITE)) ||
        !name_ok(name))
        return UMM_E_INVAL;
    mm_filemap_t *fm;
    int rc = mm_filemap_open(sys, fd, &bytes, prot, &fm);
    if (rc != UMM_OK)
        return rc;
    size_t npages = (size_t)((bytes + sys->page_size - 1) >> sys->page_shift);
    if (fm->direct.fd >= 0 && !sys->phys) /* a guest's frames are its host's pages: not there */
        (void)mm_filerd_start(sys); /* without its threads the faults read it all, as before */
    if ((rc = section_create(sys, npages, prot, 0, name, fm, out)) != UMM_OK) {
        mm_filemap_close(fm);
        return rc;
    }
    mm_lock(&sys->lock);
    if (fm->refused)
        sys->ctr.file_direct_refused++;
    mm_unlock(&sys->lock);
    return rc;
}

/* Does the section allow a view with `prot` (no WRITE or EXEC it lacks)? */
static bool within_section(const umm_section_t *sec, int prot)
{
    return !(prot & ~sec->prot & (UMM_PROT_WRITE | UMM_PROT_EXEC));
}

/* A view's protection: a section's (view_prot_ok), or WRITECOPY, either with EXEC. */
static bool map_prot_ok(int prot)
{
    return view_prot_ok(prot) || (prot & ~UMM_PROT_EXEC) == UMM_PROT_WRITECOPY;
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
 * reserved section page is reserved here too; a copy-on-write view is charged for its pages now
 * (a reserved section has none: umm_section_map_view refuses it). System locked. */
static int view_attach(mm_vad_t *view, umm_section_t *sec, size_t first, size_t npages, int prot)
{
    bool cow = prot & UMM_PROT_WRITECOPY;
    if (sec->closed) /* closed meanwhile (a race with umm_section_close) */
        return UMM_E_HANDLE;
    int rc = cow ? mm_commit_charge(view->proc, npages) : UMM_OK;
    if (rc != UMM_OK)
        return rc;
    for (size_t i = 0; i < npages; i++)
        if (mm_pte_committed(sec->proto->pte[first + i]))
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
    if (!out || proc->sys != sec->sys || !map_prot_ok(prot))
        return UMM_E_INVAL;
    if (!within_section(sec, prot)) /* a file section's is what its file was opened for */
        return UMM_E_ACCESS;
    if ((prot & UMM_PROT_WRITECOPY) && (sec->flags & UMM_SEC_RESERVE))
        return UMM_E_INVAL; /* a copy of pages a view may commit later: not supported */
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

int mm_section_commit_view(mm_vad_t *view, size_t first, size_t n, int prot)
{
    umm_section_t *sec = view->section;
    umm_system_t *sys = sec->sys;
    MM_ASSERT_HELD(&sys->lock);
    UMM_ASSERT(first + n <= view->sec_pages);
    uint64_t fresh = 0;
    for (size_t i = first; i < first + n; i++)
        fresh += !mm_pte_committed(view->pte[i]);
    int rc = mm_commit_charge_system(sys, fresh);
    if (rc != UMM_OK || fresh == 0)
        return rc;
    for (size_t i = first; i < first + n; i++) {
        size_t k = view->sec_first + i; /* the section's page */
        if (mm_pte_committed(sec->proto->pte[k]))
            continue;
        mm_pte_write(&sec->proto->pte[k], mm_pte_make(PTE_DEMAND_ZERO, UMM_PROT_WRITE, 0));
        for (mm_vad_t *v = sec->views; v; v = v->next_view)
            if (mm_view_maps(v, k))
                mm_vad_pte_write(v, k - v->sec_first,
                                 mm_pte_make(PTE_PROTOTYPE, v == view ? prot : v->prot, k));
    }
    sec->committed += fresh;
    sys->section_committed += fresh;
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
            mm_stores_free(&sys->stores, mm_pte_num(p));
        mm_pte_write(&proto->pte[i], 0);
    }
    mm_commit_uncharge_system(sys, section_charge(sec));
    sys->section_committed -= section_charge(sec);
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
    free(sec->name);
    mm_handle_free(sec);
}

int umm_section_close(umm_section_t *sec)
{
    HANDLE_CHECK(sec, HANDLE_SECTION);
    umm_system_t *sys = sec->sys;
    mm_lock(&sys->lock);
    if (!mm_handle_is_live(sec, HANDLE_SECTION)) { /* a racing close took the last handle */
        mm_unlock(&sys->lock);
        return UMM_E_HANDLE;
    }
    UMM_ASSERT(sec->handles > 0 && !sec->closed);
    bool gone = false;
    if (--sec->handles == 0) {
        mm_handle_retire(sec); /* a further close is UMM_E_HANDLE; views keep the object alive */
        sec->closed = true;    /* and its name is free again */
        if (!sec->views) {
            destroy_locked(sec);
            gone = true;
        }
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
    mm_cow_drop_view(view);
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
