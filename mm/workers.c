/* SPDX-License-Identifier: MIT */
/* workers.c - the libuv worker loop (see workers.h). */
#include "workers.h"

#include "balancer.h"
#include "failpoint.h"
#include "loopthread.h"
#include "writepool.h"
#include "zeroer.h"

#include <stdatomic.h>
#include <stdlib.h>

struct mm_workers {
    mm_loop_thread_t lt; /* first: the handles' loop */
    umm_system_t *sys;
    uv_timer_t timer;
    uv_async_t wake;
    uv_async_t job;                             /* a layer above queued work (mm_workers_post) */
    _Atomic(mm_workers_job_fn) job_fn;          /* what it asked to run; NULL: nothing yet */
    uv_idle_t idle;
    bool idle_active;
};

static void schedule_zeroing(mm_workers_t *w);

static void after_balance(mm_workers_t *w)
{
    schedule_zeroing(w);
}

static void on_timer(uv_timer_t *t)
{
    mm_workers_t *w = t->data;
    mm_balancer_pass(w->sys, BAL_AGE_IF_DUE);
    after_balance(w);
}

static void on_wake(uv_async_t *a)
{
    mm_workers_t *w = a->data;
    mm_balancer_pass(w->sys, BAL_NO_AGING);
    after_balance(w);
}

static void on_job(uv_async_t *a)
{
    mm_workers_t *w = a->data;
    mm_workers_job_fn fn = atomic_load(&w->job_fn);
    if (fn)
        fn(w->sys);
}

/* Batches of 64 frames zeroed per turn of the loop. Each turn also polls the loop's descriptors
 * (a system call): with one batch a turn the zero page thread ran at 0.54-0.65 of memset, with
 * 16 at 0.61-0.81 (alternating runs, docs/performance.md), with no limit no better. 16 batches
 * (4 MiB, well under a millisecond) keep the loop's timers and jobs prompt. */
#define ZERO_BATCHES_PER_TURN 16

static void on_idle(uv_idle_t *h)
{
    mm_workers_t *w = h->data;
    for (int k = 0; k < ZERO_BATCHES_PER_TURN; k++) {
        if (mm_zeroer_batch(w->sys, 64) == 0) {
            uv_idle_stop(h);
            w->idle_active = false;
            return;
        }
    }
}

static void schedule_zeroing(mm_workers_t *w)
{
    if (!w->idle_active && mm_zeroer_pending(w->sys)) {
        uv_idle_start(&w->idle, on_idle);
        w->idle_active = true;
    }
}

static void stop_writepool(umm_system_t *sys)
{
    mm_writepool_stop(sys->writepool);
    sys->writepool = NULL;
}

int mm_workers_start(umm_system_t *sys, mm_workers_t **out)
{
    if (UMM_FAILPOINT(WORKER_START))
        return UMM_E_OS;
    mm_workers_t *w = calloc(1, sizeof *w);
    if (!w)
        return UMM_E_NOMEM;
    w->sys = sys;
    int rc = mm_writepool_start(sys, &sys->writepool);
    if (rc != UMM_OK) {
        free(w);
        return rc;
    }
    if (mm_loop_thread_init(&w->lt) != UMM_OK) {
        stop_writepool(sys);
        free(w);
        return UMM_E_OS;
    }
    uint64_t ms = sys->cfg.balance_interval_ms ? sys->cfg.balance_interval_ms : 1000;
    uv_timer_init(&w->lt.loop, &w->timer);
    uv_async_init(&w->lt.loop, &w->wake, on_wake);
    uv_async_init(&w->lt.loop, &w->job, on_job);
    uv_idle_init(&w->lt.loop, &w->idle);
    w->timer.data = w->wake.data = w->job.data = w->idle.data = w;
    uv_timer_start(&w->timer, on_timer, ms, ms);
    rc = mm_loop_thread_start(&w->lt);
    if (rc != UMM_OK) {
        stop_writepool(sys);
        free(w);
        return rc;
    }
    *out = w;
    return UMM_OK;
}

void mm_workers_stop(mm_workers_t *w)
{
    if (!w)
        return;
    mm_loop_thread_stop(&w->lt); /* first: the pass that drives the writer's helpers ends */
    stop_writepool(w->sys);
    free(w);
}

void mm_workers_wake(mm_workers_t *w)
{
    uv_async_send(&w->wake);
}

void mm_workers_post(mm_workers_t *w, mm_workers_job_fn fn)
{
    atomic_store(&w->job_fn, fn);
    uv_async_send(&w->job);
}
