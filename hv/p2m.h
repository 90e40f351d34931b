/* SPDX-License-Identifier: MIT */
/* p2m.h - moves of a guest frame's p2m entry (host.h) that take no new host frame. Host locked. */
#ifndef UMM_HV_P2M_H
#define UMM_HV_P2M_H

#include "host.h"

/* Record host frame f as guest frame gfn's own (host locked). */
void hv_set_private(umm_hv_guest_t *g, uint32_t gfn, uint32_t f);
/* Release whatever backs guest frame g (host locked); its p2m becomes `to`. */
void hv_drop_backing(umm_hv_guest_t *g, uint32_t gfn, unsigned to);

#endif
