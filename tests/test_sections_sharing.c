/* SPDX-License-Identifier: MIT */
/* test_sections_sharing.c - sections: what views see, and how long a section lives.
 *
 * Covered: zero pages (never-written pages read as zeros through any view; read zero through one
 * view, trimmed, written through another: the write is seen; pages written back to zeros are not
 * frozen at zero), sharing between two views of one process and of two processes (cluster 1 and
 * 16: one frame per page, working sets counting each address), and the section's life: it keeps
 * its data with no views (in RAM and paged out); closed while views exist, it goes with its last
 * view, giving back charge, paging-file slots and frames wherever its pages were; process and
 * system destruction with views. Helpers: section_util.h. */
#include "section_util.h"

/* ============================================================================================
 * zero pages
 * ========================================================================================== */

/* Never-written pages read as zeros through any view; a page first read (zero) through one view
 * and then written through another is seen written by the first; a page written back to zeros
 * and trimmed from one process is not frozen at zero there. */
static void zero_pages(unsigned cluster) {
    umm_system_t *sys;
    umm_process_t *p1 = sys_nw(&sys, 4 * MIB, 4 * MIB, cluster);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 48;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *a = view_new(p1, sec, RW);
    unsigned char *r = view_new(p1, sec, UMM_PROT_READ);
    unsigned char *x = view_new(p2, sec, RW);

    /* all zero, through the read-only view first, then the others */
    for (size_t i = 0; i < n; i++)
        assert_true(tu_is_zero(at(r, i), PG));
    for (size_t i = 0; i < n; i += 3)
        assert_true(tu_is_zero(at(x, i), PG));
    for (size_t i = 0; i < n; i += 2)
        assert_true(tu_is_zero(at(a, i), PG));
    sc_consistent(sys);

    /* read first (zero) everywhere, then write through one view: every view sees it */
    for (size_t i = 0; i < n; i++)
        fill_idx(x, i, 1);
    for (size_t i = 0; i < n; i++) {
        assert_page_idx(r, i, 1);
        assert_page_idx(a, i, 1);
    }
    sc_consistent(sys);

    /* read zero through a view, trim it (a zero page "goes back to demand-zero"), write through
     * another view: the trimmed view must see the write */
    umm_section_t *sec2 = sec_new(sys, n * PG);
    unsigned char *a2 = view_new(p1, sec2, RW);
    unsigned char *x2 = view_new(p2, sec2, RW);
    for (size_t i = 0; i < n; i++)
        assert_true(tu_is_zero(at(a2, i), PG));
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    sc_consistent(sys);
    for (size_t i = 0; i < n; i++)
        fill_idx(x2, i, 7);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(a2, i, 7);
    sc_consistent(sys);

    /* written with zeros through one view (so the page holds zeros), valid in the other; trim the
     * first: it must not keep a private zero page */
    for (size_t i = 0; i < n; i++)
        memset(at(a2, i), 0, PG);
    for (size_t i = 0; i < n; i++)
        assert_true(tu_is_zero(at(x2, i), PG)); /* valid in p2 now */
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    sc_consistent(sys);
    for (size_t i = 0; i < n; i++)
        fill_idx(x2, i, 9);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(a2, i, 9);
    /* and both emptied with zeros in them, then written: still shared */
    for (size_t i = 0; i < n; i++)
        memset(at(x2, i), 0, PG);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    sc_consistent(sys);
    for (size_t i = 0; i < n; i++)
        assert_true(tu_is_zero(at(a2, i), PG));
    for (size_t i = 0; i < n; i++)
        fill_idx(x2, i, 11);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(a2, i, 11);
    sc_consistent(sys);

    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_section_close(sec2), UMM_OK);
    assert_int_equal(umm_release(p1, a), UMM_OK);
    assert_int_equal(umm_release(p1, r), UMM_OK);
    assert_int_equal(umm_release(p2, x), UMM_OK);
    assert_int_equal(umm_release(p1, a2), UMM_OK);
    assert_int_equal(umm_release(p2, x2), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

static void test_zero_pages_c1(void **state) {
    (void)state;
    zero_pages(1);
}

static void test_zero_pages_c16(void **state) {
    (void)state;
    zero_pages(16);
}

/* ============================================================================================
 * sharing
 * ========================================================================================== */

/* Two views in one process: a write through one is read through the other, both ways; the pages
 * count twice in the working set (two addresses) but use one frame each. */
static void shared_one_process(unsigned cluster) {
    umm_system_t *sys;
    umm_process_t *proc = sys_nw(&sys, 4 * MIB, 0, cluster);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 64;
    unsigned char *va, *vb;
    umm_section_t *sec = sec_two_views(sys, n, proc, &va, proc, &vb);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);

    uint64_t ws0 = tu_pstats(proc).working_set;
    for (size_t i = 0; i < n; i++)
        fill_idx(va, i, 1);
    umm_stats_t s1 = tu_stats(sys);
    uint64_t ws1 = tu_pstats(proc).working_set;
    assert_int_equal(s1.active - b.active, n); /* n pages touched, section of n pages */
    assert_int_equal(ws1 - ws0, n);
    assert_int_equal(s1.working_set - b.working_set, n);
    sc_consistent(sys);

    for (size_t i = 0; i < n; i++)
        assert_page_idx(vb, i, 1);
    umm_stats_t s2 = tu_stats(sys);
    uint64_t ws2 = tu_pstats(proc).working_set;
    assert_int_equal(s2.active, s1.active); /* the same frames */
    assert_int_equal(ws2 - ws1, n);         /* another n addresses */
    assert_int_equal(s2.committed, b.committed + n);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, vb, &q), UMM_OK);
    assert_int_equal(q.resident_pages, n);
    sc_consistent(sys);

    /* the other way, word by word in the middle of pages */
    for (size_t i = 0; i < n; i++) {
        volatile uint64_t *wb = (volatile uint64_t *)at(vb, i);
        volatile uint64_t *wa = (volatile uint64_t *)at(va, i);
        wb[100] = kv(i, 100, 2);
        assert_int_equal(wa[100], kv(i, 100, 2));
        wa[101] = kv(i, 101, 3);
        assert_int_equal(wb[101], kv(i, 101, 3));
    }
    sc_consistent(sys);

    /* release one view: its pages leave the working set, the other view keeps the data */
    assert_int_equal(umm_release(proc, va), UMM_OK);
    assert_int_equal(tu_pstats(proc).working_set, ws2 - n);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    sc_consistent(sys);
    for (size_t i = 0; i < n; i++) {
        volatile uint64_t *wb = (volatile uint64_t *)at(vb, i);
        assert_int_equal(wb[0], kv(i, 0, 1));
        assert_int_equal(wb[100], kv(i, 100, 2));
        assert_int_equal(wb[101], kv(i, 101, 3));
        assert_int_equal(wb[PG / 8 - 1], kv(i, PG / 8 - 1, 1));
    }
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    assert_int_equal(umm_release(proc, vb), UMM_OK);
    assert_baseline(sys, &b);
    assert_int_equal(tu_pstats(proc).working_set, ws0);
    umm_system_destroy(sys);
}

static void test_shared_one_process_c1(void **state) {
    (void)state;
    shared_one_process(1);
}

static void test_shared_one_process_c16(void **state) {
    (void)state;
    shared_one_process(16);
}

/* Two processes of one system, each with a view. */
static void shared_two_processes(unsigned cluster) {
    umm_system_t *sys;
    umm_process_t *p1 = sys_nw(&sys, 4 * MIB, 0, cluster);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 80; /* not a multiple of 64 KiB */
    unsigned char *v1, *v2;
    umm_section_t *sec = sec_two_views(sys, n, p1, &v1, p2, &v2);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);

    for (size_t i = 0; i < n; i += 2)
        fill_idx(v1, i, 1);
    for (size_t i = 1; i < n; i += 2)
        fill_idx(v2, i, 2);
    umm_stats_t s1 = tu_stats(sys);
    assert_true(s1.active - b.active <= n);
    for (size_t i = 0; i < n; i++) {
        assert_page_idx(v2, i, (i & 1) ? 2 : 1);
        assert_page_idx(v1, i, (i & 1) ? 2 : 1);
    }
    umm_stats_t s2 = tu_stats(sys);
    assert_int_equal(s2.active - b.active, n); /* each page has one frame */
    assert_true(tu_pstats(p1).working_set >= n);
    assert_true(tu_pstats(p2).working_set >= n);
    if (cluster == 1) {
        assert_int_equal(tu_pstats(p1).working_set, n);
        assert_int_equal(tu_pstats(p2).working_set, n);
    }
    assert_int_equal(s2.working_set - b.working_set,
                     tu_pstats(p1).working_set + tu_pstats(p2).working_set);
    assert_int_equal(s2.committed, b.committed + n);
    sc_consistent(sys);

    /* rewrite everything from p2, read from p1 */
    for (size_t i = 0; i < n; i++)
        fill_idx(v2, i, 3);
    verify_all(v1, n, 3);
    sc_consistent(sys);

    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_int_equal(tu_pstats(p1).working_set, 0);
    verify_all(v2, n, 3);
    sc_consistent(sys);
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

static void test_shared_two_processes_c1(void **state) {
    (void)state;
    shared_two_processes(1);
}

static void test_shared_two_processes_c16(void **state) {
    (void)state;
    shared_two_processes(16);
}

/* ============================================================================================
 * the section's life
 * ========================================================================================== */

/* A section with no views keeps its data while open (in RAM, and after being paged out); a view
 * mapped later, in any process, sees it. Closing it then gives everything back at once. */
static void test_section_without_views_keeps_data(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1 = sys_nw(&sys, 4 * MIB, 8 * MIB, 1);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 40;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *v = view_new(p1, sec, RW);
    fill_all(v, n, 1);
    assert_int_equal(umm_release(p1, v), UMM_OK);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.committed, b.committed + n);
    assert_int_equal(tu_pstats(p1).working_set, 0);
    assert_int_equal(s.working_set, b.working_set);
    sc_consistent(sys);

    /* remap in the other process: same data (from RAM) */
    unsigned char *w = view_new(p2, sec, UMM_PROT_READ);
    umm_stats_t s0 = tu_stats(sys);
    verify_all(w, n, 1);
    assert_int_equal(tu_stats(sys).pages_input, s0.pages_input);
    assert_int_equal(umm_release(p2, w), UMM_OK);
    sc_consistent(sys);

    /* no views: flush + purge sends every page to the paging file */
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.pagefile_used - b.pagefile_used, n);
    assert_int_equal(s.active, b.active);
    assert_int_equal(s.modified, b.modified);
    assert_int_equal(s.standby, 0);
    sc_consistent(sys);

    /* and a new view reads it back by hard faults */
    v = view_new(p1, sec, RW);
    s0 = tu_stats(sys);
    verify_all(v, n, 1);
    umm_stats_t s1 = tu_stats(sys);
    assert_true(s1.faults_hard > s0.faults_hard);
    assert_true(s1.pages_input - s0.pages_input >= n);
    sc_consistent(sys);
    /* write half, release, flush, purge, map again: the new data */
    for (size_t i = 0; i < n; i += 2)
        fill_idx(v, i, 2);
    assert_int_equal(umm_release(p1, v), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    sc_consistent(sys);
    w = view_new(p2, sec, RW);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(w, i, (i % 2 == 0) ? 2 : 1);
    assert_int_equal(umm_release(p2, w), UMM_OK);
    sc_consistent(sys);

    /* close with no views: everything back now */
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* Close while views exist: the views keep working; a second close is refused; the section goes
 * with its last view, giving back the charge, the paging-file slots and the frames (some pages
 * valid, some Standby, some Modified, some only in the paging file). */
static void test_close_then_release_last_view(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1 = sys_nw(&sys, 4 * MIB, 8 * MIB, 1);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 96;
    unsigned char *v1, *v2;
    umm_section_t *sec = sec_two_views(sys, n, p1, &v1, p2, &v2);
    fill_all(v1, n, 1);
    /* pages 0..31: paged out; 32..63: Standby; 64..79: Modified; 80..95: valid in p2 */
    pu_page_out(sys, p1);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.pagefile_used - b.pagefile_used, n);
    assert_int_equal(s.active - b.active, 0);
    sc_consistent(sys);
    /* every page is only in the paging file now; read 0..63 back (hard faults) and rewrite
     * 0..31, then page all of them out again (0..31 rewritten in the file) */
    verify_all(v1, 64, 1);
    for (size_t i = 0; i < 32; i++)
        fill_idx(v1, i, 2);
    pu_page_out(sys, p1); /* 0..63 -> file only */
    for (size_t i = 32; i < 64; i++)
        assert_page_idx(v2, i, 1);
    for (size_t i = 64; i < 80; i++)
        fill_idx(v2, i, 3);
    for (size_t i = 80; i < 96; i++)
        fill_idx(v2, i, 4);
    /* empty p2 (32..63 clean -> Standby, 64..95 dirty -> Modified), then touch 80..95 again:
     * 0..31 in the file only, 32..63 Standby, 64..79 Modified, 80..95 valid in p2 */
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    for (size_t i = 80; i < 96; i++)
        assert_page_idx(v2, i, 4);
    s = tu_stats(sys);
    assert_true(s.standby > 0);
    assert_true(s.modified + s.modified_nowrite > 0);
    assert_true(s.active > b.active);
    assert_true(s.pagefile_used > b.pagefile_used);
    sc_consistent(sys);

    /* close with views: OK, everything still there */
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    int rc = umm_section_close(sec);
    print_message("    second umm_section_close (views alive): %s\n", umm_error_name(rc));
    assert_int_not_equal(rc, UMM_OK);
    assert_int_equal(rc, UMM_E_HANDLE);
    /* the handle is closed: no new views (the section lives on for the existing ones) */
    void *nv = NULL;
    rc = umm_section_map(p1, sec, RW, &nv);
    assert_int_equal(rc, UMM_E_HANDLE);
    assert_null(nv);
    assert_int_equal(tu_pstats(p1).reservations, 1);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    sc_consistent(sys);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(v1, i, i < 32 ? 2 : i < 64 ? 1 : i < 80 ? 3 : 4);
    fill_idx(v2, 5, 5);
    assert_page_idx(v1, 5, 5);
    sc_consistent(sys);

    /* release v1: v2 keeps everything */
    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    sc_consistent(sys);
    /* re-create the mix as seen by v2 only */
    pu_page_out(sys, p2);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(v2, i, i == 5 ? 5 : i < 32 ? 2 : i < 64 ? 1 : i < 80 ? 3 : 4);
    for (size_t i = 0; i < 16; i++)
        fill_idx(v2, i, 6);
    assert_int_equal(umm_ws_trim(p2, 48), UMM_OK);
    s = tu_stats(sys);
    assert_true(s.active > b.active);
    sc_consistent(sys);

    /* release the last view: all of it goes */
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    assert_baseline(sys, &b);
    assert_int_equal(tu_stats(sys).available, tu_stats(sys).total_frames);
    umm_system_destroy(sys);
}

/* Destroying a process with a view leaves the other process's view working; destroying the
 * process with the last view of a closed section frees it. */
static void test_process_destroy_with_view(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1 = sys_nw(&sys, 4 * MIB, 8 * MIB, 16);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 64;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *v1 = view_new(p1, sec, RW);
    unsigned char *v1b = view_new(p1, sec, UMM_PROT_READ);
    unsigned char *v2 = view_new(p2, sec, RW);
    fill_all(v1, n, 1);
    verify_all(v1b, n, 1);
    for (size_t i = 0; i < n; i += 4)
        assert_page_idx(v2, i, 1);
    /* some pages paged out, some on the modified list */
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    sc_consistent(sys);

    umm_process_destroy(p1);
    sc_consistent(sys);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    assert_int_equal(tu_stats(sys).processes, 1);
    verify_all(v2, n, 1);
    fill_all(v2, n, 2);
    verify_all(v2, n, 2);
    sc_consistent(sys);

    /* a new process maps the (still open) section */
    umm_process_t *p3 = proc_new(sys);
    unsigned char *v3 = view_new(p3, sec, RW);
    verify_all(v3, n, 2);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    umm_process_destroy(p2);
    sc_consistent(sys);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    verify_all(v3, n, 2);
    assert_int_equal(umm_ws_empty(p3), UMM_OK);
    sc_consistent(sys);

    /* p3 had the last view of the closed section */
    umm_process_destroy(p3);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* Destroying a system with sections open and mapped frees everything (ASan/LSan checks). */
static void test_system_destroy_with_sections(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1 = sys_nw(&sys, 4 * MIB, 8 * MIB, 1);
    umm_process_t *p2 = proc_new(sys);
    umm_section_t *a = sec_new(sys, 32 * PG);
    umm_section_t *bs = sec_new(sys, 8 * PG); /* never mapped */
    umm_section_t *cs = sec_new(sys, 8 * PG); /* closed, mapped */
    (void)bs;
    unsigned char *v1 = view_new(p1, a, RW);
    unsigned char *v2 = view_new(p2, a, RW);
    unsigned char *v3 = view_new(p2, cs, RW);
    assert_int_equal(umm_section_close(cs), UMM_OK);
    fill_all(v1, 32, 1);
    verify_all(v2, 32, 1);
    fill_all(v3, 8, 2);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    sc_consistent(sys);
    umm_system_destroy(sys);

    /* also: a process destroyed first, then the system */
    p1 = sys_nw(&sys, 4 * MIB, 8 * MIB, 1);
    a = sec_new(sys, 16 * PG);
    v1 = view_new(p1, a, RW);
    fill_all(v1, 16, 3);
    umm_process_destroy(p1);
    sc_consistent(sys);
    umm_system_destroy(sys);
}

int main(int argc, char **argv) {
    if (argc > 1) /* run only the tests matching a pattern: ./test_sections_sharing 'test_*' */
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_pages_c1),
        cmocka_unit_test(test_zero_pages_c16),
        cmocka_unit_test(test_shared_one_process_c1),
        cmocka_unit_test(test_shared_one_process_c16),
        cmocka_unit_test(test_shared_two_processes_c1),
        cmocka_unit_test(test_shared_two_processes_c16),
        cmocka_unit_test(test_section_without_views_keeps_data),
        cmocka_unit_test(test_close_then_release_last_view),
        cmocka_unit_test(test_process_destroy_with_view),
        cmocka_unit_test(test_system_destroy_with_sections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
