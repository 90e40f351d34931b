/* lock.h - the lock umm uses everywhere, including inside the SIGSEGV handler.
 *
 * A futex mutex (Drepper's three-state design): only atomics and the futex syscall, so it is
 * async-signal-safe. Taking it on the fault path is safe because umm's own code never touches
 * managed memory while it holds a lock (it uses the physical view), so the interrupted thread
 * cannot be the holder. A per-thread count of held locks lets the fault handler recognise a
 * fault inside umm's own locked code (a bug) and hand it to the previous handler with a message
 * instead of deadlocking on the lock. */
#ifndef UMM_LOCK_H
#define UMM_LOCK_H

#include <stdatomic.h>
#include <stdbool.h>

/* Invariant: state is 0 (unlocked), 1 (locked, no waiters) or 2 (locked, maybe waiters). */
typedef struct umm_lock {
    _Atomic int state;
} umm_lock_t;

#define UMM_LOCK_INIT { 0 }

void umm_lock(umm_lock_t *l);
void umm_unlock(umm_lock_t *l);
/* Take the lock only if it is free; true when taken. For going against the lock order. */
bool umm_trylock(umm_lock_t *l);
/* Number of umm locks the calling thread holds (0 when the fault handler is entered normally). */
int umm_locks_held(void);

#endif
