/* SPDX-License-Identifier: MIT */
/* handler.h - the process-wide SIGSEGV handler: installed while any system exists, chained to
 * the handler that was there before it for every fault that is not umm's. */
#ifndef UMM_HANDLER_H
#define UMM_HANDLER_H

/* Install (or repair, if something reinstalled it without SA_SIGINFO) umm's handler; counts a
 * user. Returns UMM_OK or UMM_E_OS. */
int mm_handler_acquire(void);
/* Drop a user; the last one restores the previous handler if umm's is still the current one. */
void mm_handler_release(void);

#endif
