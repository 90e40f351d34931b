/* SPDX-License-Identifier: MIT */
/* asyncread.c - the asynchronous read-ahead's I/O thread (see asyncread.h). */
#include "asyncread.h"

#include "assert.h"
#include "cluster.h"
#include "counters.h"
#include "fault.h"
#include "frames.h"
#include "lock.h"
#include "os.h"
#include "readahead.h"
#include "store.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <uv.h>

/* One queued read. Invariant: pages [lo, hi) of vad are TRANSITION to frames[0..hi-lo), pinned
 * (PFN_F_IO), with consecutive slots from `slot`; iov[0..niov) covers those frames in order;
 * vad->io_pending counts the read until it completes. */
typedef struct request {
    mm_vad_t *vad;
    size_t lo, hi;
    uint64_t slot;
    int niov;
    mm_pfn_id_t frames[FAULT_MAX_CLUSTER];
    struct iovec iov[FAULT_MAX_CLUSTER];
} request_t;

/* Invariant: req[(head + k) % ASYNCREAD_QUEUE] for k < count are queued and not yet taken by the
 * thread (head, count, exiting: system lock); `wake` changes whenever a request is queued or
 * exiting set, so the thread never sleeps through either. Once exiting is set, nothing more is
 * queued (sys->asyncread is NULL) and the thread finishes what is queued, then returns. */
struct mm_asyncread {
    umm_system_t *sys;
    uv_thread_t thread;
    _Atomic int wake;
    _Atomic int done; /* changes whenever a read completes: faults waiting for one sleep on it */
    bool exiting;
    unsigned head, count;
    request_t req[ASYNCREAD_QUEUE];
};

/* How many pages from `first` one read may take: PAGEFILE pages of first's protection whose slots
 * continue first's, within cluster_pages and the VAD. */
static size_t run_from(const mm_vad_t *vad, size_t first)
{
    size_t max = vad->proc->sys->cluster_pages, n = 0;
    if (first >= vad->npages || mm_pte_format(vad->pte[first]) != PTE_PAGEFILE)
        return 0;
    while (n < max && first + n < vad->npages && mm_cluster_same_pagefile(vad, first, first + n))
        n++;
    return n;
}

/* May vad's pages be read ahead here? Private pages of a paging file, in a process without a
 * hard working-set maximum (whose pages come one at a time, within it). */
static bool vad_reads_ahead(mm_vad_t *vad)
{
    return !vad->releasing && !vad->section && !vad->proto_of && !mm_vad_file(vad) &&
           !(vad->proc->ws_flags & UMM_WS_HARD_MAX);
}

size_t mm_asyncread_queue(mm_vad_t *vad, size_t first)
{
    umm_system_t *sys = vad->proc->sys;
    MM_ASSERT_HELD(&sys->lock);
    mm_asyncread_t *q = sys->asyncread;
    if (!q || q->count == ASYNCREAD_QUEUE || !vad_reads_ahead(vad))
        return first;
    size_t n = run_from(vad, first);
    /* speculation takes only frames to spare: never below the low-memory threshold */
    if (n == 0 || mm_frames_available(sys) < n + sys->low_pages)
        return first;
    request_t *r = &q->req[(q->head + q->count) % ASYNCREAD_QUEUE];
    if (mm_frames_alloc(sys, n, mm_cluster_hint(vad, first, first + n), r->frames, vad->proc,
                        false) != UMM_OK)
        return first;
    r->slot = mm_pte_num(vad->pte[first]);
    if (mm_fault_read_pin(vad, first, first + n, r->frames, SIZE_MAX, vad->proc->priority) != UMM_OK) {
        for (size_t k = n; k-- > 0;)
            mm_frame_release(sys, r->frames[k], false);
        return first;
    }
    for (size_t k = 0; k < n; k++) /* a fault that reaches them sleeps until the read is done */
        mm_pfn_entry(&sys->pfn, r->frames[k])->flags |= PFN_F_ASYNC;
    r->niov = mm_fault_read_iovecs(sys, r->frames, n, r->iov);
    if (r->niov <= 0) { /* a guest frame its host could not produce: the pages stay paged out */
        for (size_t k = 0; k < n; k++)
            mm_pfn_entry(&sys->pfn, r->frames[k])->flags &= (uint16_t)~PFN_F_ASYNC;
        mm_fault_read_abort(vad, first, first + n);
        return first;
    }
    r->vad = vad;
    r->lo = first;
    r->hi = first + n;
    vad->io_pending++;
    q->count++;
    atomic_fetch_add(&q->wake, 1);
    mm_os_wake_one(&q->wake); /* a futex wake: async-signal-safe */
    return first + n;
}

/* The read of r ended with err: its pages become read-ahead pages on Standby, or go back to
 * their slots. System locked. */
static void complete(mm_asyncread_t *q, const request_t *r, int err)
{
    umm_system_t *sys = q->sys;
    MM_ASSERT_HELD(&sys->lock);
    mm_vad_t *vad = r->vad;
    size_t n = r->hi - r->lo;
    sys->ctr.page_reads++;
    if (err != UMM_OK) {
        for (size_t k = 0; k < n; k++)
            mm_pfn_entry(&sys->pfn, r->frames[k])->flags &= (uint16_t)~PFN_F_ASYNC;
        mm_fault_read_abort(vad, r->lo, r->hi);
        MM_COUNT(vad->proc, async_read_errors, 1);
    } else {
        sys->ctr.pages_input += n;
        mm_readahead_async_done(vad, r->frames, n);
        mm_fault_read_unpin(sys, r->frames, n);
    }
    UMM_ASSERT(vad->io_pending > 0);
    vad->io_pending--;
    atomic_fetch_add(&q->done, 1);
}

static void thread_main(void *arg)
{
    mm_asyncread_t *q = arg;
    umm_system_t *sys = q->sys;
    request_t r;
    mm_lock(&sys->lock);
    for (;;) {
        if (q->count == 0) {
            if (q->exiting)
                break;
            int seen = atomic_load(&q->wake);
            mm_unlock(&sys->lock);
            mm_os_wait(&q->wake, seen); /* returns at once if a request came since */
            mm_lock(&sys->lock);
            continue;
        }
        r = q->req[q->head]; /* the entry is free for the next request while this one reads */
        q->head = (q->head + 1) % ASYNCREAD_QUEUE;
        q->count--;
        mm_unlock(&sys->lock);
        int err = mm_stores_read(&sys->stores, r.slot, r.iov, r.niov);
        mm_lock(&sys->lock);
        complete(q, &r, err);
        mm_os_wake_all(&q->done);
    }
    mm_unlock(&sys->lock);
}

void mm_asyncread_wait(mm_vad_t *fault_vad, mm_pfn_id_t f)
{
    umm_system_t *sys = fault_vad->proc->sys;
    MM_ASSERT_HELD(&sys->lock);
    mm_asyncread_t *q = sys->asyncread; /* NULL while stopping: the caller just retries */
    const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
    if (!q || (e->flags & (PFN_F_IO | PFN_F_ASYNC)) != (PFN_F_IO | PFN_F_ASYNC))
        return;
    int seen = atomic_load(&q->done);
    fault_vad->io_pending++;
    mm_unlock(&sys->lock);
    mm_os_wait(&q->done, seen); /* stopping wakes it too: the thread completes every read */
    mm_lock(&sys->lock);
    fault_vad->io_pending--;
}

int mm_asyncread_start(umm_system_t *sys, mm_asyncread_t **out)
{
    *out = NULL;
    if (!ASYNCREAD)
        return UMM_OK;
    mm_asyncread_t *q = calloc(1, sizeof *q);
    if (!q)
        return UMM_E_NOMEM;
    q->sys = sys;
    atomic_init(&q->wake, 0);
    if (uv_thread_create(&q->thread, thread_main, q) != 0) {
        free(q);
        return UMM_E_OS;
    }
    *out = q;
    return UMM_OK;
}

void mm_asyncread_stop(umm_system_t *sys)
{
    mm_lock(&sys->lock);
    mm_asyncread_t *q = sys->asyncread;
    sys->asyncread = NULL; /* nothing more is queued */
    if (q)
        q->exiting = true;
    mm_unlock(&sys->lock);
    if (!q)
        return;
    atomic_fetch_add(&q->wake, 1);
    mm_os_wake_one(&q->wake);
    uv_thread_join(&q->thread);
    UMM_ASSERT(q->count == 0);
    free(q);
}
