/* SPDX-License-Identifier: MIT */
/* backing.h - a host frame for a guest frame (backing.c), reclaiming one when none is free. */
#ifndef UMM_HV_BACKING_H
#define UMM_HV_BACKING_H

#include "host.h"

/* A host frame (host locked, `locked_guest` held or NULL), zero-filled if `zero`: compresses or
 * swaps a victim out when none is free (the host lock may be dropped meanwhile). UINT32_MAX if
 * none could be had. */
uint32_t hv_frame_alloc(umm_hv_host_t *host, umm_hv_guest_t *locked_guest, bool zero);
/* Make guest frame g privately present (zero-fill, swap-in or copy-on-write). Host locked. */
uint32_t hv_make_private(umm_hv_guest_t *g, uint32_t gfn);

#endif
