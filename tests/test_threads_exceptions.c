/* SPDX-License-Identifier: MIT */
/* test_threads_exceptions.c - exceptions delivered outside the signal handler (vectored handlers):
 * every kind of fault inside a handler (demand-zero, soft, hard, a nested guard page), a handler
 * that allocates and prints, a handler that changes the context (skips the faulting instruction,
 * sets a register), registers, flags, SIMD state and the signal mask preserved across a handled
 * exception, the handlers running on the thread's normal stack (not the alternate signal stack)
 * with SIGSEGV unblocked, a stack that is managed memory growing over 1 MiB through guard pages,
 * the list (first, last, remove, several contexts, the old single handler on top), and a handler
 * that faults forever ending the process with a message. Each case runs on the main thread and on
 * 4 threads at once (two of them with an alternate signal stack). Systems are created inside each
 * test body. */
#include "paging_util.h"
#include "skip_store.h"

#include <pthread.h>
#include <sys/wait.h>

#define PG PU_PG
#define NTHREADS 4
#define ALTSTACK_BYTES (64 * 1024)

#if defined(__x86_64__) || defined(__aarch64__)
#define HAVE_DISPATCH 1 /* on Linux: handlers run outside the signal (docs/api.md) */
#endif

/* ---- helpers ---- */

static umm_system_t *new_paging_system(void) {
    umm_config_t c = pu_config(16 * TU_MIB, 32 * TU_MIB, 32 * TU_MIB, UMM_CFG_NO_WORKERS);
    c.cluster_pages = 1;
    umm_system_t *sys;
    assert_int_equal(umm_system_create(&c, &sys), UMM_OK);
    return sys;
}

static void *with_altstack(void) {
    void *alt = malloc(ALTSTACK_BYTES);
    assert_non_null(alt);
    stack_t ss = {.ss_sp = alt, .ss_size = ALTSTACK_BYTES, .ss_flags = 0};
    assert_int_equal(sigaltstack(&ss, NULL), 0);
    return alt;
}

static void drop_altstack(void *alt) {
    stack_t ss = {.ss_flags = SS_DISABLE};
    assert_int_equal(sigaltstack(&ss, NULL), 0);
    free(alt);
}

/* Run fn(arg_i) on the calling thread, then on NTHREADS threads at once (odd ones with an
 * alternate signal stack). */
typedef struct {
    void (*fn)(void *);
    void *arg;
    int altstack;
} run_t;

static void *run_thread(void *p) {
    run_t *r = p;
    void *alt = r->altstack ? with_altstack() : NULL;
    r->fn(r->arg);
    if (alt)
        drop_altstack(alt);
    return NULL;
}

static void run_here_and_on_threads(void (*fn)(void *), void *arg) {
    fn(arg);
    pthread_t t[NTHREADS];
    run_t r[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        r[i] = (run_t){fn, arg, i & 1};
        assert_int_equal(pthread_create(&t[i], NULL, run_thread, &r[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
}

/* ---- every fault inside a handler ---- */

/* Per thread: what the handler saw and did. */
typedef struct {
    umm_process_t *proc;
    unsigned char *guard, *zero, *soft, *hard, *guard2;
    int guards, nested_guards, depth, max_depth;
    int on_altstack, segv_blocked;
    int zero_ok, soft_ok, hard_ok;
    char printed[64];
} nest_state_t;

static _Thread_local nest_state_t *volatile nest; /* volatile: the fault is a plain store */

static umm_exception_action_t nest_handler(umm_exception_t *e, umm_context_t *c, void *ctx) {
    (void)ctx;
    nest_state_t *s = nest;
    if (!s || e->process != s->proc || e->code != UMM_EXC_GUARD_PAGE)
        return UMM_EXC_CONTINUE_SEARCH;
    assert_true(c->arch != UMM_ARCH_NONE || !c->ip);
    s->depth++;
    if (s->depth > s->max_depth)
        s->max_depth = s->depth;
    if ((unsigned char *)e->address == s->guard2 + 5) {
        s->nested_guards++;
        s->depth--;
        return UMM_EXC_CONTINUE_EXECUTION;
    }
    s->guards++;
    /* not in a signal handler: SIGSEGV is not blocked, and this is the thread's normal stack */
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    s->segv_blocked = sigismember(&cur, SIGSEGV);
    stack_t ss;
    sigaltstack(NULL, &ss);
    s->on_altstack = (ss.ss_flags & SS_ONSTACK) != 0;
    /* demand-zero, soft, hard faults, and a second guard page, inside the handler */
    s->zero_ok = tu_is_zero(s->zero, PG);
    s->soft_ok = tu_verify(s->soft, PG, 11) == (size_t)-1;
    s->hard_ok = tu_verify(s->hard, PG, 12) == (size_t)-1;
    s->guard2[5] = 7;
    /* allocate and print */
    char *m = malloc(4096);
    assert_non_null(m);
    snprintf(m, 4096, "handler at %p depth %d", e->address, s->depth);
    FILE *f = fopen("/dev/null", "w");
    assert_non_null(f);
    fprintf(f, "%s\n", m);
    fclose(f);
    snprintf(s->printed, sizeof s->printed, "%.40s", m);
    free(m);
    s->depth--;
    return UMM_EXC_CONTINUE_EXECUTION;
}

static void nested_case(void *arg) {
    umm_system_t *sys = arg;
    nest_state_t s = {0};
    assert_int_equal(umm_process_create(sys, &s.proc), UMM_OK);
    unsigned char *r = tu_reserve(s.proc, 5 * TU_GRAN, TU_RW);
    s.guard = r;
    s.zero = r + TU_GRAN;
    s.soft = r + 2 * TU_GRAN;
    s.hard = r + 3 * TU_GRAN;
    s.guard2 = r + 4 * TU_GRAN;
    assert_int_equal(umm_commit(s.proc, s.guard, PG, TU_RW | UMM_PROT_GUARD), UMM_OK);
    assert_int_equal(umm_commit(s.proc, s.guard2, PG, TU_RW | UMM_PROT_GUARD), UMM_OK);
    assert_int_equal(umm_commit(s.proc, s.zero, 3 * TU_GRAN, TU_RW), UMM_OK);
    tu_fill(s.soft, PG, 11);
    tu_fill(s.hard, PG, 12);
    /* hard: written out and its frame repurposed; soft: rewritten, trimmed to Modified */
    assert_int_equal(umm_ws_empty(s.proc), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    uint64_t purged;
    assert_int_equal(umm_standby_purge(sys, 7, &purged), UMM_OK);
    tu_fill(s.soft, PG, 11);
    assert_int_equal(umm_ws_empty(s.proc), UMM_OK);
    umm_process_stats_t p0 = tu_pstats(s.proc);

    nest = &s;
    *(volatile unsigned char *)(s.guard + 100) = 42; /* guard page: the handler does everything above */
    nest = NULL;

    assert_int_equal(s.guard[100], 42);
    assert_int_equal(s.guards, 1);
    assert_int_equal(s.nested_guards, 1);
    assert_int_equal(s.guard2[5], 7);
    assert_true(s.zero_ok);
    assert_true(s.soft_ok);
    assert_true(s.hard_ok);
    assert_true(strncmp(s.printed, "handler at ", 11) == 0);
#if HAVE_DISPATCH
    assert_int_equal(s.segv_blocked, 0);
    assert_int_equal(s.on_altstack, 0);
    assert_int_equal(s.max_depth, 2); /* the second guard page was raised inside the first */
#endif
    umm_process_stats_t p1 = tu_pstats(s.proc);
    assert_int_equal(p1.faults_guard - p0.faults_guard, 2);
    assert_true(p1.faults_demand_zero > p0.faults_demand_zero);
    /* the soft page may have lost its frame to another thread's hard fault meanwhile */
    assert_true(p1.faults_transition + p1.faults_hard > p0.faults_transition + p0.faults_hard);
    umm_process_destroy(s.proc);
}

static void test_nested_faults_in_handler(void **state) {
    (void)state;
    umm_system_t *sys = new_paging_system();
    umm_vectored_handler_t *h;
    assert_int_equal(umm_add_vectored_handler(sys, 1, nest_handler, NULL, &h), UMM_OK);
    run_here_and_on_threads(nested_case, sys);
    /* on the main thread again, now with an alternate signal stack */
    void *alt = with_altstack();
    nested_case(sys);
    drop_altstack(alt);
    umm_stats_t st = tu_stats(sys);
    assert_true(st.faults_hard > 0);
    assert_int_equal(umm_remove_vectored_handler(h), UMM_OK);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ---- a handler that changes the context: skip the instruction, set a register ---- */

typedef struct {
    volatile unsigned char *target;
    int skipped;
} skip_state_t;

static _Thread_local skip_state_t *volatile skip;

#if defined(__x86_64__)
#define RESULT_REG UMM_X86_RAX
#elif defined(__aarch64__)
#define RESULT_REG 2
#endif

#ifdef SKIP_LEN
static umm_exception_action_t skip_handler(umm_exception_t *e, umm_context_t *c, void *ctx) {
    (void)ctx;
    skip_state_t *s = skip;
    if (!s || (volatile unsigned char *)e->address != s->target ||
        e->code != UMM_EXC_ACCESS_VIOLATION)
        return UMM_EXC_CONTINUE_SEARCH;
    s->skipped++;
    c->ip += SKIP_LEN;       /* past the faulting store */
    c->gpr[RESULT_REG] = 100; /* the add then gives 101 */
    return UMM_EXC_CONTINUE_EXECUTION;
}

static void skip_case(void *arg) {
    umm_system_t *sys = arg;
    umm_process_t *proc;
    assert_int_equal(umm_process_create(sys, &proc), UMM_OK);
    unsigned char *r = tu_reserve(proc, TU_GRAN, TU_RW); /* reserved, not committed */
    skip_state_t s = {.target = r + 17};
    skip = &s;
    long v = store_then_add(r + 17);
    skip = NULL;
    assert_int_equal(s.skipped, 1);
    assert_int_equal(v, 101);
    /* the page is still not committed: the store never happened */
    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, r, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_RESERVED);
    umm_process_destroy(proc);
}
#endif

static void test_handler_changes_context(void **state) {
    (void)state;
#ifdef SKIP_LEN
    umm_system_t *sys = new_paging_system();
    umm_vectored_handler_t *h;
    assert_int_equal(umm_add_vectored_handler(sys, 0, skip_handler, NULL, &h), UMM_OK);
    run_here_and_on_threads(skip_case, sys);
    umm_system_destroy(sys); /* removes the handler with the system */
    assert_int_equal(umm_remove_vectored_handler(h), UMM_E_HANDLE);
#else
    skip();
#endif
}

/* ---- registers, flags, SIMD state and signal mask preserved ---- */

static umm_exception_action_t clobber_handler(umm_exception_t *e, umm_context_t *c, void *ctx) {
    (void)c;
    (void)ctx;
    if (e->code != UMM_EXC_GUARD_PAGE)
        return UMM_EXC_CONTINUE_SEARCH;
    /* use the FP/SIMD units and the flags, and change the signal mask */
    volatile double d = 1.0;
    for (int i = 0; i < 100; i++)
        d = d * 1.000001 + 0.5;
    char buf[512];
    memset(buf, 0x5a, sizeof buf);
    snprintf(buf, sizeof buf, "%f %g", d, d / 3);
    sigset_t u;
    sigemptyset(&u);
    sigaddset(&u, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &u, NULL);
    return UMM_EXC_CONTINUE_EXECUTION;
}

#if defined(__x86_64__)
#define NVEC 16
#define VEC_BYTES 32
/* Load 16 vector registers from `in` (VEC_BYTES apart), r8-r15 with 0x1111 .. 0x8888 and CF = 1,
 * store to the guard page at `a`, then store them all to `out` and `g`; returns CF. */
#define VEC16(op, r, dir)                                                                          \
    VEC4(op, r, dir, 0, 1, 2, 3) VEC4(op, r, dir, 4, 5, 6, 7) VEC4(op, r, dir, 8, 9, 10, 11)      \
    VEC4(op, r, dir, 12, 13, 14, 15)
#define VEC4(op, r, dir, a, b, c, d) VEC1(op, r, dir, a) VEC1(op, r, dir, b) VEC1(op, r, dir, c) VEC1(op, r, dir, d)
#define VEC1(op, r, dir, i) VEC_##dir(op, r, i)
#define VEC_LOAD(op, r, i) op " " #i "*32(%[in]), %%" r #i "\n\t"
#define VEC_STORE(op, r, i) op " %%" r #i ", " #i "*32(%[out])\n\t"
#define GPRS_SET                                                                                   \
    "mov $0x1111, %%r8\n\t mov $0x2222, %%r9\n\t mov $0x3333, %%r10\n\t mov $0x4444, %%r11\n\t"     \
    "mov $0x5555, %%r12\n\t mov $0x6666, %%r13\n\t mov $0x7777, %%r14\n\t mov $0x8888, %%r15\n\t"
#define GPRS_STORE                                                                                 \
    "mov %%r8, 0(%[g])\n\t mov %%r9, 8(%[g])\n\t mov %%r10, 16(%[g])\n\t mov %%r11, 24(%[g])\n\t"   \
    "mov %%r12, 32(%[g])\n\t mov %%r13, 40(%[g])\n\t mov %%r14, 48(%[g])\n\t mov %%r15, 56(%[g])\n\t"
#define FAULT_WITH_CF "stc\n\t movb $1, (%[a])\n\t setc %[cf]\n\t"
#define ROUNDTRIP(op, r, tail)                                                                     \
    __asm__ volatile(VEC16(op, r, LOAD) GPRS_SET FAULT_WITH_CF VEC16(op, r, STORE) GPRS_STORE tail \
                     : [cf] "=&r"(cf)                                                              \
                     : [in] "r"(in), [out] "r"(out), [a] "r"(addr), [g] "r"(gout)                  \
                     : "memory", "cc", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",       \
                       "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",      \
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15")

static int regs_roundtrip(volatile unsigned char *addr, int avx, uint8_t *in, uint8_t *out,
                          uint64_t *gout) {
    unsigned char cf;
    if (avx)
        ROUNDTRIP("vmovdqu", "ymm", "vzeroupper\n\t");
    else
        ROUNDTRIP("movdqu", "xmm", "");
    return cf;
}

static void regs_case(void *arg) {
    umm_system_t *sys = arg;
    umm_process_t *proc;
    assert_int_equal(umm_process_create(sys, &proc), UMM_OK);
    unsigned char *r = tu_reserve(proc, TU_GRAN, TU_RW);
    int avx = __builtin_cpu_supports("avx");
    size_t width = avx ? 32 : 16;
    assert_int_equal(umm_commit(proc, r, PG, TU_RW), UMM_OK);
    for (int round = 0; round < 8; round++) {
        assert_int_equal(umm_protect(proc, r, PG, TU_RW | UMM_PROT_GUARD, NULL), UMM_OK);
        uint8_t in[NVEC * VEC_BYTES], out[NVEC * VEC_BYTES];
        uint64_t g[8] = {0};
        for (size_t i = 0; i < sizeof in; i++)
            in[i] = (uint8_t)(i * 7 + round * 13 + 1);
        memset(out, 0, sizeof out);
        sigset_t b, cur;
        sigemptyset(&b);
        sigaddset(&b, SIGUSR2);
        pthread_sigmask(SIG_BLOCK, &b, NULL);
        uint64_t guards0 = tu_pstats(proc).faults_guard;
        int cf = regs_roundtrip(r + 64 * round, avx, in, out, g);
        assert_int_equal(tu_pstats(proc).faults_guard, guards0 + 1); /* the handler did run */
        pthread_sigmask(SIG_BLOCK, NULL, &cur);
        assert_true(sigismember(&cur, SIGUSR2)); /* the handler's unblock was undone */
        pthread_sigmask(SIG_UNBLOCK, &b, NULL);
        assert_int_equal(cf, 1);
        for (int v = 0; v < NVEC; v++)
            assert_memory_equal(out + v * VEC_BYTES, in + v * VEC_BYTES, width);
        for (int k = 0; k < 8; k++)
            assert_int_equal(g[k], 0x1111u * (unsigned)(k + 1));
        assert_int_equal(r[64 * round], 1);
    }
    umm_process_destroy(proc);
}
#endif

static void test_registers_preserved(void **state) {
    (void)state;
#if defined(__x86_64__)
    umm_system_t *sys = new_paging_system();
    umm_vectored_handler_t *h;
    assert_int_equal(umm_add_vectored_handler(sys, 0, clobber_handler, NULL, &h), UMM_OK);
    run_here_and_on_threads(regs_case, sys);
    assert_int_equal(umm_remove_vectored_handler(h), UMM_OK);
    umm_system_destroy(sys);
#else
    skip();
#endif
}

/* ---- a stack that is managed memory, grown through guard pages ---- */

#define STACK_RESERVE (4 * TU_MIB)
#define STACK_TOP_COMMIT (128 * TU_KIB)
#define STACK_GUARD (32 * TU_KIB)
#define STACK_GROW (128 * TU_KIB)

typedef struct {
    umm_process_t *proc;
    unsigned char *base;     /* the reservation */
    unsigned char *low;      /* lowest committed address; [low, low + STACK_GUARD) is guard */
    int grows;
    uint64_t result;
    uintptr_t deepest;
} grow_state_t;

static _Thread_local grow_state_t *volatile grow;

static umm_exception_action_t grow_handler(umm_exception_t *e, umm_context_t *c, void *ctx) {
    (void)c;
    (void)ctx;
    grow_state_t *s = grow;
    unsigned char *a = e->address;
    if (!s || e->code != UMM_EXC_GUARD_PAGE || a < s->base || a >= s->base + STACK_RESERVE)
        return UMM_EXC_CONTINUE_SEARCH;
    if (a < s->low + 2 * STACK_GUARD && s->low - STACK_GROW >= s->base) {
        unsigned char *nl = s->low - STACK_GROW;
        if (umm_commit(s->proc, nl, STACK_GROW, TU_RW) != UMM_OK ||
            umm_protect(s->proc, nl, STACK_GUARD, TU_RW | UMM_PROT_GUARD, NULL) != UMM_OK)
            return UMM_EXC_CONTINUE_SEARCH;
        s->low = nl;
        s->grows++;
    }
    return UMM_EXC_CONTINUE_EXECUTION;
}

static _Thread_local uintptr_t deepest; /* lowest stack address recurse() wrote */

static __attribute__((noinline)) uint64_t recurse(int n) {
    volatile unsigned char buf[1024];
    for (size_t i = 0; i < sizeof buf; i += 64)
        buf[i] = (unsigned char)(n + i);
    if ((uintptr_t)buf < deepest || !deepest)
        deepest = (uintptr_t)buf;
    uint64_t sub = n > 0 ? recurse(n - 1) : 0;
    return sub + buf[0] + buf[512];
}

static void *grow_thread(void *p) {
    grow_state_t *s = p;
    void *alt = with_altstack(); /* a managed stack needs one: the kernel cannot fault it in */
    grow = s;
    s->result = recurse(1600); /* > 1.6 MiB of stack */
    s->deepest = deepest;
    grow = NULL;
    drop_altstack(alt);
    return NULL;
}

static void grow_case(void *arg) {
    umm_system_t *sys = arg;
    grow_state_t s = {0};
    assert_int_equal(umm_process_create(sys, &s.proc), UMM_OK);
    s.base = tu_reserve(s.proc, STACK_RESERVE, TU_RW);
    unsigned char *top = s.base + STACK_RESERVE;
    s.low = top - STACK_TOP_COMMIT;
    assert_int_equal(umm_commit(s.proc, s.low, STACK_TOP_COMMIT, TU_RW), UMM_OK);
    assert_int_equal(umm_protect(s.proc, s.low, STACK_GUARD, TU_RW | UMM_PROT_GUARD, NULL), UMM_OK);
    /* the thread starts on pages made valid here (no signal can be delivered before its
     * alternate stack exists) */
    memset(top - 64 * TU_KIB, 0, 64 * TU_KIB);
    pthread_attr_t at;
    pthread_attr_init(&at);
    assert_int_equal(pthread_attr_setstack(&at, s.base, STACK_RESERVE), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, &at, grow_thread, &s), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&at);
    uint64_t expect = 0;
    for (int n = 0; n <= 1600; n++)
        expect += (unsigned char)n + (unsigned char)(n + 512);
    assert_int_equal(s.result, expect);
    /* the recursion really went deeper than 1 MiB, on the grown stack */
    assert_true((uintptr_t)top - s.deepest > TU_MIB + STACK_TOP_COMMIT);
    assert_true(s.deepest >= (uintptr_t)s.low);
    assert_true(s.grows >= 10);
    assert_true(top - s.low > (ptrdiff_t)TU_MIB + (ptrdiff_t)STACK_TOP_COMMIT);
    umm_process_destroy(s.proc);
}

static void *grow_case_thread(void *arg) {
    grow_case(arg);
    return NULL;
}

static void test_managed_stack_growth(void **state) {
    (void)state;
#if HAVE_DISPATCH
    umm_config_t c = pu_config(64 * TU_MIB, 0, 0, UMM_CFG_NO_WORKERS);
    umm_system_t *sys;
    assert_int_equal(umm_system_create(&c, &sys), UMM_OK);
    umm_vectored_handler_t *h;
    assert_int_equal(umm_add_vectored_handler(sys, 0, grow_handler, NULL, &h), UMM_OK);
    grow_case(sys);
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, grow_case_thread, sys), 0);
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
#else
    skip();
#endif
}

/* ---- the list: order, first/last, contexts, removal, the old handler on top ---- */

typedef struct {
    char log[32];
    int n;
} order_log_t;

static _Thread_local order_log_t *order_log;

#define LOGGER(name, letter, action)                                                               \
    static umm_exception_action_t name(umm_exception_t *e, umm_context_t *c, void *ctx) {      \
        (void)e;                                                                                \
        (void)c;                                                                                \
        order_log->log[order_log->n++] = (char)(letter + *(int *)ctx);                          \
        return action;                                                                          \
    }
LOGGER(log_search, 'a', UMM_EXC_CONTINUE_SEARCH)
LOGGER(log_continue, 'A', UMM_EXC_CONTINUE_EXECUTION)

static int legacy_calls;
static umm_exception_action_t legacy_handler(const umm_exception_t *e, void *ctx) {
    (void)e;
    legacy_calls += *(int *)ctx;
    order_log->log[order_log->n++] = 'L';
    return UMM_EXC_CONTINUE_SEARCH;
}

static void guard_touch(umm_process_t *proc, unsigned char *p) {
    assert_int_equal(umm_commit(proc, p, PG, TU_RW | UMM_PROT_GUARD), UMM_OK); /* a fresh page */
    p[0]++;
}

/* A system, a process, a reservation for guard pages, and the order log on this thread. */
static unsigned char *list_setup(umm_system_t **sys, umm_process_t **proc, order_log_t *log) {
    tu_sys_new(8 * TU_MIB, 1, sys, proc);
    order_log = log;
    return tu_reserve(*proc, TU_GRAN, TU_RW);
}

static void test_vectored_list(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    order_log_t log = {0};
    unsigned char *r = list_setup(&sys, &proc, &log);
    int zero = 0, one = 1, two = 2;
    umm_vectored_handler_t *h0, *h1, *h2, *h3;
    /* bad input */
    assert_int_equal(umm_add_vectored_handler(NULL, 0, log_search, &zero, &h0), UMM_E_INVAL);
    assert_int_equal(umm_add_vectored_handler(sys, 0, NULL, &zero, &h0), UMM_E_INVAL);
    assert_int_equal(umm_add_vectored_handler(sys, 0, log_search, &zero, NULL), UMM_E_INVAL);
    assert_int_equal(umm_add_vectored_handler((umm_system_t *)proc, 0, log_search, &zero, &h0),
                     UMM_E_HANDLE);
    assert_int_equal(umm_remove_vectored_handler(NULL), UMM_E_INVAL);
    assert_int_equal(umm_remove_vectored_handler((umm_vectored_handler_t *)sys), UMM_E_HANDLE);

    /* last, last, first: called b c a order... each with its own context */
    assert_int_equal(umm_add_vectored_handler(sys, 0, log_search, &one, &h1), UMM_OK);
    assert_int_equal(umm_add_vectored_handler(sys, 0, log_continue, &two, &h2), UMM_OK);
    assert_int_equal(umm_add_vectored_handler(sys, 1, log_search, &zero, &h0), UMM_OK);
    guard_touch(proc, r);
    assert_string_equal(log.log, "abC"); /* the third is not asked: the second continued */

    /* the old API is one more handler, added last; a search-only list ahead of it */
    memset(&log, 0, sizeof log);
    assert_int_equal(umm_remove_vectored_handler(h2), UMM_OK);
    assert_int_equal(umm_remove_vectored_handler(h2), UMM_E_HANDLE);
    assert_int_equal(umm_set_exception_handler(sys, legacy_handler, &one), UMM_OK);
    assert_int_equal(umm_add_vectored_handler(sys, 0, log_continue, &zero, &h3), UMM_OK);
    guard_touch(proc, r + PG);
    assert_string_equal(log.log, "abLA");
    assert_int_equal(legacy_calls, 1);
    /* setting it again replaces it in place (same position, new context) */
    memset(&log, 0, sizeof log);
    assert_int_equal(umm_set_exception_handler(sys, legacy_handler, &two), UMM_OK);
    guard_touch(proc, r + 2 * PG);
    assert_string_equal(log.log, "abLA");
    assert_int_equal(legacy_calls, 3);
    /* removed with NULL; the others stay */
    memset(&log, 0, sizeof log);
    assert_int_equal(umm_set_exception_handler(sys, NULL, NULL), UMM_OK);
    assert_int_equal(umm_remove_vectored_handler(h0), UMM_OK);
    guard_touch(proc, r + 3 * PG);
    assert_string_equal(log.log, "bA");
    assert_int_equal(umm_remove_vectored_handler(h1), UMM_OK);
    assert_int_equal(umm_remove_vectored_handler(h3), UMM_OK);
    order_log = NULL;
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* A handler removes itself and adds another from inside the dispatch. */
static umm_vectored_handler_t *self_h;
static int self_calls;
static umm_exception_action_t self_removing(umm_exception_t *e, umm_context_t *c, void *ctx) {
    (void)c;
    self_calls++;
    umm_vectored_handler_t *h2;
    assert_int_equal(umm_remove_vectored_handler(self_h), UMM_OK);
    (void)e;
    assert_int_equal(umm_add_vectored_handler(ctx, 1, log_continue, &self_calls, &h2), UMM_OK);
    return UMM_EXC_CONTINUE_EXECUTION;
}

static void test_handler_removes_itself(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    order_log_t log = {0};
    unsigned char *r = list_setup(&sys, &proc, &log);
    assert_int_equal(umm_add_vectored_handler(sys, 0, self_removing, sys, &self_h), UMM_OK);
    guard_touch(proc, r);
    assert_int_equal(self_calls, 1);
    guard_touch(proc, r + PG);
    assert_int_equal(self_calls, 1); /* gone: the one it added answered */
    assert_int_equal(log.n, 1);
    order_log = NULL;
    umm_system_destroy(sys); /* frees the handler it added */
}

/* ---- a handler that faults forever ends the process with a message ---- */

static unsigned char *volatile forever_page; /* volatile: set before the faulting store */
static umm_exception_action_t forever_handler(umm_exception_t *e, umm_context_t *c, void *ctx) {
    (void)e;
    (void)c;
    (void)ctx;
    forever_page[0] = 1; /* reserved, never committed: faults again, inside the handler */
    return UMM_EXC_CONTINUE_EXECUTION;
}

static void test_handler_faulting_forever(void **state) {
    (void)state;
#if HAVE_DISPATCH
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(pipefd[1], 2);
        umm_config_t c = pu_config(8 * TU_MIB, 0, 0, UMM_CFG_NO_WORKERS);
        umm_system_t *sys;
        umm_process_t *proc;
        umm_vectored_handler_t *h;
        if (umm_system_create(&c, &sys) || umm_process_create(sys, &proc) ||
            umm_add_vectored_handler(sys, 0, forever_handler, NULL, &h))
            _exit(3);
        void *r;
        if (umm_reserve(proc, TU_GRAN, TU_RW, &r))
            _exit(4);
        forever_page = r;
        forever_page[0] = 1;
        _exit(0); /* not reached */
    }
    close(pipefd[1]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    char out[1024] = {0};
    ssize_t got = 0, n;
    while ((n = read(pipefd[0], out + got, sizeof out - 1 - (size_t)got)) > 0)
        got += n;
    close(pipefd[0]);
    if (!WIFSIGNALED(status))
        fprintf(stderr, "child status %#x, said: %s\n", status, out);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    assert_non_null(strstr(out, "keeps faulting"));
#else
    skip();
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_faults_in_handler),
        cmocka_unit_test(test_handler_changes_context),
        cmocka_unit_test(test_registers_preserved),
        cmocka_unit_test(test_managed_stack_growth),
        cmocka_unit_test(test_vectored_list),
        cmocka_unit_test(test_handler_removes_itself),
        cmocka_unit_test(test_handler_faulting_forever),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
