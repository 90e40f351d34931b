/* SPDX-License-Identifier: MIT */
/* prefetch.c - umm_prefetch (PrefetchVirtualMemory): the ranges are checked and queued on the
 * system (under its lock), and the worker thread reads their paged-out pages through the fault
 * resolver (mm_fault_touch): each hard fault reads a cluster, the page itself becomes valid and
 * its neighbours wait on Standby, so later accesses cost a soft fault at most. */
#include "prefetch.h"

#include "fault.h"
#include "handle.h"
#include "vad.h"
#include "workers.h"

#include <stdlib.h>
#include <string.h>

typedef struct mm_prefetch_job {
    struct mm_prefetch_job *next;
    umm_process_t *proc; /* checked again when the job runs: it may be gone */
    size_t n;
    umm_range_t ranges[];
} mm_prefetch_job_t;

/* Is page i on disk only? System locked. */
static bool paged_out(const mm_vad_t *vad, size_t i)
{
    mm_pte_t p = vad->pte[i];
    if (mm_pte_format(p) == PTE_PROTOTYPE) /* the section's page (a copy-on-write copy is not) */
        p = vad->section->proto->pte[mm_pte_num(p)];
    return mm_pte_format(p) == PTE_PAGEFILE;
}

/* Read the paged-out pages of one range, one page (and its cluster) at a time, the lock dropped
 * for each read. A range whose reservation went away ends the range. */
static void prefetch_range(umm_process_t *proc, const umm_range_t *r)
{
    umm_system_t *sys = proc->sys;
    uintptr_t page = sys->page_size, a = (uintptr_t)r->address & ~(page - 1);
    uintptr_t end = (uintptr_t)r->address + r->bytes;
    for (; a < end; a += page) {
        mm_vad_t *vad;
        size_t first, n;
        if (mm_vad_range_lock(proc, (void *)a, page, &vad, &first, &n) != UMM_OK)
            return;
        int prot = mm_pte_prot(vad->pte[first]);
        bool read = paged_out(vad, first) && !(prot & UMM_PROT_GUARD) &&
                    (prot & (UMM_PROT_READ | UMM_PROT_WRITE));
        mm_unlock(&sys->lock);
        umm_exception_t exc = {0};
        if (read)
            (void)mm_fault_touch(a, false, &exc); /* a hint: an in-page error is the access's */
    }
}

static void run_job(mm_prefetch_job_t *job)
{
    for (size_t k = 0; k < job->n && mm_handle_is_live(job->proc, HANDLE_PROCESS); k++)
        prefetch_range(job->proc, &job->ranges[k]);
}

void mm_prefetch_run(umm_system_t *sys)
{
    for (;;) {
        mm_lock(&sys->lock);
        mm_prefetch_job_t *job = sys->prefetch_jobs;
        if (job)
            sys->prefetch_jobs = job->next;
        mm_unlock(&sys->lock);
        if (!job)
            return;
        run_job(job);
        free(job);
    }
}

void mm_prefetch_drop_all(umm_system_t *sys)
{
    while (sys->prefetch_jobs) {
        mm_prefetch_job_t *job = sys->prefetch_jobs;
        sys->prefetch_jobs = job->next;
        free(job);
    }
}

/* Every range inside one reservation of proc. */
static int check_ranges(umm_process_t *proc, const umm_range_t *ranges, size_t n)
{
    size_t page = proc->sys->page_size;
    for (size_t k = 0; k < n; k++) {
        uintptr_t a = (uintptr_t)ranges[k].address & ~(uintptr_t)(page - 1);
        size_t bytes = ranges[k].bytes + ((uintptr_t)ranges[k].address - a);
        mm_vad_t *vad;
        size_t first, npages;
        if (ranges[k].bytes == 0 || bytes < ranges[k].bytes)
            return UMM_E_RANGE;
        int rc = mm_vad_range_lock(proc, (void *)a, bytes, &vad, &first, &npages);
        if (rc != UMM_OK)
            return rc;
        mm_unlock(&proc->sys->lock);
    }
    return UMM_OK;
}

int umm_prefetch(umm_process_t *proc, const umm_range_t *ranges, size_t n)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if ((!ranges && n > 0) || n > ((size_t)1 << 20))
        return UMM_E_INVAL;
    int rc = check_ranges(proc, ranges, n);
    if (rc != UMM_OK || n == 0)
        return rc;
    mm_prefetch_job_t *job = malloc(sizeof *job + n * sizeof *ranges);
    if (!job)
        return UMM_E_NOMEM;
    *job = (mm_prefetch_job_t){.proc = proc, .n = n};
    memcpy(job->ranges, ranges, n * sizeof *ranges);
    umm_system_t *sys = proc->sys;
    if (!sys->workers) { /* nobody in the background: do it now */
        run_job(job);
        free(job);
        return UMM_OK;
    }
    mm_lock(&sys->lock);
    mm_prefetch_job_t **tail = &sys->prefetch_jobs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = job;
    mm_unlock(&sys->lock);
    mm_workers_post(sys->workers, mm_prefetch_run);
    return UMM_OK;
}
