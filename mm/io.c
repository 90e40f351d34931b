/* SPDX-License-Identifier: MIT */
/* io.c - a program's I/O on managed memory (umm_io_*): the kernel never takes umm's SIGSEGV, so
 * each piece of the buffer is made resident and pinned (probe.h) for the system calls that move
 * it, which are repeated until the piece is done. */
#include "probe.h"

#include "handle.h"

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
        rc = io_piece(proc, fd, out, buf + pos, len, off, &moved, eof);
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
