/* SPDX-License-Identifier: MIT */
/* test_threads_writepool.c - the writer's I/O threads (mm/writepool.c), data first: a balance
 * pass keeps several paging-file writes in flight at once (a failure-point hook counts them),
 * failed writes lose nothing, and 8x RAM random writes and reads over several seeds with the
 * workers and their helpers paging beside the program, with injected read and write errors, read
 * back exact (built under TSan too). Helpers: readahead_util.h. */
#include "readahead_util.h"

#include <stdatomic.h>

/* ---- a hook on umm/pagefile/write: counts writes in flight, may fail some ---- */
static atomic_int g_in_flight, g_max_in_flight, g_writes, g_fail_first;

/* A paging-file write is held (nanosleep: async-signal-safe, as a hook must be) until a second
 * write is in flight beside it, or 2 s have passed: on a loaded machine the helper threads may
 * need that long to be scheduled, and a fixed short hold could end before they are. Once two
 * have met, writes go through at once. The first g_fail_first writes fail. */
static void hold_until_met(void) {
    struct timespec step = {0, 100000};
    for (int k = 0; k < 20000 && atomic_load(&g_max_in_flight) < 2; k++)
        nanosleep(&step, NULL);
}

static int overlap_hook(const char *name, void *ctx) {
    (void)name;
    (void)ctx;
    int now = atomic_fetch_add(&g_in_flight, 1) + 1;
    for (int max = atomic_load(&g_max_in_flight); now > max;)
        if (atomic_compare_exchange_weak(&g_max_in_flight, &max, now))
            break;
    hold_until_met();
    atomic_fetch_sub(&g_in_flight, 1);
    return atomic_fetch_add(&g_writes, 1) < atomic_load(&g_fail_first);
}

static void hook_reset(int fail_first) {
    atomic_store(&g_in_flight, 0);
    atomic_store(&g_max_in_flight, 0);
    atomic_store(&g_writes, 0);
    atomic_store(&g_fail_first, fail_first);
}

#define DIRTY_PAGES (RAM_PAGES / 2) /* half of RAM dirty, trimmed at once: the pass writes
                                       16-page clusters down to Modified's maximum */

/* Dirty pages, trim them all to Modified, and run a balance pass with the workers on (the pass
 * hands the writing to the pool): writes overlap (2+ in flight at once), Modified ends at its
 * maximum, a flush writes the rest, and every page reads back. With `fail_first`, that many
 * writes fail first: the pass reports nothing lost (the pages stay Modified), a flush writes
 * them, the data is exact. */
static void balance_with_hook(int fail_first) {
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = ra_config(0);
    c.balance_interval_ms = 60000; /* the workers' timer stays out of the way */
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_alloc(proc, DIRTY_PAGES * PG);
    for (size_t i = 0; i < DIRTY_PAGES; i++)
        pu_mark_page(pu_at(r, i), PG, 7 + i);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_true(tu_stats(sys).modified > 0);
    hook_reset(fail_first);
    assert_int_equal(umm_failpoint_set_hook("umm/pagefile/write", overlap_hook, NULL), UMM_OK);
    assert_int_equal(umm_balance(sys), UMM_OK);
    umm_failpoint_disable("umm/pagefile/write");
    umm_stats_t s = tu_stats(sys);
    print_message("      %d writes, at most %d in flight at once, %" PRIu64 " write errors, %" PRIu64
                  " left modified\n", atomic_load(&g_writes), atomic_load(&g_max_in_flight),
                  s.writer_errors, s.modified);
    assert_true(atomic_load(&g_max_in_flight) >= 2); /* the writes overlapped */
    if (fail_first)
        assert_true(s.writer_errors >= 1);
    else /* down to Modified's maximum, a quarter of RAM (each writing thread may pass it by a
            cluster), not to empty */
        assert_true(s.modified > 0 && s.modified <= RAM_PAGES / 4);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(tu_stats(sys).modified, 0);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK); /* every page comes from the file */
    for (size_t i = 0; i < DIRTY_PAGES; i++)
        assert_true(pu_check_page(pu_at(r, i), PG, 7 + i));
    assert_true(tu_stats(sys).faults_hard > 0);
    tu_assert_consistent(sys);
    assert_int_equal(umm_release(proc, r), UMM_OK);
    umm_system_destroy(sys);
}

static void test_pass_writes_overlap(void **state) {
    (void)state;
    balance_with_hook(0);
}

static void test_failed_writes_lose_nothing(void **state) {
    (void)state;
    balance_with_hook(6);
}

/* 8x RAM, three seeds of random reads and writes with the workers (balancing every 20 ms, the
 * pool writing) beside the program; then the same with 5 % of paging-file reads and writes
 * failing. Nothing written is lost, the system stays consistent, errors are counted. */
static void test_random_8x_ram_with_errors(void **state) {
    (void)state;
    for (int inject = 0; inject < 2; inject++) {
        umm_config_t c = ra_config(0);
        c.balance_interval_ms = 20;
        umm_stats_t s = ra_random_8x_ram(&c, inject, 0x9001 + (uint64_t)inject, 0x51ED);
        print_message("      %s: %" PRIu64 " hard faults, %" PRIu64 " pages in %" PRIu64
                      " writes, %" PRIu64 " clusters written by faults\n",
                      inject ? "with errors" : "no errors", s.faults_hard, s.pages_output,
                      s.page_writes, s.reclaim_writes);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_writes_overlap),
        cmocka_unit_test(test_failed_writes_lose_nothing),
        cmocka_unit_test(test_random_8x_ram_with_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
