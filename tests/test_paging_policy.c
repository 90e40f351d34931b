/* SPDX-License-Identifier: MIT */
/* test_paging_policy.c - paging, the policy: the balance-set manager (on demand and with workers:
 * the pages idle longest leave first), the clock's second chances (none under FIFO, dirty pages
 * only under aging), working-set limits, standby priorities and purging, memory
 * resource notifications (on demand and with workers), umm_check while the zero page thread holds
 * frames, the zero page thread. Helpers: paging_util.h. Systems are created inside each test body
 * (cmocka swaps the SIGSEGV handler). */
#include "paging_util.h"

#include <poll.h>
#include <stdbool.h>

#define PG PU_PG
#define MIB TU_MIB

static int fd_readable(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 0);
    assert_true(r >= 0);
    return r > 0 && (p.revents & POLLIN);
}

/* ============================================================================================
 * the balance-set manager
 * ========================================================================================== */

typedef struct bal_setup {
    umm_system_t *sys;
    umm_process_t *hot, *idle, *filler;
    char *rh, *ri, *rf;
    size_t each, nfill;
} bal_setup_t;

/* 16 MiB RAM (4096 frames; low 256, high 768), two processes with 3/8 of RAM each, a filler with
 * 3/16: available 256, under the high threshold. */
static void bal_create(bal_setup_t *b, unsigned flags, unsigned interval_ms) {
    umm_config_t c = pu_config(16 * MIB, 32 * MIB, 0, flags);
    c.balance_interval_ms = interval_ms;
    tu_sys_new_cfg(&c, &b->sys, &b->idle);
    assert_int_equal(umm_process_create(b->sys, &b->hot), UMM_OK);
    assert_int_equal(umm_process_create(b->sys, &b->filler), UMM_OK);
    umm_stats_t s = tu_stats(b->sys);
    assert_int_equal(s.low_memory_pages, 256);
    assert_int_equal(s.high_memory_pages, 768);
    b->each = 4096 * 3 / 8;
    b->nfill = 768;
    b->ri = tu_alloc(b->idle, b->each * PG);
    b->rh = tu_alloc(b->hot, b->each * PG);
    b->rf = tu_alloc(b->filler, b->nfill * PG);
    for (size_t i = 0; i < b->each; i++)
        pu_mark_page(pu_at(b->ri, i), PG, 31);
    for (size_t i = 0; i < b->each; i++)
        pu_mark_page(pu_at(b->rh, i), PG, 32);
    for (size_t i = 0; i < b->nfill; i++)
        pu_mark_page(pu_at(b->rf, i), PG, 33);
}

static void bal_touch_hot(bal_setup_t *b) {
    for (size_t i = 0; i < b->each; i++)
        pu_assert_page(pu_at(b->rh, i), PG, 32);
}

static void bal_verify_all(bal_setup_t *b) {
    for (size_t i = 0; i < b->each; i++)
        pu_assert_page(pu_at(b->ri, i), PG, 31);
    bal_touch_hot(b);
    for (size_t i = 0; i < b->nfill; i++)
        pu_assert_page(pu_at(b->rf, i), PG, 33);
}

static void bal_check_order(bal_setup_t *b, const char *what) {
    umm_process_stats_t ph = tu_pstats(b->hot), pi = tu_pstats(b->idle);
    uint64_t hot_drop = b->each - ph.working_set, idle_drop = b->each - pi.working_set;
    print_message("      %s: hot ws %" PRIu64 " (aged %" PRIu64 "), idle ws %" PRIu64
                  " (aged %" PRIu64 ")\n",
                  what, ph.working_set, ph.aged_pages, pi.working_set, pi.aged_pages);
    assert_true(ph.working_set <= b->each && pi.working_set <= b->each);
    if (!(idle_drop >= 256 && idle_drop >= 4 * hot_drop))
        fail_msg("%s: idle lost %" PRIu64 " pages, hot lost %" PRIu64, what, idle_drop, hot_drop);
    if (ph.working_set * 10 < b->each * 9)
        fail_msg("%s: hot working set %" PRIu64 " < 90%% of %zu", what, ph.working_set, b->each);
    assert_true(pi.working_set >= pi.ws_min); /* never below the minimum */
}

/* umm_balance with no workers: the idle working set is aged and trimmed, the hot one stays. */
static void test_balancer_idle_loses_first(void **state) {
    (void)state;
    bal_setup_t b;
    bal_create(&b, UMM_CFG_NO_WORKERS, 2);
    umm_stats_t s0 = tu_stats(b.sys);
    assert_int_equal(s0.available, 256);
    assert_int_equal(s0.balancer_passes, 0);
    for (int pass = 0; pass < 6; pass++) {
        bal_touch_hot(&b);
        pu_sleep_ms(3); /* the aging period is half the interval */
        assert_int_equal(umm_balance(b.sys), UMM_OK);
        tu_assert_consistent(b.sys);
    }
    umm_stats_t s = tu_stats(b.sys);
    assert_int_equal(s.balancer_passes, 6);
    assert_true(s.balancer_trimmed > 0);
    assert_true(s.pages_aged > 0);
    assert_true(s.available >= s.low_memory_pages);
    umm_process_stats_t pi = tu_pstats(b.idle), ph = tu_pstats(b.hot);
    assert_true(pi.aged_pages > 0);
    assert_true(pi.aged_pages > ph.aged_pages);
    bal_check_order(&b, "no workers");
    bal_verify_all(&b);
    tu_assert_consistent(b.sys);
    assert_int_equal(umm_balance(NULL), UMM_E_INVAL);
    umm_system_destroy(b.sys);
}

/* Have the workers' passes done what the checks below assert: 5 passes, pages trimmed, the idle
 * process aged and 256 of its pages gone? */
static bool bal_workers_done(bal_setup_t *b) {
    umm_stats_t s = tu_stats(b->sys);
    umm_process_stats_t pi = tu_pstats(b->idle);
    return s.balancer_passes >= 5 && s.balancer_trimmed > 0 && pi.aged_pages > 0 &&
           pi.working_set + 256 <= b->each;
}

/* The same with the workers (balance every 100 ms): sleep and touch for 1.5 s, then on until
 * the passes have happened (the loop thread may be starved on a loaded machine: up to 10 s). */
static void test_balancer_workers(void **state) {
    (void)state;
    bal_setup_t b;
    bal_create(&b, 0, 100);
    uint64_t t0 = pu_now_ms();
    while (pu_now_ms() - t0 < 1500 || (!bal_workers_done(&b) && pu_now_ms() - t0 < 10000)) {
        bal_touch_hot(&b);
        pu_sleep_ms(20);
    }
    bal_touch_hot(&b);
    umm_stats_t s = tu_stats(b.sys);
    assert_true(s.balancer_passes >= 5);
    assert_true(s.balancer_trimmed > 0);
    assert_true(s.pages_aged > 0);
    assert_true(tu_pstats(b.idle).aged_pages > 0);
    bal_check_order(&b, "workers");
    bal_verify_all(&b);
    tu_assert_consistent(b.sys);
    umm_system_destroy(b.sys);
}

/* What aging and trimming cost the kernel: a hot set scattered over its range (every other page
 * touched) is aged with one protection change per span, not one per page, and trimming pages
 * not accessed since the last pass (already inaccessible) changes no protection at all. The
 * aged hot pages then take their accessed-bit faults (at least 90 % of them: the pass may trim a
 * few by clock), and nothing is lost. */
static void test_balancer_kernel_calls(void **state) {
    (void)state;
    bal_setup_t b;
    bal_create(&b, UMM_CFG_NO_WORKERS, 2);
    pu_sleep_ms(3);
    assert_int_equal(umm_balance(b.sys), UMM_OK); /* every page accessed: each loses the bit */
    size_t hot = 0;
    for (size_t i = 0; i < b.each; i += 2, hot++) /* the scattered hot set comes back in */
        pu_assert_page(pu_at(b.rh, i), PG, 32);
    umm_stats_t s0 = tu_stats(b.sys);
    pu_sleep_ms(3);
    assert_int_equal(umm_balance(b.sys), UMM_OK); /* ages the hot pages, trims idle ones */
    umm_stats_t s1 = tu_stats(b.sys);
    print_message("      aging %zu scattered hot pages and trimming %" PRIu64 ": %" PRIu64
                  " protection calls\n", hot, s1.balancer_trimmed - s0.balancer_trimmed,
                  s1.hw_protect_calls - s0.hw_protect_calls);
    assert_true(s1.balancer_trimmed > s0.balancer_trimmed);
    assert_true(s1.hw_protect_calls - s0.hw_protect_calls <= 3); /* a span per process at most */
    umm_process_stats_t p0 = tu_pstats(b.hot);
    for (size_t i = 0; i < b.each; i += 2)
        pu_assert_page(pu_at(b.rh, i), PG, 32);
    umm_process_stats_t p1 = tu_pstats(b.hot);
    assert_true(p1.faults_access_bit - p0.faults_access_bit >= hot * 9 / 10); /* aged, not trimmed */
    bal_verify_all(&b);
    tu_assert_consistent(b.sys);
    umm_system_destroy(b.sys);
}

/* The modified page writer writes what the shortfall needs, not the whole Modified list: 3,840
 * dirty pages trimmed at once leave 256 available (high is 768), so one pass writes 512 and as
 * many more as bring Modified down to its maximum, a quarter of RAM (1,024). The pages left dirty
 * come back by soft faults with no write. Trimmed again, with memory to spare, they stay on
 * Modified (not above the maximum) until a flush writes them: each page written once in all. */
static void test_writer_under_pressure_writes_the_shortfall(void **state) {
    (void)state;
    umm_config_t c = pu_config(16 * MIB, 32 * MIB, 0, UMM_CFG_NO_WORKERS);
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    size_t n = 3840;
    char *r = tu_alloc(proc, n * PG);
    for (size_t i = 0; i < n; i++)
        pu_mark_page(pu_at(r, i), PG, i);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(s0.modified, n);
    assert_int_equal(s0.available, 256);
    assert_int_equal(s0.pages_output, 0);
    assert_int_equal(umm_balance(sys), UMM_OK);
    umm_stats_t s1 = tu_stats(sys);
    print_message("      one pass: %" PRIu64 " pages written, %" PRIu64 " left modified\n",
                  s1.pages_output, s1.modified);
    assert_true(s1.available >= s1.high_memory_pages);
    assert_true(s1.modified <= 1024);
    assert_true(s1.modified > 1024 - 16); /* the writer stops within a cluster of its target */
    assert_int_equal(s1.pages_output, n - s1.modified);
    for (size_t i = 0; i < n; i++) /* every page is still in RAM: soft faults only */
        pu_assert_page(pu_at(r, i), PG, i);
    umm_stats_t s2 = tu_stats(sys);
    assert_int_equal(s2.faults_transition - s1.faults_transition, n);
    assert_int_equal(s2.modified, 0);
    assert_int_equal(s2.pages_output, s1.pages_output); /* the dirty ones came back unwritten */
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_balance(sys), UMM_OK); /* memory to spare, Modified at its maximum */
    umm_stats_t s3 = tu_stats(sys);
    assert_int_equal(s3.modified, s1.modified);
    assert_int_equal(s3.pages_output, s1.pages_output);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t s4 = tu_stats(sys);
    assert_int_equal(s4.modified, 0);
    assert_int_equal(s4.pages_output, n); /* each page once: the clean ones kept their copies */
    for (size_t i = 0; i < n; i++)
        pu_assert_page(pu_at(r, i), PG, i);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* A program paging 2x its RAM with no balance pass, so every trim comes from the fault path's
 * reclaim (the clock): accessed-bit faults taken, with the data checked. */
static uint64_t access_bit_faults_paging(unsigned policy) {
    umm_config_t c = pu_config(4 * MIB, 16 * MIB, 0, UMM_CFG_NO_WORKERS);
    c.trim_policy = policy;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    size_t n = 2 * 1024;
    char *r = tu_alloc(proc, n * PG);
    for (size_t i = 0; i < n; i++)
        pu_mark_page(pu_at(r, i), PG, i);
    for (int pass = 0; pass < 3; pass++)
        for (size_t k = 0; k < n; k++) {
            size_t i = (k * 769 + (size_t)pass * 97) % n; /* scattered, every page once a pass */
            pu_assert_page(pu_at(r, i), PG, i);
        }
    umm_stats_t s = tu_stats(sys);
    assert_true(s.pages_trimmed > n);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
    return s.faults_access_bit;
}

/* UMM_TRIM_FIFO keeps no accessed bit: its trims never revoke access to give a second chance,
 * which would cost the very faults FIFO exists to avoid. Aging's clock does (the control). */
static void test_fifo_takes_no_accessed_bit_fault(void **state) {
    (void)state;
    uint64_t aging = access_bit_faults_paging(UMM_TRIM_AGING);
    uint64_t fifo = access_bit_faults_paging(UMM_TRIM_FIFO);
    print_message("      accessed-bit faults: aging %" PRIu64 ", fifo %" PRIu64 "\n", aging, fifo);
    assert_true(aging > 0);
    assert_int_equal(fifo, 0);
}

/* Under aging the clock gives a second chance (revoking access, so the next use costs an
 * accessed-bit fault) only to a dirty page, whose trim would cost a write; a clean page trimmed
 * costs at most a soft fault, the same. Pages 0, 4, 8, ... were read back (clean), 1, 5, 9, ...
 * rewritten (dirty), the rest paged out: umm_ws_trim of as many pages as are clean takes exactly
 * those, writes nothing, and the dirty ones stay in the working set. */
static void test_clock_spares_dirty_pages_only(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 16 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    const size_t n = 256, each = n / 4;
    char *r = tu_alloc(proc, n * PG);
    for (size_t i = 0; i < n; i++)
        pu_mark_page(pu_at(r, i), PG, 1);
    pu_page_out(sys, proc);
    for (size_t i = 0; i < n; i += 4) {
        /* each fault alone, nothing it read ahead kept: only the pages touched are valid */
        pu_assert_page(pu_at(r, i), PG, 1); /* read back: clean */
        assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
        pu_mark_page(pu_at(r, i + 1), PG, 2); /* read back and rewritten: dirty */
        assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    }
    assert_int_equal(tu_pstats(proc).working_set, 2 * each);
    umm_stats_t a = tu_stats(sys);
    assert_int_equal(umm_ws_trim(proc, each), UMM_OK);
    umm_stats_t b = tu_stats(sys);
    assert_int_equal(b.pages_trimmed - a.pages_trimmed, each);
    assert_int_equal(b.modified - a.modified, 0); /* no dirty page left the working set */
    for (size_t i = 1; i < n; i += 4)
        pu_assert_page(pu_at(r, i), PG, 2);
    umm_stats_t d = tu_stats(sys);
    print_message("      dirty pages touched after the trim: %" PRIu64 " accessed-bit faults, %" PRIu64
                  " soft faults\n", d.faults_access_bit - b.faults_access_bit,
                  d.faults_transition - b.faults_transition);
    assert_int_equal(d.faults_transition - b.faults_transition, 0); /* none was trimmed */
    /* each had its chance, but the last: the hand stops at the last clean page, before it */
    assert_in_range(d.faults_access_bit - b.faults_access_bit, each - 1, each);
    for (size_t i = 0; i < n; i += 4)
        pu_assert_page(pu_at(r, i), PG, 1);
    assert_int_equal(tu_stats(sys).faults_transition - d.faults_transition, each); /* from Standby */
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * working-set limits
 * ========================================================================================== */

static void test_ws_limits(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc, *p2;
    umm_config_t c = pu_config(8 * MIB, 16 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    size_t mn = 0, mx = 0;
    unsigned fl = 99;
    assert_int_equal(umm_ws_get_limits(proc, &mn, &mx, &fl), UMM_OK);
    assert_int_equal(mn, 50);
    assert_int_equal(mx, 345);
    assert_int_equal(fl, 0);
    assert_int_equal(UMM_WS_DEFAULT_MIN, 50);
    assert_int_equal(UMM_WS_DEFAULT_MAX, 345);
    umm_process_stats_t ps = tu_pstats(proc);
    assert_int_equal(ps.ws_min, 50);
    assert_int_equal(ps.ws_max, 345);
    /* bad limits */
    assert_int_equal(umm_ws_set_limits(proc, 10, 5, 0), UMM_E_INVAL);
    assert_int_equal(umm_ws_set_limits(proc, 0, 0, 0), UMM_E_INVAL);
    assert_int_equal(umm_ws_set_limits(proc, 1, 10, 0x2), UMM_E_INVAL);
    assert_int_equal(umm_ws_set_limits(proc, 1, 10, UMM_WS_HARD_MAX | 0x100), UMM_E_INVAL);
    assert_int_equal(umm_ws_set_limits(NULL, 1, 10, 0), UMM_E_INVAL);
    assert_int_equal(umm_ws_get_limits(NULL, &mn, &mx, &fl), UMM_E_INVAL);
    assert_int_equal(umm_ws_get_limits(proc, &mn, &mx, &fl), UMM_OK);
    assert_int_equal(mn, 50);
    assert_int_equal(mx, 345);
    assert_int_equal(fl, 0);

    const size_t max = 100, n = 600;
    assert_int_equal(umm_ws_set_limits(proc, 16, max, UMM_WS_HARD_MAX), UMM_OK);
    assert_int_equal(umm_ws_get_limits(proc, &mn, &mx, &fl), UMM_OK);
    assert_int_equal(mn, 16);
    assert_int_equal(mx, max);
    assert_int_equal(fl, UMM_WS_HARD_MAX);
    ps = tu_pstats(proc);
    assert_int_equal(ps.ws_min, 16);
    assert_int_equal(ps.ws_max, max);

    char *r = tu_alloc(proc, n * PG);
    for (size_t i = 0; i < n; i += 8) {
        for (size_t k = i; k < i + 8; k++)
            tu_fill(pu_at(r, k), PG, 41);
        uint64_t ws = tu_pstats(proc).working_set;
        if (ws > max)
            fail_msg("working set %" PRIu64 " > hard max %zu after touching %zu pages", ws, max, i + 8);
    }
    size_t *ord = pu_order(n, 77);
    for (size_t k = 0; k < n; k++) {
        tu_assert_pattern(pu_at(r, ord[k]), PG, 41);
        if (k % 8 == 7) {
            uint64_t ws = tu_pstats(proc).working_set;
            if (ws > max)
                fail_msg("working set %" PRIu64 " > hard max %zu while reading back", ws, max);
        }
    }
    free(ord);
    ps = tu_pstats(proc);
    assert_true(ps.working_set_peak <= max);
    assert_true(ps.pages_trimmed >= n - max);
    tu_assert_consistent(sys);

    /* a soft maximum does not bind: a second process grows past 345 */
    assert_int_equal(umm_process_create(sys, &p2), UMM_OK);
    char *r2 = tu_alloc(p2, 400 * PG);
    pu_fill_range(r2, 400, 42);
    assert_int_equal(tu_pstats(p2).working_set, 400);
    /* making the maximum hard trims at once */
    assert_int_equal(umm_ws_set_limits(p2, 8, 64, UMM_WS_HARD_MAX), UMM_OK);
    assert_true(tu_pstats(p2).working_set <= 64);
    pu_verify_range_order(r2, 400, NULL, 42, 8);
    assert_true(tu_pstats(p2).working_set <= 64);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * standby priorities and purging
 * ========================================================================================== */

static void test_standby_priorities(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *pa, *pb, *pc, *pd;
    umm_config_t c = pu_config(4 * MIB, 8 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &pa);
    assert_int_equal(umm_process_create(sys, &pb), UMM_OK);
    assert_int_equal(umm_process_create(sys, &pc), UMM_OK);
    assert_int_equal(umm_process_create(sys, &pd), UMM_OK);
    assert_int_equal(umm_process_set_priority(pa, 8), UMM_E_INVAL);
    assert_int_equal(umm_process_set_priority(NULL, 1), UMM_E_INVAL);
    assert_int_equal(umm_standby_purge(sys, 8, NULL), UMM_E_INVAL);
    assert_int_equal(umm_standby_purge(NULL, 7, NULL), UMM_E_INVAL);
    assert_int_equal(umm_process_set_priority(pa, 2), UMM_OK);

    const size_t n = 256;
    char *ra = tu_alloc(pa, n * PG);
    char *rb = tu_alloc(pb, n * PG);
    pu_fill_range(ra, n, 51);
    pu_fill_range(rb, n, 52);
    assert_int_equal(umm_ws_empty(pa), UMM_OK);
    assert_int_equal(umm_ws_empty(pb), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.standby_by_priority[2], n);
    assert_int_equal(s.standby_by_priority[5], n);
    assert_int_equal(s.standby, 2 * n);
    for (int p = 0; p < 8; p++)
        if (p != 2 && p != 5)
            assert_int_equal(s.standby_by_priority[p], 0);

    /* clean pages trimmed again go straight to their process's priority, no write */
    pu_verify_range_order(ra, n, NULL, 51, 1);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.standby_by_priority[2], 0);
    assert_int_equal(umm_ws_empty(pa), UMM_OK);
    umm_stats_t s2 = tu_stats(sys);
    assert_int_equal(s2.standby_by_priority[2], n);
    assert_int_equal(s2.modified, 0);
    assert_int_equal(s2.pages_output, s1.pages_output);
    tu_assert_consistent(sys);

    /* take every Zeroed and Free frame, so only Standby is left */
    size_t rest = (size_t)(s2.zeroed + s2.free);
    assert_true(rest >= 256);
    char *rc_ = tu_alloc(pc, rest * PG);
    for (size_t i = 0; i < rest; i++)
        pu_at(rc_, i)[0] = 1;
    umm_stats_t s3 = tu_stats(sys);
    assert_int_equal(s3.zeroed + s3.free, 0);
    assert_int_equal(s3.standby_by_priority[2], n);
    assert_int_equal(s3.standby_by_priority[5], n);
    /* a fault needing frames repurposes priority 2 before priority 5 */
    char *rd = tu_alloc(pd, 16 * PG);
    rd[0] = 1;
    umm_stats_t s4 = tu_stats(sys);
    uint64_t took = s3.standby - s4.standby;
    assert_true(took >= 1);
    assert_int_equal(s4.standby_by_priority[2], n - took);
    assert_int_equal(s4.standby_by_priority[5], n);
    assert_int_equal(s4.standby_repurposed - s3.standby_repurposed, took);
    tu_assert_consistent(sys);

    /* purge priorities 0..3: priority 2 empties, priority 5 stays */
    uint64_t purged = 0;
    assert_int_equal(umm_standby_purge(sys, 3, &purged), UMM_OK);
    umm_stats_t s5 = tu_stats(sys);
    assert_int_equal(purged, s4.standby_by_priority[2]);
    assert_int_equal(s5.standby_by_priority[2], 0);
    assert_int_equal(s5.standby_by_priority[5], n);
    assert_int_equal(s5.free - s4.free, purged);
    assert_int_equal(umm_standby_purge(sys, 3, &purged), UMM_OK);
    assert_int_equal(purged, 0);
    tu_assert_consistent(sys);

    /* everything reads back right: A by hard faults, B by soft ones */
    umm_stats_t s6 = tu_stats(sys);
    pu_verify_range_order(ra, n, NULL, 51, 2);
    pu_verify_range_order(rb, n, NULL, 52, 3);
    umm_stats_t s7 = tu_stats(sys);
    assert_true(s7.faults_hard > s6.faults_hard);
    for (size_t i = 0; i < rest; i++)
        assert_int_equal(pu_at(rc_, i)[0], 1);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * notifications
 * ========================================================================================== */

typedef struct note_rec {
    int calls;
    int last;
    umm_notification_t *n;
} note_rec_t;

static void note_cb(umm_notification_t *n, int signaled, void *ctx) {
    note_rec_t *r = ctx;
    __atomic_add_fetch(&r->calls, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&r->last, signaled, __ATOMIC_SEQ_CST);
    r->n = n;
}

static int note_query(umm_notification_t *n) {
    int v = -1;
    assert_int_equal(umm_notification_query(n, &v), UMM_OK);
    return v;
}

static void test_notifications(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(8 * MIB, 0, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.low_memory_pages, 128);
    assert_int_equal(s.high_memory_pages, 384);
    note_rec_t lr = {0, -1, NULL}, hr = {0, -1, NULL};
    umm_notification_t *low = NULL, *high = NULL, *bad = NULL;
    assert_int_equal(umm_notification_create(sys, (umm_notify_type_t)7, note_cb, NULL, &bad),
                     UMM_E_INVAL);
    assert_int_equal(umm_notification_create(NULL, UMM_NOTIFY_LOW_MEMORY, note_cb, NULL, &bad),
                     UMM_E_INVAL);
    assert_int_equal(umm_notification_create(sys, UMM_NOTIFY_LOW_MEMORY, note_cb, &lr, &low), UMM_OK);
    assert_int_equal(umm_notification_create(sys, UMM_NOTIFY_HIGH_MEMORY, note_cb, &hr, &high), UMM_OK);
    assert_int_equal(umm_notification_query(low, NULL), UMM_E_INVAL);
    assert_int_equal(umm_notification_fd(NULL), -1);
    int lfd = umm_notification_fd(low), hfd = umm_notification_fd(high);
    assert_true(lfd >= 0 && hfd >= 0 && lfd != hfd);
    assert_int_equal(note_query(low), 0);
    assert_int_equal(note_query(high), 1);
    assert_false(fd_readable(lfd));
    assert_true(fd_readable(hfd));
    assert_int_equal(umm_balance(sys), UMM_OK); /* plentiful: no change, no callback */
    assert_int_equal(note_query(low), 0);
    assert_int_equal(note_query(high), 1);
    assert_int_equal(lr.calls, 0);
    assert_int_equal(hr.calls, 0);

    /* fill RAM: available 64 < 128 */
    const size_t n = 2048 - 64;
    char *r = tu_alloc(proc, n * PG);
    for (size_t i = 0; i < n; i++)
        pu_at(r, i)[0] = 1;
    s = tu_stats(sys);
    assert_int_equal(s.available, 64);
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(tu_stats(sys).low_memory, 1);
    assert_int_equal(note_query(low), 1);
    assert_true(fd_readable(lfd));
    assert_int_equal(lr.calls, 1);
    assert_int_equal(lr.last, 1);
    assert_ptr_equal(lr.n, low);
    assert_int_equal(note_query(high), 0);
    assert_false(fd_readable(hfd));
    assert_int_equal(hr.calls, 1);
    assert_int_equal(hr.last, 0);
    /* a second pass in the same state: no new callbacks, still readable */
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(lr.calls, 1);
    assert_true(fd_readable(lfd));

    /* decommit half: available 64 + 992 > 384 */
    assert_int_equal(umm_decommit(proc, r, (n / 2) * PG), UMM_OK);
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(tu_stats(sys).low_memory, 0);
    assert_int_equal(note_query(low), 0);
    assert_false(fd_readable(lfd));
    assert_int_equal(lr.calls, 2);
    assert_int_equal(lr.last, 0);
    assert_int_equal(note_query(high), 1);
    assert_true(fd_readable(hfd));
    assert_int_equal(hr.calls, 2);
    assert_int_equal(hr.last, 1);

    /* fill again, then release everything */
    assert_int_equal(umm_commit(proc, r, (n / 2) * PG, TU_RW), UMM_OK);
    for (size_t i = 0; i < n / 2; i++)
        pu_at(r, i)[0] = 2;
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(note_query(low), 1);
    assert_int_equal(lr.calls, 3);
    assert_int_equal(umm_release(proc, r), UMM_OK);
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(note_query(low), 0);
    assert_false(fd_readable(lfd));
    assert_int_equal(lr.last, 0);
    assert_int_equal(note_query(high), 1);
    assert_true(fd_readable(hfd));
    umm_notification_destroy(low);
    umm_notification_destroy(high);
    umm_notification_destroy(NULL);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* Notifications with the workers: the state follows memory without calling umm_balance (a
 * balance pass, every 50 ms, evaluates it: each change is awaited up to 10 s, the loop thread
 * may be starved for seconds on a loaded machine). */
static void test_notifications_workers(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(8 * MIB, 0, 0, 0);
    c.balance_interval_ms = 50;
    tu_sys_new_cfg(&c, &sys, &proc);
    note_rec_t lr = {0, -1, NULL};
    umm_notification_t *low = NULL;
    assert_int_equal(umm_notification_create(sys, UMM_NOTIFY_LOW_MEMORY, note_cb, &lr, &low), UMM_OK);
    const size_t n = 2048 - 64;
    char *r = tu_alloc(proc, n * PG);
    for (size_t i = 0; i < n; i++)
        pu_at(r, i)[0] = 1;
    uint64_t t0 = pu_now_ms();
    while (note_query(low) != 1 && pu_now_ms() - t0 < 10000)
        pu_sleep_ms(5);
    assert_int_equal(note_query(low), 1);
    struct pollfd p = {.fd = umm_notification_fd(low), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 1);
    assert_int_equal(__atomic_load_n(&lr.last, __ATOMIC_SEQ_CST), 1);
    assert_int_equal(umm_release(proc, r), UMM_OK);
    t0 = pu_now_ms();
    while (note_query(low) != 0 && pu_now_ms() - t0 < 10000)
        pu_sleep_ms(5);
    assert_int_equal(note_query(low), 0);
    assert_false(fd_readable(umm_notification_fd(low)));
    assert_int_equal(__atomic_load_n(&lr.last, __ATOMIC_SEQ_CST), 0);
    umm_notification_destroy(low);
    /* umm_check races with the zero page thread (see test_check_during_zeroing): let the freed
     * frames be zeroed before the deep check */
    t0 = pu_now_ms();
    while (tu_stats(sys).free != 0 && pu_now_ms() - t0 < 2000)
        pu_sleep_ms(5);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* umm_check may be called at any time, also while the workers run: it must not report a
 * frame that the zero page thread holds (Active, I/O, no owner) as an inconsistency. Free frames
 * are produced repeatedly and umm_check is called while they are being zeroed. */
static void test_check_during_zeroing(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(8 * MIB, 0, 0, 0);
    c.balance_interval_ms = 20;
    tu_sys_new_cfg(&c, &sys, &proc);
    const size_t n = 2000;
    char *r = tu_reserve(proc, n * PG, TU_RW);
    unsigned checks = 0, failed = 0;
    for (int round = 0; round < 10; round++) {
        assert_int_equal(umm_commit(proc, r, n * PG, TU_RW), UMM_OK);
        for (size_t i = 0; i < n; i++)
            pu_at(r, i)[0] = 1;
        assert_int_equal(umm_decommit(proc, r, n * PG), UMM_OK);
        uint64_t t0 = pu_now_ms();
        umm_stats_t s;
        do {
            checks++;
            failed += umm_check(sys) != UMM_OK;
            s = tu_stats(sys);
        } while (s.free > 0 && pu_now_ms() - t0 < 2000);
    }
    if (failed)
        fail_msg("umm_check returned an error %u times out of %u while the zero page thread ran",
                 failed, checks);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * the zero page thread
 * ========================================================================================== */

/* The zero page thread zeroes what a decommit freed (awaited up to 10 s: it may be starved for
 * seconds on a loaded machine), and demand-zero faults then take zeroed frames. */
static void test_zero_page_thread(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(8 * MIB, 0, 0, 0);
    c.balance_interval_ms = 50;
    tu_sys_new_cfg(&c, &sys, &proc);
    const size_t n = 1024;
    char *r = tu_alloc(proc, n * PG);
    pu_fill_range(r, n, 61);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(umm_decommit(proc, r, n * PG), UMM_OK);
    umm_stats_t s1 = tu_stats(sys);
    assert_true(s1.free > 0 || s1.pages_zeroed_by_thread > s0.pages_zeroed_by_thread);
    uint64_t t0 = pu_now_ms();
    umm_stats_t s;
    do {
        pu_sleep_ms(10);
        s = tu_stats(sys);
    } while ((s.free != 0 || s.pages_zeroed_by_thread < s0.pages_zeroed_by_thread + n) &&
             pu_now_ms() - t0 < 10000);
    print_message("      zeroed by thread: %" PRIu64 " in %" PRIu64 " ms\n",
                  s.pages_zeroed_by_thread - s0.pages_zeroed_by_thread, pu_now_ms() - t0);
    assert_int_equal(s.free, 0);
    assert_true(s.pages_zeroed_by_thread >= s0.pages_zeroed_by_thread + n);
    assert_int_equal(s.zeroed, s.total_frames);
    /* demand-zero faults now find zeroed frames */
    assert_int_equal(umm_commit(proc, r, n * PG, TU_RW), UMM_OK);
    for (size_t i = 0; i < n; i++) {
        assert_true(tu_is_zero(pu_at(r, i), PG));
        pu_at(r, i)[1] = 1;
    }
    umm_stats_t s2 = tu_stats(sys);
    assert_true(s2.pages_zeroed_in_fault - s.pages_zeroed_in_fault < 16);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

int main(int argc, char **argv) {
    if (argc > 1) /* run only the tests matching a pattern: ./test_paging_policy 'test_balancer*' */
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_balancer_idle_loses_first),
        cmocka_unit_test(test_balancer_workers),
        cmocka_unit_test(test_balancer_kernel_calls),
        cmocka_unit_test(test_writer_under_pressure_writes_the_shortfall),
        cmocka_unit_test(test_fifo_takes_no_accessed_bit_fault),
        cmocka_unit_test(test_clock_spares_dirty_pages_only),
        cmocka_unit_test(test_ws_limits),
        cmocka_unit_test(test_standby_priorities),
        cmocka_unit_test(test_notifications),
        cmocka_unit_test(test_notifications_workers),
        cmocka_unit_test(test_zero_page_thread),
        cmocka_unit_test(test_check_during_zeroing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
