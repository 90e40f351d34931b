/* SPDX-License-Identifier: MIT */
/* test_threads_asyncread.c - the asynchronous read-ahead of sequential streams (mm/asyncread.h),
 * with the workers and the read-ahead's I/O thread on: 8x-RAM sequential and strided passes over
 * several seeds, injected read errors on the asynchronous path, and a range decommitted or a
 * process destroyed while an asynchronous read is in flight (a failure-point hook holds it
 * there). Built under TSan too. Helpers: readahead_util.h. */
#include "readahead_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static umm_config_t async_config(void) {
    umm_config_t c = ra_config(0);
    c.balance_interval_ms = 20;
    return c;
}

/* Pages offset, offset + step, ... of r in order: each stored with generation gen (store), or
 * loaded and checked against the model. */
static void pass(char *r, size_t step, size_t offset, uint64_t *gens, bool store, uint64_t gen) {
    for (size_t i = offset; i < DATA_PAGES; i += step) {
        uint64_t *w = word_of(r, i);
        if (store) {
            word_access(r, i, true, pu_word_value(w, gen));
            gens[i] = gen;
            continue;
        }
        uint64_t got = word_access(r, i, false, 0);
        if (got != (gens[i] ? pu_word_value(w, gens[i]) : 0))
            fail_msg("page %zu: %016" PRIx64 ", generation %" PRIu64 " expected", i, got, gens[i]);
    }
}

/* Seeds 1..3 over 8x RAM: a sequential write pass, a sequential read pass rewriting one page in
 * four (as the swap benchmark does), a strided read pass (step seed + 1). With `inject`, reads of
 * the paging file fail at random. Data exact, system consistent; returns the statistics. */
static umm_stats_t sequential_8x_ram(double inject) {
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = async_config();
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_exc_install(sys);
    char *r = tu_alloc(proc, DATA_PAGES * PG);
    uint64_t *gens = calloc(DATA_PAGES, sizeof *gens);
    assert_non_null(gens);
    if (inject > 0) {
        assert_int_equal(umm_failpoint_seed(0xA51C), UMM_OK);
        assert_int_equal(umm_failpoint_enable("umm/pagefile/read", inject, 0), UMM_OK);
    }
    for (uint64_t seed = 1; seed <= 3; seed++) {
        pass(r, 1, 0, gens, true, seed);
        pass(r, 1, 0, gens, false, 0);
        pass(r, 4, seed, gens, true, seed + 10); /* one page in four rewritten */
        pass(r, 1, 0, gens, false, 0);
        pass(r, seed + 1, 0, gens, false, 0);
        tu_assert_consistent(sys);
    }
    umm_failpoint_disable("umm/pagefile/*");
    verify_all(r, DATA_PAGES, gens);
    umm_stats_t s = tu_stats(sys);
    print_message("      %s: hard %" PRIu64 ", read ahead %" PRIu64 " (async %" PRIu64 "), hits %" PRIu64
                  " (async %" PRIu64 "), wasted %" PRIu64 ", async errors %" PRIu64 "\n",
                  inject > 0 ? "read errors" : "no errors", s.faults_hard, s.pages_read_ahead,
                  s.pages_read_async, s.readahead_hits, s.async_read_hits, s.readahead_wasted,
                  s.async_read_errors);
    assert_true(s.faults_hard > 0 && s.pages_output > DATA_PAGES); /* it really paged */
    assert_true(s.pages_read_async <= s.pages_read_ahead && s.async_read_hits <= s.readahead_hits);
    assert_true(s.readahead_hits + s.readahead_wasted <= s.pages_read_ahead);
    tu_assert_consistent(sys);
    assert_int_equal(umm_release(proc, r), UMM_OK);
    assert_int_equal(tu_stats(sys).pagefile_used, 0);
    free(gens);
    umm_set_exception_handler(sys, NULL, NULL);
    umm_system_destroy(sys);
    return s;
}

/* Sequential passes are read ahead asynchronously, and the pages so read get used. */
static void test_sequential_async(void **state) {
    (void)state;
    umm_stats_t s = sequential_8x_ram(0);
    assert_true(s.pages_read_async > 0);
    assert_true(s.async_read_hits > s.pages_read_async / 2);
    assert_int_equal(s.async_read_errors, 0);
    assert_int_equal(s.read_errors, 0);
}

/* 10 % of paging-file reads fail, the asynchronous ones among them: their pages stay in their
 * slots and are read again by the fault that needs them; nothing is lost. */
static void test_sequential_async_read_errors(void **state) {
    (void)state;
    umm_stats_t s = sequential_8x_ram(0.10);
    assert_true(s.pages_read_async > 0);
    assert_true(s.async_read_errors > 0);
}

/* ---- an asynchronous read held in flight by a failure-point hook ---- */

static pthread_t faulting_thread;
static atomic_int held, released;

/* Holds every paging-file read not issued by the test's own thread (the I/O thread's) until
 * `released`. Async-signal-safe: atomics and nanosleep. */
static int hold_async_read(const char *name, void *ctx) {
    (void)name;
    (void)ctx;
    if (pthread_equal(pthread_self(), faulting_thread))
        return 0;
    atomic_store(&held, 1);
    while (!atomic_load(&released)) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void *release_later(void *arg) {
    (void)arg;
    struct timespec ts = {0, 100 * 1000000};
    nanosleep(&ts, NULL);
    atomic_store(&released, 1);
    return NULL;
}

/* A system whose 8x-RAM range was written, then read sequentially until the I/O thread's read of
 * the stream's next window is in flight and held there. */
static char *start_held_read(umm_system_t **sys, umm_process_t **proc, uint64_t *gens) {
    umm_config_t c = async_config();
    tu_sys_new_cfg(&c, sys, proc);
    tu_exc_install(*sys);
    char *r = tu_alloc(*proc, DATA_PAGES * PG);
    pass(r, 1, 0, gens, true, 1);
    faulting_thread = pthread_self();
    atomic_store(&held, 0);
    atomic_store(&released, 0);
    assert_int_equal(umm_failpoint_set_hook("umm/pagefile/read", hold_async_read, NULL), UMM_OK);
    /* Windows are read whole (cluster_pages, aligned): before the stream enters the next one,
     * wait a moment for its asynchronous read, which must not be touched once held. */
    for (size_t i = 0; i < DATA_PAGES / 2; i++) {
        for (int ms = 0; i % c.cluster_pages == 0 && i > 0 && ms < 200 && !atomic_load(&held); ms++) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        if (atomic_load(&held))
            break;
        assert_true(word_access(r, i, false, 0) == pu_word_value(word_of(r, i), 1));
    }
    assert_true(atomic_load(&held)); /* the stream's next window is being read */
    return r;
}

/* Decommitting the range waits for the read in flight; the pages are gone, nothing leaks. */
static void test_decommit_during_async_read(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    uint64_t *gens = calloc(DATA_PAGES, sizeof *gens);
    assert_non_null(gens);
    char *r = start_held_read(&sys, &proc, gens);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, release_later, NULL), 0);
    assert_int_equal(umm_decommit(proc, r, DATA_PAGES * PG), UMM_OK);
    assert_true(atomic_load(&released)); /* it waited for the read */
    assert_int_equal(pthread_join(t, NULL), 0);
    umm_failpoint_disable("umm/pagefile/*");
    umm_stats_t s = tu_stats(sys);
    assert_true(s.pages_read_async > 0);
    assert_int_equal(s.pagefile_used, 0);
    tu_assert_consistent(sys);
    assert_int_equal(umm_commit(proc, r, DATA_PAGES * PG, TU_RW), UMM_OK);
    memset(gens, 0, DATA_PAGES * sizeof *gens);
    verify_all(r, DATA_PAGES, gens); /* recommitted: zero */
    assert_int_equal(umm_release(proc, r), UMM_OK);
    tu_assert_consistent(sys);
    free(gens);
    umm_set_exception_handler(sys, NULL, NULL);
    umm_system_destroy(sys);
}

/* Destroying the process waits for the read in flight; every frame and slot comes back. */
static void test_destroy_during_async_read(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    uint64_t *gens = calloc(DATA_PAGES, sizeof *gens);
    assert_non_null(gens);
    (void)start_held_read(&sys, &proc, gens);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, release_later, NULL), 0);
    umm_process_destroy(proc);
    assert_true(atomic_load(&released));
    assert_int_equal(pthread_join(t, NULL), 0);
    umm_failpoint_disable("umm/pagefile/*");
    umm_stats_t s = tu_stats(sys);
    assert_true(s.pages_read_async > 0);
    assert_int_equal(s.pagefile_used, 0);
    assert_int_equal(s.committed, 0);
    assert_int_equal(s.active, 0);
    tu_assert_consistent(sys);
    free(gens);
    umm_set_exception_handler(sys, NULL, NULL);
    umm_system_destroy(sys);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequential_async),
        cmocka_unit_test(test_sequential_async_read_errors),
        cmocka_unit_test(test_decommit_during_async_read),
        cmocka_unit_test(test_destroy_during_async_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
