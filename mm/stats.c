/* SPDX-License-Identifier: MIT */
/* stats.c - the statistics API: snapshots of a system's and a process's gauges and counters, and
 * the description of every field (from UMM_STATS_FIELDS in umm.h) for bindings. */
#include "frames.h"
#include "handle.h"
#include "state.h"
#include "ws.h"

#include <stddef.h>

/* The gauges of a system: what its state says right now. System locked. */
/* The paging-file gauges count every store (a system's slots are theirs together). */
static void stores_gauges(umm_system_t *sys, umm_stats_t *out)
{
    const mm_stores_t *set = &sys->stores;
    out->pagefile_slots = mm_stores_slots(set);
    out->pagefile_used = mm_stores_used(set);
    out->pagefile_max_slots = out->pagefile_peak = 0;
    for (unsigned i = 0; i < set->n; i++) {
        out->pagefile_max_slots += set->st[i].slots->max_slots;
        out->pagefile_peak += set->st[i].slots->peak;
    }
    out->pagefile_grows = sys->pf.grows;
}

static void system_gauges(umm_system_t *sys, umm_stats_t *out)
{
    MM_ASSERT_HELD(&sys->lock);
    const mm_pfndb_t *db = &sys->pfn;
    out->page_size = sys->page_size;
    out->total_frames = db->nframes;
    out->zeroed = mm_pfn_list_count(db, LIST_ZEROED);
    /* frames the zero page thread is clearing are free frames in transit to Zeroed */
    out->free = mm_pfn_list_count(db, LIST_FREE) + mm_pfn_list_count(db, LIST_ZEROING);
    out->standby = 0;
    for (int p = 0; p < STANDBY_PRIORITIES; p++) {
        out->standby_by_priority[p] = mm_pfn_list_count(db, (enum mm_list_id)(LIST_STANDBY0 + p));
        out->standby += out->standby_by_priority[p];
    }
    out->modified = mm_pfn_list_count(db, LIST_MODIFIED);
    out->modified_nowrite = mm_pfn_list_count(db, LIST_MODIFIED_NOWRITE);
    out->bad = mm_pfn_list_count(db, LIST_BAD);
    out->active = mm_pfn_list_count(db, LIST_ACTIVE);
    out->available = out->zeroed + out->free + out->standby;
    out->committed = sys->committed;
    out->commit_limit = sys->commit_limit;
    out->commit_peak = sys->commit_peak;
    out->working_set = sys->ws_total;
    out->processes = sys->nprocs;
    out->locked_pages = sys->locked_pages;
    out->pinned_frames = sys->pinned_frames;
    out->vma_count = sys->vma_count;
    out->vma_budget = sys->vma_budget;
    stores_gauges(sys, out);
    /* a buffered paging file's I/O all passes through the page cache: the reads and writes are
       the pages it has held there (the kernel drops them on its own schedule) */
    bool buffered = sys->pf.fd >= 0 && !sys->pf.direct;
    out->pagefile_direct = sys->pf.fd >= 0 && sys->pf.direct;
    out->pages_through_cache = buffered ? sys->ctr.pages_output + sys->ctr.pages_input : 0;
    out->low_memory = out->available < sys->low_pages;
    out->low_memory_pages = sys->low_pages;
    out->high_memory_pages = sys->high_pages;
    out->pages_output_per_sec = sys->out_per_sec;
    out->pages_input_per_sec = sys->in_per_sec;
    out->faults_per_sec = sys->faults_per_sec;
}

int umm_stats_get(umm_system_t *sys, umm_stats_t *out)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (!out)
        return UMM_E_INVAL;
    *out = (umm_stats_t){0};
    mm_lock(&sys->lock);
    system_gauges(sys, out);
#define COPY_COUNTER_(name, doc) out->name = sys->ctr.name;
#define NOT_COUNTER_(name, doc)
    UMM_STATS_FIELDS(NOT_COUNTER_, COPY_COUNTER_, NOT_COUNTER_, NOT_COUNTER_)
    mm_unlock(&sys->lock);
    return UMM_OK;
}

int umm_store_stats_get(umm_system_t *sys, unsigned index, umm_store_stats_t *out)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (!out)
        return UMM_E_INVAL;
    mm_lock(&sys->lock);
    bool found = index < sys->stores.n;
    if (found)
        mm_store_stats(&sys->stores.st[index], out);
    mm_unlock(&sys->lock);
    return found ? UMM_OK : UMM_E_NOT_FOUND;
}

int umm_process_stats_get(umm_process_t *proc, umm_process_stats_t *out)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if (!out)
        return UMM_E_INVAL;
    *out = (umm_process_stats_t){0};
    mm_lock(&proc->sys->lock);
    out->working_set = proc->ws_size;
    out->working_set_peak = proc->ws_peak;
    out->committed = proc->committed;
    out->reservations = proc->nvads;
    out->locked_pages = proc->locked_pages;
    out->vma_count = proc->vma_count;
    out->ws_min = proc->ws_min;
    out->ws_max = proc->ws_max;
    uint64_t hist[8];
    mm_ws_age_histogram(proc, hist);
    for (int a = 1; a < 8; a++)
        out->aged_pages += hist[a];
#define COPY_PROC_COUNTER_(name, doc) out->name = proc->ctr.name;
    UMM_PROCESS_STATS_FIELDS(NOT_COUNTER_, COPY_PROC_COUNTER_)
    mm_unlock(&proc->sys->lock);
    return UMM_OK;
}

#define FIELD_(kind, type, name, doc) {#name, doc, offsetof(type, name), kind},
#define SYS_G_(name, doc) FIELD_('G', umm_stats_t, name, doc)
#define SYS_C_(name, doc) FIELD_('C', umm_stats_t, name, doc)
#define SYS_R_(name, doc) FIELD_('R', umm_stats_t, name, doc)
#define SYS_A_(name, doc) FIELD_('A', umm_stats_t, name, doc)
#define PROC_G_(name, doc) FIELD_('G', umm_process_stats_t, name, doc)
#define PROC_C_(name, doc) FIELD_('C', umm_process_stats_t, name, doc)

static const umm_stat_field_t system_fields[] = {
    UMM_STATS_FIELDS(SYS_G_, SYS_C_, SYS_R_, SYS_A_)};
static const umm_stat_field_t process_fields[] = {UMM_PROCESS_STATS_FIELDS(PROC_G_, PROC_C_)};

const umm_stat_field_t *umm_stats_field(unsigned which, unsigned i, size_t *struct_size)
{
    const umm_stat_field_t *t = which == 0 ? system_fields : which == 1 ? process_fields : NULL;
    size_t n = which == 0 ? sizeof system_fields / sizeof *t : sizeof process_fields / sizeof *t;
    if (struct_size)
        *struct_size = which == 0 ? sizeof(umm_stats_t) : which == 1 ? sizeof(umm_process_stats_t) : 0;
    return t && i < n ? &t[i] : NULL;
}
