/* balancer.h - the balance-set manager: keeps available memory (Zeroed + Free + Standby) above
 * the high threshold by aging working sets with the emulated accessed bit and trimming their
 * oldest pages, from the processes that are over their minimum, largest and least active
 * first; then lets the modified page writer turn the trimmed dirty pages into Standby. */
#ifndef UMM_BALANCER_H
#define UMM_BALANCER_H

#include "system.h"

/* One pass. `age` allows aging (the timer's passes; on-demand passes only trim, so that two
 * passes a few milliseconds apart don't make every hot page look idle). Takes the lock. */
void balancer_pass(umm_system_t *sys, bool age);

#endif
