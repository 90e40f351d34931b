/* SPDX-License-Identifier: MIT */
/* lock.h - the locks umm uses, with ranks: a futex mutex that may be taken inside the SIGSEGV
 * handler, and a ranked wrapper of a pthread mutex for locks held while code that may touch
 * managed memory runs (notification callbacks, the host's pass).
 *
 * The futex mutex is Drepper's three-state design over mm_os_wait/mm_os_wake_one: only atomics and
 * system calls, so it is async-signal-safe. Taking it on the fault path is safe because umm's own
 * code never touches managed memory while it holds a lock (it uses the physical view), so the
 * interrupted thread cannot be the holder. A per-thread count of held locks lets the fault
 * handler recognise a fault inside umm's own locked code (a bug) and hand it to the previous
 * handler with a message instead of deadlocking.
 *
 * Ranks (debug builds check them): a thread takes locks only in increasing rank, so no two threads
 * can wait for each other. mm_trylock may go against the order (it never waits); the hypervisor
 * uses it to lock a second guest. MM_ASSERT_HELD(l) replaces "caller holds ..." comments: in debug
 * builds it checks that the calling thread holds l. */
#ifndef UMM_LOCK_H
#define UMM_LOCK_H

#include "assert.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

enum mm_lock_rank {
    MM_RANK_HV_PASS = 10,  /* pthread: one host pass at a time (hv/) */
    MM_RANK_NOTIFY = 20,   /* pthread: a system's notification evaluation and callbacks */
    MM_RANK_HEAP_TCACHES = 22, /* pthread: the heaps' thread caches (mm/heap_tcache.c) */
    MM_RANK_HEAP = 25,     /* pthread: a heap's table of reservations */
    MM_RANK_REGISTRY = 30, /* the address registry: taken before the system it leads to */
    MM_RANK_SYSTEM = 40,   /* a system (Windows' PFN lock); a guest's before its host's */
    MM_RANK_HOST = 50,     /* the hypervisor's host */
    MM_RANK_LEAF = 90,     /* handle arenas, the handler's install lock: nothing taken under them */
};

/* Invariant: state is 0 (unlocked), 1 (locked, no waiters) or 2 (locked, maybe waiters); while
 * locked, owner (debug builds) is the holding thread's token. */
typedef struct mm_lock {
    _Atomic int state;
    unsigned char rank;
    const void *_Atomic owner;
} mm_lock_t;

#define MM_LOCK_INIT(rank) { 0, (rank), NULL }

void mm_lock_init(mm_lock_t *l, enum mm_lock_rank rank);
void mm_lock(mm_lock_t *l);
void mm_unlock(mm_lock_t *l);
/* Take the lock only if it is free; true when taken. May go against the rank order. */
bool mm_trylock(mm_lock_t *l);
/* Number of umm locks the calling thread holds (0 when the fault handler is entered normally). */
int mm_locks_held(void);
/* Does the calling thread hold l? (Exact in debug builds; true otherwise.) */
bool mm_lock_held(const mm_lock_t *l);

/* A pthread mutex with a rank, for locks held while other code runs (callbacks, whole passes). */
typedef struct mm_mutex {
    pthread_mutex_t m;
    unsigned char rank;
} mm_mutex_t;

#define MM_MUTEX_INIT(rank) { PTHREAD_MUTEX_INITIALIZER, (rank) }

void mm_mutex_init(mm_mutex_t *m, enum mm_lock_rank rank);
void mm_mutex_destroy(mm_mutex_t *m);
void mm_mutex_lock(mm_mutex_t *m);
void mm_mutex_unlock(mm_mutex_t *m);

#define MM_ASSERT_HELD(l) UMM_ASSERT(mm_lock_held(l))

#endif
