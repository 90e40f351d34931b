/* SPDX-License-Identifier: MIT */
/* process.c - processes: create and destroy an address space, and the calls on its working set
 * and standby priority. */
#include "budget.h"
#include "commit.h"
#include "handle.h"
#include "registry.h"
#include "vad.h"
#include "vm.h"
#include "ws.h"

#include <stdlib.h>

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
    mm_budget_enforce(proc->sys);
    mm_unlock(&proc->sys->lock);
    return UMM_OK;
}

int umm_ws_empty(umm_process_t *proc)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    mm_lock(&proc->sys->lock);
    mm_ws_trim_locked(proc, SIZE_MAX, WS_TRIM_ALL);
    mm_budget_enforce(proc->sys);
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

