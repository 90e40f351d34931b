/* SPDX-License-Identifier: MIT */
/* test_paging.c - paging, the mechanism: the commit limit and paging-file growth, data integrity
 * while the working set is several times RAM, hard faults and read clustering, the modified page
 * writer, write and read errors injected with failure points.
 *
 * The other paging suites: test_paging_policy.c (the balance-set manager, working-set limits,
 * standby priorities, notifications, the zero page thread), test_paging_file.c (the paging file as
 * a file), test_paging_large.c, test_threads_paging.c. Helpers: paging_util.h. Systems are created
 * inside each test body (cmocka swaps the SIGSEGV handler). */
#include "paging_util.h"

#define PG PU_PG
#define MIB TU_MIB

/* ============================================================================================
 * commit limit and paging-file growth
 * ========================================================================================== */

/* Without a paging file the commit limit is the RAM; one page more fails and changes nothing;
 * umm_flush_modified is not supported. */
static void test_commit_limit_no_pagefile(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 0, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.commit_limit, s.total_frames);
    assert_int_equal(s.total_frames, 1024);
    assert_int_equal(s.pagefile_slots, 0);
    char *r = tu_reserve(proc, 8 * MIB, TU_RW);
    assert_int_equal(umm_commit(proc, r, 1024 * PG, TU_RW), UMM_OK);
    assert_int_equal(umm_commit(proc, r + 1024 * PG, PG, TU_RW), UMM_E_COMMIT_LIMIT);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 1024);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, r + 1024 * PG, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_RESERVED);
    assert_int_equal(umm_flush_modified(sys), UMM_E_NOT_SUPPORTED);
    assert_int_equal(umm_flush_modified(NULL), UMM_E_INVAL);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* Limit = frames + slots - slack (4*cluster+64, at most frames/4); past 90 % the file grows; at
 * the maximum a commit beyond the limit fails and changes nothing; releasing everything returns
 * committed and pagefile_used to 0. */
static void test_commit_limit_pagefile_growth(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 4 * MIB, 16 * MIB, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t s = tu_stats(sys);
    const uint64_t slack = 4 * 16 + 64; /* 128 < 1024/4 */
    assert_int_equal(s.total_frames, 1024);
    assert_int_equal(s.pagefile_slots, 1024);
    assert_int_equal(s.pagefile_max_slots, 4096);
    assert_int_equal(s.commit_limit, 1024 + 1024 - slack);
    assert_int_equal(s.pagefile_grows, 0);

    char *r = tu_reserve(proc, 32 * MIB, TU_RW);
    /* 1700 of 1920: under 90 %, no growth */
    assert_int_equal(umm_commit(proc, r, 1700 * PG, TU_RW), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.pagefile_grows, 0);
    assert_int_equal(s.pagefile_slots, 1024);
    assert_int_equal(s.commit_limit, 1920);
    /* 1800 passes 90 % of 1920 (1728): the file grows and the commit succeeds */
    assert_int_equal(umm_commit(proc, r + 1700 * PG, 100 * PG, TU_RW), UMM_OK);
    umm_stats_t g = tu_stats(sys);
    assert_int_equal(g.committed, 1800);
    assert_int_equal(g.pagefile_grows, 1);
    assert_true(g.pagefile_slots > 1024);
    assert_true(g.pagefile_slots <= g.pagefile_max_slots);
    assert_int_equal(g.commit_limit, g.total_frames + g.pagefile_slots - slack);
    assert_true(g.committed * 10 <= g.commit_limit * 9);
    tu_assert_consistent(sys);

    /* up to the largest possible limit: 1024 + 4096 - 128 = 4992 */
    const uint64_t maxlim = 1024 + 4096 - slack;
    assert_int_equal(umm_commit(proc, r + 1800 * PG, (maxlim - 1800) * PG, TU_RW), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.pagefile_slots, 4096);
    assert_int_equal(s.commit_limit, maxlim);
    assert_int_equal(s.committed, maxlim);
    assert_true(s.pagefile_grows >= 2);
    /* at the maximum: one more page fails, nothing changes */
    assert_int_equal(umm_commit(proc, r + maxlim * PG, PG, TU_RW), UMM_E_COMMIT_LIMIT);
    assert_int_equal(umm_commit(proc, r + maxlim * PG, 64 * PG, TU_RW), UMM_E_COMMIT_LIMIT);
    umm_stats_t f = tu_stats(sys);
    assert_int_equal(f.committed, s.committed);
    assert_int_equal(f.commit_limit, s.commit_limit);
    assert_int_equal(f.pagefile_slots, s.pagefile_slots);
    assert_int_equal(f.pagefile_grows, s.pagefile_grows);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, r + maxlim * PG, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_RESERVED);
    /* recommitting committed pages charges nothing and still works at the limit */
    assert_int_equal(umm_commit(proc, r, 16 * PG, TU_RW), UMM_OK);

    /* use the paging file: write 3x RAM */
    for (size_t i = 0; i < 3072; i++)
        pu_mark_page(pu_at(r, i), PG, 5);
    s = tu_stats(sys);
    assert_true(s.pagefile_used > 0);
    assert_true(s.pages_output > 0);
    for (size_t i = 0; i < 3072; i++)
        pu_assert_page(pu_at(r, i), PG, 5);
    tu_assert_consistent(sys);

    assert_int_equal(umm_release(proc, r), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 0);
    assert_int_equal(s.pagefile_used, 0);
    assert_int_equal(s.working_set, 0);
    assert_int_equal(s.modified, 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);

    /* the slack is capped at a quarter of the frames: 64 frames, cluster 16 -> slack 16 */
    c = pu_config(256 * TU_KIB, 1 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, NULL);
    s = tu_stats(sys);
    assert_int_equal(s.total_frames, 64);
    assert_int_equal(s.commit_limit, 64 + 256 - 16);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * data integrity under paging
 * ========================================================================================== */

/* A working set 6x RAM, full pages keyed by address: written, read back in random order with
 * several seeds, across umm_ws_empty, umm_flush_modified, umm_standby_purge and umm_ws_trim;
 * every word right, umm_check after every phase, paging counters move, reads are clustered. */
static void test_integrity_6x_ram(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 32 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    const size_t n = 6 * 1024;
    char *r = tu_alloc(proc, n * PG);
    uint64_t *gens = malloc(n * sizeof *gens);
    assert_non_null(gens);
    for (size_t i = 0; i < n; i++)
        gens[i] = 1;

    pu_fill_range(r, n, 1);
    umm_stats_t s = tu_stats(sys);
    assert_true(s.pages_output > 0);
    assert_true(s.pagefile_used > 0);
    assert_true(tu_pstats(proc).working_set <= s.total_frames);
    tu_assert_consistent(sys);

    /* seed 1: random read-back (hard faults, since most pages lost their frames) */
    pu_verify_range_order(r, n, gens, 0, 0x1234);
    s = tu_stats(sys);
    assert_true(s.faults_hard > 0);
    assert_true(s.pages_input > 0);
    assert_true(s.page_reads > 0);
    assert_true(s.page_reads <= s.pages_input);
    tu_assert_consistent(sys);

    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(tu_pstats(proc).working_set, 0);
    tu_assert_consistent(sys);

    /* seed 2: read back, then rewrite a random half with generation 2 */
    pu_verify_range_order(r, n, gens, 0, 0xBEEF);
    size_t *ord = pu_order(n, 0xFACE);
    for (size_t k = 0; k < n / 2; k++) {
        gens[ord[k]] = 2;
        tu_fill(pu_at(r, ord[k]), PG, 2);
    }
    free(ord);
    tu_assert_consistent(sys);
    umm_stats_t b = tu_stats(sys);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t a = tu_stats(sys);
    assert_int_equal(a.modified, 0);
    assert_int_equal(a.pages_output - b.pages_output, b.modified);
    assert_int_equal(a.standby - b.standby, b.modified);
    tu_assert_consistent(sys);
    uint64_t purged = 0;
    assert_int_equal(umm_standby_purge(sys, 7, &purged), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(purged, a.standby);
    assert_int_equal(s.standby, 0);
    tu_assert_consistent(sys);

    /* seed 3: read back after the purge: everything that was not valid comes by hard fault */
    uint64_t hard0 = s.faults_hard;
    pu_verify_range_order(r, n, gens, 0, 0x5EED3);
    s = tu_stats(sys);
    assert_true(s.faults_hard > hard0);
    tu_assert_consistent(sys);
    assert_int_equal(umm_ws_trim(proc, 500), UMM_OK);
    tu_assert_consistent(sys);
    pu_verify_range_order(r, n, gens, 0, 0x77);
    tu_assert_consistent(sys);

    /* sequential read-back after empty + flush + purge: clustered reads */
    pu_page_out(sys, proc);
    tu_assert_consistent(sys);
    b = tu_stats(sys);
    pu_verify_range_order(r, n, gens, 0, 0);
    a = tu_stats(sys);
    uint64_t in = a.pages_input - b.pages_input, reads = a.page_reads - b.page_reads;
    assert_true(reads > 0);
    assert_true(in >= n - 1024); /* at most RAM's worth can have stayed in memory */
    if (in <= reads)
        fail_msg("no read clustering: %" PRIu64 " pages in %" PRIu64 " reads", in, reads);
    assert_true(a.page_reads <= a.pages_input);
    print_message("      sequential: %" PRIu64 " pages in %" PRIu64 " reads (%.1f/read)\n", in,
                  reads, (double)in / (double)reads);
    tu_assert_consistent(sys);

    assert_int_equal(umm_release(proc, r), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.pagefile_used, 0);
    assert_int_equal(s.committed, 0);
    tu_assert_consistent(sys);
    free(gens);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * hard faults, read clustering, the modified page writer
 * ========================================================================================== */

/* After flush + purge, a read is a hard fault on this thread: data exact, the whole 16-page
 * cluster is read in one operation, the neighbours land on Standby and touching them is soft. */
static void test_hard_fault_read_cluster(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 8 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_alloc(proc, 64 * PG);
    pu_fill_range(r, 64, 9);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(s0.modified, 64);

    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.modified, 0);
    assert_int_equal(s1.pages_output - s0.pages_output, 64);
    assert_int_equal(s1.standby - s0.standby, 64);
    assert_true(s1.page_writes - s0.page_writes >= 4);  /* clusters of at most 16 */
    assert_true(s1.page_writes - s0.page_writes <= 64);
    assert_int_equal(s1.pagefile_used, 64);
    tu_assert_consistent(sys);

    uint64_t purged = 0;
    assert_int_equal(umm_standby_purge(sys, 7, &purged), UMM_OK);
    assert_int_equal(purged, 64);
    umm_stats_t s2 = tu_stats(sys);
    assert_int_equal(s2.standby, 0);
    assert_int_equal(s2.pagefile_used, 64); /* the copies stay */
    tu_assert_consistent(sys);

    /* page 5: hard fault, reads pages 0..15 in one operation */
    tu_assert_pattern(pu_at(r, 5), PG, 9);
    umm_stats_t s3 = tu_stats(sys);
    assert_true(s3.faults_hard >= s2.faults_hard + 1);
    assert_int_equal(s3.page_reads, s2.page_reads + 1);
    assert_int_equal(s3.pages_input, s2.pages_input + 16);
    assert_int_equal(s3.standby, 15);
    assert_int_equal(s3.working_set, 1);
    assert_int_equal(tu_pstats(proc).faults_hard, s3.faults_hard);
    tu_assert_consistent(sys);

    /* page 6: a soft fault */
    tu_assert_pattern(pu_at(r, 6), PG, 9);
    umm_stats_t s4 = tu_stats(sys);
    assert_int_equal(s4.faults_hard, s3.faults_hard);
    assert_int_equal(s4.page_reads, s3.page_reads);
    assert_true(s4.faults_transition >= s3.faults_transition + 1);
    assert_true(s4.standby < s3.standby);
    /* the rest of the cluster: no more I/O */
    for (size_t i = 0; i < 16; i++)
        tu_assert_pattern(pu_at(r, i), PG, 9);
    umm_stats_t s5 = tu_stats(sys);
    assert_int_equal(s5.faults_hard, s3.faults_hard);
    assert_int_equal(s5.page_reads, s3.page_reads);
    assert_int_equal(s5.standby, 0);
    /* a page of the next cluster: hard again */
    tu_assert_pattern(pu_at(r, 40), PG, 9);
    umm_stats_t s6 = tu_stats(sys);
    assert_true(s6.faults_hard > s5.faults_hard);
    assert_int_equal(s6.page_reads, s5.page_reads + 1);
    pu_verify_range_order(r, 64, NULL, 9, 3);
    tu_assert_consistent(sys);

    /* a clean page read back keeps its copy; writing it keeps the slot (the file is far from
     * full) for the page's next write, which goes back into it: the run's slots stay one run */
    umm_stats_t s7 = tu_stats(sys);
    assert_int_equal(s7.pagefile_used, 64);
    pu_at(r, 3)[0] ^= 1;
    assert_int_equal(tu_stats(sys).pagefile_used, 64);
    pu_at(r, 3)[0] ^= 1;
    tu_assert_pattern(pu_at(r, 3), PG, 9);
    tu_assert_consistent(sys);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t s8 = tu_stats(sys);
    assert_int_equal(s8.pages_output, s7.pages_output + 1); /* clean pages are not rewritten */
    assert_int_equal(s8.pagefile_used, 64);
    tu_assert_pattern(pu_at(r, 3), PG, 9);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* The writer writes every modified page: Modified empties, Pages Output and Standby grow by the
 * same amount; the data is still there by soft fault. */
static void test_flush_modified(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(8 * MIB, 8 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_alloc(proc, 512 * PG);
    pu_fill_range(r, 512, 4);
    assert_int_equal(umm_flush_modified(sys), UMM_OK); /* nothing modified yet: a no-op */
    assert_int_equal(tu_stats(sys).pages_output, 0);
    assert_int_equal(umm_ws_trim(proc, 300), UMM_OK);
    umm_stats_t b = tu_stats(sys);
    assert_true(b.modified >= 200);
    assert_int_equal(b.pages_output, 0);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t a = tu_stats(sys);
    assert_int_equal(a.modified, 0);
    assert_int_equal(a.pages_output, b.modified);
    assert_int_equal(a.standby - b.standby, b.modified);
    assert_int_equal(a.pagefile_used, b.modified);
    assert_true(a.page_writes >= (b.modified + 15) / 16);
    assert_true(a.page_writes <= b.modified);
    assert_int_equal(a.working_set, b.working_set);
    tu_assert_consistent(sys);
    pu_verify_range_order(r, 512, NULL, 4, 42);
    umm_stats_t v = tu_stats(sys);
    assert_int_equal(v.faults_hard, 0); /* all still in memory */
    assert_true(v.faults_transition > a.faults_transition);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * I/O errors (failure points)
 * ========================================================================================== */

/* umm/pagefile/write fails: flush returns UMM_E_IO, writer_errors counts, the pages stay on
 * Modified, nothing is lost; once disabled, the flush works and the pages page in and out. */
static void test_write_error(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 8 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_alloc(proc, 64 * PG);
    pu_fill_range(r, 64, 11);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    umm_stats_t b = tu_stats(sys);
    assert_int_equal(b.modified, 64);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/write", 1.0, 0), 0);
    int rc = umm_flush_modified(sys);
    umm_stats_t e = tu_stats(sys);
    assert_int_equal(rc, UMM_E_IO);
    assert_true(e.writer_errors > 0);
    assert_int_equal(e.modified, 64);
    assert_int_equal(e.pages_output, b.pages_output);
    assert_int_equal(e.pagefile_used, 0);
    assert_int_equal(e.standby, b.standby);
    tu_assert_consistent(sys);
    /* a balancer pass with the writer failing does not lose anything either */
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(tu_stats(sys).modified, 64);
    tu_assert_consistent(sys);
    /* data intact (soft faults from Modified), and back to Modified */
    pu_verify_range_order(r, 64, NULL, 11, 5);
    assert_int_equal(tu_stats(sys).faults_hard, 0);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(tu_stats(sys).modified, 64);
    umm_failpoint_disable("umm/pagefile/write");

    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t a = tu_stats(sys);
    assert_int_equal(a.modified, 0);
    assert_int_equal(a.pages_output - e.pages_output, 64);
    assert_int_equal(a.pagefile_used, 64);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    tu_assert_consistent(sys);
    pu_verify_range_order(r, 64, NULL, 11, 6);
    assert_true(tu_stats(sys).faults_hard > 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* umm/pagefile/read fails: the faulting thread gets UMM_EXC_IN_PAGE_ERROR with UMM_E_IO,
 * read_errors counts, other (resident) pages are unaffected; once disabled the same touch
 * succeeds with the right data. */
static void test_read_error(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 8 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_exc_install(sys);
    char *a = tu_alloc(proc, 32 * PG);
    char *bb = tu_alloc(proc, 32 * PG);
    pu_fill_range(a, 32, 21);
    pu_fill_range(bb, 32, 22);
    pu_page_out(sys, proc);
    pu_verify_range_order(bb, 32, NULL, 22, 0); /* bb comes back before the failure */
    umm_stats_t s0 = tu_stats(sys);
    assert_true(s0.faults_hard >= 2);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/read", 1.0, 0), 0);
    unsigned char v = 0;
    int rc = tu_try_read(pu_at(a, 3) + 8, &v);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(rc, UMM_EXC_IN_PAGE_ERROR);
    assert_int_equal(tu_exc.last.code, UMM_EXC_IN_PAGE_ERROR);
    assert_int_equal(tu_exc.last.error, UMM_E_IO);
    assert_ptr_equal(tu_exc.last.address, pu_at(a, 3) + 8);
    assert_ptr_equal(tu_exc.last.process, proc);
    assert_true(s1.read_errors > s0.read_errors);
    assert_true(s1.faults_in_page_error > s0.faults_in_page_error);
    assert_int_equal(s1.working_set, s0.working_set);
    assert_int_equal(s1.pagefile_used, s0.pagefile_used);
    /* the failed page fails again, the resident ones are fine */
    assert_int_equal(tu_try_read(pu_at(a, 3), &v), UMM_EXC_IN_PAGE_ERROR);
    pu_verify_range_order(bb, 32, NULL, 22, 9);
    tu_assert_consistent(sys);
    umm_failpoint_disable("umm/pagefile/read");

    assert_int_equal(tu_try_read(pu_at(a, 3) + 8, &v), 0);
    tu_assert_pattern(pu_at(a, 3), PG, 21);
    pu_verify_range_order(a, 32, NULL, 21, 10);
    pu_verify_range_order(bb, 32, NULL, 22, 11);
    umm_stats_t s2 = tu_stats(sys);
    assert_int_equal(s2.read_errors, s1.read_errors + 1);
    tu_assert_consistent(sys);
    umm_set_exception_handler(sys, NULL, NULL);
    umm_system_destroy(sys);
}

int main(int argc, char **argv) {
    if (argc > 1) /* run only the tests matching a pattern: ./test_paging 'test_*_error' */
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_limit_no_pagefile),
        cmocka_unit_test(test_commit_limit_pagefile_growth),
        cmocka_unit_test(test_integrity_6x_ram),
        cmocka_unit_test(test_hard_fault_read_cluster),
        cmocka_unit_test(test_flush_modified),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_read_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
