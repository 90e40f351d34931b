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

/* Do all pages of [a, b), at most max of them, hold a frame (valid or on Standby/Modified)? */
static bool all_resident(const mm_vad_t *vad, size_t a, size_t b, size_t max)
{
    if (b - a > max)
        return false;
    for (size_t k = a; k < b; k++)
        if (!mm_pte_has_frame(vad->pte[k]))
            return false;
    return true;
}

/* Does a hard fault on page i continue the last read's stream? Just past that read, or just
 * before it (a scan downwards), or beyond pages that have frames: a scan of a partly resident
 * range faults only where pages are missing, and the pages it passed over are no evidence
 * against the stream (a random fault seldom lands within a window past the last read with every
 * page between resident). */
static bool continues_stream(mm_vad_t *vad, size_t i, size_t max)
{
    mm_readahead_t *ra = &vad->ra;
    ra->descending = i < ra->prev;
    if (i >= ra->next)
        return all_resident(vad, ra->next, i, max);
    if (ra->descending)
        return all_resident(vad, i + 1, ra->prev, max);
    return false;
}

size_t mm_readahead_window(mm_vad_t *vad, size_t i)
{
    MM_ASSERT_HELD(&vad->proc->sys->lock);
    mm_readahead_t *ra = &vad->ra;
    size_t max = vad->proc->sys->cluster_pages, w;
    ra->stream = ra->window != 0 && continues_stream(vad, i, max);
    ra->stream_faults = !ra->stream ? 0 : ra->stream_faults < UINT32_MAX ? ra->stream_faults + 1
                                                                         : UINT32_MAX;
    if (ra->window == 0) /* a first hard fault: no history, read as the cluster says */
        w = max;
    else if (ra->stream)
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
    UMM_ASSERT(ra->window >= 1 && ra->window <= max && (ra->stream || ra->stream_faults == 0));
    return w;
}

bool mm_readahead_passed(const mm_vad_t *vad, size_t i, size_t *lo, size_t *hi)
{
    const mm_readahead_t *ra = &vad->ra;
    size_t cl = vad->proc->sys->cluster_pages;
    size_t near = MM_READAHEAD_KEEP_BEHIND * cl, span = MM_READAHEAD_DROP_SPAN * cl;
    if (!ra->stream || ra->stream_faults < MM_READAHEAD_LONG_STREAM)
        return false;
    if (ra->descending) {
        *lo = i + near < vad->npages ? i + near : vad->npages;
        *hi = *lo + span < vad->npages ? *lo + span : vad->npages;
    } else {
        *hi = i > near ? i - near : 0;
        *lo = *hi > span ? *hi - span : 0;
    }
    return *lo < *hi;
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

void mm_readahead_read_more(mm_vad_t *vad, size_t lo, size_t hi, const mm_pfn_id_t *frames)
{
    umm_system_t *sys = vad->proc->sys;
    MM_ASSERT_HELD(&sys->lock);
    for (size_t k = lo; k < hi; k++)
        mm_pfn_entry(&sys->pfn, frames[k - lo])->flags |= PFN_F_READAHEAD;
    vad->ra.next = hi > vad->ra.next ? hi : vad->ra.next;
    vad->ra.prev = lo < vad->ra.prev ? lo : vad->ra.prev;
    MM_COUNT(vad->proc, pages_read_ahead, hi - lo);
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
