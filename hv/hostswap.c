/* SPDX-License-Identifier: MIT */
/* hostswap.c - host paging: a victim (victim.c) written to the host swap file, read back on a
 * guest's access, or copied disk to disk to the guest's own paging file (the hand-over). Host
 * swap I/O runs with the host lock dropped: the victim's guest is held throughout (nothing else
 * changes its p2m) and the host frame pinned (HVF_PIN). */
#include "hostswap.h"

#include "hostframe.h"
#include "p2m.h"
#include "victim.h"

#include <sys/uio.h>

/* Write host frame h (guest frame gfn of g, g held) to a fresh slot with the host lock dropped;
 * the slot, or -1 (nothing changed). */
static int64_t write_out(umm_hv_guest_t *g, uint32_t gfn, uint32_t h)
{
    umm_hv_host_t *host = g->host;
    int64_t slot = mm_store_alloc_run(&host->swap_store, 1);
    if (slot < 0)
        return -1;
    mm_guest_frame_unmap(g->sys, gfn); /* no guest mapping may reach h from now on */
    host->frames[h].flags |= HVF_PIN;
    struct iovec iov = {hv_frame_ptr(host, h), host->page_size};
    mm_unlock(&host->lock);
    int rc = mm_store_write(&host->swap_store, (uint64_t)slot, &iov, 1);
    mm_lock(&host->lock);
    host->frames[h].flags &= ~(uint32_t)HVF_PIN;
    if (rc != UMM_OK) {
        mm_store_free(&host->swap_store, (uint64_t)slot);
        return -1;
    }
    return slot;
}

static bool swap_out(umm_hv_guest_t *g, uint32_t gfn, uint32_t h)
{
    umm_hv_host_t *host = g->host;
    int64_t slot = write_out(g, gfn, h);
    if (slot < 0)
        return false;
    UMM_ASSERT(g->p2m[gfn] == p2m_make(P2M_PRESENT, h)); /* its guest was held throughout */
    g->private_frames--;
    g->swapped++;
    g->swapped_out++;
    host->swapped_out++;
    g->p2m[gfn] = p2m_make(P2M_SWAPPED, (uint64_t)slot);
    hv_frame_put(host, h);
    return true;
}

bool hv_swap_out_one(umm_hv_host_t *host, umm_hv_guest_t *locked)
{
    MM_ASSERT_HELD(&host->lock);
    if (!host->swap_store.ops)
        return false;
    umm_hv_guest_t *g;
    enum hv_victim_class cls;
    uint32_t h = hv_pick_victim(host, locked, &g, &cls);
    if (h == UINT32_MAX)
        return false;
    bool done = hv_take_cheap(g, h, cls);
    if (!done && (done = swap_out(g, host->frames[h].gfn, h)))
        hv_count_victim(g, cls);
    if (g != locked)
        mm_guest_release(g->sys);
    return done;
}

uint32_t hv_swap_in(umm_hv_guest_t *g, uint32_t gfn, uint32_t h)
{
    MM_ASSERT_HELD(&g->host->lock);
    UMM_ASSERT(mm_guest_is_held(g->sys)); /* nothing else changes its p2m while we read */
    umm_hv_host_t *host = g->host;
    uint64_t slot = p2m_num(g->p2m[gfn]); /* after the alloc, which may drop the host lock */
    struct iovec iov = {hv_frame_ptr(host, h), host->page_size};
    host->frames[h].flags |= HVF_PIN;
    mm_unlock(&host->lock);
    int rc = mm_store_read(&host->swap_store, slot, &iov, 1);
    mm_lock(&host->lock);
    host->frames[h].flags &= ~(uint32_t)HVF_PIN;
    if (rc != UMM_OK) {
        hv_frame_put(host, h);
        return UINT32_MAX;
    }
    UMM_ASSERT(g->p2m[gfn] == p2m_make(P2M_SWAPPED, slot));
    mm_store_free(&host->swap_store, slot);
    g->swapped--;
    g->swapped_in++;
    g->nested_swap_in++;
    host->swapped_in++;
    hv_set_private(g, gfn, h);
    return h;
}

int hv_swap_copy_out(umm_hv_guest_t *g, uint32_t gfn, mm_store_t *st, uint64_t to)
{
    umm_hv_host_t *host = g->host;
    mm_lock(&host->lock);
    p2m_t e = g->p2m[gfn];
    mm_unlock(&host->lock);
    /* The guest frame is pinned by its writer (busy): the host leaves its p2m, and so the slot,
     * alone until the write is done; the copy needs no lock. */
    UMM_ASSERT(p2m_state(e) == P2M_SWAPPED);
    int rc = mm_store_copy(&host->swap_store, p2m_num(e), st, to, 1);
    mm_lock(&host->lock);
    if (rc == UMM_OK)
        g->handed_over++;
    mm_unlock(&host->lock);
    return rc;
}
