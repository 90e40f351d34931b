/* SPDX-License-Identifier: MIT */
/* zcache.c - the compression cache's half-frame slots (zcache.h): storing, freeing. */
#include "zcache.h"

#include <string.h>

void hv_zslot_free(umm_hv_host_t *host, uint64_t slot)
{
    uint32_t f = (uint32_t)(slot / 2);
    host->zlen[slot] = 0;
    host->zpages--;
    if (host->frames[f].ref == 1) { /* the frame's last page: the frame goes back */
        /* drop its other (free) half from the free stack */
        for (uint64_t i = 0; i < host->nzfree; i++)
            if (host->zfree[i] / 2 == f) {
                host->zfree[i] = host->zfree[--host->nzfree];
                break;
            }
        host->frames[f].flags &= ~(uint32_t)HVF_ZCACHE;
        host->zframes--;
        hv_frame_put(host, f);
        return;
    }
    host->frames[f].ref--;
    host->zfree[host->nzfree++] = (uint32_t)slot;
}

/* Put `len` compressed bytes in a free half slot; when there is none, the victim's own frame
 * becomes a cache frame (its other half free for the next one). Returns the slot. */
uint64_t hv_zslot_store(umm_hv_host_t *host, uint32_t victim, const uint8_t *buf, int len,
                        bool *freed)
{
    uint64_t slot;
    if (host->nzfree > 0) {
        slot = host->zfree[--host->nzfree];
        host->frames[slot / 2].ref++;
        *freed = true;
    } else {
        hv_frame_t *e = &host->frames[victim];
        e->owner = HV_NO_GUEST;
        e->flags |= HVF_ZCACHE;
        host->zframes++;
        slot = (uint64_t)victim * 2;
        host->zfree[host->nzfree++] = (uint32_t)(slot + 1);
        *freed = false;
    }
    memcpy(hv_zslot_ptr(host, slot), buf, (size_t)len);
    host->zlen[slot] = (uint16_t)len;
    host->zpages++;
    return slot;
}
