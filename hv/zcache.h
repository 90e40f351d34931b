/* SPDX-License-Identifier: MIT */
/* zcache.h - the compression cache's slots: half a host frame each (slot = frame * 2 + half),
 * a cache frame (HVF_ZCACHE) counting its occupied halves in `ref`. compress.c fills them.
 * Host locked. */
#ifndef UMM_HV_ZCACHE_H
#define UMM_HV_ZCACHE_H

#include "hostframe.h"

static inline uint8_t *hv_zslot_ptr(umm_hv_host_t *host, uint64_t slot)
{
    return (uint8_t *)hv_frame_ptr(host, (uint32_t)(slot / 2)) + (slot % 2) * (host->page_size / 2);
}
/* Put `len` compressed bytes in a free half slot (or half of host frame `victim`); the slot.
 * *freed: whether `victim` is left to free. */
uint64_t hv_zslot_store(umm_hv_host_t *host, uint32_t victim, const uint8_t *buf, int len,
                        bool *freed);
/* Empty a slot; its frame goes back to the pool with its last page. */
void hv_zslot_free(umm_hv_host_t *host, uint64_t slot);

#endif
