/* SPDX-License-Identifier: MIT */
/* umm_heap.h - a malloc-style heap whose memory is umm memory (paged, commit-charged).
 *
 * A heap is a set of jemalloc arenas (one per thread using it at once, up to 4 x CPUs, as
 * jemalloc's own default; a thread cache per thread) whose extents come from umm through
 * jemalloc's extent hooks: the arenas reserve address space with umm_reserve_aligned, commit and
 * decommit pages with umm_commit/umm_decommit and release reservations with umm_release, all in
 * one umm process. So a program's allocations live in memory that umm pages, trims and charges
 * against the commit limit.
 *
 * jemalloc is NOT linked into libumm: Debian's libjemalloc exports unprefixed malloc/free, which
 * would replace the whole program's allocator. It is loaded on the first umm_heap_create with
 * dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL), so the program keeps glibc's malloc and the
 * heaps share one private jemalloc instance. libjemalloc uses initial-exec TLS (2.6 KiB), which
 * glibc can only give a dlopen'ed library when the process starts with more optional static TLS than
 * the default: run the program with GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096 (or more).
 * Without it umm_heap_create fails with UMM_E_NOT_SUPPORTED and umm_heap_load_error() says why.
 * See docs/heap.md.
 *
 * Thread safety: every call may be made from any thread concurrently, for the same heap or
 * different heaps, except umm_heap_destroy (no other call on that heap may run or follow). */
#ifndef UMM_HEAP_H
#define UMM_HEAP_H

#include "umm.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct umm_heap umm_heap_t;

/* Byte counts. allocated/active/mapped/dirty/muzzy/retained/metadata are jemalloc's
 * "stats.arenas.<i>.*" summed over the heap's arenas (refreshed with "epoch" on every call);
 * committed, reserved and reservations are umm's view of the heap's reservations. */
typedef struct umm_heap_stats {
    uint64_t allocated;    /* bytes in live allocations (small.allocated + large.allocated) */
    uint64_t active;       /* pages backing live allocations (pactive x page) */
    uint64_t mapped;       /* jemalloc's "mapped": active + dirty + muzzy extents + metadata */
    uint64_t committed;    /* bytes of the heap's reservations that are committed (charged) */
    uint64_t dirty;        /* freed pages jemalloc keeps committed for reuse (pdirty x page) */
    uint64_t muzzy;        /* pmuzzy x page (always 0: lazy purge is not offered) */
    uint64_t retained;     /* decommitted address space jemalloc keeps for reuse */
    uint64_t metadata;     /* jemalloc's own structures for the arenas ("base"), in umm memory */
    uint64_t reserved;     /* bytes of umm address space reserved by the heap */
    uint64_t reservations; /* umm reservations the heap holds */
    uint64_t arenas;       /* jemalloc arenas of the heap: one per thread using it at once, up to
                            * 4 x online CPUs (16 at most); each has its own metadata (2 MiB
                            * committed at its creation) */
} umm_heap_stats_t;

/* Load jemalloc now (umm_heap_create does it on first use): UMM_OK, or UMM_E_NOT_SUPPORTED with
 * the reason in umm_heap_load_error(). Loading is tried once per process. */
UMM_API int umm_heap_init(void);

/* Create a heap in `proc` (its first jemalloc arena; more as threads use it at once). Loads
 * jemalloc on first use.
 * UMM_E_NOT_SUPPORTED: jemalloc could not be loaded (umm_heap_load_error() tells why) or the
 * system's page size is not jemalloc's page size; UMM_E_COMMIT_LIMIT / UMM_E_NOMEM / UMM_E_OS:
 * the arena's first metadata block (2 MiB, committed) could not be had. */
UMM_API int umm_heap_create(umm_process_t *proc, umm_heap_t **out);
/* Destroy the heap: every allocation in it is discarded and all its reservations released (the
 * commit charge goes back). Must be called before the heap's process or system is destroyed, and
 * while no other thread uses the heap. */
UMM_API void umm_heap_destroy(umm_heap_t *heap);

/* malloc/calloc/realloc/free semantics. They return NULL (errno ENOMEM) when umm refuses memory,
 * e.g. at the commit limit, never crash. size 0 allocates a minimal object (a unique pointer);
 * realloc(p, 0) frees p and returns NULL; realloc(NULL, n) is malloc(n). */
UMM_API void *umm_heap_malloc(umm_heap_t *heap, size_t size);
UMM_API void *umm_heap_calloc(umm_heap_t *heap, size_t count, size_t size);
UMM_API void *umm_heap_realloc(umm_heap_t *heap, void *ptr, size_t size);
/* alignment: a power of two (any, including above the page size). */
UMM_API void *umm_heap_aligned_alloc(umm_heap_t *heap, size_t alignment, size_t size);
/* ptr must come from this heap (or be NULL), as with HeapFree; the same for umm_heap_realloc.
 * Freed small objects may wait in the calling thread's cache of this heap (still counted as
 * allocated by umm_heap_stats of other threads) until the thread exits or the heap is destroyed. */
UMM_API void umm_heap_free(umm_heap_t *heap, void *ptr);
/* Usable size of a heap allocation (>= the size asked for); 0 for NULL. */
UMM_API size_t umm_heap_malloc_usable_size(umm_heap_t *heap, const void *ptr);

/* Give every unused page of the heap back to umm now: dirty pages are decommitted, so their
 * commit charge and frames are returned (jemalloc otherwise does this gradually, over
 * dirty_decay_ms = 10 s). */
UMM_API int umm_heap_purge(umm_heap_t *heap);
/* How long freed pages stay committed before jemalloc decommits them (its dirty_decay_ms for the
 * heap's arenas, present and future): 0 decommits at every free, -1 never (only umm_heap_purge
 * does); default 10000. UMM_E_INVAL for a value below -1. */
UMM_API int umm_heap_set_decay(umm_heap_t *heap, long dirty_decay_ms);
UMM_API int umm_heap_stats(umm_heap_t *heap, umm_heap_stats_t *out);

/* The process the heap takes its memory from. */
UMM_API umm_process_t *umm_heap_process(umm_heap_t *heap);
/* 1 if ptr lies in one of the heap's reservations (in a live allocation or not), else 0. */
UMM_API int umm_heap_owns(umm_heap_t *heap, const void *ptr);

/* Why jemalloc could not be loaded (a static string), or NULL if it is loaded. Tries to load it
 * if that was not tried yet. */
UMM_API const char *umm_heap_load_error(void);

#ifdef __cplusplus
}
#endif
#endif /* UMM_HEAP_H */
