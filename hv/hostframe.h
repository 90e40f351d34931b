/* SPDX-License-Identifier: MIT */
/* hostframe.h - host frames: where one is, taking one off the free stack and putting one back.
 * Taking never reclaims (backing.h's hv_frame_alloc does, when none is free). Host locked. */
#ifndef UMM_HV_HOSTFRAME_H
#define UMM_HV_HOSTFRAME_H

#include "host.h"

static inline void *hv_frame_ptr(umm_hv_host_t *host, uint32_t h)
{
    return host->pool.view + ((size_t)h << host->page_shift);
}
/* A free host frame (one must be free), private to nobody yet, zero-filled if `zero`. */
uint32_t hv_frame_take(umm_hv_host_t *host, bool zero);
/* Drop one reference to host frame h; the last one frees it (and a shared frame's slot). */
void hv_frame_put(umm_hv_host_t *host, uint32_t h);

#endif
