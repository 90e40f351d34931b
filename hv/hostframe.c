/* SPDX-License-Identifier: MIT */
/* hostframe.c - host frames (hostframe.h): the free stack, and a frame's references. */
#include "hostframe.h"

#include "sharetab.h"

#include <string.h>

uint32_t hv_frame_take(umm_hv_host_t *host, bool zero)
{
    MM_ASSERT_HELD(&host->lock);
    UMM_ASSERT(host->nfree > 0);
    uint32_t f = host->free_stack[--host->nfree];
    hv_frame_t *e = &host->frames[f];
    UMM_ASSERT(e->ref == 0 && e->owner == HV_NO_GUEST && (e->flags & ~HVF_ZEROED) == 0);
    bool known_zero = e->flags & HVF_ZEROED;
    e->ref = 1;
    e->flags = 0;
    /* Not twice: on a VM with shadow paging the first store through the pool's cold page-table
     * entry costs a host fault per frame, several times the memset itself (nested demand-zero) */
    if (zero && !known_zero)
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
