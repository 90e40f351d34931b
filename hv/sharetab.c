/* SPDX-License-Identifier: MIT */
/* sharetab.c - the sharing table (sharetab.h): its buckets, and a freed shared frame's slot. */
#include "sharetab.h"

#include <stdlib.h>
#include <string.h>

int hv_share_init(umm_hv_host_t *host)
{
    /* two slots per host frame: guests together may hold more distinct pages than the host */
    uint64_t b = 64;
    while (b * HV_SHARE_WAYS < 2 * host->nframes)
        b *= 2;
    host->share_buckets = b;
    /* Cache-line aligned, so a bucket's prefetch covers it; and written now, so the table is
     * resident: a lazily zeroed table (calloc's fresh mapping) cost the first scan a kernel page
     * fault on most of its probes (a third of its time), faults the bucket prefetch cannot hide. */
    size_t bytes = b * HV_SHARE_WAYS * sizeof *host->share;
    host->share = aligned_alloc(64, bytes);
    if (!host->share)
        return UMM_E_NOMEM;
    memset(host->share, 0, bytes);
    return UMM_OK;
}

void hv_share_forget(umm_hv_host_t *host, uint32_t h)
{
    hv_share_slot_t *b = hv_share_bucket(host, host->frames[h].hash);
    for (int w = 0; w < HV_SHARE_WAYS; w++)
        if (b[w].key == host->frames[h].hash && b[w].guest == HV_SLOT_SHARED && b[w].num == h)
            b[w] = (hv_share_slot_t){0};
}
