/* workers.c - the libuv worker loop (see workers.h). */
#define _GNU_SOURCE
#include "workers.h"

#include "balancer.h"
#include "failpoint.h"
#include "zeroer.h"

#include <stdlib.h>
#include <uv.h>

struct umm_workers {
    umm_system_t *sys;
    uv_loop_t loop;
    uv_thread_t thread;
    uv_timer_t timer;
    uv_async_t wake, stop;
    uv_idle_t idle;
    bool idle_active;
};

static void schedule_zeroing(umm_workers_t *w);

static void after_balance(umm_workers_t *w)
{
    schedule_zeroing(w);
}

static void on_timer(uv_timer_t *t)
{
    umm_workers_t *w = t->data;
    balancer_pass(w->sys, true);
    after_balance(w);
}

static void on_wake(uv_async_t *a)
{
    umm_workers_t *w = a->data;
    balancer_pass(w->sys, false);
    after_balance(w);
}

static void on_idle(uv_idle_t *h)
{
    umm_workers_t *w = h->data;
    if (zeroer_batch(w->sys, 64) == 0) {
        uv_idle_stop(h);
        w->idle_active = false;
    }
}

static void schedule_zeroing(umm_workers_t *w)
{
    if (!w->idle_active && zeroer_pending(w->sys)) {
        uv_idle_start(&w->idle, on_idle);
        w->idle_active = true;
    }
}

static void on_stop(uv_async_t *a)
{
    umm_workers_t *w = a->data;
    uv_close((uv_handle_t *)&w->timer, NULL);
    uv_close((uv_handle_t *)&w->wake, NULL);
    uv_close((uv_handle_t *)&w->idle, NULL);
    uv_close((uv_handle_t *)&w->stop, NULL);
}

static void run(void *arg)
{
    umm_workers_t *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

int workers_start(umm_system_t *sys, umm_workers_t **out)
{
    if (UMM_FAILPOINT("umm/worker/start"))
        return UMM_E_OS;
    umm_workers_t *w = calloc(1, sizeof *w);
    if (!w)
        return UMM_E_NOMEM;
    w->sys = sys;
    if (uv_loop_init(&w->loop) != 0) {
        free(w);
        return UMM_E_OS;
    }
    uint64_t ms = sys->cfg.balance_interval_ms ? sys->cfg.balance_interval_ms : 1000;
    uv_timer_init(&w->loop, &w->timer);
    uv_async_init(&w->loop, &w->wake, on_wake);
    uv_async_init(&w->loop, &w->stop, on_stop);
    uv_idle_init(&w->loop, &w->idle);
    w->timer.data = w->wake.data = w->stop.data = w->idle.data = w;
    uv_timer_start(&w->timer, on_timer, ms, ms);
    if (uv_thread_create(&w->thread, run, w) != 0) {
        on_stop(&w->stop);
        uv_run(&w->loop, UV_RUN_DEFAULT);
        uv_loop_close(&w->loop);
        free(w);
        return UMM_E_OS;
    }
    *out = w;
    return UMM_OK;
}

void workers_stop(umm_workers_t *w)
{
    if (!w)
        return;
    uv_async_send(&w->stop);
    uv_thread_join(&w->thread);
    uv_loop_close(&w->loop);
    free(w);
}

void workers_wake(umm_workers_t *w)
{
    uv_async_send(&w->wake);
}
