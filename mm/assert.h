/* SPDX-License-Identifier: MIT */
/* assert.h - UMM_ASSERT: invariant checks that are live in debug builds and async-signal-safe,
 * so they may sit on the fault path (the message goes out with write(2), then abort(3)). */
#ifndef UMM_ASSERT_H
#define UMM_ASSERT_H

#include <stdint.h>

/* Write a message to stderr with write(2) only; usable inside the fault handler. */
void mm_sigsafe_message(const char *a, const char *b);
/* Write "label 0x<hex>" to stderr (async-signal-safe): an address in a diagnostic. */
void mm_sigsafe_hex(const char *label, uintptr_t v);
/* Report a failed invariant and abort the process (async-signal-safe). */
_Noreturn void mm_assert_fail(const char *expr, const char *file, int line);

#define UMM_STR2_(x) #x
#define UMM_STR_(x) UMM_STR2_(x)

#if defined(UMM_DEBUG) && UMM_DEBUG
#define UMM_ASSERT(e) ((e) ? (void)0 : mm_assert_fail(#e, __FILE__, __LINE__))
#define UMM_DEBUG_ONLY(x) x
#else
#define UMM_ASSERT(e) ((void)0)
#define UMM_DEBUG_ONLY(x)
#endif

#endif
