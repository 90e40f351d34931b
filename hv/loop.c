/* SPDX-License-Identifier: MIT */
/* loop.c - the host's thread: a libuv loop with the policy timer (every policy interval: a
 * host pass) and the sharing scanner's timer (scan_pages every scan_sleep_ms, like KSM). */
#include "loop.h"

#include "policy.h"

#include <stdlib.h>

struct hv_workers {
    mm_loop_thread_t lt;
    umm_hv_host_t *host;
    uv_timer_t policy, scan;
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

int hv_workers_start(umm_hv_host_t *host)
{
    struct hv_workers *w = calloc(1, sizeof *w);
    if (!w || mm_loop_thread_init(&w->lt) != UMM_OK) {
        free(w);
        return UMM_E_OS;
    }
    w->host = host;
    uint64_t pms = host->cfg.policy_interval_ms ? host->cfg.policy_interval_ms : 1000;
    uint64_t sms = host->cfg.scan_sleep_ms ? host->cfg.scan_sleep_ms : 20;
    uv_timer_init(&w->lt.loop, &w->policy);
    uv_timer_init(&w->lt.loop, &w->scan);
    w->policy.data = w->scan.data = w;
    uv_timer_start(&w->policy, on_policy, pms, pms);
    if (!(host->cfg.flags & UMM_HV_NO_SHARING))
        uv_timer_start(&w->scan, on_scan, sms, sms);
    int rc = mm_loop_thread_start(&w->lt);
    if (rc != UMM_OK) {
        free(w);
        return rc;
    }
    host->workers = w;
    return UMM_OK;
}

void hv_workers_stop(umm_hv_host_t *host)
{
    struct hv_workers *w = host->workers;
    if (!w)
        return;
    mm_loop_thread_stop(&w->lt);
    free(w);
    host->workers = NULL;
}
