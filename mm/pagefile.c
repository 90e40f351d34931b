/* pagefile.c - the paging file (see pagefile.h). */
#define _GNU_SOURCE
#include "pagefile.h"

#include "failpoint.h"
#include "umm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static const char *temp_dir(void)
{
    const char *d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

static int open_file(umm_pagefile_t *pf, const char *path, bool direct)
{
    int flags = O_RDWR | O_CLOEXEC | (direct ? O_DIRECT : 0);
    if (!path)
        return open(temp_dir(), flags | O_TMPFILE, 0600);
    int fd = open(path, flags | O_CREAT, 0600);
    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || ftruncate(fd, 0) != 0) {
        int e = errno;
        close(fd);
        errno = e == EWOULDBLOCK ? EBUSY : e;
        return -1;
    }
    pf->path = strdup(path);
    return fd;
}

static int set_size(umm_pagefile_t *pf, uint64_t slots)
{
    off_t bytes = (off_t)(slots << pf->shift);
    if (UMM_FAILPOINT(PAGEFILE_GROW) || ftruncate(pf->fd, bytes) != 0)
        return -1;
    pf->nslots = slots;
    return 0;
}

int pagefile_open(umm_pagefile_t *pf, const char *path, size_t initial_bytes, size_t max_bytes,
                  size_t page, bool direct)
{
    memset(pf, 0, sizeof *pf);
    pf->fd = -1;
    pf->page = page;
    pf->fail_write = UMM_FP_PAGEFILE_WRITE;
    pf->fail_read = UMM_FP_PAGEFILE_READ;
    while (((size_t)1 << pf->shift) < page)
        pf->shift++;
    if (max_bytes < initial_bytes)
        max_bytes = initial_bytes;
    pf->max_slots = max_bytes >> pf->shift;
    if (UMM_FAILPOINT(PAGEFILE_OPEN))
        return UMM_E_IO;
    pf->bitmap = calloc((pf->max_slots + 63) / 64, sizeof *pf->bitmap);
    if (!pf->bitmap)
        return UMM_E_NOMEM;
    pf->fd = open_file(pf, path, direct);
    if (pf->fd < 0 && direct && errno == EINVAL) /* tmpfs and friends: no O_DIRECT */
        pf->fd = open_file(pf, path, direct = false);
    if (pf->fd < 0) {
        int rc = errno == EBUSY ? UMM_E_BUSY : UMM_E_IO;
        pagefile_close(pf);
        return rc;
    }
    pf->direct = direct;
    if (set_size(pf, initial_bytes >> pf->shift) != 0) {
        pagefile_close(pf);
        return UMM_E_IO;
    }
    return UMM_OK;
}

void pagefile_close(umm_pagefile_t *pf)
{
    if (pf->path)
        unlink(pf->path);
    if (pf->fd >= 0)
        close(pf->fd); /* closing drops the flock */
    free(pf->path);
    free(pf->bitmap);
    memset(pf, 0, sizeof *pf);
    pf->fd = -1;
}

bool pagefile_slot_used(const umm_pagefile_t *pf, uint64_t slot)
{
    return (pf->bitmap[slot / 64] >> (slot % 64)) & 1;
}

static void mark(umm_pagefile_t *pf, uint64_t slot, bool used)
{
    if (used)
        pf->bitmap[slot / 64] |= 1ull << (slot % 64);
    else
        pf->bitmap[slot / 64] &= ~(1ull << (slot % 64));
}

/* Length of the free run starting at s, capped at n. */
static size_t free_run(const umm_pagefile_t *pf, uint64_t s, size_t n)
{
    size_t len = 0;
    while (len < n && s + len < pf->nslots && !pagefile_slot_used(pf, s + len))
        len++;
    return len;
}

int64_t pagefile_alloc_run(umm_pagefile_t *pf, size_t n)
{
    if (n == 0 || pf->nslots - pf->used < n)
        return -1;
    for (uint64_t scanned = 0, s = pf->cursor % pf->nslots; scanned < pf->nslots;) {
        if (pf->bitmap[s / 64] == ~0ull) { /* skip full words */
            uint64_t next = (s / 64 + 1) * 64;
            scanned += next - s;
            s = next >= pf->nslots ? 0 : next;
            continue;
        }
        size_t len = free_run(pf, s, n);
        if (len == n) {
            for (size_t k = 0; k < n; k++)
                mark(pf, s + k, true);
            pf->used += n;
            if (pf->used > pf->peak)
                pf->peak = pf->used;
            pf->cursor = s + n;
            return (int64_t)s;
        }
        scanned += len + 1;
        s = s + len + 1 >= pf->nslots ? 0 : s + len + 1;
    }
    return -1;
}

void pagefile_free(umm_pagefile_t *pf, uint64_t slot)
{
    if (slot < pf->nslots && pagefile_slot_used(pf, slot)) {
        mark(pf, slot, false);
        pf->used--;
    }
}

uint64_t pagefile_grow(umm_pagefile_t *pf, uint64_t slots)
{
    uint64_t target = pf->nslots + slots;
    if (target > pf->max_slots)
        target = pf->max_slots;
    if (target <= pf->nslots)
        return 0;
    uint64_t old = pf->nslots;
    if (set_size(pf, target) != 0)
        return 0;
    pf->grows++;
    return target - old;
}

static int do_io(umm_pagefile_t *pf, uint64_t slot, const struct iovec *iov, int n, bool write)
{
    size_t want = 0;
    for (int i = 0; i < n; i++)
        want += iov[i].iov_len;
    off_t off = (off_t)(slot << pf->shift);
    while (want > 0) {
        ssize_t r = write ? pwritev(pf->fd, iov, n, off) : preadv(pf->fd, iov, n, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? errno : EIO;
        if ((size_t)r == want)
            return 0;
        return EIO; /* short transfer: treat as an error, the caller keeps its data */
    }
    return 0;
}

int pagefile_write(umm_pagefile_t *pf, uint64_t slot, const struct iovec *iov, int n)
{
    if (UMM_FAILPOINT_AT(pf->fail_write))
        return EIO;
    return do_io(pf, slot, iov, n, true);
}

int pagefile_read(umm_pagefile_t *pf, uint64_t slot, const struct iovec *iov, int n)
{
    if (UMM_FAILPOINT_AT(pf->fail_read))
        return EIO;
    return do_io(pf, slot, iov, n, false);
}
