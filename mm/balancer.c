/* SPDX-License-Identifier: MIT */
/* balancer.c - the balance-set manager (see balancer.h). */
#include "balancer.h"

#include "budget.h"
#include "frames.h"
#include "handle.h"
#include "notify.h"
#include "os.h"
#include "writepool.h"
#include "filemap.h"
#include "ws.h"
#include "zeroer.h"

#include <stdlib.h>

typedef struct candidate {
    umm_process_t *proc;
    uint64_t score;
} candidate_t;

static int by_score_desc(const void *a, const void *b)
{
    uint64_t x = ((const candidate_t *)a)->score, y = ((const candidate_t *)b)->score;
    return (x < y) - (x > y);
}

/* Processes over their minimum, most to trim first: pages above the minimum, plus the aged
 * (idle) ones counted again, so of two equal working sets the idle one goes first. */
static size_t rank_processes(umm_system_t *sys, candidate_t *out)
{
    size_t n = 0;
    for (umm_process_t *p = sys->procs; p; p = p->next) {
        if (p->ws_size <= p->ws_min)
            continue;
        uint64_t hist[8];
        mm_ws_age_histogram(p, hist);
        uint64_t aged = 0;
        for (int a = 1; a < 8; a++)
            aged += hist[a];
        out[n++] = (candidate_t){p, (p->ws_size - p->ws_min) + aged};
    }
    qsort(out, n, sizeof *out, by_score_desc);
    return n;
}

static size_t room_above_min(const umm_process_t *p)
{
    return p->ws_size > p->ws_min ? p->ws_size - p->ws_min : 0;
}

/* Trim up to `need` pages at least min_age old (WS_AGED_* flags), oldest first: for each age
 * from 7 down the ranked processes in turn. */
static uint64_t trim_by_age(candidate_t *c, size_t n, uint64_t need, unsigned min_age,
                            unsigned flags)
{
    uint64_t done = 0;
    for (unsigned age = 8; age-- > min_age && done < need;)
        for (size_t k = 0; k < n && done < need; k++) {
            size_t room = room_above_min(c[k].proc);
            done += mm_ws_trim_aged(c[k].proc, age, need - done < room ? need - done : room, flags);
        }
    return done;
}

/* Trim up to `need` pages whose frames the backend does not share: idlest first, accessed ones
 * last (pages in a working set that was never aged are all accessed). */
static uint64_t trim_private(candidate_t *c, size_t n, uint64_t need)
{
    uint64_t done = trim_by_age(c, n, need, 0, WS_AGED_PRIVATE);
    return done + trim_by_age(c, n, need - done, 0, WS_AGED_PRIVATE | WS_AGED_ANY);
}

/* Trim up to `need` pages, oldest first: for each age from 7 down to 1 the ranked processes in
 * turn; when aged pages run out (always, under UMM_TRIM_CLOCK, which keeps no ages), pages not
 * accessed since the last pass, by clock with second chance. A guest whose host shares some of
 * its frames trims private pages first, up to `need_private` (>= need: its free frames the host
 * shares do not count, since a fault repurposing one frees no host memory and undoes the
 * sharing), even recently used ones: trimming costs at most a soft fault, and trimming a shared
 * page would unshare it for nothing. */
static uint64_t trim_oldest(umm_system_t *sys, uint64_t need, uint64_t need_private)
{
    candidate_t *c = malloc((sys->nprocs + 1) * sizeof *c);
    if (!c)
        return 0;
    size_t n = rank_processes(sys, c);
    uint64_t done = 0;
    if (mm_frames_backend_shares(sys))
        done += trim_private(c, n, need_private);
    need = need > done ? need - done : 0;
    done += trim_by_age(c, n, need, 1, 0);
    for (size_t k = 0; k < n && done < need; k++) {
        size_t room = room_above_min(c[k].proc);
        done += mm_ws_trim_locked(c[k].proc, need - done < room ? need - done : room, 0);
    }
    free(c);
    return done;
}

static uint64_t shortfall(const umm_system_t *sys, uint64_t avail)
{
    return avail < sys->high_pages ? sys->high_pages - avail : 0;
}

/* The most Modified pages a pass leaves: a quarter of RAM may wait dirty for its write. */
static uint64_t modified_max(const umm_system_t *sys)
{
    return sys->pfn.nframes / 4;
}

/* How many Modified pages this pass's write leaves: at most modified_max (Windows' modified page
 * writer also runs once the list passes a maximum), and fewer by the shortfall when available
 * memory is below high, the pages written becoming Standby. Not the whole list: a dirty page the
 * program touches again while it is still on Modified comes back by a soft fault with no write,
 * and written just before, it would have cost a write for nothing. A guest still writes them all
 * when short or when `low` are dirty: its frames are the host's memory, and a dirty one is a frame
 * its balloon cannot take (hv_overcommit, docs/performance.md). */
static uint64_t write_target(umm_system_t *sys, uint64_t modified)
{
    if (modified == 0) /* nothing to write: spare a guest's walk of its lists for available */
        return 0;
    uint64_t need = shortfall(sys, mm_frames_available_private(sys));
    if (sys->phys)
        return need > 0 || modified >= sys->low_pages ? 0 : modified;
    uint64_t keep = modified > need ? modified - need : 0;
    return keep < modified_max(sys) ? keep : modified_max(sys);
}

static void update_rates(umm_system_t *sys, uint64_t now)
{
    uint64_t dt = now - sys->rate_t_ns;
    if (sys->rate_t_ns != 0 && dt < 500000000ull)
        return;
    if (sys->rate_t_ns != 0) {
        double s = (double)dt / 1e9;
        sys->out_per_sec = (double)(sys->ctr.pages_output - sys->rate_out) / s;
        sys->in_per_sec = (double)(sys->ctr.pages_input - sys->rate_in) / s;
        sys->faults_per_sec = (double)(sys->ctr.faults_total - sys->rate_faults) / s;
    }
    sys->rate_t_ns = now;
    sys->rate_out = sys->ctr.pages_output;
    sys->rate_in = sys->ctr.pages_input;
    sys->rate_faults = sys->ctr.faults_total;
}

void mm_balancer_pass(umm_system_t *sys, enum balancer_aging aging)
{
    uint64_t now = mm_os_now_ns();
    mm_lock(&sys->lock);
    sys->ctr.balancer_passes++;
    update_rates(sys, now);
    uint64_t avail = mm_frames_available(sys), avail_private = mm_frames_available_private(sys);
    /* Trimming frees memory only when the dirty pages it produces can be written out. */
    if ((mm_sys_has_pagefile(sys) || mm_sys_has_file_sections(sys)) &&
        avail_private < sys->high_pages) {
        uint64_t interval = (uint64_t)(sys->cfg.balance_interval_ms ? sys->cfg.balance_interval_ms : 1000) * 1000000ull;
        unsigned policy = sys->cfg.trim_policy;
        bool due = aging == BAL_AGE_NOW || (aging == BAL_AGE_IF_DUE && now - sys->last_age_ns >= interval / 2);
        if (due && policy != UMM_TRIM_CLOCK) {
            for (umm_process_t *p = sys->procs; p; p = p->next)
                sys->ctr.pages_aged += policy == UMM_TRIM_FIFO ? mm_ws_age_fifo(p) : mm_ws_age(p);
            sys->last_age_ns = now;
        }
        sys->ctr.balancer_trimmed += trim_oldest(sys, shortfall(sys, avail),
                                                  shortfall(sys, avail_private));
    }
    mm_budget_enforce(sys);
    uint64_t modified = mm_pfn_list_count(&sys->pfn, LIST_MODIFIED);
    uint64_t target = write_target(sys, modified);
    bool write = (mm_sys_has_pagefile(sys) || mm_sys_has_file_sections(sys)) && modified > target;
    mm_unlock(&sys->lock);
    if (write)
        mm_writepool_write(sys->writepool, sys, target);
    mm_notify_evaluate(sys);
}

uint64_t mm_balancer_trim_private(umm_system_t *sys, uint64_t need)
{
    MM_ASSERT_HELD(&sys->lock);
    candidate_t *c = malloc((sys->nprocs + 1) * sizeof *c);
    if (!c)
        return 0;
    uint64_t done = trim_private(c, rank_processes(sys, c), need);
    free(c);
    sys->ctr.balancer_trimmed += done;
    return done;
}

int umm_balance(umm_system_t *sys)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    mm_balancer_pass(sys, BAL_AGE_NOW);
    while (mm_zeroer_batch(sys, 64) > 0) /* the zero page thread's work, done now */
        ;
    return UMM_OK;
}
