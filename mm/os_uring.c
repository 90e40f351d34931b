/* SPDX-License-Identifier: MIT */
/* os_uring.c - overlapped writes for the Linux backend (mm/os.h: mm_os_file_write_many), on an
 * io_uring per thread that asked for one (liburing).
 *
 * Why: a 4 KiB O_DIRECT write costs ~70-120 us on this kind of disk and the writer's batches are
 * often many small runs (pages rewritten in place into the slots they kept); one after another,
 * the writer spends the sum of their latencies, where the kernel's swap keeps them all in flight.
 *
 * Only threads that attach a ring use it (the system's worker loop): a ring is an fd and three
 * mappings, so it is not made for every thread that happens to write (a faulting thread reclaiming
 * for itself writes one batch synchronously, as before). Invariant: tl_ring is NULL or points to
 * tl_storage, initialised and owned by this thread alone. */
#include "os.h"

#include "os_common.h"
#include "umm.h"

#include <errno.h>
#include <liburing.h>

static __thread struct io_uring tl_storage;
static __thread struct io_uring *tl_ring;
static __thread unsigned tl_depth;

int mm_os_ring_attach(unsigned depth)
{
    if (tl_ring)
        return UMM_OK;
    int rc = io_uring_queue_init(depth, &tl_storage, 0);
    if (rc < 0) /* io_uring disabled (kernel.io_uring_disabled, seccomp) or too old */
        return mm_os_fail(-rc, UMM_E_NOT_SUPPORTED);
    tl_ring = &tl_storage;
    tl_depth = depth;
    return UMM_OK;
}

void mm_os_ring_detach(void)
{
    if (!tl_ring)
        return;
    io_uring_queue_exit(tl_ring);
    tl_ring = NULL;
}

static size_t iov_bytes(const struct iovec *iov, int n)
{
    size_t b = 0;
    for (int i = 0; i < n; i++)
        b += iov[i].iov_len;
    return b;
}

/* Submit w[0..n) (n <= the ring's depth) and wait for all of them. A request the ring could not
 * take or that came back short (a signal, a full disk) is written again synchronously: same
 * bytes at the same offset, so rewriting it whole is safe. */
static void write_chunk(int fd, mm_os_write_t *w, size_t n)
{
    size_t queued = 0;
    for (; queued < n; queued++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(tl_ring);
        if (!sqe)
            break;
        io_uring_prep_writev(sqe, fd, w[queued].iov, (unsigned)w[queued].n, w[queued].off);
        io_uring_sqe_set_data64(sqe, queued);
        w[queued].err = UMM_E_IO; /* until its completion says otherwise */
    }
    int rc = queued ? io_uring_submit_and_wait(tl_ring, (unsigned)queued) : 0;
    for (size_t done = 0; rc >= 0 && done < queued; done++) {
        struct io_uring_cqe *cqe;
        while ((rc = io_uring_wait_cqe(tl_ring, &cqe)) == -EINTR)
            ;
        if (rc < 0)
            break;
        size_t k = (size_t)io_uring_cqe_get_data64(cqe);
        if (k < n && cqe->res >= 0 && (size_t)cqe->res == iov_bytes(w[k].iov, w[k].n))
            w[k].err = UMM_OK;
        io_uring_cqe_seen(tl_ring, cqe);
    }
    if (rc < 0) { /* the ring itself failed (never seen: waits only fail with EINTR, retried):
                     it goes, and every request is written again synchronously */
        mm_os_ring_detach();
        queued = 0;
    }
    for (size_t k = 0; k < n; k++)
        if (k >= queued || w[k].err != UMM_OK)
            w[k].err = mm_os_file_write(fd, w[k].off, w[k].iov, w[k].n);
}

int mm_os_file_write_many(int fd, mm_os_write_t *w, size_t n)
{
    if (!tl_ring || n < 2)
        return mm_os_file_write_each(fd, w, n);
    for (size_t k = 0, m; k < n; k += m) {
        m = n - k < tl_depth ? n - k : tl_depth;
        if (tl_ring)
            write_chunk(fd, w + k, m);
        else
            mm_os_file_write_each(fd, w + k, m);
    }
    int first = UMM_OK;
    for (size_t k = 0; k < n && first == UMM_OK; k++)
        first = w[k].err;
    return first;
}
