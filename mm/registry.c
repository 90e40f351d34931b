/* SPDX-License-Identifier: MIT */
/* registry.c - address -> VAD (see registry.h). */
#include "registry.h"

#include "assert.h"

#include <stdlib.h>

/* Invariant: vads[0 .. count-1] sorted by start, ranges disjoint. */
static struct {
    mm_lock_t lock;
    mm_vad_t **vads;
    size_t count, cap;
} reg = {MM_LOCK_INIT(MM_RANK_REGISTRY), NULL, 0, 0};

/* Index of the first VAD whose end is above addr. */
static size_t lower_bound(uintptr_t addr)
{
    size_t lo = 0, hi = reg.count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (reg.vads[mid]->end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int mm_registry_insert(mm_vad_t *vad)
{
    mm_lock(&reg.lock);
    if (reg.count == reg.cap) {
        size_t cap = reg.cap ? reg.cap * 2 : 64;
        mm_vad_t **n = realloc(reg.vads, cap * sizeof *n);
        if (!n) {
            mm_unlock(&reg.lock);
            return UMM_E_NOMEM;
        }
        reg.vads = n;
        reg.cap = cap;
    }
    size_t i = lower_bound(vad->start);
    UMM_ASSERT(i == reg.count || reg.vads[i]->start >= vad->end);
    for (size_t k = reg.count; k > i; k--)
        reg.vads[k] = reg.vads[k - 1];
    reg.vads[i] = vad;
    reg.count++;
    mm_unlock(&reg.lock);
    return UMM_OK;
}

void mm_registry_remove(mm_vad_t *vad)
{
    mm_lock(&reg.lock);
    size_t i = lower_bound(vad->start);
    if (i < reg.count && reg.vads[i] == vad) {
        for (size_t k = i; k + 1 < reg.count; k++)
            reg.vads[k] = reg.vads[k + 1];
        reg.count--;
    }
    if (reg.count == 0) {
        free(reg.vads);
        reg.vads = NULL;
        reg.cap = 0;
    }
    mm_unlock(&reg.lock);
}

mm_vad_t *mm_registry_lookup_lock(uintptr_t addr)
{
    mm_lock(&reg.lock);
    size_t i = lower_bound(addr);
    mm_vad_t *vad = NULL;
    if (i < reg.count && reg.vads[i]->start <= addr) {
        vad = reg.vads[i];
        /* Lock order: registry, then system. Holding the registry until the system is locked
         * keeps the VAD from being released in between (release removes it here first). */
        mm_lock(&vad->proc->sys->lock);
    }
    mm_unlock(&reg.lock);
    return vad;
}
