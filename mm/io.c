/* SPDX-License-Identifier: MIT */
/* io.c - a program's I/O on managed memory (umm_io_*): the kernel never takes umm's SIGSEGV, so
 * each piece of the buffer is made resident and pinned (probe.h) for the system calls that move
 * it, which are repeated until the piece is done. A read at an offset into paged-out pages goes
 * through a bounce buffer instead, so the pages it fills whole are never read back. */
#include "probe.h"

#include "handle.h"

#include <stdlib.h>
#include <string.h>

/* Bytes pinned at a time, a power of two: 1 MiB for large transfers, but at most a quarter of
 * RAM, so an I/O into a buffer larger than RAM still goes through. */
static size_t io_chunk_bytes(const umm_system_t *sys)
{
    size_t chunk = (size_t)1 << 20, quarter = (size_t)(sys->pfn.nframes / 4) << sys->page_shift;
    while (chunk > quarter && chunk > sys->page_size)
        chunk >>= 1;
    return chunk;
}

/* Move [buf, buf + len) in one pinned piece: system calls until all of it moved, end of file or an
 * error. *moved gets the bytes that did; *eof whether a read hit the end. */
static int io_piece(umm_process_t *proc, int fd, bool out, uint8_t *buf, size_t len, int64_t *off,
                    size_t *moved, bool *eof)
{
    uintptr_t a, b;
    mm_pinned_t pins;
    int rc = mm_probe_round(proc, buf, len, &a, &b);
    if (rc != UMM_OK || (rc = mm_probe_pin(proc, a, b, !out, &pins)) != UMM_OK)
        return rc;
    *moved = 0;
    *eof = false;
    while (*moved < len) {
        size_t got;
        rc = mm_os_user_io(fd, out, buf + *moved, len - *moved, *off, &got);
        if (rc != UMM_OK)
            break;
        if (got == 0 && !out) {
            *eof = true;
            break;
        }
        *moved += got;
        if (*off >= 0)
            *off += (int64_t)got;
    }
    mm_probe_unpin(&pins);
    return rc;
}

/* Read up to len bytes at *off into plain memory: system calls until all came, end of file or an
 * error. */
static int read_all(int fd, uint8_t *to, size_t len, int64_t *off, size_t *moved, bool *eof)
{
    *moved = 0;
    *eof = false;
    while (*moved < len) {
        size_t got;
        int rc = mm_os_user_io(fd, false, to + *moved, len - *moved, *off, &got);
        if (rc != UMM_OK)
            return rc;
        if (got == 0) {
            *eof = true;
            break;
        }
        *moved += got;
        *off += (int64_t)got;
    }
    return UMM_OK;
}

/* The got bytes that came into bounce go to [buf, buf + got): the paged-out pages they cover
 * whole take them in new frames (no read of the old contents); the rest is copied with its pages
 * pinned, so the copy cannot fault: the partial first and last pages (whose old contents are
 * read back now, after their neighbours were filled, so no read-ahead brings those in for
 * nothing) and pages in any other state. filled has a flag per page of the piece. */
static int deliver(umm_process_t *proc, uint8_t *buf, const uint8_t *bounce, size_t got,
                   bool *filled)
{
    uintptr_t page = proc->sys->page_size, s = (uintptr_t)buf, a = s & ~(page - 1);
    uintptr_t whole_a = (s + page - 1) & ~(page - 1), whole_b = (s + got) & ~(page - 1);
    uintptr_t end = (s + got + page - 1) & ~(page - 1);
    if (whole_b > whole_a)
        mm_probe_overwrite(proc, whole_a, whole_b, bounce + (whole_a - s),
                           filled + (whole_a - a) / page);
    bool all = true;
    for (uintptr_t p = a; p < end && all; p += page)
        all = filled[(p - a) / page];
    if (all)
        return UMM_OK;
    mm_pinned_t pins;
    int rc = mm_probe_pin(proc, a, end, true, &pins);
    if (rc != UMM_OK)
        return rc;
    for (uintptr_t p = a; p < end;) {
        if (filled[(p - a) / page]) {
            p += page;
            continue;
        }
        uintptr_t q = p + page;
        while (q < end && !filled[(q - a) / page])
            q += page;
        uintptr_t from = p > s ? p : s, to = q < s + got ? q : s + got;
        memcpy((void *)from, bounce + (from - s), to - from);
        p = q;
    }
    mm_probe_unpin(&pins);
    return UMM_OK;
}

/* A read at an offset into a piece with paged-out pages that it covers whole: their old contents
 * would only be overwritten, so the data come into a bounce buffer first and those pages take them
 * without being read back. Pages the read does not reach stay exactly as they were (a short read,
 * an error). Only at an offset: such a read consumes nothing, so a failure after it (the read of
 * a partial page's old contents, a concurrent decommit) loses no data the caller cannot read
 * again; the call then reports that error and no bytes. */
static int io_read_piece(umm_process_t *proc, int fd, uint8_t *buf, size_t len, int64_t *off,
                         size_t *moved, bool *eof)
{
    uintptr_t page = proc->sys->page_size, s = (uintptr_t)buf;
    uintptr_t whole_a = (s + page - 1) & ~(page - 1), whole_b = (s + len) & ~(page - 1);
    size_t npages = (((s + len + page - 1) & ~(page - 1)) - (s & ~(page - 1))) / page;
    uint8_t *bounce = NULL;
    if (*off >= 0 && whole_b > whole_a && mm_probe_any_paged_out(proc, whole_a, whole_b))
        bounce = malloc(len + npages);
    if (!bounce)
        return io_piece(proc, fd, false, buf, len, off, moved, eof);
    bool *filled = (bool *)(bounce + len);
    memset(filled, 0, npages);
    int rc = read_all(fd, bounce, len, off, moved, eof);
    if (*moved > 0) {
        int delivered = deliver(proc, buf, bounce, *moved, filled);
        if (delivered != UMM_OK) {
            rc = delivered;
            *moved = 0;
        }
    }
    free(bounce);
    return rc;
}

/* The whole transfer: the buffer checked first, then moved piece by piece. */
static int io_transfer(umm_process_t *proc, int fd, bool out, uint8_t *buf, size_t bytes,
                       int64_t *off, size_t *done, bool *eof)
{
    uintptr_t a, b;
    *eof = false;
    if (bytes == 0)
        return UMM_OK;
    int rc = mm_probe_round(proc, buf, bytes, &a, &b);
    if (rc != UMM_OK || (rc = mm_probe_check(proc, a, b, !out)) != UMM_OK)
        return rc; /* nothing moved */
    size_t chunk = io_chunk_bytes(proc->sys), pos = 0;
    while (pos < bytes && !*eof) {
        /* pieces end on chunk boundaries of the address space, so each pins whole pages once */
        uintptr_t at = (uintptr_t)buf + pos;
        size_t len = chunk - (at & (chunk - 1));
        if (len > bytes - pos)
            len = bytes - pos;
        size_t moved = 0;
        rc = out ? io_piece(proc, fd, true, buf + pos, len, off, &moved, eof)
                 : io_read_piece(proc, fd, buf + pos, len, off, &moved, eof);
        pos += moved;
        *done += moved;
        if (rc != UMM_OK)
            return rc;
    }
    return UMM_OK;
}

static int io_args(umm_process_t *proc, int fd, int64_t offset, size_t *done)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if (fd < 0 || offset < -1 || !done)
        return UMM_E_INVAL;
    *done = 0;
    return UMM_OK;
}

int umm_io_read(umm_process_t *proc, int fd, void *buf, size_t bytes, int64_t offset, size_t *done)
{
    int rc = io_args(proc, fd, offset, done);
    bool eof;
    return rc != UMM_OK ? rc : io_transfer(proc, fd, false, buf, bytes, &offset, done, &eof);
}

int umm_io_write(umm_process_t *proc, int fd, const void *buf, size_t bytes, int64_t offset,
                 size_t *done)
{
    int rc = io_args(proc, fd, offset, done);
    bool eof;
    return rc != UMM_OK ? rc : io_transfer(proc, fd, true, (uint8_t *)buf, bytes, &offset, done, &eof);
}

/* Every iovec is checked before the first byte moves, then each is transferred in order. */
static int io_vector(umm_process_t *proc, int fd, bool out, const struct iovec *iov, int iovcnt,
                     int64_t offset, size_t *done)
{
    int rc = io_args(proc, fd, offset, done);
    if (rc != UMM_OK)
        return rc;
    if (!iov || iovcnt < 0)
        return UMM_E_INVAL;
    for (int k = 0; k < iovcnt; k++) {
        uintptr_t a, b;
        if (iov[k].iov_len == 0)
            continue;
        if ((rc = mm_probe_round(proc, iov[k].iov_base, iov[k].iov_len, &a, &b)) != UMM_OK ||
            (rc = mm_probe_check(proc, a, b, !out)) != UMM_OK)
            return rc;
    }
    bool eof = false;
    for (int k = 0; k < iovcnt && !eof && rc == UMM_OK; k++)
        rc = io_transfer(proc, fd, out, iov[k].iov_base, iov[k].iov_len, &offset, done, &eof);
    return rc;
}

int umm_io_readv(umm_process_t *proc, int fd, const struct iovec *iov, int iovcnt, int64_t offset,
                 size_t *done)
{
    return io_vector(proc, fd, false, iov, iovcnt, offset, done);
}

int umm_io_writev(umm_process_t *proc, int fd, const struct iovec *iov, int iovcnt,
                  int64_t offset, size_t *done)
{
    return io_vector(proc, fd, true, iov, iovcnt, offset, done);
}
