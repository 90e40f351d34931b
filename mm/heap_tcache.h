/* SPDX-License-Identifier: MIT */
/* heap_tcache.h - the threads of the umm heaps: for each thread using a heap, its arena and its
 * thread cache. A heap has up to MM_HEAP_MAX_ARENAS jemalloc arenas (same extent hooks, so the
 * same reservation table); each thread using the heap is bound to one of them and has one
 * explicit jemalloc tcache ("tcache.create", used with MALLOCX_TCACHE(id)), so that small
 * allocations and frees do not take an arena's locks, threads refill from and flush to different
 * arenas' bins (and different slabs: no cache line holds two threads' objects), and a heap's
 * objects never sit in a cache another heap draws from.
 *
 * Arenas, as jemalloc's own arena_choose: a thread's first use of a heap binds it to the arena
 * with the fewest live threads, creating a new one when every arena has a thread and the heap has
 * fewer than its maximum (4 x online CPUs, at most MM_HEAP_MAX_ARENAS). So a heap used by one
 * thread keeps one arena (and one 2 MiB metadata block committed), and a heap used by n threads
 * at once gets min(n, maximum) arenas. Arenas live until the heap is destroyed.
 *
 * An explicit tcache is not thread-safe, so each one is used only by the thread that created it.
 * Every tcache is recorded twice, in its heap's list and in its thread's list (a node in both),
 * under one global mutex; both lists are walked only on slow paths:
 *   - a thread's first use of a heap binds the arena and creates the tcache and the node
 *     (mm_heap_tcache_attach);
 *   - a thread's exit destroys (flushes) every tcache it still has (a pthread key destructor) and
 *     unbinds it from the arena;
 *   - umm_heap_destroy destroys every tcache of the heap, whichever thread made it, before the
 *     arenas: jemalloc requires every tcache that touched an arena to be flushed first. The
 *     threads must not use the heap any more (umm_heap_destroy's contract), so no tcache of the
 *     heap is in use meanwhile.
 * The fast path is a small direct-mapped per-thread table, indexed by a hash of the heap's address
 * and tagged with the address and the heap's serial: the mallocx/dallocx flags of this thread (its
 * arena and tcache). An entry is filled only after a full handle check (mm_handle_is_live), and a
 * heap's memory is type-stable (handle.h: never freed, reused only for another heap), so reading
 * the serial behind a matching address is always safe; that match then also stands for the handle
 * check, which the fast path skips. Serials are never reused and umm_heap_destroy sets the serial to
 * 0 (never an entry's) before it retires the handle, so a stale entry (its heap destroyed, its
 * slot perhaps reused by a new heap, its tcache id perhaps reused by jemalloc) can never match.
 *
 * Invariant: a node is in exactly one heap's list and one thread's list, or in none (freed); a
 * tcache id recorded in a node is live in jemalloc; users[i] is the number of nodes of the heap
 * bound to arena slot i; arena[0 .. narenas) are live arenas of the heap; a TLS entry whose
 * owner and serial match a live heap's names that heap's arena and tcache of this thread (or
 * MALLOCX_TCACHE_NONE when jemalloc had no tcache to give); a destroyed heap's serial is 0. */
#ifndef UMM_HEAP_TCACHE_H
#define UMM_HEAP_TCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef int (*mm_je_mallctl_fn)(const char *name, void *oldp, size_t *oldlenp, void *newp,
                                size_t newlen);

typedef struct mm_tcache_node mm_tcache_node_t;

#define MM_HEAP_MAX_ARENAS 16

/* A heap's side: its serial, arenas and tcaches (all under the module's mutex). */
typedef struct mm_heap_tcaches {
    uint64_t serial; /* unique per heap for the life of the process; 0 once destroyed (atomic) */
    mm_tcache_node_t *head;
    void *hooks;       /* the extent_hooks_t every arena of the heap gets */
    ssize_t decay_ms;  /* dirty_decay_ms given to every arena (-2: jemalloc's default) */
    unsigned narenas, max_arenas;
    unsigned arena[MM_HEAP_MAX_ARENAS]; /* jemalloc arena indexes */
    unsigned users[MM_HEAP_MAX_ARENAS]; /* nodes bound to each */
} mm_heap_tcaches_t;

#define MM_TCACHE_TLS_SLOTS 8 /* power of two */

typedef struct mm_tcache_tls {
    const void *owner; /* the heap's mm_heap_tcaches_t; NULL: empty */
    uint64_t serial;   /* its serial when the entry was filled */
    int alloc_flags;  /* MALLOCX_ARENA(a) | MALLOCX_TCACHE(id) (or MALLOCX_TCACHE_NONE) */
    int free_flags;   /* MALLOCX_TCACHE(id) (or MALLOCX_TCACHE_NONE) */
} mm_tcache_tls_t;

extern __thread mm_tcache_tls_t mm_tcache_tls[MM_TCACHE_TLS_SLOTS]
    __attribute__((tls_model("initial-exec")));

/* Once, when jemalloc is loaded: the mallctl to use and the thread-exit key. false on failure. */
bool mm_heap_tcache_setup(mm_je_mallctl_fn mallctl);
/* A new heap's side: a fresh serial, no tcaches, and its first arena (made with `hooks`).
 * Returns mallctl's error (0 on success); on failure the heap has no arena. */
int mm_heap_tcaches_init(mm_heap_tcaches_t *t, void *hooks);
/* Slow path of mm_heap_tcache_cached, for a heap whose handle the caller has checked: bind this
 * thread to an arena, make its tcache and fill the thread's table entry. */
const mm_tcache_tls_t *mm_heap_tcache_attach(mm_heap_tcaches_t *t);
/* The heap is being destroyed: no table entry matches it from now on. */
void mm_heap_tcaches_kill(mm_heap_tcaches_t *t);

/* The slot of the per-thread table for the heap at t (its address only: t is not read). */
static inline mm_tcache_tls_t *mm_heap_tcache_slot(const mm_heap_tcaches_t *t)
{
    uint64_t h = (uint64_t)(uintptr_t)t * 0x9E3779B97F4A7C15ull;
    return &mm_tcache_tls[h >> (64 - 3)];
}
_Static_assert(MM_TCACHE_TLS_SLOTS == 1 << 3, "mm_heap_tcache_slot takes 3 bits of the hash");

/* This thread's flags for the heap at t if the table has them, else NULL. t may be any pointer
 * value: it is read only when an entry filled for a live heap names it (see above). A match
 * means the heap is live, so no handle check is needed. */
static inline const mm_tcache_tls_t *mm_heap_tcache_cached(const mm_heap_tcaches_t *t)
{
    const mm_tcache_tls_t *e = mm_heap_tcache_slot(t);
    if (__builtin_expect(e->owner == t, 1) &&
        __builtin_expect(e->serial == __atomic_load_n(&t->serial, __ATOMIC_RELAXED), 1))
        return e;
    return NULL;
}

/* Give back to the arena what this thread's tcache of the heap holds (stats, purge). */
void mm_heap_tcache_flush_mine(mm_heap_tcaches_t *t);
/* Destroy every tcache of the heap, all threads' (see above for why that is safe). */
void mm_heap_tcaches_destroy(mm_heap_tcaches_t *t);
/* Number of live tcaches of the heap (tests, checks). */
size_t mm_heap_tcaches_count(mm_heap_tcaches_t *t);

/* mallctl("arena.<i>.<what>") on every arena of the heap: 0, or the first error. */
int mm_heap_arenas_ctl(mm_heap_tcaches_t *t, const char *what);
/* dirty_decay_ms of every arena, present and future: 0, or the first error. */
int mm_heap_arenas_set_decay(mm_heap_tcaches_t *t, ssize_t ms);
/* The sum of "stats.arenas.<i>.<what>" (a size_t) over the heap's arenas: 0, or an error. */
int mm_heap_arenas_stat(mm_heap_tcaches_t *t, const char *what, size_t *sum);
/* Number of arenas of the heap (tests, stats). */
unsigned mm_heap_arenas_count(mm_heap_tcaches_t *t);

#endif
