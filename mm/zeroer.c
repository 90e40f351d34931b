/* SPDX-License-Identifier: MIT */
/* zeroer.c - the zero page thread (see zeroer.h). */
#include "zeroer.h"

#include "frames.h"

#include <string.h>

#define ZEROER_MAX_BATCH 64

size_t mm_zeroer_batch(umm_system_t *sys, size_t max)
{
    mm_pfn_id_t frames[ZEROER_MAX_BATCH];
    void *bytes[ZEROER_MAX_BATCH];
    size_t n = 0;
    if (max > ZEROER_MAX_BATCH)
        max = ZEROER_MAX_BATCH;
    mm_lock(&sys->lock);
    for (mm_pfn_id_t f; n < max && (f = mm_pfn_list_head(&sys->pfn, LIST_FREE)) != PFN_NIL;) {
        bytes[n] = mm_frame_ptr(sys, f, MM_FRAME_OVERWRITE); /* under the lock: made present */
        if (!bytes[n])
            break; /* the host cannot back it now: try again later */
        mm_pfn_move(&sys->pfn, f, LIST_ZEROING); /* still free: counted with Free, never handed out */
        frames[n++] = f;
    }
    mm_unlock(&sys->lock);
    for (size_t k = 0; k < n; k++)
        memset(bytes[k], 0, sys->page_size);
    mm_lock(&sys->lock);
    for (size_t k = n; k-- > 0;)
        mm_frame_release(sys, frames[k], true);
    sys->ctr.pages_zeroed_by_thread += n;
    mm_unlock(&sys->lock);
    return n;
}

bool mm_zeroer_pending(umm_system_t *sys)
{
    mm_lock(&sys->lock);
    bool pending = mm_pfn_list_count(&sys->pfn, LIST_FREE) > 0;
    mm_unlock(&sys->lock);
    return pending;
}
