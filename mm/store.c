/* SPDX-License-Identifier: MIT */
/* store.c - backing stores and the system's set of them (see store.h). */
#include "store.h"

#include "assert.h"
#include "failpoint.h"
#include "os.h"
#include "store_redis.h"
#include "umm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void count(uint64_t *c, uint64_t n)
{
    __atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static uint64_t iov_pages(const mm_store_t *st, const struct iovec *iov, int n)
{
    size_t bytes = 0;
    for (int k = 0; k < n; k++)
        bytes += iov[k].iov_len;
    return bytes >> st->slots->shift;
}

/* ---- the paging file as a store ---- */
static int pagefile_write(void *impl, uint64_t slot, const struct iovec *iov, int n)
{
    return mm_pagefile_write(impl, slot, iov, n);
}

static int pagefile_read(void *impl, uint64_t slot, const struct iovec *iov, int n)
{
    return mm_pagefile_read(impl, slot, iov, n);
}

static int pagefile_flush(void *impl)
{
    (void)impl; /* every write went to the file before it returned: nothing is buffered here */
    return UMM_OK;
}

static void pagefile_close(void *impl)
{
    (void)impl; /* the system (or host) owns its paging file and closes it */
}

static const mm_store_ops_t pagefile_ops = {
    .kind = "pagefile",
    .write = pagefile_write,
    .read = pagefile_read,
    .flush = pagefile_flush,
    .close = pagefile_close,
};

/* A paging file of the stores list: the store owns it. */
static void owned_pagefile_close(void *impl)
{
    mm_pagefile_close(impl);
    free(impl);
}

static const mm_store_ops_t owned_pagefile_ops = {
    .kind = "pagefile",
    .write = pagefile_write,
    .read = pagefile_read,
    .flush = pagefile_flush,
    .close = owned_pagefile_close,
};

static int open_pagefile_store(mm_store_t *st, const umm_store_config_t *c, size_t page, unsigned index)
{
    mm_pagefile_t *pf = malloc(sizeof *pf);
    if (!pf)
        return UMM_E_NOMEM;
    int rc = mm_pagefile_open(pf, c->path, c->bytes, c->max_bytes, page, true);
    if (rc != UMM_OK) {
        free(pf);
        return rc;
    }
    char name[sizeof st->name];
    snprintf(name, sizeof name, "pagefile%u", index);
    mm_store_wrap_pagefile(st, pf, name);
    st->ops = &owned_pagefile_ops;
    return UMM_OK;
}

int mm_store_config_check(const umm_store_config_t *c, size_t page)
{
    if (c->bytes == 0 || c->bytes % page != 0 || c->max_bytes % page != 0 ||
        c->bytes / page >= UINT32_MAX || c->max_bytes / page >= UINT32_MAX)
        return UMM_E_INVAL;
    if (c->kind == UMM_STORE_PAGEFILE)
        return UMM_OK;
    if (c->kind == UMM_STORE_REDIS)
        return c->address ? UMM_OK : UMM_E_INVAL;
    return UMM_E_INVAL;
}

int mm_store_open(mm_store_t *st, const umm_store_config_t *c, size_t page, unsigned index)
{
    if (c->kind == UMM_STORE_PAGEFILE)
        return open_pagefile_store(st, c, page, index);
    return mm_store_redis_open(st, c, page, index);
}

void mm_store_wrap_pagefile(mm_store_t *st, mm_pagefile_t *pf, const char *name)
{
    memset(st, 0, sizeof *st);
    st->ops = &pagefile_ops;
    st->impl = pf;
    st->slots = pf;
    snprintf(st->name, sizeof st->name, "%s", name);
}

bool mm_store_is_pagefile(const mm_store_t *st)
{
    return st->ops == &pagefile_ops || st->ops == &owned_pagefile_ops;
}

int mm_store_slots_init(mm_pagefile_t *slots, uint64_t nslots, size_t page)
{
    memset(slots, 0, sizeof *slots);
    slots->fd = -1;
    slots->page = page;
    while (((size_t)1 << slots->shift) < page)
        slots->shift++;
    slots->nslots = slots->max_slots = nslots;
    slots->bitmap = calloc((nslots + 63) / 64, sizeof *slots->bitmap);
    return slots->bitmap ? UMM_OK : UMM_E_NOMEM;
}

/* ---- one store ---- */
void mm_store_close(mm_store_t *st)
{
    if (st->ops)
        st->ops->close(st->impl);
    memset(st, 0, sizeof *st);
}

int64_t mm_store_alloc_run(mm_store_t *st, size_t n)
{
    int64_t slot = mm_pagefile_alloc_run(st->slots, n);
    if (slot >= 0 && st->ops->allocated)
        st->ops->allocated(st->impl, (uint64_t)slot, n);
    return slot;
}

void mm_store_free(mm_store_t *st, uint64_t slot)
{
    if (slot >= st->slots->nslots || !mm_pagefile_slot_used(st->slots, slot))
        return;
    mm_pagefile_free(st->slots, slot);
    if (st->ops->freed)
        st->ops->freed(st->impl, slot);
}

/* One write or read, counted in the store's counters. */
static int counted_io(mm_store_t *st, bool write, uint64_t slot, const struct iovec *iov, int n)
{
    mm_store_counters_t *c = &st->ctr;
    int rc = (write ? st->ops->write : st->ops->read)(st->impl, slot, iov, n);
    count(write ? &c->writes : &c->reads, 1);
    if (rc != UMM_OK)
        count(write ? &c->write_errors : &c->read_errors, 1);
    else
        count(write ? &c->pages_written : &c->pages_read, iov_pages(st, iov, n));
    return rc;
}

int mm_store_write(mm_store_t *st, uint64_t slot, const struct iovec *iov, int n)
{
    return counted_io(st, true, slot, iov, n);
}

int mm_store_read(mm_store_t *st, uint64_t slot, const struct iovec *iov, int n)
{
    return counted_io(st, false, slot, iov, n);
}

int mm_store_flush(mm_store_t *st)
{
    return st->ops->flush(st->impl);
}

int mm_store_copy(mm_store_t *src, uint64_t from, mm_store_t *dst, uint64_t to, size_t n)
{
    UMM_ASSERT(src->slots->page == dst->slots->page);
    if (mm_store_is_pagefile(src) && mm_store_is_pagefile(dst))
        return mm_pagefile_copy(src->impl, from, dst->impl, to, n);
    size_t bytes = n * src->slots->page;
    void *buf = malloc(bytes);
    if (!buf)
        return UMM_E_NOMEM;
    struct iovec iov = {buf, bytes};
    int rc = mm_store_read(src, from, &iov, 1);
    if (rc == UMM_OK)
        rc = mm_store_write(dst, to, &iov, 1);
    free(buf);
    return rc;
}

static uint64_t load(const uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void mm_store_stats(mm_store_t *st, umm_store_stats_t *out)
{
    const mm_store_counters_t *c = &st->ctr;
    *out = (umm_store_stats_t){0};
    snprintf(out->kind, sizeof out->kind, "%s", st->ops->kind);
    snprintf(out->name, sizeof out->name, "%s", st->name);
    out->slots = st->slots->nslots;
    out->used = st->slots->used;
    out->clusters_written = load(&c->writes) - load(&c->write_errors);
    out->clusters_read = load(&c->reads) - load(&c->read_errors);
    out->pages_written = load(&c->pages_written);
    out->pages_read = load(&c->pages_read);
    out->bytes_written = out->pages_written * st->slots->page;
    out->bytes_read = out->pages_read * st->slots->page;
    out->write_errors = load(&c->write_errors);
    out->read_errors = load(&c->read_errors);
    if (st->ops->counters)
        st->ops->counters(st->impl, out);
}

/* ---- the system's set ---- */
int mm_stores_add(mm_stores_t *set, const mm_store_t *st)
{
    uint64_t base = set->n ? set->end + 1 : 0; /* one unused slot between stores */
    if (set->n == MM_STORES_MAX || base + st->slots->max_slots >= UINT32_MAX)
        return UMM_E_INVAL;
    set->st[set->n] = *st;
    set->st[set->n].base = base;
    set->end = base + st->slots->max_slots;
    set->n++;
    return UMM_OK;
}

void mm_stores_close(mm_stores_t *set)
{
    for (unsigned i = set->n; i-- > 0;)
        mm_store_close(&set->st[i]);
    memset(set, 0, sizeof *set);
}

mm_store_t *mm_stores_find(mm_stores_t *set, uint64_t slot, uint64_t *local)
{
    for (unsigned i = 0; i < set->n; i++) {
        mm_store_t *st = &set->st[i];
        if (slot >= st->base && slot < st->base + st->slots->max_slots) {
            *local = slot - st->base;
            return st;
        }
    }
    return NULL;
}

int64_t mm_stores_alloc_run(mm_stores_t *set, size_t n)
{
    for (unsigned k = 0; k < set->n; k++) {
        unsigned i = (set->next + k) % set->n;
        int64_t slot = mm_store_alloc_run(&set->st[i], n);
        if (slot >= 0) {
            set->next = (i + 1) % set->n;
            return (int64_t)set->st[i].base + slot;
        }
    }
    return -1;
}

void mm_stores_free(mm_stores_t *set, uint64_t slot)
{
    uint64_t local;
    mm_store_t *st = mm_stores_find(set, slot, &local);
    if (st)
        mm_store_free(st, local);
}

bool mm_stores_slot_used(mm_stores_t *set, uint64_t slot)
{
    uint64_t local;
    mm_store_t *st = mm_stores_find(set, slot, &local);
    return st && local < st->slots->nslots && mm_pagefile_slot_used(st->slots, local);
}

bool mm_stores_slot_direct(mm_stores_t *set, uint64_t slot)
{
    uint64_t local;
    mm_store_t *st = mm_stores_find(set, slot, &local);
    return st && st->slots->direct;
}

int mm_stores_write(mm_stores_t *set, uint64_t slot, const struct iovec *iov, int n)
{
    uint64_t local;
    mm_store_t *st = mm_stores_find(set, slot, &local);
    return st ? mm_store_write(st, local, iov, n) : UMM_E_IO;
}

int mm_stores_read(mm_stores_t *set, uint64_t slot, const struct iovec *iov, int n)
{
    uint64_t local;
    mm_store_t *st = mm_stores_find(set, slot, &local);
    return st ? mm_store_read(st, local, iov, n) : UMM_E_IO;
}

int mm_stores_flush(mm_stores_t *set)
{
    int rc = UMM_OK;
    for (unsigned i = 0; i < set->n; i++) {
        int r = mm_store_flush(&set->st[i]);
        rc = rc == UMM_OK ? r : rc;
    }
    return rc;
}

uint64_t mm_stores_slots(const mm_stores_t *set)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < set->n; i++)
        n += set->st[i].slots->nslots;
    return n;
}

uint64_t mm_stores_used(const mm_stores_t *set)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < set->n; i++)
        n += set->st[i].slots->used;
    return n;
}
