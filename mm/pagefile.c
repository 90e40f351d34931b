/* SPDX-License-Identifier: MIT */
/* pagefile.c - the paging file (see pagefile.h). */
#include "pagefile.h"

#include "assert.h"
#include "failpoint.h"
#include "os.h"
#include "umm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int set_size(mm_pagefile_t *pf, uint64_t slots)
{
    off_t bytes = (off_t)(slots << pf->shift);
    if (UMM_FAILPOINT(PAGEFILE_GROW) || mm_os_file_resize(pf->fd, (uint64_t)bytes) != UMM_OK)
        return -1;
    pf->nslots = slots;
    return 0;
}

int mm_pagefile_open(mm_pagefile_t *pf, const char *path, size_t initial_bytes, size_t max_bytes,
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
    int rc = mm_os_file_open(path, direct, &pf->fd, &pf->direct);
    if (rc == UMM_OK && path && !(pf->path = strdup(path))) {
        mm_os_file_close(pf->fd, path);
        pf->fd = -1;
        rc = UMM_E_NOMEM;
    }
    if (rc != UMM_OK) {
        mm_pagefile_close(pf);
        return rc;
    }
    if (set_size(pf, initial_bytes >> pf->shift) != 0) {
        mm_pagefile_close(pf);
        return UMM_E_IO;
    }
    return UMM_OK;
}

void mm_pagefile_close(mm_pagefile_t *pf)
{
    mm_os_file_close(pf->fd, pf->path);
    free(pf->path);
    free(pf->bitmap);
    memset(pf, 0, sizeof *pf);
    pf->fd = -1;
}

bool mm_pagefile_slot_used(const mm_pagefile_t *pf, uint64_t slot)
{
    return (pf->bitmap[slot / 64] >> (slot % 64)) & 1;
}

static void mark(mm_pagefile_t *pf, uint64_t slot, bool used)
{
    if (used)
        pf->bitmap[slot / 64] |= 1ull << (slot % 64);
    else
        pf->bitmap[slot / 64] &= ~(1ull << (slot % 64));
}

/* Length of the free run starting at s, capped at n. */
static size_t free_run(const mm_pagefile_t *pf, uint64_t s, size_t n)
{
    size_t len = 0;
    while (len < n && s + len < pf->nslots && !mm_pagefile_slot_used(pf, s + len))
        len++;
    return len;
}

int64_t mm_pagefile_alloc_run(mm_pagefile_t *pf, size_t n)
{
    if (n == 0 || pf->nslots - pf->used < n)
        return -1;
    for (uint64_t scanned = 0, s = pf->cursor % pf->nslots; scanned < pf->nslots;) {
        if (pf->bitmap[s / 64] == ~0ull) { /* skip full words */
            uint64_t next = (s / 64 + 1) * 64;
            next = next < pf->nslots ? next : pf->nslots;
            scanned += next - s;
            s = next == pf->nslots ? 0 : next;
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
        /* Skip the free run that was too short and the used slot that ended it; a run that
         * ends at the end of the file has no used slot after it. */
        uint64_t next = s + len < pf->nslots ? s + len + 1 : pf->nslots;
        scanned += next - s;
        s = next == pf->nslots ? 0 : next;
    }
    return -1;
}

void mm_pagefile_free(mm_pagefile_t *pf, uint64_t slot)
{
    if (slot < pf->nslots && mm_pagefile_slot_used(pf, slot)) {
        mark(pf, slot, false);
        pf->used--;
    }
}

uint64_t mm_pagefile_grow(mm_pagefile_t *pf, uint64_t slots)
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

/* iov clipped at the file's limit into out; a read's clipped part is zero-filled. Returns the
 * iovecs left (0: nothing to transfer). */
static int clip_at_limit(const mm_pagefile_t *pf, uint64_t off, const struct iovec *iov, int n,
                         struct iovec *out, bool read)
{
    UMM_ASSERT(n <= PAGEFILE_MAX_IOV);
    int m = 0;
    for (int i = 0; i < n; off += iov[i].iov_len, i++) {
        size_t keep = off >= pf->limit ? 0
                      : pf->limit - off < iov[i].iov_len ? (size_t)(pf->limit - off) : iov[i].iov_len;
        if (read && keep < iov[i].iov_len)
            memset((char *)iov[i].iov_base + keep, 0, iov[i].iov_len - keep);
        if (keep)
            out[m++] = (struct iovec){iov[i].iov_base, keep};
    }
    return m;
}

static int pagefile_io(mm_pagefile_t *pf, uint64_t slot, const struct iovec *iov, int n, bool read)
{
    struct iovec clipped[PAGEFILE_MAX_IOV];
    if (pf->limit) {
        n = clip_at_limit(pf, slot << pf->shift, iov, n, clipped, read);
        iov = clipped;
        if (n == 0)
            return UMM_OK;
    }
    return read ? mm_os_file_read(pf->fd, slot << pf->shift, iov, n)
                : mm_os_file_write(pf->fd, slot << pf->shift, iov, n);
}

int mm_pagefile_write(mm_pagefile_t *pf, uint64_t slot, const struct iovec *iov, int n)
{
    if (UMM_FAILPOINT_AT(pf->fail_write))
        return mm_os_fail(EIO, UMM_E_IO);
    return pagefile_io(pf, slot, iov, n, false);
}

int mm_pagefile_read(mm_pagefile_t *pf, uint64_t slot, const struct iovec *iov, int n)
{
    if (UMM_FAILPOINT_AT(pf->fail_read))
        return mm_os_fail(EIO, UMM_E_IO);
    return pagefile_io(pf, slot, iov, n, true);
}

int mm_pagefile_copy(mm_pagefile_t *src, uint64_t from, mm_pagefile_t *dst, uint64_t to, size_t n)
{
    if (UMM_FAILPOINT_AT(src->fail_read) || UMM_FAILPOINT_AT(dst->fail_write))
        return mm_os_fail(EIO, UMM_E_IO);
    UMM_ASSERT(src->page == dst->page);
    return mm_os_file_copy(src->fd, from << src->shift, dst->fd, to << dst->shift, n * src->page);
}
