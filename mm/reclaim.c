/* SPDX-License-Identifier: MIT */
/* reclaim.c - emergency reclaim on the fault path (see reclaim.h). */
#include "reclaim.h"

#include "frames.h"
#include "workers.h"
#include "writer.h"
#include "ws.h"

/* A guest that would otherwise fail for lack of frames takes pages back from its balloon. */
static bool deflate_on_pressure(umm_system_t *sys)
{
    return sys->phys && sys->phys->deflate && sys->phys->deflate(sys, 4 * (size_t)sys->cluster_pages) > 0;
}

/* Frames the zero page thread or another thread's write holds with the lock dropped return to a
 * list in moments: a fault that finds none available waits for them (the caller retries) rather
 * than failing for want of frames that exist. */
static bool frames_in_transit(umm_system_t *sys)
{
    return mm_pfn_list_count(&sys->pfn, LIST_ZEROING) > 0 || mm_writer_in_flight(sys);
}

bool mm_reclaim_for_fault(umm_system_t *sys)
{
    MM_ASSERT_HELD(&sys->lock);
    mm_reclaim_wake_workers(sys);
    if (mm_writer_write_cluster_locked(sys) > 0) {
        sys->ctr.reclaim_writes++;
        return true;
    }
    /* Nothing to write: trim the largest working set; its clean and zero pages become available
     * now, its dirty ones the next time round. */
    umm_process_t *big = NULL;
    for (umm_process_t *p = sys->procs; p; p = p->next)
        if (p->ws_size > 0 && (!big || p->ws_size > big->ws_size))
            big = p;
    size_t n = big ? mm_ws_trim_locked(big, 4 * (size_t)sys->cluster_pages, 0) : 0;
    /* Without a paging file only zero pages come back; dirty ones would loop here forever. */
    if (n > 0 && (mm_frames_available(sys) > 0 || mm_sys_has_pagefile(sys)))
        return true;
    return deflate_on_pressure(sys) || frames_in_transit(sys);
}

void mm_reclaim_wake_workers(umm_system_t *sys)
{
    if (sys->workers)
        mm_workers_wake(sys->workers);
}
