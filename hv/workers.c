/* workers.c - the host's thread: a libuv loop with the policy timer (every policy interval: a
 * host pass) and the sharing scanner's timer (scan_pages every scan_sleep_ms, like KSM). */
#define _GNU_SOURCE
#include "host.h"

#include <stdlib.h>
#include <uv.h>

struct hv_workers {
    umm_hv_host_t *host;
    uv_loop_t loop;
    uv_thread_t thread;
    uv_timer_t policy, scan;
    uv_async_t stop;
};

static void on_policy(uv_timer_t *t)
{
    struct hv_workers *w = t->data;
    hv_host_pass(w->host, false);
}

static void on_scan(uv_timer_t *t)
{
    struct hv_workers *w = t->data;
    umm_hv_share_scan(w->host, w->host->cfg.scan_pages ? w->host->cfg.scan_pages : 2048, NULL);
}

static void on_stop(uv_async_t *a)
{
    struct hv_workers *w = a->data;
    uv_close((uv_handle_t *)&w->policy, NULL);
    uv_close((uv_handle_t *)&w->scan, NULL);
    uv_close((uv_handle_t *)&w->stop, NULL);
}

static void run(void *arg)
{
    struct hv_workers *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

int hv_workers_start(umm_hv_host_t *host)
{
    struct hv_workers *w = calloc(1, sizeof *w);
    if (!w || uv_loop_init(&w->loop) != 0) {
        free(w);
        return UMM_E_OS;
    }
    w->host = host;
    uint64_t pms = host->cfg.policy_interval_ms ? host->cfg.policy_interval_ms : 1000;
    uint64_t sms = host->cfg.scan_sleep_ms ? host->cfg.scan_sleep_ms : 20;
    uv_timer_init(&w->loop, &w->policy);
    uv_timer_init(&w->loop, &w->scan);
    uv_async_init(&w->loop, &w->stop, on_stop);
    w->policy.data = w->scan.data = w->stop.data = w;
    uv_timer_start(&w->policy, on_policy, pms, pms);
    if (!(host->cfg.flags & UMM_HV_NO_SHARING))
        uv_timer_start(&w->scan, on_scan, sms, sms);
    if (uv_thread_create(&w->thread, run, w) != 0) {
        on_stop(&w->stop);
        uv_run(&w->loop, UV_RUN_DEFAULT);
        uv_loop_close(&w->loop);
        free(w);
        return UMM_E_OS;
    }
    host->workers = w;
    return UMM_OK;
}

void hv_workers_stop(umm_hv_host_t *host)
{
    struct hv_workers *w = host->workers;
    if (!w)
        return;
    uv_async_send(&w->stop);
    uv_thread_join(&w->thread);
    uv_loop_close(&w->loop);
    free(w);
    host->workers = NULL;
}
