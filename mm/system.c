/* system.c - systems and processes: create, destroy, statistics, the exception hook. */
#include "system.h"

#include "assert.h"
#include "frames.h"
#include "handler.h"
#include "registry.h"
#include "vad.h"
#include "vma.h"
#include "ws.h"

#include <stdlib.h>
#include <unistd.h>

void vm_release_locked(umm_vad_t *vad); /* vm.c */

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
    if (cfg->cluster_pages == 0 || cfg->cluster_pages > 256 || cfg->vma_budget < 64)
        return UMM_E_INVAL;
    if (cfg->pagefile_bytes > 0)
        return UMM_E_NOT_SUPPORTED; /* the paging file arrives with the paging issue */
    return UMM_OK;
}

int umm_system_create(const umm_config_t *cfg, umm_system_t **out)
{
    if (!cfg || !out)
        return UMM_E_INVAL;
    int rc = validate_config(cfg);
    if (rc != UMM_OK)
        return rc;
    umm_system_t *sys = calloc(1, sizeof *sys);
    if (!sys)
        return UMM_E_NOMEM;
    sys->cfg = *cfg;
    sys->cfg.pagefile_path = NULL; /* not kept: the caller owns the string */
    sys->page_size = cfg->page_size;
    sys->page_shift = log2_exact(cfg->page_size);
    sys->cluster_pages = cfg->cluster_pages;
    sys->vma_budget = cfg->vma_budget;
    sys->pool_fd = -1;
    if ((rc = frames_pool_create(sys)) != UMM_OK) {
        free(sys);
        return rc;
    }
    sys->commit_limit = sys->pfn.nframes;
    sys->vma_count = 1; /* the physical view */
    if ((rc = handler_acquire()) != UMM_OK) {
        frames_pool_destroy(sys);
        free(sys);
        return rc;
    }
    *out = sys;
    return UMM_OK;
}

void umm_system_destroy(umm_system_t *sys)
{
    if (!sys)
        return;
    while (sys->procs)
        umm_process_destroy(sys->procs);
    handler_release();
    frames_pool_destroy(sys);
    free(sys->vads);
    free(sys);
}

int umm_process_create(umm_system_t *sys, umm_process_t **out)
{
    if (!sys || !out)
        return UMM_E_INVAL;
    umm_process_t *proc = calloc(1, sizeof *proc);
    if (!proc)
        return UMM_E_NOMEM;
    proc->sys = sys;
    umm_lock(&sys->lock);
    proc->next = sys->procs;
    if (sys->procs)
        sys->procs->prev = proc;
    sys->procs = proc;
    sys->nprocs++;
    umm_unlock(&sys->lock);
    *out = proc;
    return UMM_OK;
}

void umm_process_destroy(umm_process_t *proc)
{
    if (!proc)
        return;
    umm_system_t *sys = proc->sys;
    for (;;) {
        umm_lock(&sys->lock);
        umm_vad_t *vad = proc->vads;
        if (vad)
            vad->releasing = true;
        umm_unlock(&sys->lock);
        if (!vad)
            break;
        registry_remove(vad); /* lock order: registry before system */
        umm_lock(&sys->lock);
        vm_release_locked(vad);
        umm_unlock(&sys->lock);
        vad_free(vad);
    }
    umm_lock(&sys->lock);
    if (proc->prev)
        proc->prev->next = proc->next;
    else
        sys->procs = proc->next;
    if (proc->next)
        proc->next->prev = proc->prev;
    sys->nprocs--;
    sys->vma_count -= proc->vma_count;
    umm_unlock(&sys->lock);
    free(proc);
}

int umm_ws_trim(umm_process_t *proc, size_t pages)
{
    if (!proc)
        return UMM_E_INVAL;
    umm_lock(&proc->sys->lock);
    ws_trim_locked(proc, pages, 0);
    vma_enforce_budget(proc->sys);
    umm_unlock(&proc->sys->lock);
    return UMM_OK;
}

int umm_ws_empty(umm_process_t *proc)
{
    if (!proc)
        return UMM_E_INVAL;
    umm_lock(&proc->sys->lock);
    ws_trim_locked(proc, SIZE_MAX, WS_TRIM_ALL);
    vma_enforce_budget(proc->sys);
    umm_unlock(&proc->sys->lock);
    return UMM_OK;
}

int umm_set_exception_handler(umm_system_t *sys, umm_exception_handler_t fn, void *ctx)
{
    if (!sys)
        return UMM_E_INVAL;
    umm_lock(&sys->lock);
    sys->exc_fn = fn;
    sys->exc_ctx = ctx;
    umm_unlock(&sys->lock);
    return UMM_OK;
}

int umm_stats_get(umm_system_t *sys, umm_stats_t *out)
{
    if (!sys || !out)
        return UMM_E_INVAL;
    umm_lock(&sys->lock);
    const umm_pfndb_t *db = &sys->pfn;
    const umm_counters_t *c = &sys->ctr;
    *out = (umm_stats_t){
        .page_size = sys->page_size,
        .total_frames = db->nframes,
        .zeroed = pfn_list_count(db, LIST_ZEROED),
        .free = pfn_list_count(db, LIST_FREE),
        .modified = pfn_list_count(db, LIST_MODIFIED),
        .modified_nowrite = pfn_list_count(db, LIST_MODIFIED_NOWRITE),
        .bad = pfn_list_count(db, LIST_BAD),
        .active = pfn_list_count(db, LIST_ACTIVE),
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
    };
    for (int p = 0; p < STANDBY_PRIORITIES; p++) {
        out->standby_by_priority[p] = pfn_list_count(db, (enum umm_list_id)(LIST_STANDBY0 + p));
        out->standby += out->standby_by_priority[p];
    }
    out->available = out->zeroed + out->free + out->standby;
    umm_unlock(&sys->lock);
    return UMM_OK;
}

int umm_process_stats_get(umm_process_t *proc, umm_process_stats_t *out)
{
    if (!proc || !out)
        return UMM_E_INVAL;
    umm_lock(&proc->sys->lock);
    const umm_counters_t *c = &proc->ctr;
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
    };
    umm_unlock(&proc->sys->lock);
    return UMM_OK;
}
