/* zeroer.c - the zero page thread (see zeroer.h). */
#include "zeroer.h"

#include "frames.h"

#include <string.h>

#define ZEROER_MAX_BATCH 64

size_t zeroer_batch(umm_system_t *sys, size_t max)
{
    umm_pfn_id_t frames[ZEROER_MAX_BATCH];
    void *bytes[ZEROER_MAX_BATCH];
    size_t n = 0;
    if (max > ZEROER_MAX_BATCH)
        max = ZEROER_MAX_BATCH;
    umm_lock(&sys->lock);
    for (umm_pfn_id_t f; n < max && (f = pfn_list_head(&sys->pfn, LIST_FREE)) != PFN_NIL;) {
        bytes[n] = frame_ptr(sys, f, true); /* under the lock: a guest's frame is made present */
        if (!bytes[n])
            break; /* the host cannot back it now: try again later */
        pfn_move(&sys->pfn, f, LIST_ZEROING); /* still free: counted with Free, never handed out */
        frames[n++] = f;
    }
    umm_unlock(&sys->lock);
    for (size_t k = 0; k < n; k++)
        memset(bytes[k], 0, sys->page_size);
    umm_lock(&sys->lock);
    for (size_t k = n; k-- > 0;)
        frame_release(sys, frames[k], true);
    sys->ctr.pages_zeroed_by_thread += n;
    umm_unlock(&sys->lock);
    return n;
}

bool zeroer_pending(umm_system_t *sys)
{
    umm_lock(&sys->lock);
    bool pending = pfn_list_count(&sys->pfn, LIST_FREE) > 0;
    umm_unlock(&sys->lock);
    return pending;
}
