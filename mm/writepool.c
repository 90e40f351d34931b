/* SPDX-License-Identifier: MIT */
/* writepool.c - the writer's I/O threads (see writepool.h). */
#include "writepool.h"

#include "assert.h"
#include "os.h"
#include "writer.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <uv.h>

enum { HELPER_IDLE = 0, HELPER_RUN = 1, HELPER_EXIT = -1 };

/* Invariant: state is HELPER_RUN only between a mm_writepool_write that set it and the helper's
 * end of that round; the caller waits for every helper to leave HELPER_RUN before it returns, so
 * at most one round is in progress and none outlives the pass that started it. */
typedef struct helper {
    uv_thread_t thread;
    _Atomic int state; /* HELPER_*: the futex word both sides wait on */
    struct mm_writepool *pool;
} helper_t;

/* Invariant: helper[0..nhelpers) run until mm_writepool_stop; busy is true exactly while one
 * mm_writepool_write round runs, and when it ends every helper is HELPER_IDLE. */
struct mm_writepool {
    umm_system_t *sys;
    _Atomic uint64_t target; /* this round's: write Modified down to it */
    _Atomic int rc;          /* UMM_E_IO once a helper's write failed this round */
    _Atomic bool busy;       /* a round is in progress (umm_balance may race the workers' pass) */
    size_t nhelpers;
    helper_t helper[WRITEPOOL_HELPERS > 0 ? WRITEPOOL_HELPERS : 1];
};

/* One thread's part of a round: whole clusters until Modified is down to the target or nothing
 * is left that no other thread is writing (it does not wait for their writes, and never spins). */
static void helper_round(struct mm_writepool *pool)
{
    umm_system_t *sys = pool->sys;
    mm_lock(&sys->lock);
    while (mm_pfn_list_count(&sys->pfn, LIST_MODIFIED) > atomic_load(&pool->target)) {
        long n = mm_writer_write_cluster_locked(sys);
        if (n < 0)
            atomic_store(&pool->rc, UMM_E_IO);
        if (n <= 0)
            break;
    }
    mm_unlock(&sys->lock);
}

static void helper_main(void *arg)
{
    helper_t *h = arg;
    for (;;) {
        int s;
        while ((s = atomic_load(&h->state)) == HELPER_IDLE)
            mm_os_wait(&h->state, HELPER_IDLE);
        if (s == HELPER_EXIT)
            return;
        helper_round(h->pool);
        atomic_store(&h->state, HELPER_IDLE);
        mm_os_wake_one(&h->state); /* the caller, if it already waits for this round */
    }
}

int mm_writepool_start(umm_system_t *sys, mm_writepool_t **out)
{
    if (WRITEPOOL_HELPERS == 0) {
        *out = NULL;
        return UMM_OK;
    }
    struct mm_writepool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return UMM_E_NOMEM;
    pool->sys = sys;
    size_t want = WRITEPOOL_HELPERS; /* a variable: no "always false" warning when it is 0 */
    for (; pool->nhelpers < want; pool->nhelpers++) {
        helper_t *h = &pool->helper[pool->nhelpers];
        h->pool = pool;
        atomic_init(&h->state, HELPER_IDLE);
        if (uv_thread_create(&h->thread, helper_main, h) != 0) {
            mm_writepool_stop(pool);
            return UMM_E_OS;
        }
    }
    *out = pool;
    return UMM_OK;
}

void mm_writepool_stop(mm_writepool_t *pool)
{
    if (!pool)
        return;
    for (size_t k = 0; k < pool->nhelpers; k++) {
        atomic_store(&pool->helper[k].state, HELPER_EXIT);
        mm_os_wake_one(&pool->helper[k].state);
        uv_thread_join(&pool->helper[k].thread);
    }
    free(pool);
}

int mm_writepool_write(mm_writepool_t *pool, umm_system_t *sys, uint64_t target)
{
    if (!pool || atomic_exchange(&pool->busy, true))
        return mm_writer_run(sys, target);
    atomic_store(&pool->target, target);
    atomic_store(&pool->rc, UMM_OK);
    for (size_t k = 0; k < pool->nhelpers; k++) {
        atomic_store(&pool->helper[k].state, HELPER_RUN);
        mm_os_wake_one(&pool->helper[k].state);
    }
    helper_round(pool);
    for (size_t k = 0; k < pool->nhelpers; k++)
        while (atomic_load(&pool->helper[k].state) == HELPER_RUN)
            mm_os_wait(&pool->helper[k].state, HELPER_RUN);
    for (size_t k = 0; k < pool->nhelpers; k++)
        UMM_ASSERT(atomic_load(&pool->helper[k].state) == HELPER_IDLE);
    int rc = atomic_load(&pool->rc);
    atomic_store(&pool->busy, false);
    /* what emergency reclaim was writing while the helpers stopped, and the error's retry rule */
    return rc != UMM_OK ? rc : mm_writer_run(sys, target);
}
