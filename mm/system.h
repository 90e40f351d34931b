/* SPDX-License-Identifier: MIT */
/* system.h - creating and destroying a system (the public calls are in umm.h); a hypervisor
 * guest is a system whose frames come from a backend (mm/guest.h). */
#ifndef UMM_SYSTEM_H
#define UMM_SYSTEM_H

#include "state.h"

/* umm_system_create with a frame backend (a hypervisor guest); NULL phys = ordinary system. */
/* Size the available-memory thresholds (low, high) from the frames the system has: all of
 * them but those its balloon holds. System locked, or not yet published. */
void mm_system_set_thresholds(umm_system_t *sys);
int mm_system_create_with_phys(const umm_config_t *cfg, const mm_phys_ops_t *phys, void *phys_ctx,
                               umm_system_t **out);

#endif
