/* SPDX-License-Identifier: MIT */
/* test_threads.c - concurrent faults (also run under ThreadSanitizer). Several threads touch their
 * own pages and shared pages (each thread owns distinct words of every shared page) at the same
 * time, with cluster 16 and cluster 1; another variant trims/empties the working set from a thread
 * while the others fault. Every thread verifies its own data; the main thread verifies all of it
 * at the end, and the statistics and umm_check stay consistent. */
#include "test_util.h"

#include <pthread.h>
#include <stdatomic.h>

#define PG ((size_t)4096)
#define NTHREADS 4
#define PRIV_PAGES 256  /* 1 MiB of private pages per thread */
#define SHARED_PAGES 64 /* shared by all threads */
#define WORDS_PER_THREAD (PG / 8 / NTHREADS)

typedef struct worker {
    pthread_t tid;
    int id;
    int rounds;
    char *priv;     /* PRIV_PAGES pages */
    char *shared;   /* SHARED_PAGES pages */
    int wait_trims; /* a trimmer runs: wait for a fresh trim pass between rounds */
    int errors;     /* mismatches seen by the thread */
    char msg[160];
} worker_t;

static atomic_int start_flag;
static atomic_int stop_flag;
static atomic_long trim_passes;

static uint64_t word_value(int id, size_t page, size_t word, int round) {
    return tu_mix(((uint64_t)id << 56) ^ ((uint64_t)page << 32) ^ ((uint64_t)word << 12) ^ (uint64_t)round) | 1;
}

static void note(worker_t *w, const char *what, size_t page, size_t word) {
    if (w->errors++ == 0)
        snprintf(w->msg, sizeof w->msg, "thread %d: %s mismatch page %zu word %zu", w->id, what, page, word);
}

/* Each round: write every private page fully and this thread's words of every shared page, then
 * read them back. Pages are visited in a thread-specific order so faults interleave. */
static void *worker_main(void *arg) {
    worker_t *w = arg;
    while (!atomic_load(&start_flag))
        ;
    long seen = 0;
    for (int round = 0; round < w->rounds; round++) {
        if (w->wait_trims && round > 0)
            while (atomic_load(&trim_passes) < seen + 2)
                sched_yield(); /* at least one whole trim pass after our last round */
        for (size_t k = 0; k < PRIV_PAGES; k++) {
            size_t p = (k * 7 + (size_t)w->id * 13) % PRIV_PAGES;
            volatile uint64_t *q = (volatile uint64_t *)(w->priv + p * PG);
            for (size_t i = 0; i < PG / 8; i += 31)
                q[i] = word_value(w->id, p, i, round);
        }
        for (size_t k = 0; k < SHARED_PAGES; k++) {
            size_t p = (k + (size_t)w->id * 5) % SHARED_PAGES;
            volatile uint64_t *q = (volatile uint64_t *)(w->shared + p * PG);
            for (size_t i = 0; i < WORDS_PER_THREAD; i++)
                q[(size_t)w->id * WORDS_PER_THREAD + i] = word_value(w->id, 1000 + p, i, round);
        }
        for (size_t p = 0; p < PRIV_PAGES; p++) {
            volatile uint64_t *q = (volatile uint64_t *)(w->priv + p * PG);
            for (size_t i = 0; i < PG / 8; i++) {
                uint64_t want = i % 31 == 0 ? word_value(w->id, p, i, round) : 0;
                if (q[i] != want)
                    note(w, "private", p, i);
            }
        }
        for (size_t p = 0; p < SHARED_PAGES; p++) {
            volatile uint64_t *q = (volatile uint64_t *)(w->shared + p * PG);
            for (size_t i = 0; i < WORDS_PER_THREAD; i++)
                if (q[(size_t)w->id * WORDS_PER_THREAD + i] != word_value(w->id, 1000 + p, i, round))
                    note(w, "shared", p, i);
        }
        seen = atomic_load(&trim_passes);
    }
    return NULL;
}

static void *trimmer_main(void *arg) {
    umm_process_t *proc = arg;
    long n = 0;
    while (!atomic_load(&start_flag))
        ;
    while (!atomic_load(&stop_flag)) {
        int rc = (++n % 16 == 0) ? umm_ws_empty(proc) : umm_ws_trim(proc, 32);
        if (rc != UMM_OK)
            return (void *)(intptr_t)rc;
        atomic_fetch_add(&trim_passes, 1);
        sched_yield();
    }
    return (void *)(intptr_t)(n > 0 ? 0 : -1);
}

static void run_workers(unsigned cluster, int rounds, int with_trimmer) {
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(16 * TU_MIB, cluster, &sys, &proc);
    char *priv = tu_alloc(proc, (size_t)NTHREADS * PRIV_PAGES * PG);
    char *shared = tu_alloc(proc, SHARED_PAGES * PG);
    static worker_t w[NTHREADS];
    pthread_t trimmer;
    atomic_store(&start_flag, 0);
    atomic_store(&stop_flag, 0);
    atomic_store(&trim_passes, 0);
    for (int i = 0; i < NTHREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].id = i;
        w[i].rounds = rounds;
        w[i].wait_trims = with_trimmer;
        w[i].priv = priv + (size_t)i * PRIV_PAGES * PG;
        w[i].shared = shared;
        assert_int_equal(pthread_create(&w[i].tid, NULL, worker_main, &w[i]), 0);
    }
    if (with_trimmer)
        assert_int_equal(pthread_create(&trimmer, NULL, trimmer_main, proc), 0);
    atomic_store(&start_flag, 1);
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_join(w[i].tid, NULL), 0);
    atomic_store(&stop_flag, 1);
    if (with_trimmer) {
        void *ret = NULL;
        assert_int_equal(pthread_join(trimmer, &ret), 0);
        assert_int_equal((intptr_t)ret, 0);
    }
    for (int i = 0; i < NTHREADS; i++)
        if (w[i].errors)
            fail_msg("%s (%d mismatches)", w[i].msg, w[i].errors);

    /* the main thread sees every thread's last round */
    int last = rounds - 1;
    for (int t = 0; t < NTHREADS; t++) {
        for (size_t p = 0; p < PRIV_PAGES; p++) {
            volatile uint64_t *q = (volatile uint64_t *)(w[t].priv + p * PG);
            for (size_t i = 0; i < PG / 8; i += 31)
                if (q[i] != word_value(t, p, i, last))
                    fail_msg("main: thread %d private page %zu word %zu", t, p, i);
        }
        for (size_t p = 0; p < SHARED_PAGES; p++) {
            volatile uint64_t *q = (volatile uint64_t *)(shared + p * PG);
            for (size_t i = 0; i < WORDS_PER_THREAD; i++)
                if (q[(size_t)t * WORDS_PER_THREAD + i] != word_value(t, 1000 + p, i, last))
                    fail_msg("main: thread %d shared page %zu word %zu", t, p, i);
        }
    }
    umm_stats_t s = tu_stats(sys);
    uint64_t pages = (uint64_t)NTHREADS * PRIV_PAGES + SHARED_PAGES;
    assert_int_equal(s.committed, pages);
    assert_int_equal(s.faults_access_violation, 0);
    assert_int_equal(s.faults_in_page_error, 0);
    assert_true(s.faults_total >= (cluster == 1 ? pages : pages / 16));
    if (!with_trimmer) {
        /* nothing was trimmed: every touched page is resident exactly once */
        assert_int_equal(s.working_set, pages);
        assert_int_equal(s.active, pages);
        assert_int_equal(s.faults_demand_zero, pages);
        assert_int_equal(s.pages_trimmed, 0);
    } else {
        assert_true(s.pages_trimmed > 0);
        assert_true(s.faults_transition > 0);
    }
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* 4 threads, cluster 16: disjoint private pages and shared pages faulted concurrently. */
static void test_threads_cluster16(void **state) {
    (void)state;
    run_workers(16, 3, 0);
}

/* 4 threads, cluster 1: every page faults separately, so threads race on shared pages' faults. */
static void test_threads_cluster1(void **state) {
    (void)state;
    run_workers(1, 3, 0);
}

/* 4 threads fault and rewrite while a fifth trims (ws_trim, sometimes ws_empty) continuously:
 * soft faults race with trimming, data stays intact. */
static void test_threads_with_trimmer(void **state) {
    (void)state;
    run_workers(16, 6, 1);
    run_workers(1, 4, 1);
}

/* Exceptions are raised on the faulting thread: 4 threads each probe uncommitted pages of their
 * own (access violations reported to the handler on that thread with that thread's address) while
 * writing their committed pages. */
typedef struct av_worker {
    pthread_t tid;
    char *page;  /* committed page */
    char *hole;  /* reserved, uncommitted page */
    int bad;
} av_worker_t;

static void *av_main(void *arg) {
    av_worker_t *w = arg;
    tu_exc_reset();
    for (int k = 0; k < 200; k++) {
        char *a = w->hole + (size_t)(k * 17) % PG;
        if (tu_try_write(a, (unsigned char)k) != UMM_EXC_ACCESS_VIOLATION || tu_exc.last.address != a ||
            tu_exc.last.is_write != 1)
            w->bad++;
        if (tu_try_write(w->page + k, (unsigned char)(k + 1)) != 0)
            w->bad++;
    }
    for (int k = 0; k < 200; k++)
        if ((unsigned char)w->page[k] != (unsigned char)(k + 1))
            w->bad++;
    if (tu_exc.count_av != 200)
        w->bad++;
    return NULL;
}

static void test_threads_access_violations(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(4 * TU_MIB, 1, &sys, &proc);
    assert_int_equal(umm_set_exception_handler(sys, tu_exc_handler, NULL), UMM_OK);
    char *r = tu_reserve(proc, 2 * TU_GRAN, TU_RW);
    static av_worker_t w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].page = r + (size_t)(2 * i) * PG;
        w[i].hole = r + (size_t)(2 * i + 1) * PG;
        assert_int_equal(umm_commit(proc, w[i].page, PG, TU_RW), UMM_OK);
    }
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&w[i].tid, NULL, av_main, &w[i]), 0);
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_join(w[i].tid, NULL), 0);
    for (int i = 0; i < NTHREADS; i++)
        if (w[i].bad)
            fail_msg("thread %d: %d wrong outcomes", i, w[i].bad);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.faults_access_violation, NTHREADS * 200);
    assert_int_equal(s.committed, NTHREADS);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_cluster16),
        cmocka_unit_test(test_threads_cluster1),
        cmocka_unit_test(test_threads_with_trimmer),
        cmocka_unit_test(test_threads_access_violations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
