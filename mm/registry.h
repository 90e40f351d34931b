/* SPDX-License-Identifier: MIT */
/* registry.h - the library-wide map from an address to the reservation (VAD) that holds it, for
 * the fault handler, which gets only an address. A sorted array searched by bisection under its
 * own lock (taken before any system lock, never held while touching managed memory). */
#ifndef UMM_REGISTRY_H
#define UMM_REGISTRY_H

#include "state.h"

int mm_registry_insert(mm_vad_t *vad);
void mm_registry_remove(mm_vad_t *vad);

/* Find the VAD holding addr and lock its system; returns NULL (nothing locked) when the address
 * is not umm's. The VAD is valid until the caller unlocks the system. */
mm_vad_t *mm_registry_lookup_lock(uintptr_t addr);

#endif
