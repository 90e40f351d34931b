/* SPDX-License-Identifier: MIT */
/* exception.c - vectored exception handlers and their dispatch outside the signal handler (see
 * exception.h; the OS half, saving and resuming a context, is os_context.c).
 *
 * The path of one exception: the SIGSEGV handler resolves what it can; for an exception it places
 * a dispatch frame on the faulting thread's own stack, below the interrupted stack pointer and its
 * red zone (below the signal frame and the handler itself when they run on that stack), saves the
 * interrupted context there, and points the signal's return at dispatcher(). sigreturn restores
 * the thread's signal mask and lands there: the handlers run as ordinary code, and a fault inside
 * one is an ordinary fault that may raise a nested exception with a frame further down. The
 * dispatcher ends by resuming the saved context (with the handlers' changes), or re-raising the
 * exception as a real signal delivered at the faulting instruction. */
#include "exception.h"

#include "assert.h"
#include "fault.h"
#include "handle.h"
#include "lock.h"
#include "os.h"
#include "registry.h"

#include <stddef.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define EXC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXC_ASAN 1
#endif
#endif
#if EXC_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define TLS_IE __attribute__((tls_model("initial-exec")))

/* A vectored handler. Invariant: in its system's list from add until it is removed and no
 * dispatch calls it (refs == 0); exactly one of fn and legacy_fn is set. Guarded by veh_lock. */
struct umm_vectored_handler {
    struct umm_vectored_handler *prev, *next;
    umm_system_t *sys;
    umm_vectored_handler_fn fn;
    umm_exception_handler_t legacy_fn; /* umm_set_exception_handler's: no context */
    void *ctx;
    int refs;     /* dispatches calling it now */
    bool removed; /* by umm_remove_vectored_handler: skipped, unlinked when refs drops to 0 */
};

/* Bytes kept below the interrupted stack pointer (x86-64's red zone; AArch64 has none). */
#define RED_ZONE 128
/* When the signal handler runs on the faulting stack itself (no alternate stack), the frame goes
 * this far below the handler's own frame, leaving room for the calls it still makes. */
#define HANDLER_GAP (16u << 10)
/* Below the frame, on a managed stack, this much is made valid for the handlers when it is
 * committed (Windows' SetThreadStackGuarantee plays that part). */
#define HANDLER_ROOM (32u << 10)
#define FRAME_MAGIC 0x756d6d5f65786321ull

/* One exception being dispatched. Invariant: magic == FRAME_MAGIC ^ (uintptr_t)self while the
 * frame is live; saved is 64-byte aligned and holds the interrupted context; outer is the frame
 * this exception was raised under (its handler faulted), depth its count of such frames. */
struct dispatch_frame {
    uint64_t magic;
    struct dispatch_frame *outer;
    int depth;
    int sig;
    umm_system_t *sys;
    siginfo_t si;
    umm_exception_t exc;
    umm_context_t context;
    _Alignas(64) unsigned char saved[];
};

/* This thread's innermost frame being dispatched (it may be stale after a handler left with
 * longjmp: frame_is_live checks before it is believed). */
static __thread struct dispatch_frame *innermost TLS_IE;
/* The address of an unhandled exception re-raised as a real SIGSEGV (0: none). */
static __thread uintptr_t redelivery_addr TLS_IE;

/* ---- the list ---- */

void mm_exception_init(umm_system_t *sys)
{
    mm_lock_init(&sys->veh_lock, MM_RANK_LEAF);
    sys->veh_head = sys->veh_tail = sys->veh_legacy = NULL;
    atomic_store(&sys->veh_live, 0);
}

/* The list's invariant (state.h): links agree both ways, veh_live counts the entries not removed,
 * a removed entry is still listed only while some dispatch calls it. */
static inline bool list_ok(const umm_system_t *sys) /* inline: unused without UMM_DEBUG */
{
    int live = 0;
    const umm_vectored_handler_t *prev = NULL;
    for (const umm_vectored_handler_t *h = sys->veh_head; h; prev = h, h = h->next) {
        if (h->prev != prev || (h->removed && h->refs == 0) || h->refs < 0)
            return false;
        live += !h->removed;
    }
    return prev == sys->veh_tail && live == atomic_load(&sys->veh_live);
}

static void link_handler(umm_system_t *sys, umm_vectored_handler_t *h, bool first)
{
    MM_ASSERT_HELD(&sys->veh_lock);
    if (first) {
        h->next = sys->veh_head;
        if (sys->veh_head)
            sys->veh_head->prev = h;
        else
            sys->veh_tail = h;
        sys->veh_head = h;
    } else {
        h->prev = sys->veh_tail;
        if (sys->veh_tail)
            sys->veh_tail->next = h;
        else
            sys->veh_head = h;
        sys->veh_tail = h;
    }
    atomic_fetch_add(&sys->veh_live, 1);
    UMM_ASSERT(list_ok(sys));
}

static void unlink_handler(umm_system_t *sys, umm_vectored_handler_t *h)
{
    MM_ASSERT_HELD(&sys->veh_lock);
    UMM_ASSERT(h->removed && h->refs == 0);
    if (h->prev)
        h->prev->next = h->next;
    else
        sys->veh_head = h->next;
    if (h->next)
        h->next->prev = h->prev;
    else
        sys->veh_tail = h->prev;
    h->prev = h->next = NULL;
    UMM_ASSERT(list_ok(sys));
}

static umm_vectored_handler_t *next_live(umm_vectored_handler_t *h)
{
    while (h && h->removed)
        h = h->next;
    return h;
}

/* Allocate a handler and link it first or last; a legacy one (umm_set_exception_handler's)
 * replaces the system's legacy handler in place when there is one already. */
static int add_handler(umm_system_t *sys, bool first, umm_vectored_handler_fn fn,
                       umm_exception_handler_t legacy_fn, void *ctx, umm_vectored_handler_t **out)
{
    umm_vectored_handler_t *h = mm_handle_alloc(HANDLE_VECTORED, sizeof *h);
    if (!h)
        return UMM_E_NOMEM;
    h->sys = sys;
    h->fn = fn;
    h->legacy_fn = legacy_fn;
    h->ctx = ctx;
    mm_handle_publish(h);
    mm_lock(&sys->veh_lock);
    umm_vectored_handler_t *existing = legacy_fn ? sys->veh_legacy : NULL;
    if (existing) {
        existing->legacy_fn = legacy_fn;
        existing->ctx = ctx;
    } else {
        link_handler(sys, h, first);
        if (legacy_fn)
            sys->veh_legacy = h;
    }
    mm_unlock(&sys->veh_lock);
    if (existing)
        mm_handle_free(h);
    if (out)
        *out = existing ? existing : h;
    return UMM_OK;
}

int umm_add_vectored_handler(umm_system_t *sys, int first, umm_vectored_handler_fn fn, void *ctx,
                             umm_vectored_handler_t **out)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (!fn || !out)
        return UMM_E_INVAL;
    return add_handler(sys, first != 0, fn, NULL, ctx, out);
}

/* Mark h removed; true when the caller must free it (no dispatch is calling it). */
static bool remove_locked(umm_system_t *sys, umm_vectored_handler_t *h)
{
    MM_ASSERT_HELD(&sys->veh_lock);
    h->removed = true;
    atomic_fetch_sub(&sys->veh_live, 1);
    if (sys->veh_legacy == h)
        sys->veh_legacy = NULL;
    if (h->refs > 0)
        return false; /* the last dispatch calling it unlinks it */
    unlink_handler(sys, h);
    return true;
}

int umm_remove_vectored_handler(umm_vectored_handler_t *h)
{
    HANDLE_CHECK(h, HANDLE_VECTORED);
    umm_system_t *sys = h->sys;
    mm_lock(&sys->veh_lock);
    if (h->removed) { /* a concurrent remove won */
        mm_unlock(&sys->veh_lock);
        return UMM_E_HANDLE;
    }
    bool free_now = remove_locked(sys, h);
    mm_unlock(&sys->veh_lock);
    mm_handle_retire(h);
    if (free_now)
        mm_handle_free(h);
    return UMM_OK;
}

int umm_set_exception_handler(umm_system_t *sys, umm_exception_handler_t fn, void *ctx)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (fn)
        return add_handler(sys, false, NULL, fn, ctx, NULL);
    mm_lock(&sys->veh_lock);
    umm_vectored_handler_t *h = sys->veh_legacy;
    bool free_now = h && remove_locked(sys, h);
    mm_unlock(&sys->veh_lock);
    if (h)
        mm_handle_retire(h);
    if (free_now)
        mm_handle_free(h);
    return UMM_OK;
}

void mm_exception_destroy_all(umm_system_t *sys)
{
    mm_lock(&sys->veh_lock);
    umm_vectored_handler_t *h = sys->veh_head;
    sys->veh_head = sys->veh_tail = sys->veh_legacy = NULL;
    mm_unlock(&sys->veh_lock);
    while (h) {
        umm_vectored_handler_t *next = h->next;
        mm_handle_free(h);
        h = next;
    }
}

/* ---- calling the handlers ---- */

/* Call sys's handlers in order until one continues execution. The list lock is not held while a
 * handler runs (it may add, remove, fault, raise a nested exception); the entry it runs is pinned
 * by refs. in_signal: no freeing here (the handle arena's lock is not signal-safe); a handler
 * removed during an in-signal dispatch keeps its slot. */
static umm_exception_action_t run_handlers(umm_system_t *sys, umm_exception_t *exc,
                                           umm_context_t *context, bool in_signal)
{
    umm_exception_action_t act = UMM_EXC_CONTINUE_SEARCH;
    umm_vectored_handler_t *to_free = NULL;
    mm_lock(&sys->veh_lock);
    umm_vectored_handler_t *h = next_live(sys->veh_head);
    while (h && act != UMM_EXC_CONTINUE_EXECUTION) {
        umm_vectored_handler_fn fn = h->fn;
        umm_exception_handler_t legacy_fn = h->legacy_fn;
        void *ctx = h->ctx;
        h->refs++;
        mm_unlock(&sys->veh_lock);
        act = fn ? fn(exc, context, ctx) : legacy_fn(exc, ctx);
        mm_lock(&sys->veh_lock);
        umm_vectored_handler_t *next = next_live(h->next);
        if (--h->refs == 0 && h->removed) {
            unlink_handler(sys, h);
            if (!in_signal && !to_free)
                to_free = h;
        }
        h = next;
    }
    mm_unlock(&sys->veh_lock);
    if (to_free)
        mm_handle_free(to_free);
    return act;
}

static void asan_forget_stack(void)
{
#if EXC_ASAN
    __asan_handle_no_return(); /* the dispatcher's frames are abandoned, not returned from */
#endif
}

/* The dispatcher: the signal's return lands here, on the faulting thread's stack, with its
 * signal mask. It never returns: it resumes the saved context or re-raises the exception. */
static _Noreturn void dispatcher(void *arg)
{
    struct dispatch_frame *f = arg;
    UMM_ASSERT(f->magic == (FRAME_MAGIC ^ (uintptr_t)f) && ((uintptr_t)f->saved & 63) == 0);
    void *uc = mm_os_context_uc(f->saved);
    mm_os_context_get(uc, &f->context);
    umm_exception_action_t act = run_handlers(f->sys, &f->exc, &f->context, false);
    innermost = f->outer;
    f->magic = 0;
    asan_forget_stack();
    if (act == UMM_EXC_CONTINUE_EXECUTION) {
        mm_os_context_set(uc, &f->context);
        mm_os_context_resume(f->saved);
    }
    if (f->exc.code == UMM_EXC_IN_PAGE_ERROR) {
        siginfo_t bus;
        memset(&bus, 0, sizeof bus);
        bus.si_signo = SIGBUS;
        bus.si_code = BUS_ADRERR;
        bus.si_errno = f->exc.error;
        bus.si_addr = f->exc.address;
        mm_os_context_resume_signal(f->saved, SIGBUS, &bus);
    }
    redelivery_addr = (uintptr_t)f->exc.address;
    mm_os_context_resume_signal(f->saved, f->sig, &f->si);
}

bool mm_exception_is_redelivery(uintptr_t addr)
{
    if (redelivery_addr == 0 || redelivery_addr != addr)
        return false;
    redelivery_addr = 0;
    return true;
}

/* ---- placing the frame (signal context) ---- */

/* Frames further than this above the faulting stack pointer are not believed (another stack). */
#define FRAME_REACH ((uintptr_t)64 << 20)

static bool frame_is_live(const struct dispatch_frame *f, uintptr_t sp)
{
    /* a frame the faulting code runs below, on the same stack, still marked: its handler is
     * what faulted */
    return f && sp < (uintptr_t)f && (uintptr_t)f - sp < FRAME_REACH &&
           f->magic == (FRAME_MAGIC ^ (uintptr_t)f);
}

/* Make the managed page at p valid before the handler writes there: a thread's stack may be
 * managed memory (guard-page stack growth), and a fault inside the signal handler would kill the
 * thread. A guard page is consumed, as Windows' kernel does when it writes an exception frame
 * onto a stack guard page. False when the page cannot be made valid. */
static bool make_page_valid(uintptr_t p)
{
    for (int attempt = 0;; attempt++) {
        mm_vad_t *vad = mm_registry_lookup_lock(p);
        if (!vad)
            return true; /* not umm's: ordinary stack */
        umm_exception_t ignored = {0};
        umm_system_t *sys = vad->proc->sys;
        enum fault_result r = mm_fault_resolve(vad, p, FAULT_WRITE, &ignored);
        mm_unlock(&sys->lock);
        if (r == FAULT_DONE)
            return true;
        if (r == FAULT_EXCEPTION && (ignored.code != UMM_EXC_GUARD_PAGE || attempt > 2))
            return false;
        if (r == FAULT_BUSY)
            mm_os_yield();
    }
}

static bool is_managed(uintptr_t p)
{
    mm_vad_t *vad = mm_registry_lookup_lock(p);
    if (vad)
        mm_unlock(&vad->proc->sys->lock);
    return vad != NULL;
}

/* The pages of [lo, hi), from the top down. must: all of them (the frame), else as many as can
 * be (the room the handlers run in, so that umm calls they make, which take umm's locks, never
 * fault on their own stack). */
static bool make_stack_valid(uintptr_t lo, uintptr_t hi, bool must)
{
    size_t page = mm_os_page_size();
    for (uintptr_t p = (hi - 1) & ~(uintptr_t)(page - 1); p + page > lo && p >= page; p -= page)
        if (!make_page_valid(p))
            return !must;
    return true;
}

_Noreturn static void die(const char *why, uintptr_t addr)
{
    mm_sigsafe_message("umm: ", why);
    mm_sigsafe_hex("umm: exception address", addr);
    mm_os_die(SIGSEGV);
}

/* Move the exception out of the signal: false when this context cannot be saved. */
static bool redirect(umm_system_t *sys, const umm_exception_t *exc, int sig, siginfo_t *si, void *uc)
{
    size_t need = mm_os_context_size(uc);
    if (need == 0)
        return false;
    uintptr_t sp = mm_os_context_sp(uc);
    uintptr_t top = sp - RED_ZONE;
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    if (!mm_os_context_on_altstack(uc, here) && here < top)
        top = here - HANDLER_GAP; /* below the signal frame and this handler */
    uintptr_t lo = (top - offsetof(struct dispatch_frame, saved) - need) & ~(uintptr_t)63;
    struct dispatch_frame *outer = frame_is_live(innermost, sp) ? innermost : NULL;
    int depth = outer ? outer->depth + 1 : 0;
    if (depth >= UMM_EXC_MAX_NESTING)
        die("an exception handler keeps faulting (nested too deep): giving up",
            (uintptr_t)exc->address);
    if (is_managed(top - 1) || is_managed(lo - HANDLER_ROOM)) { /* the stack is managed memory */
        if (!make_stack_valid(lo - 64, top, true))
            die("no stack left below the faulting stack pointer to run the exception handlers",
                (uintptr_t)exc->address);
        make_stack_valid(lo - HANDLER_ROOM, lo - 64, false);
    }
#if EXC_ASAN
    __asan_unpoison_memory_region((void *)(lo - 64), top - lo + 64);
#endif
    struct dispatch_frame *f = (struct dispatch_frame *)lo;
    f->magic = FRAME_MAGIC ^ lo;
    f->outer = outer;
    f->depth = depth;
    f->sig = sig;
    f->sys = sys;
    f->si = *si;
    f->exc = *exc;
    mm_os_context_save(uc, f->saved);
    innermost = f;
    mm_os_context_redirect(uc, lo, dispatcher, f);
    return true;
}

/* Where the context cannot leave the signal (another platform): the handlers run here. */
static bool dispatch_in_signal(umm_system_t *sys, const umm_exception_t *exc, void *uc)
{
    umm_exception_t record = *exc;
    umm_context_t context;
    mm_os_context_get(uc, &context);
    if (run_handlers(sys, &record, &context, true) != UMM_EXC_CONTINUE_EXECUTION)
        return false;
    if (context.arch != UMM_ARCH_NONE)
        mm_os_context_set(uc, &context);
    return true;
}

bool mm_exception_raise(umm_system_t *sys, const umm_exception_t *exc, int sig, siginfo_t *si,
                        void *uc)
{
    if (atomic_load_explicit(&sys->veh_live, memory_order_acquire) == 0)
        return false;
    if (!(sys->cfg.flags & UMM_CFG_EXCEPTIONS_IN_SIGNAL) && mm_os_context_supported() &&
        redirect(sys, exc, sig, si, uc))
        return true;
    return dispatch_in_signal(sys, exc, uc);
}
