/* hostswap.c - host paging: the host writes guest frames to its own swap file behind the
 * guest's back when ballooning and sharing cannot keep it within its RAM, and reads them back on
 * a nested fault. Victims by clock over host frames, first from guests over their entitlement
 * (or limit) skipping frames their guest accessed since the last sweep (the guest PTE's accessed
 * bit plays the EPT accessed bit), then from guests over their reservation, then from anyone. */
#include "host.h"

#include <sys/uio.h>

/* Can the host take guest frame gfn now? Guest held. With second chance, not a frame the guest
 * touched since the last sweep (its accessed bit plays the EPT accessed bit). */
static bool evictable(umm_hv_guest_t *g, uint32_t gfn, bool second_chance)
{
    mm_guest_frame_t info;
    mm_guest_frame(g->sys, gfn, &info);
    return !info.busy && !info.locked && !(second_chance && info.accessed && info.mapped);
}

static bool swap_out(umm_hv_guest_t *g, uint32_t gfn, uint32_t h)
{
    umm_hv_host_t *host = g->host;
    int64_t slot = mm_pagefile_alloc_run(&host->swap, 1);
    if (slot < 0)
        return false;
    mm_guest_frame_unmap(g->sys, gfn); /* no guest mapping may reach h from now on */
    struct iovec iov = {hv_frame_ptr(host, h), host->page_size};
    if (mm_pagefile_write(&host->swap, (uint64_t)slot, &iov, 1) != 0) {
        mm_pagefile_free(&host->swap, (uint64_t)slot);
        return false;
    }
    g->private_frames--;
    g->swapped++;
    g->swapped_out++;
    host->swapped_out++;
    g->p2m[gfn] = p2m_make(P2M_SWAPPED, (uint64_t)slot);
    hv_frame_put(host, h);
    return true;
}

/* May the host take frames from g in this phase of the victim search? Phase 0: only from guests
 * holding more than they are entitled to (or than their limit); phase 1: from any above its
 * reservation; phase 2: from anyone (the last resort). */
static bool takes_from(const umm_hv_host_t *host, const umm_hv_guest_t *g, int phase)
{
    if (host->victim_only && g != host->victim_only)
        return false;
    uint64_t held = g->private_frames;
    uint64_t fair = g->entitlement > g->reservation ? g->entitlement : g->reservation;
    if (held > g->limit)
        return true;
    return phase == 0 ? held > fair : phase == 1 ? held > g->reservation : true;
}

uint32_t hv_pick_victim(umm_hv_host_t *host, umm_hv_guest_t *locked, umm_hv_guest_t **owner)
{
    MM_ASSERT_HELD(&host->lock);
    for (uint64_t step = 0; step < 3 * host->nframes; step++) {
        int phase = (int)(step / host->nframes);
        uint32_t h = (uint32_t)(host->swap_hand++ % host->nframes);
        hv_frame_t *e = &host->frames[h];
        if (h == HV_ZERO_FRAME || e->ref != 1 || (e->flags & (HVF_SHARED | HVF_PIN | HVF_ZCACHE)) ||
            e->owner == HV_NO_GUEST)
            continue;
        umm_hv_guest_t *g = host->guests[e->owner];
        if (!g || !takes_from(host, g, phase))
            continue;
        /* Another guest's lock goes against the order (guest, host): only if free right now. */
        if (!g || (g != locked && !mm_guest_try_hold(g->sys)))
            continue;
        if (evictable(g, e->gfn, phase == 0)) {
            *owner = g;
            return h;
        }
        if (g != locked)
            mm_guest_release(g->sys);
    }
    return UINT32_MAX;
}

bool hv_swap_out_one(umm_hv_host_t *host, umm_hv_guest_t *locked)
{
    MM_ASSERT_HELD(&host->lock);
    if (host->swap.fd < 0)
        return false;
    umm_hv_guest_t *g;
    uint32_t h = hv_pick_victim(host, locked, &g);
    if (h == UINT32_MAX)
        return false;
    bool done = swap_out(g, host->frames[h].gfn, h);
    if (g != locked)
        mm_guest_release(g->sys);
    return done;
}

uint32_t hv_swap_in(umm_hv_guest_t *g, uint32_t gfn)
{
    MM_ASSERT_HELD(&g->host->lock);
    umm_hv_host_t *host = g->host;
    uint64_t slot = p2m_num(g->p2m[gfn]);
    uint32_t h = hv_frame_alloc(host, g, false);
    if (h == UINT32_MAX)
        return h;
    struct iovec iov = {hv_frame_ptr(host, h), host->page_size};
    if (mm_pagefile_read(&host->swap, slot, &iov, 1) != 0) {
        hv_frame_put(host, h);
        return UINT32_MAX;
    }
    mm_pagefile_free(&host->swap, slot);
    g->swapped--;
    g->swapped_in++;
    g->nested_swap_in++;
    host->swapped_in++;
    hv_set_private(g, gfn, h);
    return h;
}
