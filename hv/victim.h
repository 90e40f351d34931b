/* SPDX-License-Identifier: MIT */
/* victim.h - picking the guest frame the host takes next, cheapest first, and dropping it when
 * that costs its guest nothing (victim.c); compress.c and hostswap.c take the dearer ones. */
#ifndef UMM_HV_VICTIM_H
#define UMM_HV_VICTIM_H

#include "host.h"

/* What taking a private frame costs its guest, cheapest first (victim.c). */
enum hv_victim_class {
    HV_VICTIM_FREE,     /* on the guest's Free/Zeroed list: dropped, never written */
    HV_VICTIM_STANDBY,  /* on a Standby list, copy in the guest's paging file: dropped */
    HV_VICTIM_IDLE,     /* not referenced since the host's clock last passed */
    HV_VICTIM_USED,     /* referenced (its bit is cleared as the clock passes) */
    HV_VICTIM_MODIFIED, /* on the guest's Modified list: its writer will read it soon */
    HV_VICTIM_NONE      /* busy: hands off */
};

/* Victim selection shared by compression and swapping: a private host frame whose guest frame
 * can be taken now, the cheapest found (*cls); its guest is locked on return (unlock if !=
 * locked). UINT32_MAX if none. */
uint32_t hv_pick_victim(umm_hv_host_t *host, umm_hv_guest_t *locked, umm_hv_guest_t **owner,
                        enum hv_victim_class *cls);
/* Drop a FREE or STANDBY victim (guest held, host locked); false for dearer classes. */
bool hv_take_cheap(umm_hv_guest_t *g, uint32_t h, enum hv_victim_class cls);
/* Count a victim that was compressed or written, by the guest list it came from. */
void hv_count_victim(umm_hv_guest_t *g, enum hv_victim_class cls);

#endif
