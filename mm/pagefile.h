/* SPDX-License-Identifier: MIT */
/* pagefile.h - the paging file: a real file of page-sized slots, a bitmap allocator that hands
 * out contiguous runs (so a cluster written together is read back together), vectored I/O.
 *
 * A named file (cfg.pagefile_path) is created or truncated, locked with flock so two live
 * systems cannot share it, and removed on close; a stale one left by a crash is simply truncated
 * by the next run. Without a path the file is an O_TMPFILE in the temp directory: it has no name,
 * so a crash cannot leave it behind.
 *
 * Invariant: used = set bits of bitmap[0 .. nslots), nslots <= max_slots, bitmap is sized for
 * max_slots from the start so growth never reallocates. Protected by the system lock; the I/O
 * calls themselves take no lock. */
#ifndef UMM_PAGEFILE_H
#define UMM_PAGEFILE_H

#include "failpoint.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

typedef struct mm_pagefile {
    int fd;
    char *path;        /* NULL for an anonymous O_TMPFILE */
    size_t page;
    unsigned shift;
    uint64_t nslots;   /* current size in slots */
    uint64_t max_slots;
    uint64_t used, peak;
    uint64_t grows;
    uint64_t cursor;   /* next-fit search start */
    uint64_t *bitmap;  /* 1 = slot in use */
    bool direct;       /* O_DIRECT in effect */
    uint64_t limit;    /* a file-backed section's file: its size; I/O stops there, a read fills
                          the rest of its last page with zeros (0: no limit) */
    enum umm_failpoint_id fail_write, fail_read; /* its failure points (the host swap has its own) */
} mm_pagefile_t;

#define PAGEFILE_MAX_IOV 64 /* iovecs one read or write of a file with a limit may carry */

/* Open a paging file of initial_bytes, growable to max_bytes. Returns UMM_OK or an error. */
int mm_pagefile_open(mm_pagefile_t *pf, const char *path, size_t initial_bytes, size_t max_bytes,
                  size_t page, bool direct);
void mm_pagefile_close(mm_pagefile_t *pf);

/* First slot of a run of n free slots, marked used, or -1. */
int64_t mm_pagefile_alloc_run(mm_pagefile_t *pf, size_t n);
void mm_pagefile_free(mm_pagefile_t *pf, uint64_t slot);
bool mm_pagefile_slot_used(const mm_pagefile_t *pf, uint64_t slot);

/* Grow by at least `slots` (up to max). Returns slots added (0 when at max or on error). */
uint64_t mm_pagefile_grow(mm_pagefile_t *pf, uint64_t slots);

/* Write/read n iovecs (each one or more whole pages, n <= 64) at slot: UMM_OK or UMM_E_IO (the errno is
 * kept by the OS layer). */
int mm_pagefile_write(mm_pagefile_t *pf, uint64_t slot, const struct iovec *iov, int n);
int mm_pagefile_read(mm_pagefile_t *pf, uint64_t slot, const struct iovec *iov, int n);
/* Copy n pages from slot `from` of src to slot `to` of dst, file to file (a hand-over: no frame
 * holds them meanwhile). Both files' failure points apply (src's read, dst's write). */
int mm_pagefile_copy(mm_pagefile_t *src, uint64_t from, mm_pagefile_t *dst, uint64_t to, size_t n);

#endif
