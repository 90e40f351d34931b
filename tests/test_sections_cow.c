/* SPDX-License-Identifier: MIT */
/* test_sections_cow.c - copy-on-write views (UMM_PROT_WRITECOPY: FILE_MAP_COPY, PAGE_WRITECOPY).
 *
 * Covered (data first): a copy-on-write view reads the section's bytes (and later writes through
 * other views, until it writes the page itself); its writes are seen by no other view, not by
 * the section, not by the file (read with plain pread); they survive trimming, writing out to the
 * paging file, purging Standby and reading back; umm_query reports unwritten pages as
 * UMM_PROT_WRITECOPY and written ones as READ|WRITE; the view is charged commit for its size when
 * mapped, and releasing it frees its copies, their paging-file slots and that charge; a read-only
 * view's write stays an access violation, a WRITECOPY view may be mapped from a read-only file;
 * umm_protect(UMM_PROT_WRITECOPY) makes pages of a read-write or read-only view copy-on-write
 * (charged when protected, the section keeps its bytes, the view's copy has the write, protecting
 * an unwritten page back uncharges it, a copy keeps its charge until the view is released);
 * bad protections are refused; umm_check passes after each step. */
#include "section_util.h"

#define COW UMM_PROT_WRITECOPY

static int query_prot(umm_process_t *p, const void *addr) {
    umm_region_info_t info;
    assert_int_equal(umm_query(p, addr, &info), UMM_OK);
    return info.prot;
}

/* Every page out of the working set, the Modified ones written out, Standby purged: the next
 * touch of any page reads it back (from the paging file, or a file section's file). */
static void page_everything_out(umm_system_t *sys, umm_process_t *p) {
    assert_int_equal(umm_ws_empty(p), UMM_OK);
    sc_consistent(sys);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    assert_int_equal(tu_stats(sys).modified, 0);
    sc_consistent(sys);
}

/* Pages [0, n) of view hold gens[i]. */
static void verify_gens(void *view, size_t n, const uint64_t *gens) {
    for (size_t i = 0; i < n; i++)
        assert_page_idx(view, i, gens[i]);
}

/* A paging-file section: the copy-on-write view shares until it writes, its writes stay its own
 * through trimming and paging, and releasing it gives back its frames, slots and commit. */
static void test_pagefile_section(void **state) {
    (void)state;
    enum { N = 32, W = 16 };
    umm_system_t *sys;
    umm_process_t *p = small_system(&sys);
    umm_stats_t base = tu_stats(sys);
    umm_section_t *sec = sec_new(sys, N * PG);
    unsigned char *a = view_new(p, sec, RW);
    fill_all(a, N, 1);
    uint64_t before_map = tu_stats(sys).committed;
    unsigned char *b = view_new(p, sec, COW);
    assert_int_equal(tu_stats(sys).committed, before_map + N); /* charged for its size now */
    umm_region_info_t info;
    assert_int_equal(umm_query(p, b, &info), UMM_OK);
    assert_int_equal(info.prot, COW);
    assert_int_equal(info.allocation_prot, COW);
    assert_int_equal(info.type, UMM_REGION_TYPE_MAPPED);
    assert_int_equal(info.size, N * PG);
    verify_all(b, N, 1); /* reads share the section's frames */
    assert_int_equal(tu_pstats(p).faults_copy_on_write, 0);
    sc_consistent(sys);

    uint64_t gens[N];
    for (size_t i = 0; i < N; i++)
        gens[i] = i < W ? 2 : 1;
    for (size_t i = 0; i < W; i++)
        fill_idx(b, i, 2);
    assert_int_equal(tu_pstats(p).faults_copy_on_write, W);
    verify_all(a, N, 1); /* the section never saw them */
    verify_gens(b, N, gens);
    assert_int_equal(query_prot(p, b), RW);
    assert_int_equal(query_prot(p, b + W * PG), COW);
    assert_int_equal(umm_query(p, b, &info), UMM_OK);
    assert_int_equal(info.size, W * PG); /* the run of written pages */
    sc_consistent(sys);

    /* the section changes: the view's unwritten pages follow it, its copies do not */
    fill_all(a, N, 3);
    for (size_t i = W; i < N; i++)
        gens[i] = 3;
    verify_gens(b, N, gens);
    sc_consistent(sys);

    /* trimmed, written out, purged: the copies come back from the paging file */
    page_everything_out(sys, p);
    assert_true(tu_stats(sys).pagefile_used >= W + N);
    umm_stats_t s0 = tu_stats(sys);
    verify_gens(b, N, gens);
    verify_all(a, N, 3);
    assert_true(tu_stats(sys).pages_input >= s0.pages_input + W + N);
    sc_consistent(sys);

    /* a copy written again is an ordinary private write: no second copy */
    fill_idx(b, 0, 4);
    gens[0] = 4;
    assert_int_equal(tu_pstats(p).faults_copy_on_write, W);
    page_everything_out(sys, p);
    verify_gens(b, N, gens);
    verify_all(a, N, 3);

    /* releasing the view frees its copies, their slots and its charge; the section is as it was */
    assert_int_equal(umm_release(p, b), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, before_map);
    sc_consistent(sys);
    verify_all(a, N, 3);
    assert_int_equal(umm_release(p, a), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_baseline(sys, &base);
    umm_system_destroy(sys);
}

/* Two processes: the writes of one's copy-on-write view are seen by no other view (its own
 * process's, the other process's, another copy-on-write view); a read-only view's write is an
 * access violation; the first touch of a copy-on-write page may be the write. */
static void test_views_do_not_see_copies(void **state) {
    (void)state;
    enum { N = 16 };
    umm_system_t *sys;
    umm_process_t *p = small_system(&sys);
    umm_process_t *q = proc_new(sys);
    umm_section_t *sec = sec_new(sys, N * PG);
    unsigned char *a = view_new(p, sec, RW);
    fill_all(a, N, 1);
    page_everything_out(sys, p); /* the section's pages are in the paging file */
    unsigned char *b = view_new(q, sec, COW);
    unsigned char *c = view_new(q, sec, COW);
    unsigned char *r = view_new(p, sec, UMM_PROT_READ);
    for (size_t i = 0; i < N; i++) /* written before ever read: a hard fault, then the copy */
        fill_idx(b, i, 2);
    verify_all(b, N, 2);
    verify_all(c, N, 1);
    verify_all(a, N, 1);
    verify_all(r, N, 1);
    assert_int_equal(tu_try_write(r + 3 * PG, 7), UMM_EXC_ACCESS_VIOLATION);
    verify_all(r, N, 1);
    fill_idx(c, 5, 3);
    assert_page_idx(c, 5, 3);
    assert_page_idx(b, 5, 2);
    assert_page_idx(a, 5, 1);
    assert_int_equal(tu_pstats(q).faults_copy_on_write, N + 1);
    sc_consistent(sys);
    /* protected read-only, a copy-on-write view refuses writes too */
    int old;
    assert_int_equal(umm_protect(q, c + 6 * PG, PG, UMM_PROT_READ, &old), UMM_OK);
    assert_int_equal(tu_try_write(c + 6 * PG, 7), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(query_prot(q, c + 6 * PG), UMM_PROT_READ);
    assert_page_idx(c, 6, 1);
    sc_consistent(sys);
    /* the process goes with its views: their copies and charge with it */
    umm_process_destroy(q);
    verify_all(a, N, 1);
    sc_consistent(sys);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    umm_system_destroy(sys);
}

/* A file the caller opened read-only: a copy-on-write view of its section may write, and the file
 * never changes (plain pread), not after trimming, paging out, or the section's end. A file
 * opened for writing: a write view's data reaches the file, a copy-on-write view's never does. */
static void test_file_section(void **state) {
    (void)state;
    enum { N = 32 };
    umm_system_t *sys;
    umm_process_t *p = small_system(&sys);
    test_file_t f;
    file_new(&f, N * PG, 7, O_RDONLY);
    umm_section_t *sec = fsec_new(sys, f.fd, 0, UMM_PROT_READ);
    void *no = NULL;
    assert_int_equal(umm_section_map(p, sec, RW, &no), UMM_E_ACCESS);
    unsigned char *b = view_new(p, sec, COW);
    assert_view_is_ref(b, &f);
    for (size_t i = 0; i < N; i += 2)
        fill_idx(b, i, 2);
    page_everything_out(sys, p);
    for (size_t i = 0; i < N; i++)
        if (i % 2 == 0)
            assert_page_idx(b, i, 2);
        else
            assert_memory_equal(at(b, i), f.ref + i * PG, PG);
    assert_int_equal(umm_view_flush(p, b, 0), UMM_OK);
    end_section_file_is_ref(p, b, sec, &f);
    sc_consistent(sys);
    file_free(&f);

    /* read-write: the write view's page 1 reaches the file, the copy's page 0 does not */
    file_new(&f, N * PG, 8, O_RDWR);
    sec = fsec_new(sys, f.fd, 0, RW);
    unsigned char *w = view_new(p, sec, RW), *c = view_new(p, sec, COW);
    fill_idx(c, 0, 3);
    fill_idx(w, 1, 4);
    assert_page_idx(c, 1, 4); /* unwritten: the section's page */
    assert_memory_equal(w, f.ref, PG);
    page_everything_out(sys, p);
    assert_page_idx(c, 0, 3);
    assert_memory_equal(w, f.ref, PG);
    assert_int_equal(umm_view_flush(p, c, 0), UMM_OK);
    assert_int_equal(umm_view_flush(p, w, 0), UMM_OK);
    for (size_t x = 0; x < PG / 8; x++)
        memcpy(f.ref + PG + x * 8, &(uint64_t){kv(1, x, 4)}, 8);
    assert_file_is_ref(&f);
    assert_int_equal(umm_release(p, c), UMM_OK);
    end_section_file_is_ref(p, w, sec, &f);
    sc_consistent(sys);
    umm_system_destroy(sys);
    file_free(&f);
}

/* umm_protect(WRITECOPY) on pages of ordinary views (VirtualProtect(PAGE_WRITECOPY)): each page
 * is charged when it becomes copy-on-write; a write copies it, the section and the other views
 * keep their bytes, the copy survives paging; protecting an unwritten page back uncharges it. */
static void test_protect_writecopy(void **state) {
    (void)state;
    enum { N = 16, C = 4 };
    umm_system_t *sys;
    umm_process_t *p = small_system(&sys);
    umm_stats_t base = tu_stats(sys);
    umm_section_t *sec = sec_new(sys, N * PG);
    unsigned char *a = view_new(p, sec, RW);
    unsigned char *r = view_new(p, sec, UMM_PROT_READ);
    fill_all(a, N, 1);
    uint64_t c0 = tu_stats(sys).committed;
    int old = -1;
    /* pages [0, C) of the read-write view: dirty and mapped writable until now */
    assert_int_equal(umm_protect(p, a, C * PG, COW, &old), UMM_OK);
    assert_int_equal(old, RW);
    assert_int_equal(tu_stats(sys).committed, c0 + C);
    assert_int_equal(query_prot(p, a), COW);
    assert_int_equal(query_prot(p, a + C * PG), RW);
    assert_int_equal(umm_protect(p, a, PG, COW, &old), UMM_OK); /* again: no second charge */
    assert_int_equal(old, COW);
    assert_int_equal(tu_stats(sys).committed, c0 + C);
    sc_consistent(sys);
    verify_all(a, N, 1); /* reads still share */
    assert_int_equal(tu_pstats(p).faults_copy_on_write, 0);
    for (size_t i = 0; i < N; i++)
        fill_idx(a, i, i < 2 ? 2 : 3); /* pages 0, 1 copy; 2, 3 copy; the rest write through */
    assert_int_equal(tu_pstats(p).faults_copy_on_write, C);
    assert_int_equal(query_prot(p, a), RW); /* a copy is an ordinary read-write page */
    uint64_t want_r[N], want_a[N];
    for (size_t i = 0; i < N; i++) {
        want_a[i] = i < 2 ? 2 : 3;
        want_r[i] = i < C ? 1 : 3; /* the section kept its bytes under the copies */
    }
    verify_gens(r, N, want_r);
    verify_gens(a, N, want_a);
    assert_int_equal(tu_stats(sys).committed, c0 + C); /* the copies hold the charge */
    sc_consistent(sys);
    page_everything_out(sys, p);
    verify_gens(r, N, want_r);
    verify_gens(a, N, want_a);
    sc_consistent(sys);

    /* the read-only view: WRITECOPY is allowed (a write is not), and protecting an unwritten
     * page back gives its charge back */
    assert_int_equal(umm_protect(p, r, 2 * PG, RW, NULL), UMM_E_INVAL);
    assert_int_equal(umm_protect(p, r, 2 * PG, COW, &old), UMM_OK);
    assert_int_equal(old, UMM_PROT_READ);
    assert_int_equal(tu_stats(sys).committed, c0 + C + 2);
    fill_idx(r, 0, 4);
    assert_page_idx(r, 0, 4);
    unsigned char *s3 = view_new(p, sec, UMM_PROT_READ); /* the section's pages, unchanged */
    verify_gens(s3, N, want_r);
    assert_int_equal(umm_release(p, s3), UMM_OK);
    assert_int_equal(umm_protect(p, r, 2 * PG, UMM_PROT_READ, NULL), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, c0 + C + 1); /* page 1 was never written */
    assert_page_idx(r, 0, 4);
    sc_consistent(sys);
    /* EXEC only on a view mapped with it; GUARD or READ with WRITECOPY: no */
    assert_int_equal(umm_protect(p, a, PG, COW | UMM_PROT_EXEC, NULL), UMM_E_INVAL);
    assert_int_equal(umm_protect(p, a, PG, COW | UMM_PROT_GUARD, NULL), UMM_E_INVAL);
    assert_int_equal(umm_protect(p, a, PG, COW | UMM_PROT_READ, NULL), UMM_E_INVAL);
    assert_int_equal(tu_stats(sys).committed, c0 + C + 1);
    /* releasing the views gives back every copy and every charge */
    assert_int_equal(umm_release(p, a), UMM_OK);
    assert_int_equal(umm_release(p, r), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    sc_consistent(sys);
    assert_baseline(sys, &base);
    umm_system_destroy(sys);
}

/* Bad protections are refused and change nothing; a copy-on-write view larger than the commit
 * limit can hold is refused when mapped, not when written. */
static void test_bad_input(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p = small_system(&sys);
    umm_stats_t base = tu_stats(sys);
    umm_section_t *sec = sec_new(sys, 16 * PG);
    void *v = NULL;
    assert_int_equal(umm_section_map(p, sec, COW | UMM_PROT_WRITE, &v), UMM_E_INVAL);
    assert_int_equal(umm_section_map(p, sec, COW | UMM_PROT_READ, &v), UMM_E_INVAL);
    assert_int_equal(umm_section_map(p, sec, COW | UMM_PROT_GUARD, &v), UMM_E_INVAL);
    assert_int_equal(umm_reserve(p, 64 * 1024, COW, &v), UMM_E_INVAL);
    void *priv = tu_alloc(p, PG);
    assert_int_equal(umm_commit(p, priv, PG, COW), UMM_E_INVAL);
    assert_int_equal(umm_protect(p, priv, PG, COW, NULL), UMM_E_INVAL);
    assert_int_equal(umm_release(p, priv), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_baseline(sys, &base);
    /* the limit: RAM + paging file; a section of most of it, then two copy-on-write views */
    umm_stats_t s = tu_stats(sys);
    size_t room = s.commit_limit - s.committed;
    sec = sec_new(sys, (room / 2) * PG);
    unsigned char *b = view_new(p, sec, COW);
    assert_int_equal(umm_section_map(p, sec, COW, &v), UMM_E_COMMIT_LIMIT);
    b[0] = 1;
    assert_int_equal(umm_release(p, b), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_baseline(sys, &base);
    umm_system_destroy(sys);
}

/* Copies written out to a second backing store (the legacy paging file too small for them all)
 * come back, and releasing the view frees their slots in whichever store holds them: the
 * stores' used slots fall back to the section's own, and the slot bookkeeping stays exact. */
static void test_copies_in_a_second_store(void **state) {
    (void)state;
    enum { N = 1536 }; /* 6 MiB: the section and its copies need more than the 4 MiB file */
    umm_store_config_t second = {.kind = UMM_STORE_PAGEFILE, .bytes = 16 * MIB};
    umm_config_t c = cfg_nw(4 * MIB, 4 * MIB, 16);
    c.stores = &second;
    c.nstores = 1;
    umm_system_t *sys;
    umm_process_t *p;
    tu_sys_new_cfg(&c, &sys, &p);
    tu_exc_install(sys);
    umm_section_t *sec = sec_new(sys, N * PG);
    unsigned char *a = view_new(p, sec, RW);
    fill_all(a, N, 1);
    unsigned char *b = view_new(p, sec, COW);
    fill_all(b, N, 2);
    page_everything_out(sys, p);
    assert_true(tu_stats(sys).pagefile_used >= 2 * N);
    verify_all(b, N, 2);
    verify_all(a, N, 1);
    page_everything_out(sys, p);
    uint64_t with_copies = tu_stats(sys).pagefile_used;
    assert_int_equal(umm_release(p, b), UMM_OK);
    assert_int_equal(tu_stats(sys).pagefile_used, with_copies - N);
    sc_consistent(sys);
    verify_all(a, N, 1);
    assert_int_equal(umm_release(p, a), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    sc_consistent(sys);
    umm_system_destroy(sys);
}

int main(int argc, char **argv) {
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pagefile_section),
        cmocka_unit_test(test_views_do_not_see_copies),
        cmocka_unit_test(test_file_section),
        cmocka_unit_test(test_protect_writecopy),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_copies_in_a_second_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
