/* fault.h - resolving a page fault from the PTE, as Windows' MmAccessFault does: dispatch on the
 * PTE's format (valid with an emulated bit to set, transition, demand-zero, paging file) or
 * report an exception (guard page, access violation, in-page error). Runs inside the SIGSEGV
 * handler with the system locked: async-signal-safe, no allocation. */
#ifndef UMM_FAULT_H
#define UMM_FAULT_H

#include "system.h"

enum fault_access { FAULT_READ = 0, FAULT_WRITE = 1, FAULT_UNKNOWN = -1 };

/* Resolve a fault at addr inside vad (system locked). Returns true when the access can be
 * retried; false when *exc describes an exception to raise on the faulting thread. */
bool fault_resolve(umm_vad_t *vad, uintptr_t addr, int access, umm_exception_t *exc);

#endif
