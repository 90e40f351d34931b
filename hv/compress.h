/* SPDX-License-Identifier: MIT */
/* compress.h - memory compression (compress.c): victims into the compression cache, and back. */
#ifndef UMM_HV_COMPRESS_H
#define UMM_HV_COMPRESS_H

#include "host.h"

int hv_compress_init(umm_hv_host_t *host);
/* Compress one private frame into the cache (host locked, `locked` guest held or NULL); true
 * when a host frame was freed. */
bool hv_compress_out_one(umm_hv_host_t *host, umm_hv_guest_t *locked);
/* Bring compressed guest frame gfn back into host frame f, just allocated for it (guest held,
 * host locked); returns f. */
uint32_t hv_decompress(umm_hv_guest_t *g, uint32_t gfn, uint32_t f);

#endif
