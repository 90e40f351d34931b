/* SPDX-License-Identifier: MIT */
/* backing.c - host frames: allocating and freeing them (evicting by compression or host swapping
 * when none is free), and what backs each guest frame (the p2m): private, shared, zero, swapped,
 * compressed or ballooned, and the moves between them. The host lock is held throughout. */
#include "host.h"

#include <string.h>

uint32_t hv_frame_alloc(umm_hv_host_t *host, umm_hv_guest_t *locked_guest, bool zero)
{
    MM_ASSERT_HELD(&host->lock);
    while (host->nfree == 0) /* compress what compresses, swap the rest */
        if (!hv_compress_out_one(host, locked_guest) && !hv_swap_out_one(host, locked_guest))
            return UINT32_MAX;
    uint32_t f = host->free_stack[--host->nfree];
    hv_frame_t *e = &host->frames[f];
    UMM_ASSERT(e->ref == 0 && e->owner == HV_NO_GUEST);
    e->ref = 1;
    e->flags = 0;
    if (zero)
        memset(hv_frame_ptr(host, f), 0, host->page_size);
    if (host->nfree * 50 < host->nframes) /* below 2 %: the policy should act now */
        hv_update_state(host);
    return f;
}

void hv_frame_put(umm_hv_host_t *host, uint32_t f)
{
    MM_ASSERT_HELD(&host->lock);
    hv_frame_t *e = &host->frames[f];
    if (f == HV_ZERO_FRAME)
        return;
    UMM_ASSERT(e->ref > 0);
    if (--e->ref > 0)
        return;
    if (e->flags & HVF_SHARED) {
        hv_share_forget(host, f);
        host->shared_frames--;
    }
    e->flags = 0;
    e->owner = HV_NO_GUEST;
    e->gfn = 0;
    host->free_stack[host->nfree++] = f;
}

void hv_set_private(umm_hv_guest_t *g, uint32_t gfn, uint32_t f)
{
    MM_ASSERT_HELD(&g->host->lock);
    hv_frame_t *e = &g->host->frames[f];
    e->owner = g->id;
    e->gfn = gfn;
    g->p2m[gfn] = p2m_make(P2M_PRESENT, f);
    g->private_frames++;
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
        return hv_swap_in(g, gfn);
    case P2M_COMPRESSED:
        return hv_decompress(g, gfn);
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

/* ESXi's free-memory states, as percentages of host memory. */
void hv_update_state(umm_hv_host_t *host)
{
    uint64_t pct100 = host->nfree * 10000 / host->nframes; /* hundredths of a percent */
    host->state = pct100 >= 600   ? UMM_HV_STATE_HIGH
                : pct100 >= 400   ? UMM_HV_STATE_CLEAR
                : pct100 >= 200   ? UMM_HV_STATE_SOFT
                : pct100 >= 100   ? UMM_HV_STATE_HARD
                                  : UMM_HV_STATE_LOW;
}

