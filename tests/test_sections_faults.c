/* SPDX-License-Identifier: MIT */
/* test_sections_faults.c - sections: faults through views that are not ordinary page-ins.
 *
 * Covered: guard pages on a view (one-shot, per view), paging I/O errors (failure points): a flush
 * that cannot write leaves the pages on Modified with their data; a read that fails raises an
 * in-page error through either view, leaks nothing, and the data reads back once the point is
 * off. Helpers: section_util.h. */
#include "section_util.h"

/* ============================================================================================
 * guard pages
 * ========================================================================================== */

/* Guard pages on a view (PAGE_GUARD works on views in Windows): the first access through that
 * view raises a guard-page exception and clears the guard; the other view has no guard. */
static void test_view_guard_page(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc = sys_nw(&sys, 4 * MIB, 0, 1);
    tu_exc_install(sys);
    umm_stats_t b = tu_stats(sys);
    unsigned char *v1, *v2;
    umm_section_t *sec = sec_two_views(sys, 8, proc, &v1, proc, &v2);
    fill_idx(v1, 3, 1);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_protect(proc, v1 + 3 * PG, PG, RW | UMM_PROT_GUARD, NULL), UMM_OK);
    unsigned char x = 0;
    assert_int_equal(tu_try_read(v1 + 3 * PG + 8, &x), UMM_EXC_GUARD_PAGE);
    assert_ptr_equal(tu_exc.last.address, v1 + 3 * PG + 8);
    assert_int_equal(tu_try_read(v1 + 3 * PG + 8, &x), 0); /* one-shot */
    assert_page_idx(v1, 3, 1);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, v1 + 3 * PG, &q), UMM_OK);
    assert_int_equal(q.prot, RW);
    /* the other view: no guard */
    assert_int_equal(umm_protect(proc, v1 + 4 * PG, PG, RW | UMM_PROT_GUARD, NULL), UMM_OK);
    assert_int_equal(tu_try_write(v2 + 4 * PG, 0x11), 0);
    assert_int_equal(tu_try_read(v1 + 4 * PG, &x), UMM_EXC_GUARD_PAGE);
    assert_int_equal(tu_try_read(v1 + 4 * PG, &x), 0);
    assert_int_equal(x, 0x11);
    assert_int_equal(tu_exc.count_guard, 2);
    sc_consistent(sys);
    close_and_release(sec, proc, v1, proc, v2);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * paging I/O errors (failure points)
 * ========================================================================================== */

/* The paging file refuses writes: a flush of section pages returns UMM_E_IO, they stay on
 * Modified, nothing is lost (read back softly through both views); once the writes work the
 * pages page out and in. */
static void test_io_write_error(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1 = sys_nw(&sys, 4 * MIB, 8 * MIB, 1);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 48;
    unsigned char *v1, *v2;
    umm_section_t *sec = sec_two_views_filled(sys, n, p1, &v1, p2, &v2);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    assert_int_equal(tu_stats(sys).modified - b.modified, n);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/write", 1.0, 0), 0);
    int rc = umm_flush_modified(sys);
    umm_stats_t e = tu_stats(sys);
    umm_failpoint_disable("umm/pagefile/write");
    assert_int_equal(rc, UMM_E_IO);
    assert_true(e.writer_errors > b.writer_errors);
    assert_int_equal(e.modified - b.modified, n);
    assert_int_equal(e.pagefile_used, b.pagefile_used);
    sc_consistent(sys);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    verify_all(v2, n, 1);
    verify_all(v1, n, 1);
    assert_int_equal(tu_stats(sys).faults_hard, e.faults_hard);
    sc_consistent(sys);

    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    pu_page_out(sys, p2);
    assert_int_equal(tu_stats(sys).pagefile_used - b.pagefile_used, n);
    verify_all(v1, n, 1);
    assert_true(tu_stats(sys).faults_hard > e.faults_hard);
    sc_consistent(sys);
    close_and_release(sec, p1, v1, p2, v2);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* The paging file refuses reads: a view page that must be read gets UMM_EXC_IN_PAGE_ERROR with
 * UMM_E_IO (through either view), nothing leaks (frames, invariants); once reads work the data is
 * right. */
static void test_io_read_error(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1 = sys_nw(&sys, 4 * MIB, 8 * MIB, 1);
    umm_process_t *p2 = proc_new(sys);
    tu_exc_install(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 16;
    unsigned char *v1, *v2;
    umm_section_t *sec = sec_two_views(sys, n, p1, &v1, p2, &v2);
    fill_all(v1, n, 1);
    pu_page_out(sys, p1);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(s0.pagefile_used - b.pagefile_used, n);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/read", 1.0, 0), 0);
    unsigned char x = 0;
    int rc1 = tu_try_read(v1 + 3 * PG + 8, &x);
    umm_exception_t e1 = tu_exc.last;
    int rc2 = tu_try_write(v2 + 3 * PG + 8, 1);
    umm_exception_t e2 = tu_exc.last;
    umm_stats_t s1 = tu_stats(sys);
    umm_failpoint_disable("umm/pagefile/read");
    assert_int_equal(rc1, UMM_EXC_IN_PAGE_ERROR);
    assert_int_equal(e1.error, UMM_E_IO);
    assert_ptr_equal(e1.address, v1 + 3 * PG + 8);
    assert_ptr_equal(e1.process, p1);
    assert_int_equal(rc2, UMM_EXC_IN_PAGE_ERROR);
    assert_ptr_equal(e2.process, p2);
    assert_true(s1.read_errors >= s0.read_errors + 2);
    assert_int_equal(s1.active, s0.active);
    assert_int_equal(s1.available, s0.available);
    assert_int_equal(s1.pagefile_used, s0.pagefile_used);
    assert_int_equal(s1.working_set, s0.working_set);
    sc_consistent(sys);

    verify_all(v2, n, 1);
    verify_all(v1, n, 1);
    sc_consistent(sys);
    close_and_release(sec, p1, v1, p2, v2);
    assert_baseline(sys, &b);
    umm_set_exception_handler(sys, NULL, NULL);
    umm_system_destroy(sys);
}

int main(int argc, char **argv) {
    if (argc > 1) /* run only the tests matching a pattern: ./test_sections_faults 'test_*' */
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_guard_page),
        cmocka_unit_test(test_io_write_error),
        cmocka_unit_test(test_io_read_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
