/* SPDX-License-Identifier: MIT */
/* exception.h - delivering umm's exceptions (guard page, access violation, in-page error) to the
 * vectored handlers of the faulting address's system, as Windows delivers them: outside the
 * signal handler, on the faulting thread's own stack, and resuming the interrupted context exactly
 * when a handler says so (docs/architecture.md, section 5). */
#ifndef UMM_EXCEPTION_H
#define UMM_EXCEPTION_H

#include "state.h"

#include <signal.h>
#include <stdbool.h>

/* Called by the SIGSEGV handler (signal context, no umm lock held) for an exception on sys.
 * Returns true when it is taken care of: the signal's return goes to the dispatcher, or (where
 * that is not possible) a handler ran in the signal and asked to continue. False: nobody handles
 * it, the caller does what an unhandled exception does (chain, or SIGBUS). [signal-safe] */
bool mm_exception_raise(umm_system_t *sys, const umm_exception_t *exc, int sig, siginfo_t *si,
                        void *uc);

/* Is this SIGSEGV at addr the unhandled exception the dispatcher just re-raised as a real signal
 * (to be chained, not resolved again)? Consumes the mark. [signal-safe] */
bool mm_exception_is_redelivery(uintptr_t addr);

/* The system's list starts empty (create) and every handler goes with it (destroy). */
void mm_exception_init(umm_system_t *sys);
void mm_exception_destroy_all(umm_system_t *sys);

#endif
