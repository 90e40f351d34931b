/* SPDX-License-Identifier: MIT */
/* p2m.c - what backs a guest frame, the moves that need no new host frame (p2m.h): recording a
 * private frame, releasing whatever backs it. The host lock is held throughout. */
#include "p2m.h"

#include "hostframe.h"
#include "zcache.h"

void hv_set_private(umm_hv_guest_t *g, uint32_t gfn, uint32_t f)
{
    MM_ASSERT_HELD(&g->host->lock);
    hv_frame_t *e = &g->host->frames[f];
    e->owner = g->id;
    e->gfn = gfn;
    g->p2m[gfn] = p2m_make(P2M_PRESENT, f);
    g->private_frames++;
}

void hv_drop_backing(umm_hv_guest_t *g, uint32_t gfn, unsigned to)
{
    MM_ASSERT_HELD(&g->host->lock);
    umm_hv_host_t *host = g->host;
    p2m_t e = g->p2m[gfn];
    switch (p2m_state(e)) {
    case P2M_PRESENT:
        g->private_frames--;
        hv_frame_put(host, (uint32_t)p2m_num(e));
        break;
    case P2M_SHARED:
        g->shared--;
        hv_frame_put(host, (uint32_t)p2m_num(e));
        break;
    case P2M_ZERO:
        g->shared--;
        g->shared_zero--;
        break;
    case P2M_SWAPPED:
        g->swapped--;
        mm_store_free(&host->swap_store, p2m_num(e));
        break;
    case P2M_COMPRESSED:
        g->compressed--;
        hv_zslot_free(host, p2m_num(e));
        break;
    default:
        break;
    }
    g->p2m[gfn] = p2m_make(to, 0);
}
