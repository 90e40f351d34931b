/* SPDX-License-Identifier: MIT */
/* heap_tcache.c - per-thread, per-heap explicit jemalloc tcaches (see heap_tcache.h).
 *
 * The module mutex ranks below the heap's table lock and umm's locks: destroying or flushing a
 * tcache gives objects back to the arena, which may decommit or release extents through the
 * heap's hooks (table lock, then the system lock) while this mutex is held. */
#include "heap_tcache.h"

#include "assert.h"
#include "lock.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define JEMALLOC_NO_RENAME
#include <jemalloc/jemalloc.h>

struct mm_tcache_node {
    unsigned id;                 /* jemalloc's explicit tcache id */
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

void mm_heap_tcaches_init(mm_heap_tcaches_t *t)
{
    mm_mutex_lock(&tc_lock);
    t->serial = tc_next_serial++;
    t->head = NULL;
    mm_mutex_unlock(&tc_lock);
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

/* This thread's tcache for the heap: its existing node's or a new one. Locked. */
static int find_or_create(mm_heap_tcaches_t *t)
{
    thread_tcaches_t *th = this_thread();
    if (!th)
        return MALLOCX_TCACHE_NONE;
    for (mm_tcache_node_t *n = th->head; n; n = n->thread_next)
        if (n->heap == t)
            return MALLOCX_TCACHE(n->id);
    mm_tcache_node_t *n = calloc(1, sizeof *n);
    if (!n)
        return MALLOCX_TCACHE_NONE;
    size_t sz = sizeof n->id;
    if (tc_mallctl("tcache.create", &n->id, &sz, NULL, 0) != 0) {
        free(n); /* jemalloc's explicit tcaches are used up: work without one */
        return MALLOCX_TCACHE_NONE;
    }
    n->heap = t;
    n->thread = th;
    n->heap_next = t->head;
    if (t->head)
        t->head->heap_prev = n;
    t->head = n;
    n->thread_next = th->head;
    th->head = n;
    return MALLOCX_TCACHE(n->id);
}

int mm_heap_tcache_attach(mm_heap_tcaches_t *t)
{
    mm_mutex_lock(&tc_lock);
    int flags = find_or_create(t);
    mm_mutex_unlock(&tc_lock);
    mm_tcache_tls_t *e = &mm_tcache_tls[t->serial & (MM_TCACHE_TLS_SLOTS - 1)];
    e->serial = t->serial;
    e->flags = flags;
    return flags;
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
        heap_unlink(n);
        thread_unlink(n);
        free(n);
    }
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
