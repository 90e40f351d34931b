/* SPDX-License-Identifier: MIT */
/* test_sections_named.c - what a section is beyond its memory (umm_section_create_ex): its own
 * protection (views checked against it), its name (umm_section_open from another process of the
 * system; unique per system; freed with the last handle), and UMM_SEC_RESERVE (pages reserved
 * until a view commits them, charged then, committed in every view; decommit refused).
 *
 * The other section suites: test_sections.c (creation and the API on views) and those it lists.
 * Helpers: section_util.h. Systems are created inside each test body. */
#include "section_util.h"

#define R UMM_PROT_READ
#define X UMM_PROT_EXEC

static umm_section_t *sec_ex(umm_system_t *sys, size_t bytes, int prot, unsigned flags,
                             const char *name) {
    umm_section_t *s = NULL;
    assert_int_equal(umm_section_create_ex(sys, bytes, prot, flags, name, &s), UMM_OK);
    assert_non_null(s);
    return s;
}

/* Bad protections, flags and names are refused and change nothing; umm_section_query reports
 * what was asked. */
static void test_create_ex_args_and_query(void **state) {
    (void)state;
    umm_system_t *sys;
    (void)sys_nw(&sys, 4 * MIB, 0, 1);
    umm_stats_t b = tu_stats(sys);
    umm_section_t *s = NULL;
    const int bad_prot[] = {UMM_PROT_NONE, X, UMM_PROT_WRITE, R | UMM_PROT_GUARD,
                            R | UMM_PROT_NOCACHE, 0x100, -1};
    for (size_t i = 0; i < sizeof bad_prot / sizeof bad_prot[0]; i++)
        assert_int_equal(umm_section_create_ex(sys, PG, bad_prot[i], 0, NULL, &s), UMM_E_INVAL);
    assert_int_equal(umm_section_create_ex(sys, PG, RW, 0x2, NULL, &s), UMM_E_INVAL);
    assert_int_equal(umm_section_create_ex(sys, PG, RW, 0, "", &s), UMM_E_INVAL);
    char longname[UMM_SECTION_NAME_MAX + 2];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(umm_section_create_ex(sys, PG, RW, 0, longname, &s), UMM_E_INVAL);
    assert_null(s);
    assert_int_equal(tu_stats(sys).committed, b.committed);

    longname[UMM_SECTION_NAME_MAX] = '\0'; /* the longest allowed */
    s = sec_ex(sys, 3 * PG + 1, R | X, UMM_SEC_RESERVE, longname);
    umm_section_info_t q;
    assert_int_equal(umm_section_query(s, NULL), UMM_E_INVAL);
    assert_int_equal(umm_section_query(s, &q), UMM_OK);
    assert_int_equal(q.bytes, 4 * PG);
    assert_int_equal(q.prot, R | X);
    assert_int_equal(q.flags, UMM_SEC_RESERVE);
    assert_int_equal(q.committed_bytes, 0);
    assert_int_equal(tu_stats(sys).committed, b.committed); /* reserved: nothing charged */
    assert_int_equal(umm_section_close(s), UMM_OK);
    assert_int_equal(umm_section_query(s, &q), UMM_E_HANDLE);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* A view may not ask for more than the section's protection: WRITE of a read-only section and
 * EXEC of one without are UMM_E_ACCESS (MapViewOfFile's ERROR_ACCESS_DENIED); less is fine. */
static void test_views_checked_against_section_prot(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc = sys_nw(&sys, 4 * MIB, 0, 1);
    umm_stats_t b = tu_stats(sys);
    umm_section_t *ro = sec_ex(sys, 16 * PG, R, 0, NULL);
    umm_section_t *rw = sec_ex(sys, 16 * PG, RW, 0, NULL);
    umm_section_t *rx = sec_ex(sys, 16 * PG, R | X, 0, NULL);
    void *v = NULL;
    assert_int_equal(umm_section_map(proc, ro, RW, &v), UMM_E_ACCESS);
    assert_int_equal(umm_section_map(proc, ro, R | X, &v), UMM_E_ACCESS);
    assert_int_equal(umm_section_map(proc, rw, R | X, &v), UMM_E_ACCESS);
    assert_int_equal(umm_section_map_view(proc, rx, 0, PG, NULL, RW, &v), UMM_E_ACCESS);
    assert_null(v);
    assert_int_equal(tu_pstats(proc).reservations, 0); /* nothing reserved for a refused view */

    unsigned char *w = view_new(proc, rw, RW), *r = view_new(proc, rw, R);
    unsigned char *e = view_new(proc, rx, R | X), *rr = view_new(proc, ro, R);
    w[5] = 42;
    assert_int_equal(r[5], 42); /* the same section */
    assert_int_equal(rr[0], 0);
    assert_int_equal(e[0], 0);
    /* a view of a read-only section cannot be raised either (above the view: UMM_E_INVAL) */
    assert_int_equal(umm_protect(proc, rr, PG, RW, NULL), UMM_E_INVAL);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, e, &q), UMM_OK);
    assert_int_equal(q.prot, R | X);
    assert_int_equal(q.type, UMM_REGION_TYPE_MAPPED);
    sc_consistent(sys);
    unsigned char *views[] = {w, r, e, rr};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(umm_release(proc, views[i]), UMM_OK);
    assert_int_equal(umm_section_close(ro), UMM_OK);
    assert_int_equal(umm_section_close(rw), UMM_OK);
    assert_int_equal(umm_section_close(rx), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* A named section is opened from another process of the system and shares its pages; a name is
 * unique per system (UMM_E_EXISTS) but free in another system; each open is one more handle; the
 * name goes with the last handle even while views remain, and the memory stays with the views. */
static void test_named_open_from_another_process(void **state) {
    (void)state;
    umm_system_t *sys, *sys2;
    umm_process_t *proc = sys_nw(&sys, 4 * MIB, 0, 1);
    (void)sys_nw(&sys2, 4 * MIB, 0, 1); /* another system, with a process of its own */
    umm_process_t *other = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    umm_section_t *s = sec_ex(sys, 8 * PG, RW, 0, "Local\\shared"), *t = NULL, *o = NULL;
    assert_int_equal(umm_section_create_ex(sys, 8 * PG, RW, 0, "Local\\shared", &t), UMM_E_EXISTS);
    assert_null(t);
    assert_int_equal(tu_stats(sys).committed, b.committed + 8); /* the refused one charged nothing */
    umm_section_t *elsewhere = sec_ex(sys2, PG, RW, 0, "Local\\shared"); /* another machine */

    assert_int_equal(umm_section_open(sys, NULL, &o), UMM_E_INVAL);
    assert_int_equal(umm_section_open(sys, "", &o), UMM_E_INVAL);
    assert_int_equal(umm_section_open(sys, "Local\\other", &o), UMM_E_NOT_FOUND);
    assert_int_equal(umm_section_open(NULL, "Local\\shared", &o), UMM_E_INVAL);
    assert_int_equal(umm_section_open(sys, "Local\\shared", NULL), UMM_E_INVAL);
    assert_int_equal(umm_section_open(sys, "Local\\shared", &o), UMM_OK);
    assert_ptr_equal(o, s);

    unsigned char *a = view_new(proc, s, RW), *bv = view_new(other, o, RW);
    fill_idx(a, 3, 7);
    assert_page_idx(bv, 3, 7);
    fill_idx(bv, 6, 9);
    assert_page_idx(a, 6, 9);

    /* one close: the other handle keeps the section, and its name, usable */
    assert_int_equal(umm_section_close(s), UMM_OK);
    umm_section_info_t q;
    assert_int_equal(umm_section_query(o, &q), UMM_OK);
    assert_int_equal(umm_section_open(sys, "Local\\shared", &t), UMM_OK);
    assert_int_equal(umm_section_close(t), UMM_OK);
    /* the last close: the name is free (a new section may take it), the views keep the memory */
    assert_int_equal(umm_section_close(o), UMM_OK);
    assert_int_equal(umm_section_close(o), UMM_E_HANDLE);
    assert_int_equal(umm_section_open(sys, "Local\\shared", &t), UMM_E_NOT_FOUND);
    assert_page_idx(bv, 3, 7);
    umm_section_t *s2 = sec_ex(sys, PG, R, 0, "Local\\shared");
    assert_int_equal(umm_section_open(sys, "Local\\shared", &t), UMM_OK);
    assert_ptr_equal(t, s2);
    assert_int_equal(umm_section_close(t), UMM_OK);
    assert_int_equal(umm_section_close(s2), UMM_OK);
    sc_consistent(sys);

    assert_int_equal(umm_release(proc, a), UMM_OK);
    assert_int_equal(umm_release(other, bv), UMM_OK); /* the section goes with its last view */
    assert_int_equal(umm_section_close(elsewhere), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys2);
    umm_system_destroy(sys);
}

/* UMM_SEC_RESERVE: views show the pages reserved and an access is an access violation; a commit
 * through one view charges the pages then and commits them in every view (with the protection
 * asked in that view, each other view's own elsewhere); decommit of a view is refused; the data
 * survives trimming and paging out; close and release give back exactly what was charged. */
static void test_sec_reserve_commit_through_view(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc = sys_nw(&sys, 4 * MIB, 8 * MIB, 1);
    tu_exc_install(sys);
    umm_process_t *other = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    umm_section_t *s = sec_ex(sys, 32 * PG, RW, UMM_SEC_RESERVE, NULL);
    assert_int_equal(tu_stats(sys).committed, b.committed);
    unsigned char *v1 = view_new(proc, s, RW), *v2 = view_new(other, s, R);
    unsigned char *part = NULL; /* a view of the first half */
    assert_int_equal(umm_section_map_view(proc, s, 0, 16 * PG, NULL, RW, (void **)&part), UMM_OK);

    umm_region_info_t q;
    assert_int_equal(umm_query(proc, v1, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_RESERVED);
    assert_int_equal(q.type, UMM_REGION_TYPE_MAPPED);
    assert_int_equal(tu_try_read(v1, NULL), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(tu_try_write(v1 + 4 * PG, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(umm_protect(proc, v1, PG, R, NULL), UMM_E_NOT_COMMITTED);

    /* commit pages 4..11 through v1: 8 pages charged, committed in v2 and part too */
    assert_int_equal(umm_commit(proc, v1 + 4 * PG, 8 * PG, RW), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + 8);
    umm_section_info_t si;
    assert_int_equal(umm_section_query(s, &si), UMM_OK);
    assert_int_equal(si.committed_bytes, 8 * PG);
    assert_int_equal(umm_query(other, v2 + 4 * PG, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_COMMITTED);
    assert_int_equal(q.prot, R); /* the other view's own protection */
    assert_int_equal(q.size, 8 * PG);
    assert_int_equal(umm_query(other, v2, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_RESERVED);
    assert_int_equal(q.size, 4 * PG);
    for (size_t i = 4; i < 12; i++)
        fill_idx(v1, i, 3);
    for (size_t i = 4; i < 12; i++) {
        assert_page_idx(v2, i, 3);
        assert_page_idx(part, i, 3);
    }
    assert_int_equal(tu_try_read(v2 + 12 * PG, NULL), UMM_EXC_ACCESS_VIOLATION);
    /* committing again charges nothing more; a commit from a read-only view may not ask WRITE */
    assert_int_equal(umm_commit(proc, v1, 12 * PG, RW), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + 12);
    assert_int_equal(umm_commit(other, v2 + 20 * PG, PG, RW), UMM_E_INVAL);
    assert_int_equal(umm_commit(other, v2 + 20 * PG, PG, R), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + 13);
    assert_int_equal(v1[20 * PG], 0);
    /* no decommit of a view (VirtualFree on a view fails), reserved or committed pages */
    assert_int_equal(umm_decommit(proc, v1 + 4 * PG, PG), UMM_E_ACCESS);
    assert_int_equal(umm_decommit(proc, v1 + 30 * PG, PG), UMM_E_ACCESS);
    sc_consistent(sys);

    /* the data survives trimming and paging out */
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_ws_empty(other), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    uint64_t purged = 0;
    assert_int_equal(umm_standby_purge(sys, 7, &purged), UMM_OK);
    assert_true(purged > 0);
    for (size_t i = 4; i < 12; i++)
        assert_page_idx(v2, i, 3);
    sc_consistent(sys);

    /* a view mapped now sees the committed pages committed and the rest reserved */
    unsigned char *late = view_new(other, s, RW);
    assert_page_idx(late, 5, 3);
    assert_int_equal(tu_try_read(late + 25 * PG, NULL), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(umm_section_close(s), UMM_OK);
    unsigned char *views[] = {v1, part};
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(umm_release(proc, views[i]), UMM_OK);
    assert_int_equal(umm_release(other, v2), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + 13);
    assert_int_equal(umm_release(other, late), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* A reserved section's commit is charged against the commit limit when it happens: with the
 * room taken meanwhile by private commits, UMM_E_COMMIT_LIMIT and nothing committed in the view. */
static void test_sec_reserve_commit_limit(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc = sys_nw(&sys, 4 * MIB, 0, 1);
    umm_stats_t b = tu_stats(sys);
    size_t room = (size_t)(b.commit_limit - b.committed), pages = room / 2;
    umm_section_t *s = sec_ex(sys, pages * PG, RW, UMM_SEC_RESERVE, NULL); /* reserving is free */
    unsigned char *v = NULL;
    assert_int_equal(umm_section_map(proc, s, RW, (void **)&v), UMM_OK);
    void *priv = tu_alloc(proc, (room - pages + 8) * PG); /* leaves less than the section */
    assert_int_equal(umm_commit(proc, v, pages * PG, RW), UMM_E_COMMIT_LIMIT);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, v, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_RESERVED);
    assert_int_equal(q.size, pages * PG);
    assert_int_equal(tu_stats(sys).committed, b.committed + room - pages + 8);
    assert_int_equal(umm_commit(proc, v, 16 * PG, -1), UMM_OK); /* -1: the view's protection */
    assert_int_equal(umm_query(proc, v, &q), UMM_OK);
    assert_int_equal(q.prot, RW);
    v[0] = 1;
    sc_consistent(sys);
    assert_int_equal(umm_release(proc, priv), UMM_OK);
    assert_int_equal(umm_commit(proc, v, pages * PG, RW), UMM_OK); /* room again */
    assert_int_equal(v[0], 1);
    assert_int_equal(umm_release(proc, v), UMM_OK);
    assert_int_equal(umm_section_close(s), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

int main(int argc, char **argv) {
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_ex_args_and_query),
        cmocka_unit_test(test_views_checked_against_section_prot),
        cmocka_unit_test(test_named_open_from_another_process),
        cmocka_unit_test(test_sec_reserve_commit_through_view),
        cmocka_unit_test(test_sec_reserve_commit_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
