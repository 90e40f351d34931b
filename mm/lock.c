/* SPDX-License-Identifier: MIT */
/* lock.c - the ranked futex mutex and pthread wrapper (see lock.h). */
#include "lock.h"

#include "assert.h"
#include "os.h"

/* initial-exec: the fault path must not call __tls_get_addr, which may allocate when the
 * library was dlopen()ed (Python's ctypes does that). */
static __thread int locks_held __attribute__((tls_model("initial-exec")));

#if defined(UMM_DEBUG) && UMM_DEBUG
/* The calling thread's token: the address of its own TLS counter, distinct per thread (debug
 * builds record lock owners). */
static const void *self(void)
{
    return &locks_held;
}

/* The ranks this thread holds, in the order taken (debug builds: the order check). */
#define MAX_HELD 16
static __thread unsigned char held_rank[MAX_HELD] __attribute__((tls_model("initial-exec")));
static __thread int nheld __attribute__((tls_model("initial-exec")));

/* Before a blocking acquire: every lock held must rank below this one. */
static void check_order(unsigned rank)
{
    int top = nheld < MAX_HELD ? nheld : MAX_HELD;
    for (int i = 0; i < top; i++)
        if (held_rank[i] >= rank)
            mm_assert_fail("a lock taken against its rank (one of equal or higher rank is held)",
                           __FILE__, __LINE__);
}

static void note_acquire(unsigned rank)
{
    if (nheld < MAX_HELD)
        held_rank[nheld] = (unsigned char)rank;
    nheld++;
}

static void note_release(unsigned rank)
{
    UMM_ASSERT(nheld > 0);
    int top = nheld < MAX_HELD ? nheld : MAX_HELD;
    for (int i = top - 1; i >= 0; i--)
        if (held_rank[i] == rank) {
            for (int k = i; k + 1 < top; k++)
                held_rank[k] = held_rank[k + 1];
            break;
        }
    nheld--;
}
#else
static void check_order(unsigned rank)
{
    (void)rank;
}
static void note_acquire(unsigned rank)
{
    (void)rank;
}
static void note_release(unsigned rank)
{
    (void)rank;
}
#endif

void mm_lock_init(mm_lock_t *l, enum mm_lock_rank rank)
{
    atomic_store_explicit(&l->state, 0, memory_order_relaxed);
    l->rank = (unsigned char)rank;
    atomic_store_explicit(&l->owner, NULL, memory_order_relaxed);
}

static void took(mm_lock_t *l)
{
    note_acquire(l->rank);
    locks_held++;
    UMM_DEBUG_ONLY(atomic_store_explicit(&l->owner, self(), memory_order_relaxed));
}

void mm_lock(mm_lock_t *l)
{
    UMM_ASSERT(l->rank != 0);
    check_order(l->rank);
    int c = 0;
    if (!atomic_compare_exchange_strong_explicit(&l->state, &c, 1, memory_order_acquire,
                                                 memory_order_relaxed)) {
        for (int spin = 0; spin < 100 && c != 0; spin++) {
            c = 0;
            if (atomic_compare_exchange_weak_explicit(&l->state, &c, 1, memory_order_acquire,
                                                      memory_order_relaxed))
                goto locked;
        }
        if (c != 2)
            c = atomic_exchange_explicit(&l->state, 2, memory_order_acquire);
        while (c != 0) {
            mm_os_wait(&l->state, 2);
            c = atomic_exchange_explicit(&l->state, 2, memory_order_acquire);
        }
    }
locked:
    took(l);
}

bool mm_trylock(mm_lock_t *l)
{
    int c = 0;
    if (!atomic_compare_exchange_strong_explicit(&l->state, &c, 1, memory_order_acquire,
                                                 memory_order_relaxed))
        return false;
    took(l);
    return true;
}

void mm_unlock(mm_lock_t *l)
{
    UMM_ASSERT(locks_held > 0);
    UMM_ASSERT(atomic_load_explicit(&l->owner, memory_order_relaxed) == self());
    UMM_DEBUG_ONLY(atomic_store_explicit(&l->owner, NULL, memory_order_relaxed));
    note_release(l->rank);
    locks_held--;
    if (atomic_fetch_sub_explicit(&l->state, 1, memory_order_release) != 1) {
        atomic_store_explicit(&l->state, 0, memory_order_release);
        mm_os_wake_one(&l->state);
    }
}

int mm_locks_held(void)
{
    return locks_held;
}

bool mm_lock_held(const mm_lock_t *l)
{
#if defined(UMM_DEBUG) && UMM_DEBUG
    return atomic_load_explicit(&l->state, memory_order_relaxed) != 0 &&
           atomic_load_explicit(&l->owner, memory_order_relaxed) == self();
#else
    (void)l;
    return true;
#endif
}

void mm_mutex_init(mm_mutex_t *m, enum mm_lock_rank rank)
{
    pthread_mutex_init(&m->m, NULL);
    m->rank = (unsigned char)rank;
}

void mm_mutex_destroy(mm_mutex_t *m)
{
    pthread_mutex_destroy(&m->m);
}

void mm_mutex_lock(mm_mutex_t *m)
{
    check_order(m->rank);
    pthread_mutex_lock(&m->m);
    note_acquire(m->rank);
}

void mm_mutex_unlock(mm_mutex_t *m)
{
    note_release(m->rank);
    pthread_mutex_unlock(&m->m);
}
