/* SPDX-License-Identifier: MIT */
/* writer.c - the modified page writer (see writer.h). */
#include "writer.h"

#include "assert.h"
#include "filemap.h"
#include "frames.h"
#include "handle.h"
#include "os.h"
#include "store.h"

#include <errno.h>
#include <sys/uio.h>

/* A write takes pages of one kind: pages that need slots (fresh), or pages that go back into the
 * slots they kept (in place, PFN_F_STALE_SLOT). */
static bool in_place(const mm_pfn_t *e)
{
    return (e->flags & PFN_F_STALE_SLOT) != 0;
}

/* Can the writer take this Modified frame now: no I/O holds it, and it has somewhere to go (a
 * file section's frame always does, others need a backing store)? */
static bool takeable(umm_system_t *sys, mm_pfn_id_t f)
{
    return !(mm_pfn_entry(&sys->pfn, f)->flags & PFN_F_IO) &&
           (mm_sys_has_pagefile(sys) || mm_frame_in_file(sys, f));
}

/* The oldest Modified frame the writer can take, of the kind asked (any: kind < 0), or PFN_NIL. */
static mm_pfn_id_t oldest_writable(umm_system_t *sys, int kind)
{
    mm_pfn_id_t f = mm_pfn_list_head(&sys->pfn, LIST_MODIFIED);
    for (; f != PFN_NIL; f = mm_pfn_entry(&sys->pfn, f)->next)
        if (takeable(sys, f) && (kind < 0 || in_place(mm_pfn_entry(&sys->pfn, f)) == (kind != 0)))
            break;
    return f;
}

static bool writable_page(umm_system_t *sys, const mm_vad_t *vad, size_t k, bool kind)
{
    mm_pte_t p = vad->pte[k];
    if (mm_pte_format(p) != PTE_TRANSITION)
        return false;
    const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p));
    return e->list == LIST_MODIFIED && !(e->flags & PFN_F_IO) && in_place(e) == kind;
}

/* Pages [*lo, *hi) around `index`: up to `room` modified neighbours of the same kind in the same
 * reservation. */
static void gather(umm_system_t *sys, const mm_vad_t *vad, size_t index, size_t room, bool kind,
                   size_t *lo, size_t *hi)
{
    size_t a = index, b = index + 1;
    while (b - a < room && b < vad->npages && writable_page(sys, vad, b, kind))
        b++;
    while (b - a < room && a > 0 && writable_page(sys, vad, a - 1, kind))
        a--;
    *lo = a;
    *hi = b;
}

/* Is the frame's content on its backend's own disk (a guest frame its host swapped out)? Then
 * the backend copies it to our slot disk to disk: reading it back through a frame only to
 * write it out again is double paging. */
static bool handed_over(umm_system_t *sys, mm_pfn_id_t f)
{
    return sys->phys && sys->phys->on_disk && sys->phys->write_swapped && sys->phys->on_disk(sys, f);
}

/* Write pages into consecutive slots from `slot`, unlocked: runs of frames in memory with one
 * vectored write each, frames handed over (iov_base NULL) by the backend. 0 or an error. */
static int write_cluster(umm_system_t *sys, uint64_t slot, const mm_pfn_id_t *frames,
                         const struct iovec *iov, size_t n)
{
    uint64_t local;
    mm_store_t *st = mm_stores_find(&sys->stores, slot, &local);
    for (size_t k = 0; k < n;) {
        size_t j = k + 1;
        int rc;
        if (!iov[k].iov_base) {
            rc = sys->phys->write_swapped(sys, frames[k], st, local + k);
        } else {
            while (j < n && iov[j].iov_base)
                j++;
            rc = mm_store_write(st, local + k, &iov[k], (int)(j - k));
        }
        if (rc != UMM_OK)
            return EIO;
        k = j;
    }
    return 0;
}

/* The pages of one write, in slot order: runs of virtual neighbours, each gathered around the
 * oldest Modified frame of the batch's kind not taken yet. Invariant: every frame in it is pinned
 * (PFN_F_IO); runs[r] is the index in frames[] where run r starts, nruns >= 1 once n >= 1; an
 * in-place batch holds only frames with kept slots, sorted by slot once gathered, slots[k] the
 * slot frames[k] is written to. */
typedef struct write_batch {
    mm_pfn_id_t frames[WRITER_CLUSTER_PAGES];
    size_t runs[WRITER_CLUSTER_PAGES];
    uint64_t slots[WRITER_CLUSTER_PAGES];
    size_t n, nruns;
    mm_pfn_id_t oldest; /* the head the first run was gathered around */
    bool in_place;
} write_batch_t;

/* Fill the batch: a run of virtual neighbours around the oldest Modified frame, then more runs
 * around the next oldest while there is room. One write of a full batch instead of one per run
 * (a random program dirties pages with no modified neighbour), and each run still lands in
 * consecutive slots, so a read clusters it back. */
static void batch_gather(umm_system_t *sys, write_batch_t *b, int kind)
{
    b->n = b->nruns = 0;
    mm_pfn_id_t head = oldest_writable(sys, kind);
    b->in_place = head != PFN_NIL && in_place(mm_pfn_entry(&sys->pfn, head));
    b->oldest = head;
    for (; b->n < WRITER_CLUSTER_PAGES && head != PFN_NIL; head = oldest_writable(sys, b->in_place)) {
        if (mm_frame_in_file(sys, head)) /* goes to its own file, in a write of its own */
            break;
        mm_vad_t *vad = mm_pfn_owner_vad(sys, head);
        size_t lo, hi;
        gather(sys, vad, mm_pfn_entry(&sys->pfn, head)->index, WRITER_CLUSTER_PAGES - b->n,
               b->in_place, &lo, &hi);
        b->runs[b->nruns++] = b->n;
        for (size_t k = lo; k < hi; k++) {
            mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(vad->pte[k]);
            mm_pfn_entry(&sys->pfn, f)->flags |= PFN_F_IO; /* pinned: no soft fault, decommit or
                                                             release until done */
            b->frames[b->n++] = f;
        }
    }
}

/* Keep the first `n` pages of the batch (whole runs, or the oldest page alone), unpinning the rest. */
static void batch_truncate(umm_system_t *sys, write_batch_t *b, size_t n)
{
    for (size_t k = n; k < b->n; k++)
        mm_pfn_entry(&sys->pfn, b->frames[k])->flags &= (uint16_t)~PFN_F_IO;
    b->n = n;
    while (b->nruns > 1 && b->runs[b->nruns - 1] >= n)
        b->nruns--;
}

/* Slots for the batch: one run for all of it, else for its first virtual run, else for its first
 * (oldest) page; -1 (nothing pinned any more) when the file has no free slot. */
static int64_t batch_slots(umm_system_t *sys, write_batch_t *b)
{
    int64_t slot = mm_stores_alloc_run(&sys->stores, b->n);
    if (slot >= 0)
        return slot;
    size_t first = b->nruns > 1 ? b->runs[1] : b->n;
    if (first < b->n && (slot = mm_stores_alloc_run(&sys->stores, first)) >= 0) {
        batch_truncate(sys, b, first);
        return slot;
    }
    /* the oldest page is frames[0] only when it starts its run; take it, whichever it is */
    size_t k = 0;
    while (k < b->n && b->frames[k] != b->oldest)
        k++;
    k = k < b->n ? k : 0;
    mm_pfn_id_t keep = b->frames[k];
    b->frames[k] = b->frames[0];
    b->frames[0] = keep;
    batch_truncate(sys, b, 1);
    slot = mm_stores_alloc_run(&sys->stores, 1);
    if (slot < 0)
        batch_truncate(sys, b, 0);
    return slot;
}

/* One iovec per page of the batch; iov_base NULL for a page the backend hands over disk to disk.
 * 0, or EIO when a guest frame its host could not read back (not this time). */
static int batch_iovecs(umm_system_t *sys, const write_batch_t *b, struct iovec *iov)
{
    for (size_t k = 0; k < b->n; k++) {
        iov[k] = (struct iovec){NULL, sys->page_size};
        if (handed_over(sys, b->frames[k]))
            continue;
        if (!(iov[k].iov_base = mm_frame_ptr(sys, b->frames[k], MM_FRAME_READ)))
            return EIO;
    }
    return 0;
}

/* Slots for the gathered batch: an in-place batch sorted by the slots its pages kept, a fresh
 * one given new consecutive slots. False (nothing pinned any more) when the file has no room. */
static bool batch_place(umm_system_t *sys, write_batch_t *b)
{
    if (b->in_place) {
        for (size_t k = 0; k < b->n; k++) { /* insertion sort by slot: at most 16 pages */
            mm_pfn_id_t f = b->frames[k];
            uint64_t s = mm_pfn_entry(&sys->pfn, f)->slot - 1;
            size_t j = k;
            for (; j > 0 && b->slots[j - 1] > s; j--) {
                b->frames[j] = b->frames[j - 1];
                b->slots[j] = b->slots[j - 1];
            }
            b->frames[j] = f;
            b->slots[j] = s;
        }
        return true;
    }
    int64_t slot = batch_slots(sys, b);
    for (size_t k = 0; slot >= 0 && k < b->n; k++) {
        b->slots[k] = (uint64_t)slot + k;
        mm_pfn_entry(&sys->pfn, b->frames[k])->slot = (uint32_t)b->slots[k] + 1;
    }
    return slot >= 0;
}

/* Do slots a and b (a < b) lie in one backing store? Kept slots sorted into one run may straddle
 * the boundary between two stores, whose global slot numbers follow each other. */
static bool same_store(umm_system_t *sys, uint64_t a, uint64_t b)
{
    uint64_t local;
    return mm_stores_find(&sys->stores, a, &local) == mm_stores_find(&sys->stores, b, &local);
}

/* Write the batch unlocked, one write per run of consecutive slots in one store. Sets *writes to
 * the number of writes issued; 0 or the first error. */
static int batch_write(umm_system_t *sys, const write_batch_t *b, const struct iovec *iov,
                       uint64_t *writes)
{
    int err = 0;
    for (size_t k = 0, j; k < b->n && !err; k = j) {
        for (j = k + 1; j < b->n && b->slots[j] == b->slots[k] + (j - k) &&
                        same_store(sys, b->slots[k], b->slots[j]);)
            j++;
        err = write_cluster(sys, b->slots[k], b->frames + k, iov + k, j - k);
        (*writes)++;
    }
    return err;
}

/* The oldest writable frame is a file section's: write its run of neighbours to the file. */
static long write_file_run(umm_system_t *sys, mm_pfn_id_t head)
{
    mm_vad_t *proto = mm_pfn_owner_vad(sys, head);
    size_t k = mm_pfn_entry(&sys->pfn, head)->index, lo = k, hi = k + 1;
    while (hi - lo < FILEMAP_RUN_PAGES && hi < proto->npages && mm_filemap_writable(sys, proto, hi))
        hi++;
    while (hi - lo < FILEMAP_RUN_PAGES && lo > 0 && mm_filemap_writable(sys, proto, lo - 1))
        lo--;
    return mm_filemap_write_run(sys, proto, lo, hi);
}

long mm_writer_write_cluster_locked(umm_system_t *sys)
{
    MM_ASSERT_HELD(&sys->lock);
    mm_pfn_id_t head = oldest_writable(sys, -1);
    if (head == PFN_NIL)
        return 0;
    if (mm_frame_in_file(sys, head))
        return write_file_run(sys, head);
    write_batch_t b;
    batch_gather(sys, &b, -1);
    if (b.n == 0)
        return 0;
    if (!batch_place(sys, &b)) {
        if (b.in_place)
            return 0;
        /* No slot for new pages: slots kept for rewrites are given back, and pages that kept
         * theirs still go. */
        if (mm_frames_free_stale_slots(sys) > 0)
            batch_gather(sys, &b, 0);
        else
            batch_gather(sys, &b, 1);
        if (b.n == 0 || !batch_place(sys, &b))
            return 0;
    }
    struct iovec iov[WRITER_CLUSTER_PAGES];
    uint64_t writes = 0;
    int err = batch_iovecs(sys, &b, iov);
    if (!err) {
        mm_unlock(&sys->lock);
        err = batch_write(sys, &b, iov, &writes);
        mm_lock(&sys->lock);
    }
    sys->ctr.page_writes += writes ? writes : 1;
    for (size_t k = 0; k < b.n; k++) {
        mm_pfn_t *e = mm_pfn_entry(&sys->pfn, b.frames[k]);
        e->flags &= (uint16_t)~PFN_F_IO;
        mm_frame_slot_fresh(sys, b.frames[k]);
        if (err) {
            mm_frame_drop_copy(sys, b.frames[k]);
            mm_pfn_move(&sys->pfn, b.frames[k], LIST_MODIFIED); /* to the tail: others go first */
        } else {
            mm_pfn_move(&sys->pfn, b.frames[k], (enum mm_list_id)(LIST_STANDBY0 + e->prio));
        }
    }
    if (err) {
        sys->ctr.writer_errors++;
        return -1;
    }
    sys->ctr.pages_output += b.n;
    return (long)b.n;
}

bool mm_writer_in_flight(umm_system_t *sys)
{
    for (mm_pfn_id_t f = mm_pfn_list_head(&sys->pfn, LIST_MODIFIED); f != PFN_NIL;
         f = mm_pfn_entry(&sys->pfn, f)->next)
        if (mm_pfn_entry(&sys->pfn, f)->flags & PFN_F_IO)
            return true;
    return false;
}

int mm_writer_run(umm_system_t *sys, uint64_t target)
{
    int rc = UMM_OK;
    mm_lock(&sys->lock);
    while (mm_pfn_list_count(&sys->pfn, LIST_MODIFIED) > target) {
        long n = mm_writer_write_cluster_locked(sys);
        if (n < 0)
            rc = UMM_E_IO;
        if (n < 0 || (n == 0 && !mm_writer_in_flight(sys)))
            break;
        if (n == 0) { /* what is left is being written by another thread: let it finish */
            mm_unlock(&sys->lock);
            mm_os_yield();
            mm_lock(&sys->lock);
        }
    }
    mm_unlock(&sys->lock);
    return rc;
}

int umm_flush_modified(umm_system_t *sys)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (!mm_sys_has_pagefile(sys))
        return UMM_E_NOT_SUPPORTED;
    return mm_writer_run(sys, 0);
}
