/* SPDX-License-Identifier: MIT */
/* vm.h - the virtual-memory calls (umm_reserve ... umm_query, in umm.h) and the teardown of a
 * reservation that releasing and destroying a process share. */
#ifndef UMM_VM_H
#define UMM_VM_H

#include "state.h"

/* Tear a VAD down completely: frames, charge, mapping, accounting. System locked; the VAD is
 * claimed (releasing) and out of the registry. Waits for paging I/O on it first. */
void mm_vm_release_locked(mm_vad_t *vad);

#endif
