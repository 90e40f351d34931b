/* SPDX-License-Identifier: MIT */
/* balloon.h - the balloon driver (balloon.c). */
#ifndef UMM_HV_BALLOON_H
#define UMM_HV_BALLOON_H

#include "host.h"

/* One step toward the target (takes the guest lock, then the host lock). */
void hv_balloon_step(umm_hv_guest_t *g);
/* Deflate up to n frames on the guest's memory pressure (guest locked); how many. */
size_t hv_balloon_deflate_locked(umm_hv_guest_t *g, size_t n);

#endif
