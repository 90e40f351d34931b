/* SPDX-License-Identifier: MIT */
/* test_sections.c - sections (CreateFileMapping with INVALID_HANDLE_VALUE + MapViewOfFile,
 * implemented with prototype PTEs): creation and the API on views.
 *
 * Covered: argument checking and commit charge at creation (rounding, the commit limit with and
 * without a paging file, a growable paging file growing for a section's charge as for a private
 * commit, a section far past the limit refused without allocating in proportion), views (arguments,
 * query, protection, no second charge, the tail of the view's reservation not committable, no
 * upgrading a read-only view), decommit refused, protect and release on views.
 *
 * The other section suites: test_sections_sharing.c (what views see, and the section's life),
 * test_sections_paging.c (working sets and paging), test_sections_faults.c (guard pages, paging
 * I/O errors), test_threads_sections.c (two threads through two views). Helpers: section_util.h.
 * Systems are created inside each test body (cmocka swaps the SIGSEGV handler between tests). */
#include "section_util.h"

/* ============================================================================================
 * creation, charge, arguments
 * ========================================================================================== */

/* Bad arguments; bytes rounded up to pages; the charge is taken at creation and given back by a
 * close with no views, at once. */
static void test_create_args_and_charge(void **state) {
    (void)state;
    umm_system_t *sys;
    (void)sys_nw(&sys, 4 * MIB, 0, 1);
    umm_stats_t b = tu_stats(sys);
    umm_section_t *s = (umm_section_t *)(uintptr_t)0x1;

    assert_int_equal(umm_section_create(NULL, PG, &s), UMM_E_INVAL);
    assert_int_equal(umm_section_create(sys, PG, NULL), UMM_E_INVAL);
    s = NULL;
    assert_int_equal(umm_section_create(sys, 0, &s), UMM_E_RANGE);
    assert_null(s);
    int rc = umm_section_create(sys, SIZE_MAX, &s);
    assert_int_not_equal(rc, UMM_OK);
    assert_null(s);
    rc = umm_section_create(sys, SIZE_MAX - PG + 2, &s); /* rounding up overflows */
    assert_int_not_equal(rc, UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed);
    assert_int_equal(umm_section_close(NULL), UMM_E_INVAL);
    sc_consistent(sys);

    /* 1 byte: one page */
    umm_section_t *s1 = sec_new(sys, 1);
    assert_int_equal(tu_stats(sys).committed, b.committed + 1);
    sc_consistent(sys);
    /* one page and one byte: two pages */
    umm_section_t *s2 = sec_new(sys, PG + 1);
    assert_int_equal(tu_stats(sys).committed, b.committed + 3);
    /* exact pages */
    umm_section_t *s3 = sec_new(sys, 100 * PG);
    assert_int_equal(tu_stats(sys).committed, b.committed + 103);
    /* creation takes no frames (pages are demand-zero until touched) */
    umm_stats_t s_now = tu_stats(sys);
    assert_int_equal(s_now.active, b.active);
    assert_int_equal(s_now.available, b.available);
    assert_true(s_now.commit_peak >= b.committed + 103);
    sc_consistent(sys);

    /* close with no views: the charge comes back at once */
    assert_int_equal(umm_section_close(s2), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + 101);
    sc_consistent(sys);
    assert_int_equal(umm_section_close(s1), UMM_OK);
    assert_int_equal(umm_section_close(s3), UMM_OK);
    assert_baseline(sys, &b);

    umm_system_destroy(sys);
}

/* The commit limit: a section past it fails and changes nothing; one exactly at it succeeds and
 * then ordinary commits fail until it is closed. */
static void test_create_commit_limit(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc = sys_nw(&sys, 4 * MIB, 0, 1);
    umm_stats_t b = tu_stats(sys);
    assert_int_equal(b.commit_limit, 1024); /* no paging file: the RAM */
    uint64_t room = b.commit_limit - b.committed;

    umm_section_t *s = NULL;
    assert_int_equal(umm_section_create(sys, (room + 1) * PG, &s), UMM_E_COMMIT_LIMIT);
    assert_null(s);
    assert_int_equal(tu_stats(sys).committed, b.committed);
    assert_int_equal(umm_section_create(sys, 64 * MIB, &s), UMM_E_COMMIT_LIMIT);
    assert_int_equal(tu_stats(sys).committed, b.committed);
    sc_consistent(sys);

    /* 1000 pages, then 100 more pages fail: sections and private commits share the limit */
    umm_section_t *big = sec_new(sys, 1000 * PG);
    assert_int_equal(tu_stats(sys).committed, b.committed + 1000);
    char *r = tu_reserve(proc, 1 * MIB, RW);
    if (b.committed + 1000 + 100 > b.commit_limit) {
        assert_int_equal(umm_commit(proc, r, 100 * PG, RW), UMM_E_COMMIT_LIMIT);
        assert_int_equal(umm_section_create(sys, 100 * PG, &s), UMM_E_COMMIT_LIMIT);
    }
    assert_int_equal(tu_stats(sys).committed, b.committed + 1000);
    sc_consistent(sys);

    /* exactly up to the limit works */
    umm_section_t *rest = sec_new(sys, (room - 1000) * PG);
    assert_int_equal(tu_stats(sys).committed, b.commit_limit);
    assert_int_equal(umm_section_create(sys, PG, &s), UMM_E_COMMIT_LIMIT);
    assert_int_equal(umm_commit(proc, r, PG, RW), UMM_E_COMMIT_LIMIT);
    /* a view charges nothing, so it can be made at the limit and used */
    unsigned char *v = view_new(proc, rest, RW);
    assert_int_equal(tu_stats(sys).committed, b.commit_limit);
    v[0] = 0x5a;
    assert_int_equal(v[0], 0x5a);
    sc_consistent(sys);

    assert_int_equal(umm_section_close(big), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.commit_limit - 1000);
    assert_int_equal(umm_commit(proc, r, 100 * PG, RW), UMM_OK);
    assert_int_equal(umm_decommit(proc, r, 100 * PG), UMM_OK);
    assert_int_equal(umm_section_close(rest), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.commit_limit - 1000); /* the view holds it */
    assert_int_equal(umm_release(proc, v), UMM_OK);
    assert_int_equal(umm_release(proc, r), UMM_OK);
    assert_baseline(sys, &b);

    umm_system_destroy(sys);
}

/* With a paging file the limit is larger; a section past it still fails. */
static void test_create_commit_limit_pagefile(void **state) {
    (void)state;
    umm_system_t *sys;
    (void)sys_nw(&sys, 4 * MIB, 8 * MIB, 1);
    umm_stats_t b = tu_stats(sys);
    assert_true(b.commit_limit > b.total_frames);
    uint64_t room = b.commit_limit - b.committed;
    umm_section_t *s = NULL;
    assert_int_equal(umm_section_create(sys, (room + 1) * PG, &s), UMM_E_COMMIT_LIMIT);
    assert_int_equal(tu_stats(sys).committed, b.committed);
    s = sec_new(sys, room * PG);
    assert_int_equal(tu_stats(sys).committed, b.commit_limit);
    sc_consistent(sys);
    assert_int_equal(umm_section_close(s), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* A growable paging file (4 MiB RAM, 4 MiB file growable to 16 MiB: limit 1920 pages, at most
 * 4992), no workers, 16-page clusters: the system of the three growth tests below. */
static umm_process_t *growable_system(umm_system_t **sys) {
    umm_process_t *p;
    umm_config_t c = pu_config(4 * MIB, 4 * MIB, 16 * MIB, UMM_CFG_NO_WORKERS);
    c.cluster_pages = 16;
    tu_sys_new_cfg(&c, sys, &p);
    return p;
}

/* A section's charge should grow a growable paging file as a private commit does. Control:
 * umm_commit of 3000 pages succeeds by growing the file. */
static void test_create_commit_growth_control(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc = growable_system(&sys);
    umm_stats_t b = tu_stats(sys);
    assert_int_equal(b.commit_limit, 1920);
    assert_int_equal(b.pagefile_grows, 0);
    char *r = tu_reserve(proc, 16 * MIB, RW);
    assert_int_equal(umm_commit(proc, r, 3000 * PG, RW), UMM_OK);
    assert_true(tu_stats(sys).pagefile_grows >= 1);
    umm_system_destroy(sys);
}

/* As above: a section of 1800 pages (under the limit of 1920, past 90 % of it) grows the file as
 * an umm_commit of 1800 pages does (test_paging.c, test_commit_limit_pagefile_growth). */
static void test_create_commit_growth_90pct(void **state) {
    (void)state;
    umm_system_t *sys;
    (void)growable_system(&sys);
    umm_stats_t b = tu_stats(sys);
    umm_section_t *s1 = sec_new(sys, 1800 * PG);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.committed, b.committed + 1800);
    assert_true(s.pagefile_grows >= 1);
    assert_true(s.committed * 10 <= s.commit_limit * 9);
    sc_consistent(sys);
    assert_int_equal(umm_section_close(s1), UMM_OK);
    umm_system_destroy(sys);
}

/* As above: a section of 3000 pages (over the initial limit, under the maximum) succeeds, as an
 * umm_commit of 3000 pages does. */
static void test_create_commit_growth_over_initial(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc = growable_system(&sys);
    umm_stats_t b = tu_stats(sys), s;
    umm_section_t *s2 = NULL;
    int rc = umm_section_create(sys, 3000 * PG, &s2);
    if (rc != UMM_OK)
        fail_msg("umm_section_create(3000 pages) = %s with limit %" PRIu64 " growable to %" PRIu64
                 " (a private commit of the same size succeeds)", umm_error_name(rc),
                 tu_stats(sys).commit_limit, (uint64_t)(1024 + 4096 - 128));
    s = tu_stats(sys);
    assert_int_equal(s.committed, b.committed + 3000);
    assert_true(s.committed <= s.commit_limit);
    unsigned char *v = view_new(proc, s2, RW);
    for (size_t i = 0; i < 3000; i++)
        mark_idx(v, i, 1);
    for (size_t i = 0; i < 3000; i++)
        if (!check_mark_idx(v, i, 1))
            fail_msg("page %zu wrong", i);
    sc_consistent(sys);
    assert_int_equal(umm_section_close(s2), UMM_OK);
    assert_int_equal(umm_release(proc, v), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.committed, b.committed);
    assert_int_equal(s.pagefile_used, 0);
    sc_consistent(sys);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * views: arguments, query, charge
 * ========================================================================================== */

static void test_map_args_and_query(void **state) {
    (void)state;
    umm_system_t *sys, *sys2;
    umm_process_t *proc, *other;
    umm_config_t c = cfg_nw(4 * MIB, 0, 1);
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_sys_new_cfg(&c, &sys2, &other);
    umm_stats_t b = tu_stats(sys);
    const size_t npages = 5;
    umm_section_t *sec = sec_new(sys, npages * PG - 100); /* 5 pages */
    assert_int_equal(tu_stats(sys).committed, b.committed + npages);

    void *v = (void *)(uintptr_t)0x1;
    assert_int_equal(umm_section_map(NULL, sec, RW, &v), UMM_E_INVAL);
    assert_int_equal(umm_section_map(proc, NULL, RW, &v), UMM_E_INVAL);
    assert_int_equal(umm_section_map(proc, sec, RW, NULL), UMM_E_INVAL);
    const int bad_prots[] = {UMM_PROT_NONE, UMM_PROT_WRITE, UMM_PROT_GUARD,
                             UMM_PROT_READ | UMM_PROT_GUARD, RW | UMM_PROT_GUARD, 0x4, 0x10, -1};
    for (size_t i = 0; i < sizeof bad_prots / sizeof bad_prots[0]; i++) {
        v = NULL;
        int rc = umm_section_map(proc, sec, bad_prots[i], &v);
        if (rc != UMM_E_INVAL)
            fail_msg("umm_section_map prot 0x%x: %s, want UMM_E_INVAL", bad_prots[i],
                     umm_error_name(rc));
        assert_null(v);
    }
    /* a process of another system */
    v = NULL;
    assert_int_equal(umm_section_map(other, sec, RW, &v), UMM_E_INVAL);
    assert_null(v);
    assert_int_equal(tu_pstats(proc).reservations, 0);
    assert_int_equal(tu_pstats(other).reservations, 0);
    sc_consistent(sys);
    sc_consistent(sys2);

    unsigned char *rw = view_new(proc, sec, RW);
    unsigned char *ro = view_new(proc, sec, UMM_PROT_READ);
    assert_ptr_not_equal(rw, ro);
    assert_int_equal((uintptr_t)rw % PG, 0);
    assert_int_equal((uintptr_t)ro % PG, 0);
    /* views charge nothing and take no frames until touched */
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.committed, b.committed + npages);
    assert_int_equal(s.active, b.active);
    assert_int_equal(tu_pstats(proc).reservations, 2);
    sc_consistent(sys);

    umm_region_info_t q;
    assert_int_equal(umm_query(proc, rw, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_COMMITTED);
    assert_ptr_equal(q.base, rw);
    assert_ptr_equal(q.allocation_base, rw);
    assert_true(q.allocation_size >= npages * PG);
    assert_true(q.size >= npages * PG);
    assert_int_equal(q.prot, RW);
    assert_int_equal(q.resident_pages, 0);
    size_t rw_alloc = q.allocation_size;
    assert_int_equal(umm_query(proc, rw + 3 * PG + 17, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_COMMITTED);
    assert_ptr_equal(q.base, rw + 3 * PG);
    assert_ptr_equal(q.allocation_base, rw);
    assert_int_equal(umm_query(proc, ro, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_COMMITTED);
    assert_ptr_equal(q.allocation_base, ro);
    assert_true(q.allocation_size >= npages * PG);
    assert_int_equal(q.prot, UMM_PROT_READ);
    /* the views do not overlap */
    assert_true(ro >= rw + rw_alloc || rw >= ro + q.allocation_size);

    /* touching pages: resident in the query */
    tu_exc_install(sys);
    rw[0] = 1;
    rw[2 * PG] = 2;
    assert_int_equal(umm_query(proc, rw, &q), UMM_OK);
    assert_int_equal(q.resident_pages, c.cluster_pages == 1 ? 2 : q.resident_pages);
    assert_int_equal(ro[0], 1);
    assert_int_equal(ro[2 * PG], 2);

    /* past the section's last page, inside the view's reservation: not accessible */
    if (rw_alloc > npages * PG) {
        assert_int_equal(umm_query(proc, rw + npages * PG, &q), UMM_OK);
        assert_int_not_equal(q.state, UMM_REGION_COMMITTED);
        assert_int_equal(tu_try_read(rw + npages * PG, NULL), UMM_EXC_ACCESS_VIOLATION);
        assert_int_equal(tu_try_write(rw + npages * PG, 1), UMM_EXC_ACCESS_VIOLATION);
    }
    sc_consistent(sys);

    assert_int_equal(umm_release(proc, ro), UMM_OK);
    assert_int_equal(umm_release(proc, rw), UMM_OK);
    assert_int_equal(umm_query(proc, rw, &q), UMM_E_NOT_RESERVED);
    assert_int_equal(q.state, UMM_REGION_FREE);
    assert_int_equal(tu_pstats(proc).reservations, 0);
    assert_int_equal(tu_stats(sys).committed, b.committed + npages); /* still open */
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys2);
    umm_system_destroy(sys);
}

/* The tail of a view's reservation (past the section's last page, up to 64 KiB) cannot be
 * committed as private memory (Windows: VirtualAlloc(MEM_COMMIT) inside a mapped view fails).
 * If it could, the view would hold pages that are not the section's. */
static void test_view_tail_not_committable(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc = sys_nw(&sys, 4 * MIB, 0, 1);
    umm_stats_t b = tu_stats(sys);
    const size_t npages = 5;
    umm_section_t *sec = sec_new(sys, npages * PG);
    unsigned char *v = view_new(proc, sec, RW);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, v, &q), UMM_OK);
    assert_true(q.allocation_size > npages * PG); /* 64 KiB granularity */
    int rc = umm_commit(proc, v + npages * PG, PG, RW);
    if (rc == UMM_OK)
        fail_msg("umm_commit of a page past the section inside its view succeeded (committed %"
                 PRIu64 " -> %" PRIu64 ", umm_check %s)", b.committed + npages,
                 tu_stats(sys).committed, umm_error_name(umm_check(sys)));
    assert_int_equal(tu_stats(sys).committed, b.committed + npages);
    sc_consistent(sys);
    assert_int_equal(umm_release(proc, v), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* A view mapped read-only cannot be made writable with umm_protect (Windows: VirtualProtect to
 * PAGE_READWRITE on a FILE_MAP_READ view fails); lowering it (NONE) is allowed. */
static void test_readonly_view_cannot_be_upgraded(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc = sys_nw(&sys, 4 * MIB, 0, 1);
    tu_exc_install(sys);
    umm_stats_t b = tu_stats(sys);
    umm_section_t *sec = sec_new(sys, 4 * PG);
    unsigned char *rw = view_new(proc, sec, RW);
    unsigned char *ro = view_new(proc, sec, UMM_PROT_READ);
    rw[8] = 3;
    int rc = umm_protect(proc, ro, PG, RW, NULL);
    int crc = umm_commit(proc, ro, PG, RW); /* Windows refuses both: ERROR_INVALID_PARAMETER */
    int wrc = tu_try_write(ro + 8, 7);
    if (rc == UMM_OK)
        fail_msg("umm_protect(read-only view, READ|WRITE) = UMM_OK; a write through it then %s "
                 "(byte now %d)", wrc == 0 ? "succeeded" : "faulted", rw[8]);
    assert_int_equal(rc, UMM_E_INVAL);
    assert_int_equal(crc, UMM_E_INVAL);
    assert_int_equal(wrc, UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(rw[8], 3);
    assert_int_equal(umm_commit(proc, ro, PG, UMM_PROT_READ), UMM_OK);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, ro, &q), UMM_OK);
    assert_int_equal(q.prot, UMM_PROT_READ);
    sc_consistent(sys);
    assert_int_equal(umm_release(proc, ro), UMM_OK);
    assert_int_equal(umm_release(proc, rw), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * decommit, protect, release on views
 * ========================================================================================== */

static void test_view_decommit_protect_release(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1 = sys_nw(&sys, 4 * MIB, 0, 1);
    umm_process_t *p2 = proc_new(sys);
    tu_exc_install(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 16;
    unsigned char *a, *bv;
    umm_section_t *sec = sec_two_views(sys, n, p1, &a, p1, &bv);
    unsigned char *ro = view_new(p2, sec, UMM_PROT_READ);
    fill_all(a, n, 1);

    /* decommit: refused on any part of a view, nothing changes */
    assert_int_equal(umm_decommit(p1, a, n * PG), UMM_E_ACCESS);
    assert_int_equal(umm_decommit(p1, a + 3 * PG, PG), UMM_E_ACCESS);
    assert_int_equal(umm_decommit(p2, ro, PG), UMM_E_ACCESS);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    umm_region_info_t q;
    assert_int_equal(umm_query(p1, a + 3 * PG, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_COMMITTED);
    verify_all(a, n, 1);
    verify_all(bv, n, 1);
    sc_consistent(sys);

    /* the read-only view reads and cannot write */
    verify_all(ro, n, 1);
    assert_int_equal(tu_try_write(ro + 5 * PG + 8, 0x77), UMM_EXC_ACCESS_VIOLATION);
    assert_ptr_equal(tu_exc.last.address, ro + 5 * PG + 8);
    assert_int_equal(tu_exc.last.is_write, 1);
    assert_ptr_equal(tu_exc.last.process, p2);
    assert_page_idx(a, 5, 1);
    sc_consistent(sys);

    /* protect one page of view a read-only: writing it is an access violation, view b still
     * writes and a reads what b wrote */
    int old = -1;
    assert_int_equal(umm_protect(p1, a + 2 * PG, PG, UMM_PROT_READ, &old), UMM_OK);
    assert_int_equal(old, RW);
    assert_int_equal(umm_query(p1, a + 2 * PG, &q), UMM_OK);
    assert_int_equal(q.prot, UMM_PROT_READ);
    assert_int_equal(q.size, PG);
    assert_int_equal(umm_query(p1, bv + 2 * PG, &q), UMM_OK);
    assert_int_equal(q.prot, RW);
    int avs = tu_exc.count_av;
    assert_int_equal(tu_try_write(a + 2 * PG + 16, 0x33), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(tu_exc.count_av, avs + 1);
    assert_ptr_equal(tu_exc.last.address, a + 2 * PG + 16);
    assert_int_equal(tu_exc.last.is_write, 1);
    assert_ptr_equal(tu_exc.last.process, p1);
    assert_page_idx(a, 2, 1);
    assert_page_idx(bv, 2, 1);
    assert_int_equal(tu_try_write(bv + 2 * PG + 16, 0x33), 0);
    assert_int_equal(a[2 * PG + 16], 0x33);
    assert_int_equal(ro[2 * PG + 16], 0x33);
    /* the neighbours of the protected page are still writable */
    assert_int_equal(tu_try_write(a + 1 * PG, 0x44), 0);
    assert_int_equal(tu_try_write(a + 3 * PG, 0x45), 0);
    assert_int_equal(bv[1 * PG], 0x44);
    assert_int_equal(bv[3 * PG], 0x45);
    sc_consistent(sys);
    /* the protection survives a trim */
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(tu_try_write(a + 2 * PG + 24, 0x35), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(a[2 * PG + 16], 0x33);
    sc_consistent(sys);

    /* the whole view read-only, then back to read-write */
    assert_int_equal(umm_protect(p1, a, n * PG, UMM_PROT_READ, NULL), UMM_OK);
    for (size_t i = 0; i < n; i += 5)
        assert_int_equal(tu_try_write(a + i * PG + 40, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(tu_try_write(bv + 9 * PG + 40, 0x99), 0);
    assert_int_equal(a[9 * PG + 40], 0x99);
    assert_int_equal(umm_protect(p1, a, n * PG, RW, &old), UMM_OK);
    assert_int_equal(old, UMM_PROT_READ);
    assert_int_equal(tu_try_write(a + 2 * PG + 16, 0x66), 0);
    assert_int_equal(bv[2 * PG + 16], 0x66);
    assert_int_equal(ro[2 * PG + 16], 0x66);
    sc_consistent(sys);

    /* release: not the base, or by the wrong process: refused, nothing changes */
    assert_int_not_equal(umm_release(p1, a + PG), UMM_OK);
    assert_int_not_equal(umm_release(p2, a), UMM_OK);
    assert_int_equal(umm_query(p1, a, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_COMMITTED);
    assert_int_equal(a[2 * PG + 16], 0x66);
    sc_consistent(sys);

    /* release a: b and the read-only view keep the data; a's address is free */
    assert_int_equal(umm_release(p1, a), UMM_OK);
    assert_int_equal(umm_query(p1, a, &q), UMM_E_NOT_RESERVED);
    assert_int_equal(q.state, UMM_REGION_FREE);
    assert_int_equal(bv[2 * PG + 16], 0x66);
    assert_int_equal(ro[2 * PG + 16], 0x66);
    assert_page_idx(bv, 7, 1);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    assert_int_not_equal(umm_release(p1, a), UMM_OK); /* already released */
    sc_consistent(sys);

    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_release(p1, bv), UMM_OK);
    assert_int_equal(ro[2 * PG + 16], 0x66);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    assert_int_equal(umm_release(p2, ro), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* A section far past the commit limit (16 TiB, 2^32 pages, under the 2^46-byte cap that gives
 * UMM_E_RANGE) is refused with UMM_E_COMMIT_LIMIT, like any charge past the limit, and without
 * first allocating host memory in proportion to its size. Last in the list: an ASan build aborts
 * on a 32 GiB calloc unless allocator_may_return_null (set below for this executable). */
static void test_create_huge_commit_limit(void **state) {
    (void)state;
    umm_system_t *sys;
    (void)sys_nw(&sys, 4 * MIB, 0, 1);
    umm_stats_t b = tu_stats(sys);
    const size_t sizes[] = {(size_t)1 << 36, (size_t)1 << 40, (size_t)1 << 44, (size_t)1 << 46};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        umm_section_t *s = NULL;
        int rc = umm_section_create(sys, sizes[i], &s);
        if (rc != UMM_E_COMMIT_LIMIT)
            fail_msg("umm_section_create(%zu GiB) = %s, want UMM_E_COMMIT_LIMIT (limit %" PRIu64
                     " pages)", sizes[i] >> 30, umm_error_name(rc), b.commit_limit);
        assert_null(s);
        assert_int_equal(tu_stats(sys).committed, b.committed);
    }
    sc_consistent(sys);
    umm_system_destroy(sys);
}

/* ASan: let a huge calloc return NULL (the library's answer is then checked) instead of aborting
 * the whole executable. Unused without ASan. */
const char *__asan_default_options(void);
__attribute__((used, visibility("default"))) const char *__asan_default_options(void) {
    return "allocator_may_return_null=1";
}

int main(int argc, char **argv) {
    if (argc > 1) /* run only the tests matching a pattern: ./test_sections 'test_*' */
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_args_and_charge),
        cmocka_unit_test(test_create_commit_limit),
        cmocka_unit_test(test_create_commit_limit_pagefile),
        cmocka_unit_test(test_create_commit_growth_control),
        cmocka_unit_test(test_create_commit_growth_90pct),
        cmocka_unit_test(test_create_commit_growth_over_initial),
        cmocka_unit_test(test_map_args_and_query),
        cmocka_unit_test(test_view_tail_not_committable),
        cmocka_unit_test(test_readonly_view_cannot_be_upgraded),
        cmocka_unit_test(test_view_decommit_protect_release),
        cmocka_unit_test(test_create_huge_commit_limit), /* last: see there */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
