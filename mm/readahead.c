/* SPDX-License-Identifier: MIT */
/* readahead.c - the adaptive read window of hard faults (see readahead.h). */
#include "readahead.h"

#include "assert.h"

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

size_t mm_readahead_window(mm_vad_t *vad, size_t i)
{
    MM_ASSERT_HELD(&vad->proc->sys->lock);
    mm_readahead_t *ra = &vad->ra;
    size_t max = vad->proc->sys->cluster_pages, w;
    if (ra->window == 0) /* a first hard fault: no history, read as the cluster says */
        w = max;
    else if (i == ra->next || i + 1 == ra->prev) /* a stream, either direction */
        w = (size_t)ra->window * 2;
    else if (ra->hits == 0)
        w = 1;
    else
        w = pow2_at_least((size_t)ra->hits + 2);
    if (ra->window != 0 && w < ra->window / 2) /* shrink gently: one miss is not a pattern */
        w = ra->window / 2;
    w = w < 1 ? 1 : w > max ? max : w;
    ra->window = (uint32_t)w;
    ra->hits = 0;
    UMM_ASSERT(ra->window >= 1 && ra->window <= max);
    return w;
}

void mm_readahead_read_done(mm_vad_t *vad, size_t i, size_t lo, size_t hi, const mm_pfn_id_t *frames)
{
    umm_system_t *sys = vad->proc->sys;
    MM_ASSERT_HELD(&sys->lock);
    for (size_t k = lo; k < hi; k++)
        if (k != i)
            mm_pfn_entry(&sys->pfn, frames[k - lo])->flags |= PFN_F_READAHEAD;
    vad->ra.next = hi;
    vad->ra.prev = lo;
    MM_COUNT(vad->proc, pages_read_ahead, hi - lo - 1);
}

void mm_readahead_use(mm_vad_t *vad, mm_pfn_id_t f, size_t i, size_t faulting)
{
    mm_pfn_t *e = mm_pfn_entry(&vad->proc->sys->pfn, f);
    if (!(e->flags & PFN_F_READAHEAD))
        return;
    e->flags &= (uint16_t)~PFN_F_READAHEAD;
    MM_COUNT(vad->proc, readahead_hits, 1);
    /* Only the page the program touched is evidence: its neighbours come along in the same
     * mapping call whether they will be used or not. */
    if (i == faulting)
        vad->ra.hits++;
}

void mm_readahead_repurposed(mm_vad_t *vad, mm_pfn_id_t f)
{
    mm_pfn_t *e = mm_pfn_entry(&vad->proc->sys->pfn, f);
    if (!(e->flags & PFN_F_READAHEAD))
        return;
    e->flags &= (uint16_t)~PFN_F_READAHEAD;
    MM_COUNT(vad->proc, readahead_wasted, 1);
}
