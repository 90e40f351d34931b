/* SPDX-License-Identifier: MIT */
/* store.h - backing stores: where paged-out pages live. A store is a set of page-sized slots with
 * an allocator (a mm_pagefile_t bitmap: the paging file's own, or a file-less one for a remote
 * store), and operations to write and read runs of slots, free them and flush. The paging file
 * (pagefile.c) is one kind, a Redis deployment (store_redis.c) another.
 *
 * A system has up to MM_STORES_MAX stores (Windows' 16 paging files). Their slots form one
 * global numbering, the number a PAGEFILE PTE and a frame's copy carry: store i owns the global
 * slots [base_i, base_i + max_slots_i), and one unused slot separates each store from the next,
 * so two PTEs whose slots look consecutive are always in the same store (a fault cluster never
 * spans two). The writer spreads its clusters over the stores in turn; the commit limit is RAM +
 * the sum of their sizes.
 *
 * Invariant: nstores <= MM_STORES_MAX; base_0 = 0, base_{i+1} = base_i + max_slots_i + 1; the
 * global slot space ends below UINT32_MAX (a frame keeps slot + 1 in 32 bits). Allocation and
 * free run under the system lock; read, write and flush take no lock. Each kind checks its own
 * failure points (umm/pagefile/..., umm/redis/...). read is [signal-safe]
 * (the hard fault calls it in the SIGSEGV handler): a remote store hands the request to its own
 * I/O thread and waits on a futex. */
#ifndef UMM_STORE_H
#define UMM_STORE_H

#include "pagefile.h"
#include "umm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define MM_STORES_MAX 16

struct umm_system;

typedef struct mm_store_ops {
    const char *kind; /* "pagefile", "redis" */
    /* n slots from local slot `slot` were just allocated (under the system lock). May be NULL. */
    void (*allocated)(void *impl, uint64_t slot, size_t n);
    /* local slot `slot` was freed (under the system lock, maybe in the signal handler:
     * [signal-safe], no I/O). May be NULL. */
    void (*freed)(void *impl, uint64_t slot);
    int (*write)(void *impl, uint64_t slot, const struct iovec *iov, int n);
    int (*read)(void *impl, uint64_t slot, const struct iovec *iov, int n); /* [signal-safe] */
    int (*flush)(void *impl);
    void (*close)(void *impl);
    /* Fill the remote counters of out (pages_lost .. reconnects), from any thread. May be NULL. */
    void (*counters)(void *impl, umm_store_stats_t *out);
} mm_store_ops_t;

/* Counters a store keeps (the system's totals are in umm_stats_t). */
typedef struct mm_store_counters {
    uint64_t writes, reads, write_errors, read_errors, pages_written, pages_read;
} mm_store_counters_t;

typedef struct mm_store {
    const mm_store_ops_t *ops; /* NULL: an unused entry */
    void *impl;
    mm_pagefile_t *slots;      /* the slot allocator (for a paging file, the file itself) */
    uint64_t base;             /* first global slot */
    char name[40];             /* "pagefile0", "redis1": for counters and messages */
    mm_store_counters_t ctr;   /* updated with atomics: reads happen unlocked */
} mm_store_t;

/* ---- one store, local slot numbers ---- */
/* Is a store's configuration valid for pages of `page` bytes? UMM_OK or UMM_E_INVAL. */
int mm_store_config_check(const umm_store_config_t *c, size_t page);
/* Open the store c describes, the system's store number `index` (for its name). */
int mm_store_open(mm_store_t *st, const umm_store_config_t *c, size_t page, unsigned index);
/* Wrap an open paging file (the store does not own it: close leaves it open). */
void mm_store_wrap_pagefile(mm_store_t *st, mm_pagefile_t *pf, const char *name);
/* Give a file-less store an allocator of nslots slots of `page` bytes. UMM_OK or UMM_E_NOMEM. */
int mm_store_slots_init(mm_pagefile_t *slots, uint64_t nslots, size_t page);
void mm_store_close(mm_store_t *st);
int64_t mm_store_alloc_run(mm_store_t *st, size_t n);
void mm_store_free(mm_store_t *st, uint64_t slot);
int mm_store_write(mm_store_t *st, uint64_t slot, const struct iovec *iov, int n);
int mm_store_read(mm_store_t *st, uint64_t slot, const struct iovec *iov, int n);
int mm_store_flush(mm_store_t *st);
/* Copy n pages, store to store: file to file when both are paging files, else through a buffer
 * (not on the fault path: it allocates). */
int mm_store_copy(mm_store_t *src, uint64_t from, mm_store_t *dst, uint64_t to, size_t n);
bool mm_store_is_pagefile(const mm_store_t *st);
/* Its counters and gauges (the gauges need the system lock held). */
void mm_store_stats(mm_store_t *st, umm_store_stats_t *out);

/* ---- the system's stores, global slot numbers ---- */
typedef struct mm_stores {
    mm_store_t st[MM_STORES_MAX];
    unsigned n;
    unsigned next;  /* the store the writer tries first (round robin) */
    uint64_t end;   /* one past the last global slot */
} mm_stores_t;

/* Append a store (its allocator set up); UMM_E_INVAL when full or past the slot space. */
int mm_stores_add(mm_stores_t *set, const mm_store_t *st);
void mm_stores_close(mm_stores_t *set);
/* The store owning global slot `slot` (NULL: none); *local gets its local number. [signal-safe] */
mm_store_t *mm_stores_find(mm_stores_t *set, uint64_t slot, uint64_t *local);
/* A run of n global slots, in the next store (round robin) that has one; -1 if none has. */
int64_t mm_stores_alloc_run(mm_stores_t *set, size_t n);
void mm_stores_free(mm_stores_t *set, uint64_t slot);
bool mm_stores_slot_used(mm_stores_t *set, uint64_t slot);
/* Does the store holding `slot` read with O_DIRECT (the device fills the frames itself)? */
bool mm_stores_slot_direct(mm_stores_t *set, uint64_t slot);
int mm_stores_write(mm_stores_t *set, uint64_t slot, const struct iovec *iov, int n);
int mm_stores_read(mm_stores_t *set, uint64_t slot, const struct iovec *iov, int n); /* [signal-safe] */
int mm_stores_flush(mm_stores_t *set);
/* Sums over the stores. */
uint64_t mm_stores_slots(const mm_stores_t *set);
uint64_t mm_stores_used(const mm_stores_t *set);

#endif
