/* SPDX-License-Identifier: MIT */
/* test_paging_readahead.c - the adaptive read window of hard faults and the writer's batched
 * writes, data first: 8x RAM random writes and reads over several seeds, with injected read and
 * write errors; and the window itself: a sequential scan reads clusters, a random one settles on
 * single pages (threads: test_threads_readahead.c). Helpers: readahead_util.h. Systems are created inside each test body (cmocka swaps the SIGSEGV handler). */
#include "paging_util.h"

#include <inttypes.h>

#include "readahead_util.h"

/* 8x RAM, three seeds of random reads and writes; then the same with 5 % of paging-file reads
 * and writes failing. Nothing written is lost, the system stays consistent, errors are counted. */
static void test_random_8x_ram_with_errors(void **state) {
    (void)state;
    for (int inject = 0; inject < 2; inject++) {
        umm_config_t c = ra_config(UMM_CFG_NO_WORKERS);
        umm_stats_t s = ra_random_8x_ram(&c, inject, 0x5eed + (uint64_t)inject, 0x9E37);
        print_message("      %s: %" PRIu64 " hard faults, %" PRIu64 " read ahead (%" PRIu64
                      " used, %" PRIu64 " wasted), %" PRIu64 " pages in %" PRIu64 " writes\n",
                      inject ? "with errors" : "no errors", s.faults_hard, s.pages_read_ahead,
                      s.readahead_hits, s.readahead_wasted, s.pages_output, s.page_writes);
    }
}

/* A system without workers (so every fault and trim happens in the test's order) holding n pages
 * of data at r, each page written with generation 1 (gens[] is the model). */
typedef struct scan_fixture {
    umm_system_t *sys;
    umm_process_t *proc;
    char *r;
    uint64_t *gens;
    size_t n;
} scan_fixture_t;

/* ... clustering `cluster` pages (0: the default). */
static void scan_fixture_new_cluster(scan_fixture_t *f, size_t n, unsigned cluster) {
    umm_config_t c = ra_config(UMM_CFG_NO_WORKERS);
    if (cluster)
        c.cluster_pages = cluster;
    tu_sys_new_cfg(&c, &f->sys, &f->proc);
    f->n = n;
    f->r = tu_alloc(f->proc, n * PG);
    f->gens = calloc(n, sizeof *f->gens);
    assert_non_null(f->gens);
    for (size_t i = 0; i < n; i++)
        *word_of(f->r, i) = pu_word_value(word_of(f->r, i), f->gens[i] = 1);
}

static void scan_fixture_new(scan_fixture_t *f, size_t n) { scan_fixture_new_cluster(f, n, 0); }

static void scan_fixture_free(scan_fixture_t *f) {
    tu_assert_consistent(f->sys);
    free(f->gens);
    umm_system_destroy(f->sys);
}

/* One pass in page order: each page's word is read and checked, then pages i with i % every == 0
 * are written with generation `pass`. */
static void scan_rewriting(scan_fixture_t *f, uint64_t pass, size_t every) {
    for (size_t i = 0; i < f->n; i++) {
        if (*(volatile uint64_t *)word_of(f->r, i) != pu_word_value(word_of(f->r, i), f->gens[i]))
            fail_msg("pass %" PRIu64 ": page %zu lost its data", pass, i);
        if (i % every == 0)
            *word_of(f->r, i) = pu_word_value(word_of(f->r, i), f->gens[i] = pass);
    }
}

/* The window adapts: random reads settle on single pages (few pages read for nothing), a
 * sequential scan of the same data reads whole clusters. Both read back exact data. */
static void test_window_adapts(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = ra_config(UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_alloc(proc, DATA_PAGES * PG);
    uint64_t *gens = calloc(DATA_PAGES, sizeof *gens);
    assert_non_null(gens);
    for (size_t i = 0; i < DATA_PAGES; i++) {
        gens[i] = 7;
        *word_of(r, i) = pu_word_value(word_of(r, i), 7);
    }
    pu_page_out(sys, proc);

    /* random: after a few faults the window is one page */
    umm_stats_t a = tu_stats(sys);
    size_t *ord = pu_order(DATA_PAGES, 0xACE);
    const size_t nrand = DATA_PAGES / 2;
    for (size_t k = 0; k < nrand; k++)
        if (*word_of(r, ord[k]) != pu_word_value(word_of(r, ord[k]), 7))
            fail_msg("page %zu lost its data", ord[k]);
    free(ord);
    umm_stats_t b = tu_stats(sys);
    uint64_t hard = b.faults_hard - a.faults_hard, ahead = b.pages_read_ahead - a.pages_read_ahead;
    print_message("      random: %" PRIu64 " hard faults read %" PRIu64 " pages ahead\n", hard, ahead);
    assert_true(hard > nrand / 2);
    /* a fixed 16-page cluster would read ~15 ahead per fault; adapted, a fraction of one */
    if (ahead * 4 > hard)
        fail_msg("random reads still read ahead: %" PRIu64 " pages for %" PRIu64 " faults", ahead, hard);
    tu_assert_consistent(sys);

    /* sequential: the window grows back to the cluster */
    pu_page_out(sys, proc);
    a = tu_stats(sys);
    verify_all(r, DATA_PAGES, gens);
    b = tu_stats(sys);
    uint64_t in = b.pages_input - a.pages_input, reads = b.page_reads - a.page_reads;
    print_message("      sequential: %" PRIu64 " pages in %" PRIu64 " reads\n", in, reads);
    assert_true(in >= DATA_PAGES - RAM_PAGES);
    if (in < 8 * reads)
        fail_msg("sequential reads do not cluster: %" PRIu64 " pages in %" PRIu64 " reads", in, reads);
    assert_true(b.readahead_hits - a.readahead_hits >= in - reads - RAM_PAGES);
    tu_assert_consistent(sys);
    free(gens);
    umm_system_destroy(sys);
}

/* A program that rewrites one page in four of a range it scans keeps the range's slots one run:
 * each rewritten page goes back into the slot it kept (no new slot, no rewrite of the clean pages
 * around it), so the next scan still reads whole clusters; data exact throughout. */
static void test_rewrite_keeps_slot_runs(void **state) {
    (void)state;
    scan_fixture_t f;
    scan_fixture_new(&f, DATA_PAGES / 2);
    const size_t n = f.n;
    pu_page_out(f.sys, f.proc);
    umm_stats_t a = tu_stats(f.sys);
    for (uint64_t pass = 2; pass <= 3; pass++) {
        scan_rewriting(&f, pass, 4);
        pu_page_out(f.sys, f.proc);
    }
    umm_stats_t b = tu_stats(f.sys);
    verify_all(f.r, n, f.gens);
    umm_stats_t d = tu_stats(f.sys);
    uint64_t in = d.pages_input - b.pages_input, reads = d.page_reads - b.page_reads;
    print_message("      after two rewriting passes: %" PRIu64 " pages in %" PRIu64 " reads; %" PRIu64
                  " pages written\n", in, reads, b.pages_output - a.pages_output);
    assert_int_equal(b.pages_output - a.pages_output, 2 * (n / 4)); /* only the rewritten pages */
    assert_int_equal(b.pagefile_used, n);                           /* no slot moved */
    if (in < 8 * reads) /* a rewritten page in a new slot would break every cluster in four */
        fail_msg("the rewritten range does not read in clusters: %" PRIu64 " pages in %" PRIu64 " reads",
                 in, reads);
    tu_assert_consistent(f.sys);
    assert_int_equal(umm_release(f.proc, f.r), UMM_OK);
    assert_int_equal(tu_stats(f.sys).pagefile_used, 0);
    scan_fixture_free(&f);
}

/* Everything of f out to the paging file except the pages `keep` names, which stay in the working
 * set: they are locked while the rest goes out, then unlocked. */
static void keep_only(scan_fixture_t *f, bool (*keep)(size_t i)) {
    assert_int_equal(umm_ws_set_limits(f->proc, f->n, f->n, 0), UMM_OK);
    for (int lock = 1; lock >= 0; lock--) {
        for (size_t i = 0; i < f->n; i++)
            if (keep(i))
                assert_int_equal((lock ? umm_lock : umm_unlock)(f->proc, f->r + i * PG, PG), UMM_OK);
        if (lock)
            pu_page_out(f->sys, f->proc);
    }
}

/* Even blocks of 16 keep every other page, odd blocks only their first. */
static bool resident_in_blocks(size_t i) {
    size_t block = i / 16, off = i % 16;
    return (block % 2 == 0 && off % 2 == 1) || (block % 2 == 1 && off == 0);
}

static bool odd_page(size_t i) { return i % 2 == 1; }

/* A scan over a range whose every other page is resident: each window of 16 pages holds 8 runs
 * of one missing page in slots of their own. A hard fault reads all of its window's runs (not
 * only its own page), and once the scan is a stream it maps them too, so the program takes one
 * fault per window: 16 signals after the first window, where reading one run a fault took 128
 * hard faults, and reading the window without mapping it a hard fault and 7 soft faults per
 * window. Each page brought back counts once, as a hard fault or as a soft one. */
static void test_window_runs_in_one_fault(void **state) {
    (void)state;
    scan_fixture_t f;
    scan_fixture_new(&f, 256);
    keep_only(&f, odd_page);
    assert_int_equal(tu_pstats(f.proc).working_set, f.n / 2);
    umm_stats_t a = tu_stats(f.sys);
    verify_all(f.r, f.n, f.gens);
    umm_stats_t b = tu_stats(f.sys);
    uint64_t hard = b.faults_hard - a.faults_hard, soft = b.faults_transition - a.faults_transition;
    uint64_t signals = b.faults_total - a.faults_total;
    print_message("      scan: %" PRIu64 " signals, %" PRIu64 " hard and %" PRIu64 " soft faults, %" PRIu64
                  " pages in %" PRIu64 " reads\n", signals, hard, soft, b.pages_input - a.pages_input,
                  b.page_reads - a.page_reads);
    assert_int_equal(b.pages_input - a.pages_input, f.n / 2); /* the missing pages, none twice */
    assert_int_equal(hard + soft, f.n / 2);
    if (hard > f.n / 16 + 1)
        fail_msg("%" PRIu64 " hard faults for %zu windows: a fault read only its own run", hard, f.n / 16);
    if (signals > hard + 8) /* the first fault is no stream yet: its window's runs wait on Standby */
        fail_msg("%" PRIu64 " signals: the stream's faults did not map what they read", signals);
    assert_int_equal(tu_pstats(f.proc).working_set, f.n);
    scan_fixture_free(&f);
}

/* The largest window (64 pages) where no two neighbours have consecutive slots (the even pages
 * went out first, then the odd ones): a fault finds 63 runs of one page besides its own, reads
 * them all and the data is exact; one hard fault per window. */
static void test_window_of_single_page_runs(void **state) {
    (void)state;
    scan_fixture_t f;
    scan_fixture_new_cluster(&f, 256, 64);
    keep_only(&f, odd_page);
    pu_page_out(f.sys, f.proc);
    umm_stats_t a = tu_stats(f.sys);
    assert_int_equal(a.working_set, 0);
    verify_all(f.r, f.n, f.gens);
    umm_stats_t b = tu_stats(f.sys);
    uint64_t hard = b.faults_hard - a.faults_hard;
    print_message("      scan: %" PRIu64 " hard faults, %" PRIu64 " pages in %" PRIu64 " reads\n", hard,
                  b.pages_input - a.pages_input, b.page_reads - a.page_reads);
    assert_int_equal(b.pages_input - a.pages_input, f.n);
    assert_int_equal(b.page_reads - a.page_reads, f.n); /* a read per page: no slot continues */
    assert_int_equal(hard, f.n / 64);
    scan_fixture_free(&f);
}

/* A scan rewrote every page of a range (its hard faults a stream), then the clock revoked their
 * access for a second chance (dirty pages, all accessed): scanning it again, each accessed-bit
 * fault gives its cluster's revoked pages their access back with it, so the scan takes one such
 * fault per cluster, not one per page (255 before). Data exact. */
static void test_stream_regrants_cluster(void **state) {
    (void)state;
    scan_fixture_t f;
    scan_fixture_new(&f, 256);
    pu_page_out(f.sys, f.proc);
    scan_rewriting(&f, 2, 1); /* every page read back and rewritten: dirty, accessed */
    assert_int_equal(tu_pstats(f.proc).working_set, f.n);
    assert_int_equal(umm_ws_trim(f.proc, 1), UMM_OK); /* revokes them all, trims one */
    umm_stats_t a = tu_stats(f.sys);
    verify_all(f.r, f.n, f.gens);
    umm_stats_t b = tu_stats(f.sys);
    uint64_t abit = b.faults_access_bit - a.faults_access_bit, total = b.faults_total - a.faults_total;
    print_message("      second scan: %" PRIu64 " accessed-bit faults, %" PRIu64 " signals\n", abit, total);
    assert_true(abit > 0);
    if (abit > f.n / 16 + 2)
        fail_msg("%" PRIu64 " accessed-bit faults for %zu clusters: each page took its own", abit, f.n / 16);
    assert_int_equal(tu_pstats(f.proc).working_set, f.n);
    scan_fixture_free(&f);
}

/* The same scan with a third of the paging-file reads failing: a failed read of the faulting
 * page's run is an in-page error (retried), a failed read of another run of its window leaves
 * those pages in their slots; nothing is lost and the system stays consistent. */
static void test_window_runs_with_read_errors(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        scan_fixture_t f;
        scan_fixture_new(&f, 256);
        tu_exc_install(f.sys);
        keep_only(&f, odd_page);
        assert_int_equal(umm_failpoint_seed(seed), UMM_OK);
        assert_int_equal(umm_failpoint_enable("umm/pagefile/read", 0.33, 0), UMM_OK);
        for (size_t i = 0; i < f.n; i++)
            if (word_access(f.r, i, false, 0) != pu_word_value(word_of(f.r, i), f.gens[i]))
                fail_msg("seed %" PRIu64 ": page %zu lost its data", seed, i);
        umm_failpoint_disable("umm/pagefile/*");
        umm_stats_t s = tu_stats(f.sys);
        assert_true(s.read_errors > 0);
        tu_assert_consistent(f.sys);
        verify_all(f.r, f.n, f.gens);
        umm_set_exception_handler(f.sys, NULL, NULL);
        scan_fixture_free(&f);
    }
}

/* A scan of a partly resident range faults only where pages are missing, so its faults seldom
 * land just past the last read. In blocks of 16 pages, even blocks keep every other page resident
 * (runs of one missing page), odd blocks only their first (a run of 15). A fault past pages that
 * are all resident continues the stream: the window stays at the cluster, and each block comes
 * in one fault (its runs read together: test_window_runs_in_one_fault). (Counting only a fault
 * just past the last read, the window shrank over the even blocks and took faults to grow back
 * in each odd one.) */
static void test_scan_continues_over_resident_pages(void **state) {
    (void)state;
    scan_fixture_t f;
    scan_fixture_new(&f, 256);
    keep_only(&f, resident_in_blocks);
    assert_int_equal(tu_pstats(f.proc).working_set, 8 * 8 + 8);
    umm_stats_t a = tu_stats(f.sys);
    verify_all(f.r, f.n, f.gens);
    umm_stats_t b = tu_stats(f.sys);
    uint64_t hard = b.faults_hard - a.faults_hard, in = b.pages_input - a.pages_input;
    print_message("      scan: %" PRIu64 " hard faults read %" PRIu64 " pages\n", hard, in);
    assert_int_equal(in, f.n - (8 * 8 + 8)); /* the missing pages, none twice */
    if (hard > 16 + 2) /* a fault per window, with slack */
        fail_msg("%" PRIu64 " hard faults: the stream ended at resident pages", hard);
    scan_fixture_free(&f);
}

/* A scan of 8x RAM that rewrites one page in four, with nothing purged between passes: the frames
 * a cluster takes come off Standby, where the rewritten pages (written out later) broke the order
 * of their neighbours. The cluster still gets consecutive frames (the oldest Standby frame's
 * neighbours go with it), so the hard fault and the soft fault on the next page each map their
 * run in one kernel call, not one call per few pages; also once the scan is a long stream that
 * drops the pages behind it and takes their frames (readahead.h). Data exact throughout. */
static void test_scan_maps_clusters_in_few_calls(void **state) {
    (void)state;
    scan_fixture_t f;
    scan_fixture_new(&f, DATA_PAGES);
    for (uint64_t pass = 2; pass <= 3; pass++)
        scan_rewriting(&f, pass, 4);
    umm_stats_t a = tu_stats(f.sys);
    verify_all(f.r, f.n, f.gens);
    umm_stats_t b = tu_stats(f.sys);
    uint64_t maps = b.hw_map_calls - a.hw_map_calls, in = b.pages_input - a.pages_input;
    uint64_t reads = b.page_reads - a.page_reads;
    print_message("      last scan: %" PRIu64 " pages in %" PRIu64 " reads, %" PRIu64
                  " mapping calls, %" PRIu64 " faults, %" PRIu64 " pages dropped behind\n", in, reads,
                  maps, b.faults_total - a.faults_total, b.pages_dropped_behind - a.pages_dropped_behind);
    assert_true(in >= f.n - RAM_PAGES);
    assert_true(b.pages_dropped_behind - a.pages_dropped_behind >= f.n / 2);
    if (in < 8 * reads)
        fail_msg("the scan does not read in clusters: %" PRIu64 " pages in %" PRIu64 " reads", in, reads);
    if (maps > 3 * reads) /* two runs a cluster (the faulting page, then the rest), with room */
        fail_msg("%" PRIu64 " mapping calls for %" PRIu64 " clusters: their frames are not consecutive",
                 maps, reads);
    scan_fixture_free(&f);
}

/* How many of the n pages at r are valid (in the working set). */
static size_t valid_pages(umm_process_t *proc, char *r, size_t n) {
    umm_page_info_t *info = calloc(n, sizeof *info);
    assert_non_null(info);
    for (size_t i = 0; i < n; i++)
        info[i].address = r + i * PG;
    assert_int_equal(umm_query_pages(proc, info, n), UMM_OK);
    size_t valid = 0;
    for (size_t i = 0; i < n; i++)
        valid += info[i].valid;
    free(info);
    return valid;
}

/* A long scan of 4x RAM, paged out, rewriting one page in four, while a quarter of RAM holds pages
 * the program touched before it: the scan's hard faults drop the pages they have passed, so the
 * scan's frames come from its own pages behind it and the earlier pages stay in the working set
 * (without it, the scan trims them: they are older). Frames run a few short of a cluster while
 * the dropped dirty pages wait on Modified (no writer here): a fault then reads as many pages as
 * there are frames (358 hard faults; reading its page alone took 818). The dropped pages, dirty
 * ones too, read back exact. */
static void test_long_stream_drops_behind(void **state) {
    (void)state;
    scan_fixture_t f;
    scan_fixture_new(&f, 4 * RAM_PAGES);
    pu_page_out(f.sys, f.proc);
    size_t nhot = RAM_PAGES / 4;
    char *hot = tu_alloc(f.proc, nhot * PG);
    pu_fill_range(hot, nhot, 7);
    umm_stats_t a = tu_stats(f.sys);
    scan_rewriting(&f, 2, 4);
    umm_stats_t b = tu_stats(f.sys);
    size_t kept = valid_pages(f.proc, hot, nhot);
    print_message("      scan: %" PRIu64 " pages dropped behind, %" PRIu64 " hard faults; %zu of %zu "
                  "earlier pages kept\n", b.pages_dropped_behind - a.pages_dropped_behind,
                  b.faults_hard - a.faults_hard, kept, nhot);
    assert_true(b.pages_dropped_behind - a.pages_dropped_behind >= f.n / 2);
    if (b.faults_hard - a.faults_hard > f.n / 4)
        fail_msg("%" PRIu64 " hard faults for %zu pages: a fault short of frames read its page alone",
                 b.faults_hard - a.faults_hard, f.n);
    if (kept != nhot)
        fail_msg("the scan trimmed %zu of the %zu pages touched before it", nhot - kept, nhot);
    verify_all(f.r, f.n, f.gens);
    pu_verify_range_order(hot, nhot, NULL, 7, 1);
    scan_fixture_free(&f);
}

/* A program that writes every page it reads back (a sort's pattern) stops paying a dirty-bit fault
 * per page: after a window of such pages its read faults map dirty at once. When it turns to
 * reading only, the prediction measures that within a few windows and stops, so a read-only pass
 * writes (almost) nothing out. Data exact throughout (dirtypredict.h). */
static void test_dirty_prediction_follows_the_program(void **state) {
    (void)state;
    scan_fixture_t f;
    scan_fixture_new(&f, DATA_PAGES);
    const size_t n = f.n;
    umm_stats_t a = tu_stats(f.sys), b = a;
    for (uint64_t pass = 2; pass <= 4; pass++) { /* read each page, then write it */
        a = b;
        scan_rewriting(&f, pass, 1);
        b = tu_stats(f.sys);
    }
    uint64_t dirty_faults = b.faults_dirty_bit - a.faults_dirty_bit;
    uint64_t predicted = b.pages_dirty_predicted - a.pages_dirty_predicted;
    print_message("      read-then-write pass: %" PRIu64 " dirty-bit faults, %" PRIu64
                  " pages mapped dirty at once\n", dirty_faults, predicted);
    if (predicted < n / 2 || dirty_faults > n / 4)
        fail_msg("pages written after every read back are still mapped clean: %" PRIu64
                 " dirty-bit faults, %" PRIu64 " predicted", dirty_faults, predicted);
    for (int pass = 0; pass < 3; pass++) { /* now reads only */
        a = b;
        verify_all(f.r, n, f.gens);
        b = tu_stats(f.sys);
    }
    uint64_t written = b.pages_output - a.pages_output;
    print_message("      third read-only pass: %" PRIu64 " pages written, %" PRIu64
                  " mapped dirty at once\n", written, b.pages_dirty_predicted - a.pages_dirty_predicted);
    if (written > n / 16)
        fail_msg("a read-only pass wrote %" PRIu64 " of %zu pages: the prediction did not stop",
                 written, n);
    scan_fixture_free(&f);
}

int main(int argc, char **argv) {
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_8x_ram_with_errors),
        cmocka_unit_test(test_window_adapts),
        cmocka_unit_test(test_rewrite_keeps_slot_runs),
        cmocka_unit_test(test_scan_maps_clusters_in_few_calls),
        cmocka_unit_test(test_scan_continues_over_resident_pages),
        cmocka_unit_test(test_window_runs_in_one_fault),
        cmocka_unit_test(test_window_runs_with_read_errors),
        cmocka_unit_test(test_window_of_single_page_runs),
        cmocka_unit_test(test_stream_regrants_cluster),
        cmocka_unit_test(test_long_stream_drops_behind),
        cmocka_unit_test(test_dirty_prediction_follows_the_program),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
