/* lock.c - futex mutex, async-signal-safe (see lock.h). */
#define _GNU_SOURCE
#include "lock.h"

#include "assert.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/* initial-exec: the fault path must not call __tls_get_addr, which may allocate when the
 * library was dlopen()ed (Python's ctypes does that). */
static __thread int locks_held __attribute__((tls_model("initial-exec")));

static void futex_wait(_Atomic int *addr, int expected)
{
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake_one(_Atomic int *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void umm_lock(umm_lock_t *l)
{
    int c = 0;
    if (!atomic_compare_exchange_strong_explicit(&l->state, &c, 1, memory_order_acquire,
                                                 memory_order_relaxed)) {
        for (int spin = 0; spin < 100 && c != 0; spin++) {
            c = 0;
            if (atomic_compare_exchange_weak_explicit(&l->state, &c, 1, memory_order_acquire,
                                                      memory_order_relaxed))
                goto locked;
        }
        if (c != 2)
            c = atomic_exchange_explicit(&l->state, 2, memory_order_acquire);
        while (c != 0) {
            futex_wait(&l->state, 2);
            c = atomic_exchange_explicit(&l->state, 2, memory_order_acquire);
        }
    }
locked:
    locks_held++;
}

bool umm_trylock(umm_lock_t *l)
{
    int c = 0;
    if (!atomic_compare_exchange_strong_explicit(&l->state, &c, 1, memory_order_acquire,
                                                 memory_order_relaxed))
        return false;
    locks_held++;
    return true;
}

void umm_unlock(umm_lock_t *l)
{
    UMM_ASSERT(locks_held > 0);
    locks_held--;
    if (atomic_fetch_sub_explicit(&l->state, 1, memory_order_release) != 1) {
        atomic_store_explicit(&l->state, 0, memory_order_release);
        futex_wake_one(&l->state);
    }
}

int umm_locks_held(void)
{
    return locks_held;
}
