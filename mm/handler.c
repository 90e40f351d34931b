/* handler.c - SIGSEGV dispatch (see handler.h). Everything here after a fault is
 * async-signal-safe: atomics, the futex lock, syscalls. */
#define _GNU_SOURCE
#include "handler.h"

#include "assert.h"
#include "fault.h"
#include "registry.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
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

/* Was the faulting access a write? From the CPU's error code where the kernel passes it. */
static int access_kind(void *ucv)
{
#if defined(__x86_64__)
    ucontext_t *uc = ucv;
    return (uc->uc_mcontext.gregs[REG_ERR] & 0x2) ? FAULT_WRITE : FAULT_READ;
#elif defined(__aarch64__)
    ucontext_t *uc = ucv;
    struct _aarch64_ctx *h = (struct _aarch64_ctx *)uc->uc_mcontext.__reserved;
    while (h->magic) {
        if (h->magic == ESR_MAGIC) {
            uint64_t esr = ((struct esr_context *)h)->esr;
            return (esr & (1u << 6)) ? FAULT_WRITE : FAULT_READ; /* WnR */
        }
        h = (struct _aarch64_ctx *)((char *)h + h->size);
    }
    return FAULT_UNKNOWN;
#else
    (void)ucv;
    return FAULT_UNKNOWN;
#endif
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
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(sig, &dfl, NULL);
    }
}

/* In-page error with no handler taking it: SIGBUS on this thread once this handler returns
 * (SIGBUS is in our sa_mask; the interrupted context gets it unblocked so it is delivered). */
static void raise_in_page_error(const umm_exception_t *exc, void *ucv)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGBUS;
    info.si_code = BUS_ADRERR;
    info.si_errno = exc->error;
    info.si_addr = exc->address;
    syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), SIGBUS, &info);
    sigdelset(&((ucontext_t *)ucv)->uc_sigmask, SIGBUS);
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    int saved_errno = errno;
    uintptr_t addr = (uintptr_t)si->si_addr;
    if (umm_locks_held() > 0) {
        /* A fault inside umm's own locked code: a bug, never a page to resolve (taking the
         * locks again would deadlock). Let the previous handler report it. */
        umm_sigsafe_message("SIGSEGV while holding a umm lock", "");
        chain(sig, si, uc);
        errno = saved_errno;
        return;
    }
    umm_vad_t *vad = si->si_code > 0 ? registry_lookup_lock(addr) : NULL;
    if (!vad) {
        chain(sig, si, uc);
        errno = saved_errno;
        return;
    }
    umm_system_t *sys = vad->proc->sys;
    umm_exception_t exc = {0};
    enum fault_result r = fault_resolve(vad, addr, access_kind(uc), &exc);
    umm_exception_handler_t fn = sys->exc_fn;
    void *ctx = sys->exc_ctx;
    umm_unlock(&sys->lock);
    if (r == FAULT_BUSY)
        sched_yield(); /* let the thread doing the I/O finish before the access retries */
    if (r == FAULT_EXCEPTION) {
        umm_exception_action_t act = fn ? fn(&exc, ctx) : UMM_EXC_CONTINUE_SEARCH;
        if (act != UMM_EXC_CONTINUE_EXECUTION) {
            if (exc.code == UMM_EXC_IN_PAGE_ERROR)
                raise_in_page_error(&exc, uc);
            else
                chain(sig, si, uc);
        }
    }
    errno = saved_errno;
}

static bool is_ours(const struct sigaction *sa)
{
    return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == on_segv;
}

static int install(void)
{
    struct sigaction cur, sa;
    if (sigaction(SIGSEGV, NULL, &cur) != 0)
        return UMM_E_OS;
    if (is_ours(&cur))
        return UMM_OK;
    /* signal() may have put our function back without SA_SIGINFO (CMocka does): repair it and
     * keep chaining to what we had; anything else becomes the new previous handler. */
    if ((void *)cur.sa_handler != (void *)on_segv)
        set_previous(&cur);
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGBUS);
    return sigaction(SIGSEGV, &sa, NULL) == 0 ? UMM_OK : UMM_E_OS;
}

int handler_acquire(void)
{
    pthread_mutex_lock(&install_lock);
    int rc = install();
    if (rc == UMM_OK)
        users++;
    pthread_mutex_unlock(&install_lock);
    return rc;
}

void handler_release(void)
{
    pthread_mutex_lock(&install_lock);
    if (users > 0 && --users == 0) {
        struct sigaction cur;
        if (sigaction(SIGSEGV, NULL, &cur) == 0 &&
            (is_ours(&cur) || (void *)cur.sa_handler == (void *)on_segv))
        {
            struct sigaction prev = previous_handler();
            sigaction(SIGSEGV, &prev, NULL);
        }
    }
    pthread_mutex_unlock(&install_lock);
}
