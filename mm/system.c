/* SPDX-License-Identifier: MIT */
/* system.c - a system: create it (validate the configuration, the RAM pool, thresholds, the
 * paging file, the fault handler, the workers) and destroy it. */
#include "system.h"

#include "assert.h"
#include "exception.h"
#include "failpoint.h"
#include "fault.h"
#include "filerd.h"
#include "frames.h"
#include "handle.h"
#include "handler.h"
#include "notify.h"
#include "store.h"
#include "prefetch.h"
#include "registry.h"
#include "section.h"
#include "vad.h"
#include "vma.h"
#include "workers.h"
#include "ws.h"

#include <stdlib.h>
#include <unistd.h>


static unsigned log2_exact(size_t v)
{
    unsigned s = 0;
    while (((size_t)1 << s) < v)
        s++;
    return s;
}

static int validate_config(const umm_config_t *cfg)
{
    size_t os_page = (size_t)sysconf(_SC_PAGESIZE);
    size_t ps = cfg->page_size;
    if (ps < os_page || ps > ((size_t)64 << 10) || (ps & (ps - 1)) != 0)
        return UMM_E_INVAL;
    if (cfg->ram_bytes == 0 || cfg->ram_bytes % ps != 0 || cfg->ram_bytes / ps >= PFN_NIL)
        return UMM_E_INVAL;
    if (cfg->cluster_pages == 0 || cfg->cluster_pages > FAULT_MAX_CLUSTER || cfg->vma_budget < 64)
        return UMM_E_INVAL;
    unsigned shift = log2_exact(ps);
    if (cfg->pagefile_bytes % ps != 0 || cfg->pagefile_max_bytes % ps != 0 ||
        (cfg->pagefile_bytes >> shift) >= UINT32_MAX || (cfg->pagefile_max_bytes >> shift) >= UINT32_MAX)
        return UMM_E_INVAL;
    if ((cfg->nstores && !cfg->stores) || cfg->nstores + (cfg->pagefile_bytes != 0) > UMM_STORES_MAX)
        return UMM_E_INVAL;
    for (unsigned i = 0; i < cfg->nstores; i++)
        if (mm_store_config_check(&cfg->stores[i], ps) != UMM_OK)
            return UMM_E_INVAL;
    if (cfg->flags & ~(unsigned)(UMM_CFG_PAGEFILE_DIRECT | UMM_CFG_NO_WORKERS |
                                 UMM_CFG_EXCEPTIONS_IN_SIGNAL | UMM_CFG_PAGEFILE_BUFFERED |
                                 UMM_CFG_FILE_BUFFERED))
        return UMM_E_INVAL;
    if ((cfg->flags & UMM_CFG_PAGEFILE_DIRECT) && (cfg->flags & UMM_CFG_PAGEFILE_BUFFERED))
        return UMM_E_INVAL;
    if (cfg->trim_policy > UMM_TRIM_CLOCK)
        return UMM_E_INVAL;
    /* Thresholds: each within RAM, low not above high (0 = the default, derived from RAM) */
    if (cfg->low_memory_bytes > cfg->ram_bytes || cfg->high_memory_bytes > cfg->ram_bytes ||
        (cfg->low_memory_bytes && cfg->high_memory_bytes &&
         cfg->low_memory_bytes > cfg->high_memory_bytes))
        return UMM_E_INVAL;
    return UMM_OK;
}

/* Low: RAM/16 but at least 64 pages and at most half of RAM; high: 3 x low (capped). A guest's
 * RAM here is what its balloon leaves it (as for a guest booted that small); the caps stay
 * those of all its frames, so a balloon can never take the last 64 pages. */
void mm_system_set_thresholds(umm_system_t *sys)
{
    UMM_ASSERT(sys->ballooned <= sys->pfn.nframes);
    uint64_t frames = sys->pfn.nframes, usable = frames - sys->ballooned;
    uint64_t low = sys->cfg.low_memory_bytes ? sys->cfg.low_memory_bytes >> sys->page_shift : usable / 16;
    if (!sys->cfg.low_memory_bytes && low < 64)
        low = 64;
    if (low > frames / 2)
        low = frames / 2;
    uint64_t high = sys->cfg.high_memory_bytes ? sys->cfg.high_memory_bytes >> sys->page_shift : 3 * low;
    if (high < low)
        high = low;
    if (high > frames)
        high = frames;
    sys->low_pages = low;
    sys->high_pages = high;
}

/* Commit limit = RAM + paging file, less a little slack with a paging file: with every frame
 * dirty and every slot taken, the slack guarantees some page in RAM still has a copy on disk
 * and can give its frame up, so paging can always make progress. */
static uint64_t commit_slack(const umm_system_t *sys)
{
    uint64_t slack = 4 * (uint64_t)sys->cluster_pages + 64;
    return slack < sys->pfn.nframes / 4 ? slack : sys->pfn.nframes / 4;
}

/* The paging file of cfg.pagefile_* (store 0 when there is one), then cfg.stores in order; the
 * commit limit counts them all. */
static int open_stores(umm_system_t *sys)
{
    const umm_config_t *cfg = &sys->cfg;
    sys->pf.fd = -1;
    sys->commit_limit = sys->pfn.nframes;
    int rc = UMM_OK;
    if (cfg->pagefile_bytes != 0) {
        rc = mm_pagefile_open(&sys->pf, cfg->pagefile_path, cfg->pagefile_bytes,
                              cfg->pagefile_max_bytes, sys->page_size,
                              !(cfg->flags & UMM_CFG_PAGEFILE_BUFFERED));
        mm_store_t st;
        mm_store_wrap_pagefile(&st, &sys->pf, "pagefile0");
        if (rc == UMM_OK && (rc = mm_stores_add(&sys->stores, &st)) != UMM_OK)
            mm_pagefile_close(&sys->pf);
    }
    for (unsigned i = 0; rc == UMM_OK && i < cfg->nstores; i++) {
        mm_store_t st;
        if ((rc = mm_store_open(&st, &cfg->stores[i], sys->page_size, sys->stores.n)) != UMM_OK)
            break;
        if ((rc = mm_stores_add(&sys->stores, &st)) != UMM_OK)
            mm_store_close(&st);
    }
    if (rc != UMM_OK) {
        mm_stores_close(&sys->stores);
        mm_pagefile_close(&sys->pf);
        return rc;
    }
    if (sys->stores.n)
        sys->commit_limit = sys->pfn.nframes + mm_stores_slots(&sys->stores) - commit_slack(sys);
    return UMM_OK;
}

int umm_system_create(const umm_config_t *cfg, umm_system_t **out)
{
    return mm_system_create_with_phys(cfg, NULL, NULL, out);
}

int mm_system_create_with_phys(const umm_config_t *cfg, const mm_phys_ops_t *phys, void *phys_ctx,
                            umm_system_t **out)
{
    if (!cfg || !out)
        return UMM_E_INVAL;
    int rc = validate_config(cfg);
    if (rc != UMM_OK)
        return rc;
    mm_failpoint_read_environment();
    umm_system_t *sys = mm_handle_alloc(HANDLE_SYSTEM, sizeof *sys);
    if (!sys)
        return UMM_E_NOMEM;
    mm_lock_init(&sys->lock, MM_RANK_SYSTEM);
    mm_exception_init(sys);
    sys->phys = phys;
    sys->phys_ctx = phys_ctx;
    sys->cfg = *cfg;
    sys->page_size = cfg->page_size;
    sys->page_shift = log2_exact(cfg->page_size);
    sys->cluster_pages = cfg->cluster_pages;
    sys->vma_budget = cfg->vma_budget;
    sys->pool.fd = -1;
    if ((rc = mm_frames_pool_create(sys)) != UMM_OK) {
        mm_handle_free(sys);
        return rc;
    }
    sys->vma_count = 1; /* the physical view */
    mm_mutex_init(&sys->notify_lock, MM_RANK_NOTIFY);
    mm_system_set_thresholds(sys);
    if ((rc = open_stores(sys)) != UMM_OK || (rc = mm_handler_acquire()) != UMM_OK) {
        mm_stores_close(&sys->stores);
        mm_pagefile_close(&sys->pf);
        mm_frames_pool_destroy(sys);
        mm_handle_free(sys);
        return rc;
    }
    mm_handle_publish(sys);
    if (!(cfg->flags & UMM_CFG_NO_WORKERS) && (rc = mm_workers_start(sys, &sys->workers)) != UMM_OK) {
        umm_system_destroy(sys);
        return rc;
    }
    *out = sys;
    return UMM_OK;
}

void umm_system_destroy(umm_system_t *sys)
{
    if (!mm_handle_is_live(sys, HANDLE_SYSTEM))
        return;
    mm_handle_retire(sys); /* from here on a second destroy, or any call, is an error */
    mm_workers_stop(sys->workers); /* first: a write in flight completes, nothing runs after */
    mm_filerd_stop(sys);           /* file read-ahead in flight completes, the queue is dropped */
    mm_prefetch_drop_all(sys);
    sys->workers = NULL;
    while (sys->procs)
        umm_process_destroy(sys->procs);
    mm_section_destroy_all(sys); /* their views went with the processes */
    mm_notify_destroy_all(sys);
    mm_exception_destroy_all(sys);
    mm_handler_release();
    mm_stores_close(&sys->stores);
    mm_pagefile_close(&sys->pf);
    mm_frames_pool_destroy(sys);
    mm_mutex_destroy(&sys->notify_lock);
    free(sys->vads);
    mm_handle_free(sys);
}


