/* SPDX-License-Identifier: MIT */
/* filerd.c - read-ahead threads of file-backed sections (see filerd.h). */
#include "filerd.h"

#include "assert.h"
#include "fault.h"
#include "filemap.h"
#include "os.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <uv.h>

/* The queue first: sys->file_queue points at it. Invariant: thread[0..nthreads) run until
 * mm_filerd_stop, nthreads > 0. */
typedef struct filerd {
    mm_filemap_queue_t queue;
    umm_system_t *sys;
    size_t nthreads;
    uv_thread_t thread[FILERD_THREADS];
} filerd_t;

/* Read one piece, unless its section has no view left to read for or the stream has passed it
 * (a thread starved while the program read on: its pages would be read a second time). A piece
 * that finds too few frames goes back to its stream, which queues it again once the stream has
 * made room (mm_filemap_stream). System locked. */
static void read_piece(umm_system_t *sys, mm_filemap_queue_t *q, const mm_filemap_piece_t *p)
{
    umm_section_t *sec = p->proto->proto_of;
    size_t passed = sec->file->stream.last + 1; /* pages before it: read and maybe gone again */
    size_t lo = p->lo > passed ? p->lo : passed;
    mm_filemap_piece_begin(q);
    int rc = sec->views == NULL || lo >= p->hi ? UMM_E_INVAL
                                               : mm_fault_read_file_ahead(p->proto, lo, p->hi, p->prio);
    if (rc == UMM_E_NO_FRAMES)
        mm_filemap_unqueue(sec, lo);
    if (rc != UMM_OK)
        sys->ctr.file_reads_direct_skipped++;
    mm_filemap_piece_end(q);
    p->proto->io_pending--;
}

static void thread_main(void *arg)
{
    filerd_t *rd = arg;
    umm_system_t *sys = rd->sys;
    mm_filemap_queue_t *q = &rd->queue;
    mm_lock(&sys->lock);
    while (!q->stopping) {
        mm_filemap_piece_t p;
        if (mm_filemap_queue_pop(q, &p)) {
            read_piece(sys, q, &p);
            continue;
        }
        int seen = atomic_load(&q->wake); /* read locked: a queueing after it changes it */
        mm_unlock(&sys->lock);
        mm_os_wait(&q->wake, seen);
        mm_lock(&sys->lock);
    }
    mm_unlock(&sys->lock);
}

int mm_filerd_start(umm_system_t *sys)
{
    int rc = UMM_OK;
    mm_lock(&sys->lock); /* two sections created at once start one set of threads */
    if (!sys->file_queue) {
        filerd_t *rd = calloc(1, sizeof *rd);
        if (rd) {
            rd->sys = sys;
            atomic_init(&rd->queue.wake, 0);
            for (; rd->nthreads < FILERD_THREADS; rd->nthreads++) /* they wait for the lock */
                if (uv_thread_create(&rd->thread[rd->nthreads], thread_main, rd) != 0)
                    break;
        }
        if (rd && rd->nthreads > 0)
            sys->file_queue = &rd->queue;
        else {
            rc = rd ? UMM_E_OS : UMM_E_NOMEM;
            free(rd);
        }
    }
    mm_unlock(&sys->lock);
    return rc;
}

void mm_filerd_stop(umm_system_t *sys)
{
    filerd_t *rd = (filerd_t *)sys->file_queue; /* the queue is its first member */
    if (!rd)
        return;
    mm_lock(&sys->lock);
    mm_filemap_piece_t p;
    while (mm_filemap_queue_pop(&rd->queue, &p)) /* never started: nothing to undo but the count */
        p.proto->io_pending--;
    rd->queue.stopping = true;
    atomic_fetch_add(&rd->queue.wake, 1);
    sys->file_queue = NULL; /* nothing is queued from here on */
    mm_unlock(&sys->lock);
    /* a thread not asleep yet read the word before the change and does not sleep */
    mm_os_wake_all(&rd->queue.wake);
    for (size_t t = 0; t < rd->nthreads; t++)
        uv_thread_join(&rd->thread[t]);
    free(rd);
}
