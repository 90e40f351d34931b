/* SPDX-License-Identifier: MIT */
/* hostswap.h - host paging (hostswap.c): victims out to the host's swap store, and back. */
#ifndef UMM_HV_HOSTSWAP_H
#define UMM_HV_HOSTSWAP_H

#include "host.h"

/* Free one private host frame (host locked, `locked` guest's lock held or NULL): drop a cheap
 * victim, else swap one out (the host lock is dropped during the write); true if one was freed. */
bool hv_swap_out_one(umm_hv_host_t *host, umm_hv_guest_t *locked);
/* Read guest frame gfn back from host swap into host frame h, just allocated for it (guest held,
 * host locked; the lock is dropped during the read). h, or UINT32_MAX (h is freed again, the
 * p2m unchanged). */
uint32_t hv_swap_in(umm_hv_guest_t *g, uint32_t gfn, uint32_t h);
/* Copy host-swapped guest frame gfn to local slot `to` of a store of its guest (disk to disk to a
 * paging file; the guest's writer pins the frame; called with no lock held). UMM_OK or UMM_E_IO. */
int hv_swap_copy_out(umm_hv_guest_t *g, uint32_t gfn, mm_store_t *st, uint64_t to);

#endif
