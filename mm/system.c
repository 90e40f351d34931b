/* system.c - systems and processes: create, destroy, statistics, the exception hook. */
#include "system.h"

#include "assert.h"
#include "failpoint.h"
#include "fault.h"
#include "frames.h"
#include "handle.h"
#include "handler.h"
#include "notify.h"
#include "pagefile.h"
#include "registry.h"
#include "section.h"
#include "vad.h"
#include "vma.h"
#include "workers.h"
#include "ws.h"

#include <stdlib.h>
#include <unistd.h>

void mm_vm_release_locked(mm_vad_t *vad); /* vm.c */

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
    if (cfg->flags & ~(unsigned)(UMM_CFG_PAGEFILE_DIRECT | UMM_CFG_NO_WORKERS))
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

/* Low: RAM/16 but at least 64 pages and at most half of RAM; high: 3 x low (capped). */
static void set_thresholds(umm_system_t *sys)
{
    uint64_t frames = sys->pfn.nframes;
    uint64_t low = sys->cfg.low_memory_bytes ? sys->cfg.low_memory_bytes >> sys->page_shift : frames / 16;
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

static int open_pagefile(umm_system_t *sys)
{
    const umm_config_t *cfg = &sys->cfg;
    sys->pf.fd = -1;
    sys->commit_limit = sys->pfn.nframes;
    if (cfg->pagefile_bytes == 0)
        return UMM_OK;
    int rc = mm_pagefile_open(&sys->pf, cfg->pagefile_path, cfg->pagefile_bytes,
                           cfg->pagefile_max_bytes, sys->page_size,
                           cfg->flags & UMM_CFG_PAGEFILE_DIRECT);
    if (rc == UMM_OK)
        sys->commit_limit = sys->pfn.nframes + sys->pf.nslots - commit_slack(sys);
    return rc;
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
    set_thresholds(sys);
    if ((rc = open_pagefile(sys)) != UMM_OK || (rc = mm_handler_acquire()) != UMM_OK) {
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
    sys->workers = NULL;
    while (sys->procs)
        umm_process_destroy(sys->procs);
    mm_section_destroy_all(sys); /* their views went with the processes */
    mm_notify_destroy_all(sys);
    mm_handler_release();
    mm_pagefile_close(&sys->pf);
    mm_frames_pool_destroy(sys);
    mm_mutex_destroy(&sys->notify_lock);
    free(sys->vads);
    mm_handle_free(sys);
}

int umm_process_create(umm_system_t *sys, umm_process_t **out)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (!out)
        return UMM_E_INVAL;
    umm_process_t *proc = mm_handle_alloc(HANDLE_PROCESS, sizeof *proc);
    if (!proc)
        return UMM_E_NOMEM;
    proc->sys = sys;
    proc->ws_min = UMM_WS_DEFAULT_MIN;
    proc->ws_max = UMM_WS_DEFAULT_MAX;
    proc->priority = STANDBY_DEFAULT_PRIORITY;
    mm_lock(&sys->lock);
    proc->next = sys->procs;
    if (sys->procs)
        sys->procs->prev = proc;
    sys->procs = proc;
    sys->nprocs++;
    mm_unlock(&sys->lock);
    mm_handle_publish(proc);
    *out = proc;
    return UMM_OK;
}

void umm_process_destroy(umm_process_t *proc)
{
    if (!mm_handle_is_live(proc, HANDLE_PROCESS))
        return;
    mm_handle_retire(proc);
    umm_system_t *sys = proc->sys;
    for (;;) {
        mm_lock(&sys->lock);
        mm_vad_t *vad = proc->vads;
        if (vad)
            vad->releasing = true;
        mm_unlock(&sys->lock);
        if (!vad)
            break;
        mm_registry_remove(vad); /* lock order: registry before system */
        mm_lock(&sys->lock);
        mm_vm_release_locked(vad);
        mm_unlock(&sys->lock);
        mm_vad_free(vad);
    }
    mm_lock(&sys->lock);
    if (proc->prev)
        proc->prev->next = proc->next;
    else
        sys->procs = proc->next;
    if (proc->next)
        proc->next->prev = proc->prev;
    sys->nprocs--;
    sys->vma_count -= proc->vma_count;
    mm_unlock(&sys->lock);
    mm_handle_free(proc);
}

int umm_ws_trim(umm_process_t *proc, size_t pages)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    mm_lock(&proc->sys->lock);
    mm_ws_trim_locked(proc, pages, 0);
    mm_vma_enforce_budget(proc->sys);
    mm_unlock(&proc->sys->lock);
    return UMM_OK;
}

int umm_ws_empty(umm_process_t *proc)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    mm_lock(&proc->sys->lock);
    mm_ws_trim_locked(proc, SIZE_MAX, WS_TRIM_ALL);
    mm_vma_enforce_budget(proc->sys);
    mm_unlock(&proc->sys->lock);
    return UMM_OK;
}

int umm_process_set_priority(umm_process_t *proc, unsigned priority)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if (priority >= STANDBY_PRIORITIES)
        return UMM_E_INVAL;
    mm_lock(&proc->sys->lock);
    proc->priority = (uint8_t)priority;
    mm_unlock(&proc->sys->lock);
    return UMM_OK;
}

int umm_set_exception_handler(umm_system_t *sys, umm_exception_handler_t fn, void *ctx)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    mm_lock(&sys->lock);
    sys->exc_fn = fn;
    sys->exc_ctx = ctx;
    mm_unlock(&sys->lock);
    return UMM_OK;
}

int umm_stats_get(umm_system_t *sys, umm_stats_t *out)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (!out)
        return UMM_E_INVAL;
    mm_lock(&sys->lock);
    const mm_pfndb_t *db = &sys->pfn;
    const mm_counters_t *c = &sys->ctr;
    *out = (umm_stats_t){
        .page_size = sys->page_size,
        .total_frames = db->nframes,
        .zeroed = mm_pfn_list_count(db, LIST_ZEROED),
        .free = mm_pfn_list_count(db, LIST_FREE) + mm_pfn_list_count(db, LIST_ZEROING),
        .modified = mm_pfn_list_count(db, LIST_MODIFIED),
        .modified_nowrite = mm_pfn_list_count(db, LIST_MODIFIED_NOWRITE),
        .bad = mm_pfn_list_count(db, LIST_BAD),
        .active = mm_pfn_list_count(db, LIST_ACTIVE),
        .committed = sys->committed,
        .commit_limit = sys->commit_limit,
        .commit_peak = sys->commit_peak,
        .working_set = sys->ws_total,
        .processes = sys->nprocs,
        .faults_total = c->faults_total,
        .faults_demand_zero = c->faults_demand_zero,
        .faults_transition = c->faults_transition,
        .faults_hard = c->faults_hard,
        .faults_access_bit = c->faults_access_bit,
        .faults_dirty_bit = c->faults_dirty_bit,
        .faults_access_violation = c->faults_access_violation,
        .faults_guard = c->faults_guard,
        .faults_in_page_error = c->faults_in_page_error,
        .faults_spurious = c->faults_spurious,
        .pages_zeroed_in_fault = c->pages_zeroed_in_fault,
        .pages_trimmed = c->pages_trimmed,
        .pages_trimmed_zero = c->pages_trimmed_zero,
        .standby_repurposed = c->standby_repurposed,
        .vma_count = sys->vma_count,
        .vma_budget = sys->vma_budget,
        .vma_coalesce_runs = sys->vma_coalesce_runs,
        .pages_output = c->pages_output,
        .page_writes = c->page_writes,
        .pages_input = c->pages_input,
        .page_reads = c->page_reads,
        .pagefile_slots = sys->pf.nslots,
        .pagefile_max_slots = sys->pf.max_slots,
        .pagefile_used = sys->pf.used,
        .pagefile_peak = sys->pf.peak,
        .pagefile_grows = sys->pf.grows,
        .writer_errors = c->writer_errors,
        .read_errors = c->read_errors,
        .pages_zeroed_by_thread = c->pages_zeroed_by_thread,
        .balancer_passes = c->balancer_passes,
        .balancer_trimmed = c->balancer_trimmed,
        .pages_aged = c->pages_aged,
        .low_memory_pages = sys->low_pages,
        .high_memory_pages = sys->high_pages,
        .pages_output_per_sec = sys->out_per_sec,
        .pages_input_per_sec = sys->in_per_sec,
        .faults_per_sec = sys->faults_per_sec,
    };
    for (int p = 0; p < STANDBY_PRIORITIES; p++) {
        out->standby_by_priority[p] = mm_pfn_list_count(db, (enum mm_list_id)(LIST_STANDBY0 + p));
        out->standby += out->standby_by_priority[p];
    }
    out->available = out->zeroed + out->free + out->standby;
    out->low_memory = out->available < sys->low_pages;
    mm_unlock(&sys->lock);
    return UMM_OK;
}

int umm_process_stats_get(umm_process_t *proc, umm_process_stats_t *out)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if (!out)
        return UMM_E_INVAL;
    mm_lock(&proc->sys->lock);
    const mm_counters_t *c = &proc->ctr;
    *out = (umm_process_stats_t){
        .working_set = proc->ws_size,
        .working_set_peak = proc->ws_peak,
        .committed = proc->committed,
        .reservations = proc->nvads,
        .faults_total = c->faults_total,
        .faults_demand_zero = c->faults_demand_zero,
        .faults_transition = c->faults_transition,
        .faults_hard = c->faults_hard,
        .faults_access_bit = c->faults_access_bit,
        .faults_dirty_bit = c->faults_dirty_bit,
        .faults_access_violation = c->faults_access_violation,
        .faults_guard = c->faults_guard,
        .pages_trimmed = c->pages_trimmed,
        .vma_count = proc->vma_count,
        .ws_min = proc->ws_min,
        .ws_max = proc->ws_max,
    };
    uint64_t hist[8];
    mm_ws_age_histogram(proc, hist);
    for (int a = 1; a < 8; a++)
        out->aged_pages += hist[a];
    mm_unlock(&proc->sys->lock);
    return UMM_OK;
}
