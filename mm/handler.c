/* SPDX-License-Identifier: MIT */
/* handler.c - SIGSEGV dispatch (see handler.h); exceptions go on to exception.c. Everything here
 * after a fault is async-signal-safe: atomics, the futex lock, syscalls. */
#include "handler.h"

#include "assert.h"
#include "exception.h"
#include "fault.h"
#include "lock.h"
#include "os.h"
#include "registry.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>

static mm_mutex_t install_lock = MM_MUTEX_INIT(MM_RANK_LEAF);
static int users;
/* What umm chains to. Two slots and an atomic index: install() writes the slot not in use and
 * then publishes it, so a fault on another thread never copies a half-written sigaction. */
static struct sigaction previous_slots[2];
static _Atomic int previous_index;

static struct sigaction previous_handler(void)
{
    return previous_slots[atomic_load_explicit(&previous_index, memory_order_acquire)];
}

static void set_previous(const struct sigaction *sa)
{
    int next = 1 - atomic_load_explicit(&previous_index, memory_order_relaxed);
    previous_slots[next] = *sa;
    atomic_store_explicit(&previous_index, next, memory_order_release);
}

/* Pass a fault that umm does not handle to whoever was there before. */
static void chain(int sig, siginfo_t *si, void *uc)
{
    struct sigaction prev = previous_handler();
    if (prev.sa_flags & SA_SIGINFO) {
        prev.sa_sigaction(sig, si, uc);
    } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
        prev.sa_handler(sig);
    } else {
        /* Default action: restore it and return; the access faults again and the process dies
         * of the signal, as it would have without umm. */
        mm_os_signal_default(sig);
    }
}

/* The address of this thread's last fault the platform could not call a read or a write (fault.h).
 * initial-exec: no __tls_get_addr in the handler. */
static __thread uintptr_t unknown_at __attribute__((tls_model("initial-exec")));

static int access_of(uintptr_t addr, const void *uc)
{
    if (mm_os_fault_is_exec(uc) == 1)
        return FAULT_EXEC;
    int w = mm_os_fault_is_write(uc);
    if (w >= 0)
        return w ? FAULT_WRITE : FAULT_READ;
    bool again = addr == unknown_at;
    unknown_at = addr;
    return again ? FAULT_UNKNOWN_AGAIN : FAULT_UNKNOWN;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    int saved_errno = errno;
    uintptr_t addr = (uintptr_t)si->si_addr;
    if (mm_locks_held() > 0) {
        /* A fault inside umm's own locked code: a bug, never a page to resolve (taking the
         * locks again would deadlock). Let the previous handler report it. */
        mm_sigsafe_message("SIGSEGV while holding a umm lock", "");
        chain(sig, si, uc);
        errno = saved_errno;
        return;
    }
    /* an exception no handler took, re-raised by the dispatcher at the faulting instruction */
    bool redelivered = si->si_code > 0 && mm_exception_is_redelivery(addr);
    mm_vad_t *vad = si->si_code > 0 && !redelivered ? mm_registry_lookup_lock(addr) : NULL;
    if (!vad) {
        chain(sig, si, uc);
        errno = saved_errno;
        return;
    }
    umm_system_t *sys = vad->proc->sys;
    umm_exception_t exc = {0};
    enum fault_result r = mm_fault_resolve(vad, addr, access_of(addr, uc), &exc);
    mm_unlock(&sys->lock);
    if (r == FAULT_BUSY)
        mm_os_yield(); /* let the thread doing the I/O finish before the access retries */
    if (r == FAULT_EXCEPTION && !mm_exception_raise(sys, &exc, sig, si, uc)) {
        if (exc.code == UMM_EXC_IN_PAGE_ERROR)
            mm_os_raise_bus_error(exc.address, exc.error, uc);
        else
            chain(sig, si, uc);
    }
    errno = saved_errno;
}

static bool is_ours(const struct sigaction *sa)
{
    return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == on_segv;
}

static int install(void)
{
    struct sigaction cur;
    int rc = mm_os_fault_handler_current(&cur);
    if (rc != UMM_OK || is_ours(&cur))
        return rc;
    /* signal() may have put our function back without SA_SIGINFO (CMocka does): repair it and
     * keep chaining to what we had; anything else becomes the new previous handler. */
    if ((void *)cur.sa_handler != (void *)on_segv)
        set_previous(&cur);
    return mm_os_fault_handler_install(on_segv, NULL);
}

int mm_handler_acquire(void)
{
    mm_mutex_lock(&install_lock);
    int rc = install();
    if (rc == UMM_OK)
        users++;
    mm_mutex_unlock(&install_lock);
    return rc;
}

void mm_handler_release(void)
{
    mm_mutex_lock(&install_lock);
    if (users > 0 && --users == 0) {
        struct sigaction cur;
        if (mm_os_fault_handler_current(&cur) == UMM_OK &&
            (is_ours(&cur) || (void *)cur.sa_handler == (void *)on_segv))
        {
            struct sigaction prev = previous_handler();
            mm_os_fault_handler_restore(&prev);
        }
    }
    mm_mutex_unlock(&install_lock);
}
