/* SPDX-License-Identifier: MIT */
/* backing.c - a host frame for a guest frame: allocating one (evicting by compression or host
 * swapping when none is free), and making a guest frame privately present from whatever backs
 * it (zero fill, copy on write, decompression, swap-in). The host lock is held throughout. */
#include "backing.h"

#include "compress.h"
#include "hostframe.h"
#include "hostswap.h"
#include "p2m.h"
#include "sharetab.h"

#include <string.h>

uint32_t hv_frame_alloc(umm_hv_host_t *host, umm_hv_guest_t *locked_guest, bool zero)
{
    MM_ASSERT_HELD(&host->lock);
    while (host->nfree == 0) /* compress what compresses, swap the rest */
        if (!hv_compress_out_one(host, locked_guest) && !hv_swap_out_one(host, locked_guest))
            return UINT32_MAX;
    return hv_frame_take(host, zero);
}

/* Copy on write from a shared (or the zero) frame. */
static uint32_t break_sharing(umm_hv_guest_t *g, uint32_t gfn, uint32_t from)
{
    umm_hv_host_t *host = g->host;
    hv_frame_t *src = &host->frames[from];
    if (from != HV_ZERO_FRAME && src->ref == 1) { /* the last sharer keeps the frame */
        hv_share_forget(host, from);
        src->flags &= ~(uint32_t)HVF_SHARED;
        host->shared_frames--;
        g->shared--;
        hv_set_private(g, gfn, from);
        return from;
    }
    uint32_t f = hv_frame_alloc(host, g, from == HV_ZERO_FRAME);
    if (f == UINT32_MAX)
        return f;
    if (from != HV_ZERO_FRAME)
        memcpy(hv_frame_ptr(host, f), hv_frame_ptr(host, from), host->page_size);
    hv_frame_put(host, from);
    g->shared--;
    if (from == HV_ZERO_FRAME)
        g->shared_zero--;
    hv_set_private(g, gfn, f);
    g->nested_cow_break++;
    host->cow_breaks++;
    return f;
}

/* Read guest frame gfn back from host swap into a new host frame. */
static uint32_t swap_in(umm_hv_guest_t *g, uint32_t gfn)
{
    uint32_t h = hv_frame_alloc(g->host, g, false);
    return h == UINT32_MAX ? h : hv_swap_in(g, gfn, h);
}

/* Decompress guest frame gfn into a new host frame. The slot's frame is not a victim
 * (HVF_ZCACHE), so allocating cannot evict it; the guest is held, so its p2m (the slot) stays
 * while the allocation drops the host lock. */
static uint32_t decompress(umm_hv_guest_t *g, uint32_t gfn)
{
    uint32_t f = hv_frame_alloc(g->host, g, false);
    return f == UINT32_MAX ? f : hv_decompress(g, gfn, f);
}

uint32_t hv_make_private(umm_hv_guest_t *g, uint32_t gfn)
{
    MM_ASSERT_HELD(&g->host->lock);
    p2m_t e = g->p2m[gfn];
    switch (p2m_state(e)) {
    case P2M_PRESENT:
        return (uint32_t)p2m_num(e);
    case P2M_SHARED:
        return break_sharing(g, gfn, (uint32_t)p2m_num(e));
    case P2M_ZERO:
        return break_sharing(g, gfn, HV_ZERO_FRAME);
    case P2M_SWAPPED:
        return swap_in(g, gfn);
    case P2M_COMPRESSED:
        return decompress(g, gfn);
    default: { /* never touched, or back from the balloon: a zero-filled frame */
        uint32_t f = hv_frame_alloc(g->host, g, true);
        if (f != UINT32_MAX) {
            hv_set_private(g, gfn, f);
            g->nested_zero_fill++;
        }
        return f;
    }
    }
}
