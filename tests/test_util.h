/* SPDX-License-Identifier: MIT */
/* test_util.h - shared helpers for umm's CMocka suites (header-only, static inline).
 *
 * Rules every suite follows (see the CMocka quirk in the design notes): a umm system is created
 * INSIDE a test body and destroyed at its end, because cmocka swaps the SIGSEGV handler around each
 * test. Helpers here never create systems in setup/teardown.
 *
 * What is here:
 *   - tu_sys_new(): create a system + one process with a small RAM and a given cluster size.
 *   - tu_stats()/tu_pstats(): fetch statistics (asserting the call succeeds).
 *   - tu_assert_consistent(): the list counts add up to total_frames, available = Zeroed+Free+Standby,
 *     committed <= commit_limit and umm_check() == UMM_OK (tu_assert_counts_consistent(): the
 *     counts alone, without working_set <= active).
 *   - an exception handler (tu_exc_handler) that records the last umm exception of the calling thread
 *     and, when a probe is armed, siglongjmp()s out so a test can "try" an access: tu_try_read(),
 *     tu_try_write() return 0 when the access completed, else the umm exception code.
 *   - a "previous" SIGSEGV/SIGBUS handler (installed with sigaction BEFORE umm_system_create) that
 *     records siginfo and siglongjmp()s out: tu_prev_install()/tu_prev_restore(), tu_prev_try_*().
 *   - page patterns keyed by address and a generation number.
 */
#ifndef UMM_TEST_UTIL_H
#define UMM_TEST_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "umm.h"

#define TU_MIB ((size_t)1 << 20)
#define TU_KIB ((size_t)1 << 10)
#define TU_GRAN UMM_RESERVE_GRANULARITY
#define TU_RW (UMM_PROT_READ | UMM_PROT_WRITE)

#define TU_UNUSED __attribute__((unused))

static inline size_t tu_os_page(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* ---------------------------------------------------------------------------------------------
 * systems, processes, statistics
 * ------------------------------------------------------------------------------------------- */

static inline umm_config_t tu_config(size_t ram_bytes, unsigned cluster_pages) {
    umm_config_t c = UMM_CONFIG_INIT;
    c.ram_bytes = ram_bytes;
    c.cluster_pages = cluster_pages;
    return c;
}

/* Create a system from cfg and one process in it; asserts success. */
static inline void tu_sys_new_cfg(const umm_config_t *cfg, umm_system_t **sys, umm_process_t **proc) {
    *sys = NULL;
    assert_int_equal(umm_system_create(cfg, sys), UMM_OK);
    assert_non_null(*sys);
    if (proc) {
        *proc = NULL;
        assert_int_equal(umm_process_create(*sys, proc), UMM_OK);
        assert_non_null(*proc);
    }
}

static inline void tu_sys_new(size_t ram_bytes, unsigned cluster_pages, umm_system_t **sys,
                              umm_process_t **proc) {
    umm_config_t c = tu_config(ram_bytes, cluster_pages);
    tu_sys_new_cfg(&c, sys, proc);
}

static inline umm_stats_t tu_stats(umm_system_t *sys) {
    umm_stats_t s;
    memset(&s, 0xA5, sizeof s);
    assert_int_equal(umm_stats_get(sys, &s), UMM_OK);
    return s;
}

static inline umm_process_stats_t tu_pstats(umm_process_t *proc) {
    umm_process_stats_t s;
    memset(&s, 0xA5, sizeof s);
    assert_int_equal(umm_process_stats_get(proc, &s), UMM_OK);
    return s;
}

/* The counts of tu_assert_consistent that hold however frames are shared (section_util.h's
 * sc_consistent uses them without "working_set <= active"); returns the statistics checked. */
static inline umm_stats_t tu_assert_counts_consistent(umm_system_t *sys) {
    umm_stats_t s = tu_stats(sys);
    uint64_t sum = s.zeroed + s.free + s.standby + s.modified + s.modified_nowrite + s.bad + s.active;
    assert_int_equal(sum, s.total_frames);
    assert_int_equal(s.available, s.zeroed + s.free + s.standby);
    assert_true(s.committed <= s.commit_limit);
    assert_true(s.commit_peak >= s.committed);
    return s;
}

/* Check the invariants a test can see from outside, and umm's own deep check. */
static inline void tu_assert_consistent(umm_system_t *sys) {
    umm_stats_t s = tu_assert_counts_consistent(sys);
    assert_true(s.working_set <= s.active);
    assert_int_equal(umm_check(sys), UMM_OK);
}

static inline void *tu_reserve(umm_process_t *proc, size_t bytes, int prot) {
    void *p = NULL;
    assert_int_equal(umm_reserve(proc, bytes, prot, &p), UMM_OK);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % TU_GRAN, 0);
    return p;
}

/* Reserve `bytes` and commit all of it read-write. */
static inline void *tu_alloc(umm_process_t *proc, size_t bytes) {
    void *p = tu_reserve(proc, bytes, TU_RW);
    assert_int_equal(umm_commit(proc, p, bytes, TU_RW), UMM_OK);
    return p;
}

static inline unsigned char *tu_page(void *base, size_t page_size, size_t i) {
    return (unsigned char *)base + i * page_size;
}

/* ---------------------------------------------------------------------------------------------
 * umm exception handler with a per-thread probe
 * ------------------------------------------------------------------------------------------- */

typedef struct tu_exc_state {
    volatile int armed;          /* a tu_try_* is in progress: leave with siglongjmp */
    volatile int count;          /* exceptions seen by this thread */
    volatile int count_guard, count_av, count_inpage;
    volatile int guard_action;   /* what to answer for a guard page when not armed */
    umm_exception_t last;        /* copy of the last exception */
    sigjmp_buf env;
} tu_exc_state_t;

static _Thread_local tu_exc_state_t tu_exc TU_UNUSED;

static inline void tu_exc_reset(void) {
    tu_exc.armed = 0;
    tu_exc.count = tu_exc.count_guard = tu_exc.count_av = tu_exc.count_inpage = 0;
    tu_exc.guard_action = UMM_EXC_CONTINUE_EXECUTION;
    memset(&tu_exc.last, 0, sizeof tu_exc.last);
}

/* Async-signal-safe: only stores to thread-local memory and siglongjmp. */
static umm_exception_action_t tu_exc_handler(const umm_exception_t *e, void *ctx) TU_UNUSED;
static umm_exception_action_t tu_exc_handler(const umm_exception_t *e, void *ctx) {
    int *calls = ctx;
    if (calls)
        __atomic_add_fetch(calls, 1, __ATOMIC_RELAXED);
    tu_exc.last = *e;
    tu_exc.count++;
    if (e->code == UMM_EXC_GUARD_PAGE)
        tu_exc.count_guard++;
    else if (e->code == UMM_EXC_ACCESS_VIOLATION)
        tu_exc.count_av++;
    else if (e->code == UMM_EXC_IN_PAGE_ERROR)
        tu_exc.count_inpage++;
    if (e->code == UMM_EXC_GUARD_PAGE && !tu_exc.armed)
        return (umm_exception_action_t)tu_exc.guard_action;
    if (tu_exc.armed) {
        tu_exc.armed = 0;
        siglongjmp(tu_exc.env, 1);
    }
    return UMM_EXC_CONTINUE_SEARCH;
}

/* Read a counter that tu_exc_handler bumps from inside the fault. The fault happens in the middle
 * of an ordinary store or load, which the compiler may move past a plain read of the counter
 * (at -O3 it did): the signal fence keeps the access before the read. */
static inline int tu_calls(int *calls) {
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    return __atomic_load_n(calls, __ATOMIC_SEQ_CST);
}

/* Register tu_exc_handler on sys and reset the probe state. */
static inline void tu_exc_install(umm_system_t *sys) {
    tu_exc_reset();
    assert_int_equal(umm_set_exception_handler(sys, tu_exc_handler, NULL), UMM_OK);
}

/* Try one access; returns 0 if it completed, else the umm exception code that stopped it.
 * Requires tu_exc_install() on the address's system. *val gets the byte read. */
static inline int tu_try_access(volatile unsigned char *addr, int write, unsigned char wval,
                                unsigned char *rval) {
    if (sigsetjmp(tu_exc.env, 1) != 0)
        return (int)tu_exc.last.code;
    tu_exc.armed = 1;
    if (write) {
        *addr = wval;
    } else {
        unsigned char v = *addr;
        if (rval)
            *rval = v;
    }
    tu_exc.armed = 0;
    return 0;
}

static inline int tu_try_write(void *addr, unsigned char v) {
    return tu_try_access((volatile unsigned char *)addr, 1, v, NULL);
}

static inline int tu_try_read(const void *addr, unsigned char *out) {
    return tu_try_access((volatile unsigned char *)(uintptr_t)addr, 0, 0, out);
}

/* ---------------------------------------------------------------------------------------------
 * a "previous" handler for SIGSEGV / SIGBUS, installed with sigaction before umm's
 * ------------------------------------------------------------------------------------------- */

typedef struct tu_prev_state {
    volatile sig_atomic_t armed;
    volatile sig_atomic_t hits;
    volatile int signo, code, err;
    void *volatile addr;
    sigjmp_buf env;
    struct sigaction old_segv, old_bus;
} tu_prev_state_t;

static tu_prev_state_t tu_prev TU_UNUSED;

static void tu_prev_handler(int sig, siginfo_t *si, void *uc) TU_UNUSED;
static void tu_prev_handler(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    tu_prev.hits++;
    tu_prev.signo = sig;
    tu_prev.code = si ? si->si_code : 0;
    tu_prev.err = si ? si->si_errno : 0;
    tu_prev.addr = si ? si->si_addr : NULL;
    if (tu_prev.armed) {
        tu_prev.armed = 0;
        siglongjmp(tu_prev.env, 1);
    }
    /* not expected: die loudly rather than loop on the faulting instruction */
    static const char msg[] = "test_util: unexpected signal in tu_prev_handler\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    _exit(99);
}

/* Install tu_prev_handler for SIGSEGV and SIGBUS (call BEFORE umm_system_create). */
static inline void tu_prev_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = tu_prev_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    tu_prev.armed = 0;
    tu_prev.hits = 0;
    tu_prev.addr = NULL;
    tu_prev.signo = tu_prev.code = tu_prev.err = 0;
    assert_int_equal(sigaction(SIGSEGV, &sa, &tu_prev.old_segv), 0);
    assert_int_equal(sigaction(SIGBUS, &sa, &tu_prev.old_bus), 0);
}

/* Restore what was there before tu_prev_install (call AFTER umm_system_destroy). */
static inline void tu_prev_restore(void) {
    assert_int_equal(sigaction(SIGSEGV, &tu_prev.old_segv, NULL), 0);
    assert_int_equal(sigaction(SIGBUS, &tu_prev.old_bus, NULL), 0);
}

/* Try an access; returns 0 if it completed, else the signal number the previous handler got. */
static inline int tu_prev_try_access(volatile unsigned char *addr, int write, unsigned char wval) {
    if (sigsetjmp(tu_prev.env, 1) != 0)
        return tu_prev.signo;
    tu_prev.armed = 1;
    if (write)
        *addr = wval;
    else
        (void)*addr;
    tu_prev.armed = 0;
    return 0;
}

static inline int tu_prev_try_write(void *addr, unsigned char v) {
    return tu_prev_try_access((volatile unsigned char *)addr, 1, v);
}

static inline int tu_prev_try_read(const void *addr) {
    return tu_prev_try_access((volatile unsigned char *)(uintptr_t)addr, 0, 0);
}

/* ---------------------------------------------------------------------------------------------
 * patterns
 * ------------------------------------------------------------------------------------------- */

static inline uint64_t tu_mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Fill a page with 64-bit words keyed by their address and `gen` (gen 0 is reserved for zero). */
static inline void tu_fill(void *page, size_t bytes, uint64_t gen) {
    volatile uint64_t *w = page;
    for (size_t i = 0; i < bytes / 8; i++)
        w[i] = tu_mix((uint64_t)(uintptr_t)&w[i] ^ (gen * 0x9e3779b97f4a7c15ULL)) | 1;
}

/* Returns the index of the first word that does not hold the pattern, or (size_t)-1 if all do.
 * gen 0 means "all zero". */
static inline size_t tu_verify(const void *page, size_t bytes, uint64_t gen) {
    const volatile uint64_t *w = page;
    for (size_t i = 0; i < bytes / 8; i++) {
        uint64_t want = gen == 0 ? 0 : tu_mix((uint64_t)(uintptr_t)&w[i] ^ (gen * 0x9e3779b97f4a7c15ULL)) | 1;
        if (w[i] != want)
            return i;
    }
    return (size_t)-1;
}

#define tu_assert_pattern(page, bytes, gen)                                                     \
    do {                                                                                        \
        size_t tu_bad_ = tu_verify((page), (bytes), (gen));                                     \
        if (tu_bad_ != (size_t)-1)                                                              \
            fail_msg("pattern mismatch at %p word %zu (gen %" PRIu64 ")", (void *)(page),      \
                     tu_bad_, (uint64_t)(gen));                                                 \
    } while (0)

static inline int tu_is_zero(const void *p, size_t bytes) {
    const volatile unsigned char *c = p;
    for (size_t i = 0; i < bytes; i++)
        if (c[i])
            return 0;
    return 1;
}

/* Count the lines of /proc/self/maps that overlap [lo, hi). */
static inline int tu_count_maps(uintptr_t lo, uintptr_t hi) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a < hi && b > lo)
            n++;
    }
    fclose(f);
    return n;
}

#endif /* UMM_TEST_UTIL_H */
