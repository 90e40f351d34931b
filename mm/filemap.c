/* SPDX-License-Identifier: MIT */
/* filemap.c - file-backed sections (see filemap.h): creating one over a user's file, writing
 * its modified pages back to the file (for the writer, FlushViewOfFile and the section's end). */
#include "filemap.h"

#include "assert.h"
#include "frames.h"
#include "handle.h"
#include "os.h"
#include "registry.h"
#include "ws.h"

#include <stdlib.h>

bool mm_filemap_writable(umm_system_t *sys, const mm_vad_t *proto, size_t k)
{
    mm_pte_t p = proto->pte[k];
    if (mm_pte_format(p) != PTE_TRANSITION)
        return false;
    const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p));
    return e->list == LIST_MODIFIED && !(e->flags & PFN_F_IO);
}

/* Pin the run for its write; the slot each frame records (k + 1) says "the file holds it". */
static int pin_run(umm_system_t *sys, mm_vad_t *proto, size_t lo, size_t hi, struct iovec *iov)
{
    for (size_t k = lo; k < hi; k++) {
        mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(proto->pte[k]);
        mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
        UMM_ASSERT(e->list == LIST_MODIFIED && !(e->flags & PFN_F_IO) && e->slot == 0);
        e->flags |= PFN_F_IO;
        e->slot = (uint32_t)k + 1;
        iov[k - lo] = (struct iovec){mm_frame_ptr(sys, f, MM_FRAME_READ), sys->page_size};
        if (!iov[k - lo].iov_base) /* a guest frame its host could not produce: not now */
            return UMM_E_NO_FRAMES;
    }
    return UMM_OK;
}

long mm_filemap_write_run(umm_system_t *sys, mm_vad_t *proto, size_t lo, size_t hi)
{
    MM_ASSERT_HELD(&sys->lock);
    mm_filemap_t *fm = mm_vad_file(proto);
    UMM_ASSERT(fm && hi > lo && hi - lo <= FILEMAP_RUN_PAGES);
    struct iovec iov[FILEMAP_RUN_PAGES];
    int err = pin_run(sys, proto, lo, hi, iov);
    if (err == UMM_OK) {
        mm_unlock(&sys->lock);
        err = mm_pagefile_write(&fm->store, lo, iov, (int)(hi - lo));
        mm_lock(&sys->lock);
    }
    sys->ctr.page_writes++;
    for (size_t k = lo; k < hi; k++) { /* pinned: still TRANSITION on Modified, as they were */
        mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(proto->pte[k]);
        mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
        e->flags &= (uint16_t)~PFN_F_IO;
        if (err != UMM_OK)
            e->slot = 0; /* still newer than the file; to Modified's tail, others go first */
        mm_pfn_move(&sys->pfn, f, err ? LIST_MODIFIED : (enum mm_list_id)(LIST_STANDBY0 + e->prio));
    }
    if (err != UMM_OK) {
        sys->ctr.writer_errors++;
        return -1;
    }
    sys->ctr.pages_output += hi - lo;
    return (long)(hi - lo);
}

/* Take the section's pages [first, first + n) out of every view, so their dirty frames go to
 * Modified (locked and pinned pages stay, and stay dirty). */
static void unmap_from_views(umm_section_t *sec, size_t first, size_t n)
{
    for (mm_vad_t *v = sec->views; v; v = v->next_view) {
        size_t a = first > v->sec_first ? first : v->sec_first;
        size_t b = first + n < v->sec_first + v->sec_pages ? first + n : v->sec_first + v->sec_pages;
        if (a < b)
            mm_ws_trim_range(v, a - v->sec_first, b - v->sec_first, WS_TRIM_ALL);
    }
}

int mm_filemap_flush_locked(umm_section_t *sec, size_t first, size_t n)
{
    umm_system_t *sys = sec->sys;
    MM_ASSERT_HELD(&sys->lock);
    unmap_from_views(sec, first, n);
    int rc = UMM_OK;
    for (size_t k = first; k < first + n;) {
        mm_pte_t p = sec->proto->pte[k];
        if (mm_pte_format(p) == PTE_TRANSITION &&
            (mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p))->flags & PFN_F_IO)) {
            mm_unlock(&sys->lock); /* the writer has it, or a read: wait, then look again */
            mm_os_yield();
            mm_lock(&sys->lock);
            continue;
        }
        if (!mm_filemap_writable(sys, sec->proto, k)) {
            k++;
            continue;
        }
        size_t j = k + 1;
        while (j < first + n && j - k < FILEMAP_RUN_PAGES && mm_filemap_writable(sys, sec->proto, j))
            j++;
        if (mm_filemap_write_run(sys, sec->proto, k, j) < 0)
            rc = UMM_E_IO;
        k = j;
    }
    return rc;
}

static void queue_check(const mm_filemap_queue_t *q)
{
    (void)q;
    UMM_ASSERT(q->count <= FILEMAP_AHEAD_QUEUE && q->head < FILEMAP_AHEAD_QUEUE);
    UMM_ASSERT(!q->stopping || q->count == 0);
}

bool mm_filemap_queue_pop(mm_filemap_queue_t *q, mm_filemap_piece_t *out)
{
    queue_check(q);
    if (q->count == 0)
        return false;
    *out = q->q[q->head];
    q->head = (q->head + 1) % FILEMAP_AHEAD_QUEUE;
    q->count--;
    return true;
}

/* Queue [lo, hi) of the section in pieces; returns the first page not queued (hi when all were). */
static size_t enqueue(mm_filemap_queue_t *q, umm_section_t *sec, size_t lo, size_t hi, unsigned prio)
{
    for (; lo < hi && q->count < FILEMAP_AHEAD_QUEUE && !q->stopping; lo += FILEMAP_AHEAD_PIECE) {
        size_t end = hi - lo > FILEMAP_AHEAD_PIECE ? lo + FILEMAP_AHEAD_PIECE : hi;
        q->q[(q->head + q->count++) % FILEMAP_AHEAD_QUEUE] = (mm_filemap_piece_t){sec->proto, lo, end, prio};
        sec->proto->io_pending++;
    }
    queue_check(q);
    atomic_fetch_add(&q->wake, 1);
    mm_os_wake_one(&q->wake);
    return lo < hi ? lo : hi;
}

/* Does a read fault on page k continue the stream: at most two windows of w past the last one,
 * or past the FILEMAP_AROUND_MAX pages the last one mapped while the stream went on? */
static bool continues(const mm_filemap_stream_t *st, size_t k, size_t w)
{
    return k >= st->last && k - st->last <= 2 * w + (st->chunk ? FILEMAP_AROUND_MAX : 0);
}

size_t mm_filemap_around_pages(const umm_section_t *sec, size_t k, size_t w)
{
    MM_ASSERT_HELD(&sec->sys->lock);
    const mm_filemap_stream_t *st = &sec->file->stream;
    return st->chunk != 0 && continues(st, k, w) && w < FILEMAP_AROUND_MAX ? FILEMAP_AROUND_MAX : w;
}

void mm_filemap_unqueue(umm_section_t *sec, size_t lo)
{
    MM_ASSERT_HELD(&sec->sys->lock);
    mm_filemap_stream_t *st = &sec->file->stream;
    if (st->chunk != 0 && lo < st->next)
        st->next = lo;
}

/* Short of free frames for the next piece, a stream's fault on view page i trims the view's
 * pages it has passed (more than FILEMAP_AROUND_MAX behind, FILEMAP_PASSED_SPAN at most) and
 * puts those that reach Standby at its front, first page first: the next frames taken, by a
 * fault or by the read-ahead, are theirs and not those of the pages read ahead (filemap.h). */
static void pass_behind(mm_vad_t *view, size_t i)
{
    umm_system_t *sys = view->proc->sys;
    if (mm_frames_free_or_zeroed(sys) >= FILEMAP_AHEAD_PIECE + FILEMAP_AHEAD_RESERVE ||
        i <= FILEMAP_AROUND_MAX)
        return;
    size_t hi = i - FILEMAP_AROUND_MAX;
    mm_ws_drop_range(view, hi > FILEMAP_PASSED_SPAN ? hi - FILEMAP_PASSED_SPAN : 0, hi);
}

void mm_filemap_stream(mm_vad_t *view, size_t i)
{
    umm_section_t *sec = view->section;
    umm_system_t *sys = sec->sys;
    size_t k = view->sec_first + i;
    MM_ASSERT_HELD(&sys->lock);
    mm_filemap_t *fm = sec->file;
    mm_filemap_stream_t *st = &fm->stream;
    if (!sys->file_queue || fm->direct.fd < 0)
        return;
    size_t w = sys->cluster_pages;
    bool sequential = continues(st, k, w);
    st->last = k;
    if (!sequential) {
        st->chunk = 0;
        return;
    }
    size_t after = (k / w + 1) * w; /* the window after this fault's */
    if (st->chunk == 0) { /* a new stream: nothing queued yet */
        st->chunk = FILEMAP_AHEAD_FIRST;
        st->next = after;
    }
    if (st->next < after)
        st->next = after;
    pass_behind(view, i);
    /* O_DIRECT reads whole pages inside the file: a partial last page is the fault's to read */
    size_t whole = (size_t)(fm->direct.limit >> sys->page_shift);
    size_t end = whole < sec->npages ? whole : sec->npages;
    if (st->next >= end || st->next - after >= st->chunk)
        return; /* the file's end, or a chunk's worth already queued past this window */
    size_t hi = st->next + st->chunk < end ? st->next + st->chunk : end;
    size_t queued = enqueue(sys->file_queue, sec, st->next, hi, view->proc->priority);
    if (queued < hi)
        sys->ctr.file_reads_direct_skipped++; /* the queue is full: later faults queue it again */
    st->next = queued;
    if (st->chunk < FILEMAP_AHEAD_MAX)
        st->chunk *= 2;
}

bool mm_filemap_wait_ahead(mm_vad_t *view, size_t k)
{
    umm_system_t *sys = view->proc->sys;
    MM_ASSERT_HELD(&sys->lock);
    mm_filemap_queue_t *q = sys->file_queue;
    mm_pte_t p = view->section->proto->pte[k];
    if (!q || q->inflight == 0 || mm_pte_format(p) != PTE_TRANSITION ||
        !(mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p))->flags & PFN_F_IO))
        return false;
    int seen = atomic_load(&q->done); /* read locked: a piece ending after it changes it */
    view->io_pending++;
    mm_unlock(&sys->lock);
    mm_os_wait(&q->done, seen); /* the system outlives a fault in it: q does too */
    mm_lock(&sys->lock);
    view->io_pending--;
    return true;
}

void mm_filemap_piece_begin(mm_filemap_queue_t *q)
{
    q->inflight++;
}

void mm_filemap_piece_end(mm_filemap_queue_t *q)
{
    UMM_ASSERT(q->inflight > 0);
    q->inflight--;
    atomic_fetch_add(&q->done, 1);
    mm_os_wake_all(&q->done);
}

void mm_filemap_close(mm_filemap_t *fm)
{
    mm_os_file_close(fm->direct.fd, NULL);
    mm_os_file_close(fm->store.fd, NULL);
    free(fm);
}

/* The store over umm's descriptor fd: page-sized "slots" that are the file's pages. */
static mm_filemap_t *filemap_new(umm_system_t *sys, int fd, uint64_t bytes)
{
    mm_filemap_t *fm = calloc(1, sizeof *fm);
    if (!fm)
        return NULL;
    fm->store.fd = fd;
    fm->store.page = sys->page_size;
    fm->store.shift = sys->page_shift;
    fm->store.fail_write = UMM_FP_FILE_WRITE;
    fm->store.fail_read = UMM_FP_FILE_READ;
    fm->store.limit = bytes;
    fm->direct = fm->store; /* the same pages and failure points, through its own descriptor */
    fm->direct.direct = true;
    fm->direct.fd = -1;
    if (!(sys->cfg.flags & UMM_CFG_FILE_BUFFERED) && mm_os_file_reopen_direct(fd, &fm->direct.fd) != UMM_OK)
        fm->refused = true; /* counted by the section (file_direct_refused) */
    return fm;
}

int mm_filemap_open(umm_system_t *sys, int fd, uint64_t *bytes, int prot, mm_filemap_t **out)
{
    int own;
    uint64_t size;
    bool writable;
    int rc = mm_os_file_adopt(fd, &own, &size, &writable);
    if (rc != UMM_OK)
        return rc;
    uint64_t want = *bytes ? *bytes : size;
    if ((prot & UMM_PROT_WRITE) && !writable)
        rc = UMM_E_ACCESS; /* PAGE_READWRITE over a file opened for reading */
    else if (want == 0 || want > ((uint64_t)1 << 46) || (want >> sys->page_shift) >= UINT32_MAX - 1)
        rc = UMM_E_RANGE; /* an empty file maps nothing (Windows: ERROR_FILE_INVALID); a frame
                             records page k as slot k + 1 in 32 bits */
    /* Every byte of the section is in the file: a larger section grows it (as Windows does),
     * which a read-only one cannot; the rest of the last page reads as zeros, is never written. */
    if (rc == UMM_OK && size < want)
        rc = prot & UMM_PROT_WRITE ? mm_os_file_resize(own, want) : UMM_E_RANGE;
    mm_filemap_t *fm = rc == UMM_OK ? filemap_new(sys, own, want) : NULL;
    if (rc == UMM_OK && !fm)
        rc = UMM_E_NOMEM;
    if (rc != UMM_OK) {
        mm_os_file_close(own, NULL);
        return rc;
    }
    *bytes = want;
    *out = fm;
    return UMM_OK;
}

int umm_view_flush(umm_process_t *proc, void *addr, size_t bytes)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if (!addr)
        return UMM_E_INVAL;
    mm_vad_t *view = mm_registry_lookup_lock((uintptr_t)addr);
    if (!view)
        return UMM_E_NOT_RESERVED;
    umm_system_t *sys = view->proc->sys;
    size_t i = ((uintptr_t)addr - view->start) >> sys->page_shift;
    size_t end = bytes ? (((uintptr_t)addr + bytes - 1 - view->start) >> sys->page_shift) + 1
                       : view->sec_pages;
    int rc = UMM_OK;
    if (view->proc != proc || view->releasing)
        rc = UMM_E_NOT_RESERVED;
    else if (!view->section)
        rc = UMM_E_INVAL; /* private memory has no file to flush to */
    else if (i >= view->sec_pages || end > view->sec_pages || (uintptr_t)addr + bytes < (uintptr_t)addr)
        rc = UMM_E_RANGE;
    else if (view->section->file) {
        view->io_pending++; /* releasing the view waits: the section stays too */
        rc = mm_filemap_flush_locked(view->section, view->sec_first + i, end - i);
        view->io_pending--;
    } /* a paging-file-backed section has nothing to flush (as Windows) */
    mm_unlock(&sys->lock);
    return rc;
}
