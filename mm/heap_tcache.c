/* SPDX-License-Identifier: MIT */
/* heap_tcache.c - per-thread, per-heap arenas and explicit jemalloc tcaches (see heap_tcache.h).
 *
 * The module mutex ranks below the heap's table lock and umm's locks: creating an arena, or
 * destroying or flushing a tcache, makes jemalloc reserve, commit, decommit or release extents
 * through the heap's hooks (table lock, then the system lock) while this mutex is held. */
#include "heap_tcache.h"

#include "assert.h"
#include "lock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JEMALLOC_NO_RENAME
#include <jemalloc/jemalloc.h>

struct mm_tcache_node {
    unsigned id;                 /* jemalloc's explicit tcache id */
    unsigned slot;               /* the arena it is bound to: heap->arena[slot] */
    int alloc_flags;             /* MALLOCX_ARENA | MALLOCX_TCACHE */
    mm_heap_tcaches_t *heap;     /* the heap's side */
    struct thread_tcaches *thread;
    mm_tcache_node_t *heap_next, *heap_prev;
    mm_tcache_node_t *thread_next;
};

/* A thread's tcaches (the value of the thread-exit key). */
typedef struct thread_tcaches {
    mm_tcache_node_t *head;
} thread_tcaches_t;

__thread mm_tcache_tls_t mm_tcache_tls[MM_TCACHE_TLS_SLOTS] __attribute__((tls_model("initial-exec")));

static mm_mutex_t tc_lock = MM_MUTEX_INIT(MM_RANK_HEAP_TCACHES);
static mm_je_mallctl_fn tc_mallctl;
static pthread_key_t tc_key;
static uint64_t tc_next_serial = 1; /* under tc_lock */

static void tcache_destroy_id(unsigned id)
{
    tc_mallctl("tcache.destroy", NULL, NULL, &id, sizeof id);
}

/* Unlink n from its heap's list. Locked. */
static void heap_unlink(mm_tcache_node_t *n)
{
    if (n->heap_prev)
        n->heap_prev->heap_next = n->heap_next;
    else
        n->heap->head = n->heap_next;
    if (n->heap_next)
        n->heap_next->heap_prev = n->heap_prev;
}

/* Unlink n from its thread's list. Locked. */
static void thread_unlink(mm_tcache_node_t *n)
{
    mm_tcache_node_t **pp = &n->thread->head;
    while (*pp != n)
        pp = &(*pp)->thread_next;
    *pp = n->thread_next;
}

/* The thread exits: destroy its tcaches (objects go back to their arenas). */
static void thread_exit(void *v)
{
    thread_tcaches_t *th = v;
    mm_mutex_lock(&tc_lock);
    for (mm_tcache_node_t *n = th->head, *next; n; n = next) {
        next = n->thread_next;
        tcache_destroy_id(n->id);
        n->heap->users[n->slot]--;
        heap_unlink(n);
        free(n);
    }
    mm_mutex_unlock(&tc_lock);
    free(th);
    memset(mm_tcache_tls, 0, sizeof mm_tcache_tls);
}

bool mm_heap_tcache_setup(mm_je_mallctl_fn mallctl)
{
    tc_mallctl = mallctl;
    return pthread_key_create(&tc_key, thread_exit) == 0;
}

/* A new arena for the heap in slot t->narenas: 0 or mallctl's error. Locked. */
static int arena_create(mm_heap_tcaches_t *t)
{
    UMM_ASSERT(t->narenas < t->max_arenas);
    unsigned ind = 0;
    size_t sz = sizeof ind;
    int e = tc_mallctl("arenas.create", &ind, &sz, &t->hooks, sizeof t->hooks);
    if (e != 0)
        return e;
    if (t->decay_ms != -2) {
        char name[64];
        snprintf(name, sizeof name, "arena.%u.dirty_decay_ms", ind);
        tc_mallctl(name, NULL, NULL, &t->decay_ms, sizeof t->decay_ms);
    }
    t->arena[t->narenas] = ind;
    t->users[t->narenas] = 0;
    t->narenas++;
    return 0;
}

/* As jemalloc's default: four arenas per CPU at most, so threads rarely share one. */
static unsigned max_arenas(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long n = cpus > 0 ? 4 * cpus : 4;
    return n > MM_HEAP_MAX_ARENAS ? MM_HEAP_MAX_ARENAS : (unsigned)n;
}

int mm_heap_tcaches_init(mm_heap_tcaches_t *t, void *hooks)
{
    mm_mutex_lock(&tc_lock);
    __atomic_store_n(&t->serial, tc_next_serial++, __ATOMIC_RELAXED);
    t->head = NULL;
    t->hooks = hooks;
    t->decay_ms = -2;
    t->narenas = 0;
    t->max_arenas = max_arenas();
    int e = arena_create(t);
    mm_mutex_unlock(&tc_lock);
    return e;
}

/* The slot of the arena a new thread of the heap is bound to: the least used one, or a new one
 * when every arena has a thread (and the heap may have more). Locked. */
static unsigned pick_arena(mm_heap_tcaches_t *t)
{
    unsigned best = 0;
    for (unsigned i = 1; i < t->narenas; i++)
        if (t->users[i] < t->users[best])
            best = i;
    if (t->users[best] > 0 && t->narenas < t->max_arenas && arena_create(t) == 0)
        best = t->narenas - 1;
    return best; /* arena_create failed (commit limit): share the least used one */
}

/* This thread's record, created on first use. Locked. NULL when out of memory. */
static thread_tcaches_t *this_thread(void)
{
    thread_tcaches_t *th = pthread_getspecific(tc_key);
    if (th)
        return th;
    th = calloc(1, sizeof *th);
    if (th && pthread_setspecific(tc_key, th) != 0) {
        free(th);
        th = NULL;
    }
    return th;
}

/* This thread's flags for the heap: its existing node's, or a new node's (an arena bound, a
 * tcache made). Locked. */
static void find_or_create(mm_heap_tcaches_t *t, mm_tcache_tls_t *e)
{
    thread_tcaches_t *th = this_thread();
    for (mm_tcache_node_t *n = th ? th->head : NULL; n; n = n->thread_next)
        if (n->heap == t) {
            e->alloc_flags = n->alloc_flags;
            e->free_flags = MALLOCX_TCACHE(n->id);
            return;
        }
    /* no node to record it (out of memory, or jemalloc's explicit tcaches are used up): work
     * without a tcache, on the first arena */
    e->alloc_flags = MALLOCX_ARENA(t->arena[0]) | MALLOCX_TCACHE_NONE;
    e->free_flags = MALLOCX_TCACHE_NONE;
    mm_tcache_node_t *n = th ? calloc(1, sizeof *n) : NULL;
    if (!n)
        return;
    size_t sz = sizeof n->id;
    if (tc_mallctl("tcache.create", &n->id, &sz, NULL, 0) != 0) {
        free(n);
        return;
    }
    n->slot = pick_arena(t);
    n->alloc_flags = MALLOCX_ARENA(t->arena[n->slot]) | MALLOCX_TCACHE(n->id);
    t->users[n->slot]++;
    n->heap = t;
    n->thread = th;
    n->heap_next = t->head;
    if (t->head)
        t->head->heap_prev = n;
    t->head = n;
    n->thread_next = th->head;
    th->head = n;
    e->alloc_flags = n->alloc_flags;
    e->free_flags = MALLOCX_TCACHE(n->id);
}

const mm_tcache_tls_t *mm_heap_tcache_attach(mm_heap_tcaches_t *t)
{
    mm_tcache_tls_t *e = mm_heap_tcache_slot(t);
    mm_mutex_lock(&tc_lock);
    find_or_create(t, e);
    mm_mutex_unlock(&tc_lock);
    e->owner = t;
    e->serial = __atomic_load_n(&t->serial, __ATOMIC_RELAXED);
    UMM_ASSERT(e->serial != 0); /* attach is only called for a live heap */
    return e;
}

void mm_heap_tcaches_kill(mm_heap_tcaches_t *t)
{
    __atomic_store_n(&t->serial, 0, __ATOMIC_RELAXED);
}

void mm_heap_tcache_flush_mine(mm_heap_tcaches_t *t)
{
    mm_mutex_lock(&tc_lock);
    thread_tcaches_t *th = pthread_getspecific(tc_key);
    for (mm_tcache_node_t *n = th ? th->head : NULL; n; n = n->thread_next)
        if (n->heap == t) {
            tc_mallctl("tcache.flush", NULL, NULL, &n->id, sizeof n->id);
            break;
        }
    mm_mutex_unlock(&tc_lock);
}

void mm_heap_tcaches_destroy(mm_heap_tcaches_t *t)
{
    mm_mutex_lock(&tc_lock);
    while (t->head) {
        mm_tcache_node_t *n = t->head;
        UMM_ASSERT(n->heap == t);
        tcache_destroy_id(n->id);
        t->users[n->slot]--;
        heap_unlink(n);
        thread_unlink(n);
        free(n);
    }
    for (unsigned i = 0; i < t->narenas; i++)
        UMM_ASSERT(t->users[i] == 0); /* every node bound to an arena was in the heap's list */
    mm_mutex_unlock(&tc_lock);
}

size_t mm_heap_tcaches_count(mm_heap_tcaches_t *t)
{
    size_t count = 0;
    mm_mutex_lock(&tc_lock);
    for (mm_tcache_node_t *n = t->head; n; n = n->heap_next)
        count++;
    mm_mutex_unlock(&tc_lock);
    return count;
}

int mm_heap_arenas_ctl(mm_heap_tcaches_t *t, const char *what)
{
    int first = 0;
    mm_mutex_lock(&tc_lock);
    for (unsigned i = 0; i < t->narenas; i++) {
        char name[64];
        snprintf(name, sizeof name, "arena.%u.%s", t->arena[i], what);
        int e = tc_mallctl(name, NULL, NULL, NULL, 0);
        if (e != 0 && first == 0)
            first = e;
    }
    mm_mutex_unlock(&tc_lock);
    return first;
}

int mm_heap_arenas_set_decay(mm_heap_tcaches_t *t, ssize_t ms)
{
    int first = 0;
    mm_mutex_lock(&tc_lock);
    t->decay_ms = ms;
    for (unsigned i = 0; i < t->narenas; i++) {
        char name[64];
        snprintf(name, sizeof name, "arena.%u.dirty_decay_ms", t->arena[i]);
        int e = tc_mallctl(name, NULL, NULL, &ms, sizeof ms);
        if (e != 0 && first == 0)
            first = e;
    }
    mm_mutex_unlock(&tc_lock);
    return first;
}

int mm_heap_arenas_stat(mm_heap_tcaches_t *t, const char *what, size_t *sum)
{
    int e = 0;
    *sum = 0;
    mm_mutex_lock(&tc_lock);
    for (unsigned i = 0; i < t->narenas && e == 0; i++) {
        char name[96];
        size_t v = 0, sz = sizeof v;
        snprintf(name, sizeof name, "stats.arenas.%u.%s", t->arena[i], what);
        if ((e = tc_mallctl(name, &v, &sz, NULL, 0)) == 0)
            *sum += v;
    }
    mm_mutex_unlock(&tc_lock);
    return e;
}

unsigned mm_heap_arenas_count(mm_heap_tcaches_t *t)
{
    mm_mutex_lock(&tc_lock);
    unsigned n = t->narenas;
    mm_mutex_unlock(&tc_lock);
    return n;
}
