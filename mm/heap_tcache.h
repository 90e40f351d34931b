/* SPDX-License-Identifier: MIT */
/* heap_tcache.h - thread caches of the umm heaps: one explicit jemalloc tcache ("tcache.create",
 * used with MALLOCX_TCACHE(id)) per thread per heap, so that small allocations and frees do not
 * take the arena's locks, while a heap's objects never sit in a cache another heap draws from.
 *
 * An explicit tcache is not thread-safe, so each one is used only by the thread that created it.
 * Every tcache is recorded twice, in its heap's list and in its thread's list (a node in both),
 * under one global mutex; both lists are walked only on slow paths:
 *   - a thread's first use of a heap creates the tcache and the node (mm_heap_tcache_attach);
 *   - a thread's exit destroys (flushes) every tcache it still has (a pthread key destructor);
 *   - umm_heap_destroy destroys every tcache of the heap, whichever thread made it, before the
 *     arena: jemalloc requires every tcache that touched an arena to be flushed first. The
 *     threads must not use the heap any more (umm_heap_destroy's contract), so no tcache of the
 *     heap is in use meanwhile.
 * The fast path is a small direct-mapped per-thread table: heap serial -> the mallocx flags of
 * this thread's tcache for it. Serials are never reused, so a stale entry (its heap destroyed,
 * its tcache id perhaps reused by jemalloc for another tcache) can never match again.
 *
 * Invariant: a node is in exactly one heap's list and one thread's list, or in none (freed); a
 * tcache id recorded in a node is live in jemalloc; a TLS entry whose serial is a live heap's
 * names that heap's tcache of this thread (or MALLOCX_TCACHE_NONE when jemalloc had none to
 * give). */
#ifndef UMM_HEAP_TCACHE_H
#define UMM_HEAP_TCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int (*mm_je_mallctl_fn)(const char *name, void *oldp, size_t *oldlenp, void *newp,
                                size_t newlen);

typedef struct mm_tcache_node mm_tcache_node_t;

/* A heap's side: its serial and its tcaches (the list is under the module's mutex). */
typedef struct mm_heap_tcaches {
    uint64_t serial; /* unique per heap for the life of the process, never 0 */
    mm_tcache_node_t *head;
} mm_heap_tcaches_t;

#define MM_TCACHE_TLS_SLOTS 4 /* power of two */

typedef struct mm_tcache_tls {
    uint64_t serial; /* 0: empty */
    int flags;       /* MALLOCX_TCACHE(id) or MALLOCX_TCACHE_NONE */
} mm_tcache_tls_t;

extern __thread mm_tcache_tls_t mm_tcache_tls[MM_TCACHE_TLS_SLOTS]
    __attribute__((tls_model("initial-exec")));

/* Once, when jemalloc is loaded: the mallctl to use and the thread-exit key. false on failure. */
bool mm_heap_tcache_setup(mm_je_mallctl_fn mallctl);
/* A new heap's side (a fresh serial, no tcaches). */
void mm_heap_tcaches_init(mm_heap_tcaches_t *t);
/* Slow path of mm_heap_tcache_flags: find or create this thread's tcache for the heap. */
int mm_heap_tcache_attach(mm_heap_tcaches_t *t);

/* The mallocx/dallocx flags selecting this thread's tcache for the heap. */
static inline int mm_heap_tcache_flags(mm_heap_tcaches_t *t)
{
    mm_tcache_tls_t *e = &mm_tcache_tls[t->serial & (MM_TCACHE_TLS_SLOTS - 1)];
    if (__builtin_expect(e->serial == t->serial, 1))
        return e->flags;
    return mm_heap_tcache_attach(t);
}

/* Give back to the arena what this thread's tcache of the heap holds (stats, purge). */
void mm_heap_tcache_flush_mine(mm_heap_tcaches_t *t);
/* Destroy every tcache of the heap, all threads' (see above for why that is safe). */
void mm_heap_tcaches_destroy(mm_heap_tcaches_t *t);
/* Number of live tcaches of the heap (tests, checks). */
size_t mm_heap_tcaches_count(mm_heap_tcaches_t *t);

#endif
