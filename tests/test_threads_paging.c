/* SPDX-License-Identifier: MIT */
/* test_threads_paging.c - paging under concurrency (also run under TSan, so sizes are small):
 * threads fault disjoint pages with address-keyed patterns while the workers run (balance every
 * 50 ms) and another thread trims working sets, flushes the modified list and purges Standby in a
 * loop. At the end every thread's data is right and umm_check passes. */
#include "paging_util.h"

#include <pthread.h>
#include <sched.h>

#define PG PU_PG

typedef struct fault_arg {
    char *base;
    size_t npages;
    uint64_t gen0;
    int passes;
    uint64_t seed;
    uint64_t bad; /* pages found wrong */
    unsigned *min_loops_of; /* same_cluster_thread: also run until this many maint loops */
} fault_arg_t;

typedef struct maint_arg {
    umm_system_t *sys;
    umm_process_t *procs[2];
    volatile int stop;
    unsigned loops; /* atomic */
    int rc_trim, rc_flush, rc_purge; /* first unexpected return code, or 0 */
} maint_arg_t;

static void *fault_thread(void *p) {
    fault_arg_t *a = p;
    for (int pass = 0; pass < a->passes; pass++) {
        uint64_t gen = a->gen0 + (uint64_t)pass;
        /* write: half the passes in order, half in random order */
        size_t *ord = pu_order(a->npages, pass & 1 ? a->seed + (uint64_t)pass : 0);
        for (size_t k = 0; k < a->npages; k++)
            pu_mark_page(a->base + ord[k] * PG, PG, gen);
        pu_shuffle(ord, a->npages, a->seed * 31 + (uint64_t)pass);
        for (size_t k = 0; k < a->npages; k++)
            a->bad += !pu_check_page(a->base + ord[k] * PG, PG, gen);
        free(ord);
    }
    return NULL;
}

static void *maint_thread(void *p) {
    maint_arg_t *m = p;
    while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
        unsigned i = __atomic_fetch_add(&m->loops, 1, __ATOMIC_RELAXED);
        int rc = umm_ws_trim(m->procs[i & 1], 128);
        if (rc != UMM_OK && !m->rc_trim)
            m->rc_trim = rc;
        rc = umm_flush_modified(m->sys);
        if (rc != UMM_OK && !m->rc_flush)
            m->rc_flush = rc;
        if (i % 4 == 3) {
            rc = umm_standby_purge(m->sys, 7, NULL);
            if (rc != UMM_OK && !m->rc_purge)
                m->rc_purge = rc;
        }
        if (i % 16 == 15)
            umm_ws_empty(m->procs[(i / 16) & 1]);
        pu_sleep_ms(1);
    }
    return NULL;
}

/* umm_check is called once the zero page thread has nothing left to do (it races with it:
 * see test_paging.c, test_check_during_zeroing). */
static void check_quiet(umm_system_t *sys) {
    uint64_t t0 = pu_now_ms();
    while (tu_stats(sys).free != 0 && pu_now_ms() - t0 < 3000)
        pu_sleep_ms(5);
    tu_assert_consistent(sys);
}

static void test_threads_paging(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *pa, *pb;
    umm_config_t c = pu_config(8 * TU_MIB, 48 * TU_MIB, 0, 0);
    c.balance_interval_ms = 50;
    tu_sys_new_cfg(&c, &sys, &pa);
    assert_int_equal(umm_process_create(sys, &pb), UMM_OK);
    /* 32 MiB committed: 24 MiB in A (two threads, disjoint halves), 8 MiB in B (one thread) */
    char *ra = tu_alloc(pa, 24 * TU_MIB);
    char *rb = tu_alloc(pb, 8 * TU_MIB);
    assert_int_equal(tu_stats(sys).committed, 8192);

    enum { NT = 3 };
    fault_arg_t fa[NT] = {
        {ra, 3072, 10, 3, 101, 0, NULL},
        {ra + 3072 * PG, 3072, 20, 3, 202, 0, NULL},
        {rb, 2048, 30, 3, 303, 0, NULL},
    };
    maint_arg_t m = {.sys = sys, .procs = {pa, pb}};
    pthread_t th[NT], mt;
    assert_int_equal(pthread_create(&mt, NULL, maint_thread, &m), 0);
    for (int i = 0; i < NT; i++)
        assert_int_equal(pthread_create(&th[i], NULL, fault_thread, &fa[i]), 0);
    for (int i = 0; i < NT; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    /* the fault threads may all have ended before the maintenance thread was first scheduled:
     * let it run a loop (up to 10 s) before stopping it */
    uint64_t t0 = pu_now_ms();
    while (__atomic_load_n(&m.loops, __ATOMIC_RELAXED) == 0 && pu_now_ms() - t0 < 10000)
        pu_sleep_ms(1);
    __atomic_store_n(&m.stop, 1, __ATOMIC_RELEASE);
    assert_int_equal(pthread_join(mt, NULL), 0);

    assert_int_equal(m.rc_trim, 0);
    assert_int_equal(m.rc_flush, 0);
    assert_int_equal(m.rc_purge, 0);
    for (int i = 0; i < NT; i++)
        if (fa[i].bad)
            fail_msg("thread %d found %" PRIu64 " wrong pages", i, fa[i].bad);
    /* every thread's final generation, checked again from here */
    for (int i = 0; i < NT; i++)
        for (size_t k = 0; k < fa[i].npages; k++)
            pu_assert_page(fa[i].base + k * PG, PG, fa[i].gen0 + (uint64_t)fa[i].passes - 1);
    umm_stats_t s = tu_stats(sys);
    print_message("      maint loops %u, hard faults %" PRIu64 ", pages in %" PRIu64 ", out %" PRIu64
                  ", balancer passes %" PRIu64 ", spurious %" PRIu64 "\n",
                  __atomic_load_n(&m.loops, __ATOMIC_RELAXED), s.faults_hard, s.pages_input,
                  s.pages_output, s.balancer_passes, s.faults_spurious);
    assert_true(s.faults_hard > 0);
    assert_true(s.pages_output > 0);
    assert_true(s.page_reads <= s.pages_input);
    assert_int_equal(s.read_errors, 0);
    assert_int_equal(s.writer_errors, 0);
    assert_int_equal(s.faults_in_page_error, 0);
    assert_true(m.loops > 0);
    check_quiet(sys);

    assert_int_equal(umm_release(pa, ra), UMM_OK);
    assert_int_equal(umm_release(pb, rb), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 0);
    assert_int_equal(s.pagefile_used, 0);
    check_quiet(sys);
    umm_system_destroy(sys);
}

/* Several threads fault pages of one cluster at once while the cluster is being paged in and out:
 * the read clustering and the soft-fault path must agree (no page twice, none lost). */
static void *same_cluster_thread(void *p) {
    fault_arg_t *a = p;
    for (int pass = 0; pass < a->passes ||
                       __atomic_load_n(a->min_loops_of, __ATOMIC_RELAXED) < 40; pass++)
        for (size_t k = 0; k < a->npages; k++) {
            size_t i = (k * 7 + (size_t)a->seed) % a->npages;
            a->bad += !pu_check_page(a->base + i * PG, PG, a->gen0);
        }
    return NULL;
}

static void test_threads_same_clusters(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * TU_MIB, 16 * TU_MIB, 0, 0);
    c.balance_interval_ms = 50;
    tu_sys_new_cfg(&c, &sys, &proc);
    const size_t n = 512;
    char *r = tu_alloc(proc, n * PG);
    for (size_t i = 0; i < n; i++)
        pu_mark_page(r + i * PG, PG, 7);
    maint_arg_t m = {.sys = sys, .procs = {proc, proc}};
    pthread_t mt, th[3];
    fault_arg_t fa[3] = {{r, n, 7, 6, 0, 0, &m.loops}, {r, n, 7, 6, 3, 0, &m.loops},
                         {r, n, 7, 6, 5, 0, &m.loops}};
    assert_int_equal(pthread_create(&mt, NULL, maint_thread, &m), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, same_cluster_thread, &fa[i]), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    __atomic_store_n(&m.stop, 1, __ATOMIC_RELEASE);
    assert_int_equal(pthread_join(mt, NULL), 0);
    assert_int_equal(m.rc_trim, 0);
    assert_int_equal(m.rc_flush, 0);
    assert_int_equal(m.rc_purge, 0);
    for (int i = 0; i < 3; i++)
        if (fa[i].bad)
            fail_msg("thread %d found %" PRIu64 " wrong pages", i, fa[i].bad);
    for (size_t i = 0; i < n; i++)
        pu_assert_page(r + i * PG, PG, 7);
    assert_true(tu_stats(sys).faults_hard > 0);
    check_quiet(sys);
    umm_system_destroy(sys);
}

/* ---- a hard-fault read held open with a failure-point hook ---------------------------------- */

static int read_blocked, read_release, read_calls;

/* Called by the check of "umm/pagefile/read" on the faulting thread (inside umm's SIGSEGV
 * handler, system lock dropped): say so, wait for the test to let go, then do not fail. Only
 * atomics and nanosleep: async-signal-safe. */
static int slow_read_cb(const char *name, void *ctx) {
    (void)name, (void)ctx;
    __atomic_add_fetch(&read_calls, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&read_blocked, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 4000 && !__atomic_load_n(&read_release, __ATOMIC_SEQ_CST); i++) {
        struct timespec ts = {0, 500000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

typedef struct touch_arg {
    const char *page;
    uint64_t gen;
    int ok;
    int done;
} touch_arg_t;

static void *touch_thread(void *p) {
    touch_arg_t *t = p;
    t->ok = pu_check_page(t->page, PG, t->gen);
    __atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* While one thread's hard-fault read is in flight (frames pinned, PTEs in transition, system
 * unlocked): a second thread touching a neighbour in the same cluster waits for it (no second
 * read), umm_stats_get works, and umm_check, which may be called at any time, reports the system
 * consistent. Afterwards both threads see the right data; one read brought in the cluster. */
static void test_check_during_hard_fault_read(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * TU_MIB, 8 * TU_MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_alloc(proc, 16 * PG);
    for (size_t i = 0; i < 16; i++)
        pu_mark_page(r + i * PG, PG, 44);
    pu_page_out(sys, proc);
    umm_stats_t s0 = tu_stats(sys);

    __atomic_store_n(&read_blocked, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&read_release, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&read_calls, 0, __ATOMIC_SEQ_CST);
    assert_int_equal(umm_failpoint_set_hook("umm/pagefile/read", slow_read_cb, NULL), UMM_OK);
    touch_arg_t t1 = {r + 2 * PG, 44, 0, 0}, t2 = {r + 3 * PG, 44, 0, 0};
    pthread_t th1, th2;
    assert_int_equal(pthread_create(&th1, NULL, touch_thread, &t1), 0);
    uint64_t t0 = pu_now_ms();
    while (!__atomic_load_n(&read_blocked, __ATOMIC_SEQ_CST) && pu_now_ms() - t0 < 2000)
        pu_sleep_ms(1);
    assert_int_equal(__atomic_load_n(&read_blocked, __ATOMIC_SEQ_CST), 1);
    assert_int_equal(pthread_create(&th2, NULL, touch_thread, &t2), 0);
    pu_sleep_ms(30);
    int done2 = __atomic_load_n(&t2.done, __ATOMIC_SEQ_CST);
    umm_stats_t mid = tu_stats(sys); /* the lock is free during the read */
    int check_rc = umm_check(sys);
    __atomic_store_n(&read_release, 1, __ATOMIC_SEQ_CST);
    assert_int_equal(pthread_join(th1, NULL), 0);
    assert_int_equal(pthread_join(th2, NULL), 0);
    umm_failpoint_disable("umm/pagefile/read");

    assert_int_equal(done2, 0); /* the neighbour waited for the read in flight */
    assert_int_equal(mid.working_set, s0.working_set);
    assert_true(t1.ok);
    assert_true(t2.ok);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(__atomic_load_n(&read_calls, __ATOMIC_SEQ_CST), 1);
    assert_int_equal(s1.page_reads, s0.page_reads + 1);
    assert_int_equal(s1.pages_input, s0.pages_input + 16);
    for (size_t i = 0; i < 16; i++)
        pu_assert_page(r + i * PG, PG, 44);
    tu_assert_consistent(sys);
    if (check_rc != UMM_OK)
        fail_msg("umm_check returned %s while a hard-fault read was in flight",
                 umm_error_name(check_rc));
    umm_system_destroy(sys);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_paging),
        cmocka_unit_test(test_threads_same_clusters),
        cmocka_unit_test(test_check_during_hard_fault_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
