/* SPDX-License-Identifier: MIT */
/* share.h - transparent page sharing's scanner (share.c). */
#ifndef UMM_HV_SHARE_H
#define UMM_HV_SHARE_H

#include "host.h"

/* Scan up to `pages` guest frames (takes each guest, then the host lock); the frames merged. */
uint64_t hv_share_scan(umm_hv_host_t *host, size_t pages);
/* Guests whose free frames a scan just shared (g->rebalance) replace them with private ones
 * now, before their next faults repurpose (and unshare) them. Under pass_lock, no other lock. */
void hv_rebalance_guests(umm_hv_host_t *host);

#endif
