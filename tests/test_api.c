/* SPDX-License-Identifier: MIT */
/* test_api.c - argument validation and the virtual-memory calls of the public API:
 * config validation, reserve/commit/decommit/release/protect/query error codes and effects,
 * commit charge accounting and limit, umm_strerror/umm_error_name, and "bad input leaves the
 * system usable". Every system is created inside the test body (cmocka swaps SIGSEGV handlers). */
#include "test_util.h"

#define PG ((size_t)4096)

/* After a bad call: a normal reserve + commit + touch + check still works. */
static void assert_usable(umm_system_t *sys, umm_process_t *proc) {
    void *p = NULL;
    assert_int_equal(umm_reserve(proc, PG, TU_RW, &p), UMM_OK);
    assert_int_equal(umm_commit(proc, p, PG, TU_RW), UMM_OK);
    volatile unsigned char *c = p;
    c[0] = 0x5A;
    c[PG - 1] = 0xA5;
    assert_int_equal(c[0], 0x5A);
    assert_int_equal(c[PG - 1], 0xA5);
    tu_assert_consistent(sys);
    assert_int_equal(umm_release(proc, p), UMM_OK);
    tu_assert_consistent(sys);
}

/* umm_system_create rejects NULL arguments and every malformed config field with UMM_E_INVAL,
 * and accepts the boundary values (cluster 64, vma_budget 64, page_size 2x and 64 KiB). */
static void test_config_validation(void **state) {
    (void)state;
    umm_system_t *sys = NULL;
    umm_config_t c = UMM_CONFIG_INIT;
    c.ram_bytes = 8 * TU_MIB;

    assert_int_equal(umm_system_create(NULL, &sys), UMM_E_INVAL);
    assert_int_equal(umm_system_create(&c, NULL), UMM_E_INVAL);

    umm_config_t b = c;
    b.ram_bytes = 0;
    assert_int_equal(umm_system_create(&b, &sys), UMM_E_INVAL);
    b = c;
    b.ram_bytes = 8 * TU_MIB + 100;
    assert_int_equal(umm_system_create(&b, &sys), UMM_E_INVAL);
    b = c;
    b.page_size = 8192;
    b.ram_bytes = 8 * TU_MIB + 4096; /* multiple of the OS page, not of page_size */
    assert_int_equal(umm_system_create(&b, &sys), UMM_E_INVAL);

    size_t bad_pages[] = {0, 1, 1000, 2048, 4096 * 3, 4096 + 1, (size_t)128 << 10, (size_t)1 << 20};
    for (size_t i = 0; i < sizeof bad_pages / sizeof bad_pages[0]; i++) {
        b = c;
        b.page_size = bad_pages[i];
        int rc = umm_system_create(&b, &sys);
        if (rc != UMM_E_INVAL)
            fail_msg("page_size %zu: got %d, want UMM_E_INVAL", bad_pages[i], rc);
    }
    b = c;
    b.cluster_pages = 0;
    assert_int_equal(umm_system_create(&b, &sys), UMM_E_INVAL);
    b = c;
    b.cluster_pages = 65;
    assert_int_equal(umm_system_create(&b, &sys), UMM_E_INVAL);
    b = c;
    b.vma_budget = 63;
    assert_int_equal(umm_system_create(&b, &sys), UMM_E_INVAL);
    b = c;
    b.vma_budget = 0;
    assert_int_equal(umm_system_create(&b, &sys), UMM_E_INVAL);

    /* boundary values that are valid */
    b = c;
    b.cluster_pages = 64;
    b.vma_budget = 64;
    sys = NULL;
    assert_int_equal(umm_system_create(&b, &sys), UMM_OK);
    assert_non_null(sys);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.vma_budget, 64);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);

    size_t good_pages[] = {tu_os_page(), 2 * tu_os_page(), (size_t)64 << 10};
    for (size_t i = 0; i < sizeof good_pages / sizeof good_pages[0]; i++) {
        b = c;
        b.page_size = good_pages[i];
        sys = NULL;
        int rc = umm_system_create(&b, &sys);
        if (rc != UMM_OK)
            fail_msg("page_size %zu: got %d (%s), want UMM_OK", good_pages[i], rc, umm_error_name(rc));
        s = tu_stats(sys);
        assert_int_equal(s.page_size, good_pages[i]);
        assert_int_equal(s.total_frames, 8 * TU_MIB / good_pages[i]);
        tu_assert_consistent(sys);
        umm_system_destroy(sys);
    }
}

/* umm_reserve: rounding to 64 KiB, 64 KiB alignment, no commit charge, and its error codes. */
static void test_reserve(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    void *p = NULL;

    assert_int_equal(umm_reserve(NULL, TU_GRAN, TU_RW, &p), UMM_E_INVAL);
    assert_int_equal(umm_reserve(proc, TU_GRAN, TU_RW, NULL), UMM_E_INVAL);
    assert_int_equal(umm_reserve(proc, 0, TU_RW, &p), UMM_E_RANGE);
    assert_int_equal(umm_reserve(proc, SIZE_MAX, TU_RW, &p), UMM_E_RANGE);
    assert_int_equal(umm_reserve(proc, SIZE_MAX - 1000, TU_RW, &p), UMM_E_RANGE);
    assert_int_equal(umm_reserve(proc, SIZE_MAX - TU_GRAN + 2, TU_RW, &p), UMM_E_RANGE);
    assert_int_equal(umm_reserve(proc, TU_GRAN, 0x100, &p), UMM_E_INVAL);
    assert_int_equal(umm_reserve(proc, TU_GRAN, 0x40 | UMM_PROT_READ, &p), UMM_E_INVAL);
    assert_int_equal(umm_reserve(proc, TU_GRAN, UMM_PROT_NOCACHE, &p), UMM_E_INVAL); /* no access */
    assert_int_equal(tu_pstats(proc).reservations, 0);
    tu_assert_consistent(sys);

    umm_stats_t s0 = tu_stats(sys);
    void *a = tu_reserve(proc, 1, TU_RW);
    void *b = tu_reserve(proc, TU_GRAN + 1, UMM_PROT_READ);
    void *c = tu_reserve(proc, 16 * TU_MIB, TU_RW); /* twice the RAM: reserving is free */
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.committed, s0.committed);
    assert_int_equal(s1.active, s0.active);
    assert_int_equal(tu_pstats(proc).reservations, 3);
    assert_int_equal(tu_pstats(proc).committed, 0);

    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, a, &qi), UMM_OK);
    assert_ptr_equal(qi.allocation_base, a);
    assert_int_equal(qi.allocation_size, TU_GRAN);
    assert_int_equal(qi.allocation_prot, TU_RW);
    assert_int_equal(qi.state, UMM_REGION_RESERVED);
    assert_int_equal(umm_query(proc, b, &qi), UMM_OK);
    assert_int_equal(qi.allocation_size, 2 * TU_GRAN);
    assert_int_equal(qi.allocation_prot, UMM_PROT_READ);
    assert_int_equal(umm_query(proc, (char *)c + 16 * TU_MIB - 1, &qi), UMM_OK);
    assert_ptr_equal(qi.allocation_base, c);
    assert_int_equal(qi.allocation_size, 16 * TU_MIB);
    assert_int_equal(qi.state, UMM_REGION_RESERVED);

    /* reservations do not overlap */
    uintptr_t ua = (uintptr_t)a, ub = (uintptr_t)b, uc = (uintptr_t)c;
    assert_true(ua + TU_GRAN <= ub || ub + 2 * TU_GRAN <= ua);
    assert_true(ua + TU_GRAN <= uc || uc + 16 * TU_MIB <= ua);
    assert_true(ub + 2 * TU_GRAN <= uc || uc + 16 * TU_MIB <= ub);

    assert_int_equal(umm_release(proc, a), UMM_OK);
    assert_int_equal(umm_release(proc, b), UMM_OK);
    assert_int_equal(umm_release(proc, c), UMM_OK);
    assert_int_equal(tu_pstats(proc).reservations, 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* umm_commit: error codes (INVAL, ALIGN, RANGE, NOT_RESERVED), page rounding, charging only
 * new pages, keeping contents and protection of already committed pages, prot -1. */
static void test_commit(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc, *other;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    assert_int_equal(umm_process_create(sys, &other), UMM_OK);
    tu_exc_install(sys);

    char *r = tu_reserve(proc, 4 * TU_GRAN, TU_RW);
    size_t rsz = 4 * TU_GRAN;

    assert_int_equal(umm_commit(NULL, r, PG, TU_RW), UMM_E_INVAL);
    assert_int_equal(umm_commit(proc, r, PG, 0x100), UMM_E_INVAL);
    assert_int_equal(umm_commit(proc, r + 1, PG, TU_RW), UMM_E_ALIGN);
    assert_int_equal(umm_commit(proc, r + PG + 8, PG, TU_RW), UMM_E_ALIGN);
    assert_int_equal(umm_commit(proc, r, 0, TU_RW), UMM_E_RANGE);
    assert_int_equal(umm_commit(proc, r + rsz - PG, 2 * PG, TU_RW), UMM_E_RANGE);
    assert_int_equal(umm_commit(proc, r, rsz + 1, TU_RW), UMM_E_RANGE);
    assert_int_equal(umm_commit(proc, r, SIZE_MAX, TU_RW), UMM_E_RANGE);
    assert_int_equal(umm_commit(proc, r + PG, SIZE_MAX - PG / 2, TU_RW), UMM_E_RANGE);
    void *heap = aligned_alloc(PG, 4 * PG);
    assert_non_null(heap);
    assert_int_equal(umm_commit(proc, heap, PG, TU_RW), UMM_E_NOT_RESERVED);
    char *theirs = tu_reserve(other, TU_GRAN, TU_RW);
    assert_int_equal(umm_commit(proc, theirs, PG, TU_RW), UMM_E_NOT_RESERVED);
    char *gone = tu_reserve(proc, TU_GRAN, TU_RW);
    assert_int_equal(umm_release(proc, gone), UMM_OK);
    assert_int_equal(umm_commit(proc, gone, PG, TU_RW), UMM_E_NOT_RESERVED);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.committed, 0);
    tu_assert_consistent(sys);

    /* rounding: 1 byte -> 1 page, PG+1 bytes -> 2 pages */
    assert_int_equal(umm_commit(proc, r, 1, TU_RW), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 1);
    assert_int_equal(umm_commit(proc, r + 4 * PG, PG + 1, TU_RW), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 3);
    assert_int_equal(tu_pstats(proc).committed, 3);
    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, r + 5 * PG, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_COMMITTED);
    assert_int_equal(umm_query(proc, r + 6 * PG, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_RESERVED);

    /* recommit keeps contents; only new pages are charged; prot -1 keeps the protection of
     * committed pages, an explicit one sets it (Windows' VirtualAlloc(MEM_COMMIT)) */
    r[0] = 42;
    r[4 * PG + 7] = 43;
    int old = -1;
    assert_int_equal(umm_protect(proc, r + 4 * PG, PG, UMM_PROT_READ, &old), UMM_OK);
    assert_int_equal(old, TU_RW);
    assert_int_equal(umm_commit(proc, r, 8 * PG, -1), UMM_OK); /* pages 0..7: 5 new */
    assert_int_equal(tu_stats(sys).committed, 8);
    assert_int_equal(r[0], 42);
    assert_int_equal(r[4 * PG + 7], 43);
    assert_int_equal(umm_query(proc, r + 4 * PG, &qi), UMM_OK);
    assert_int_equal(qi.prot, UMM_PROT_READ);
    assert_int_equal(tu_try_write(r + 4 * PG, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(r[4 * PG + 7], 43);
    assert_int_equal(umm_commit(proc, r, 8 * PG, TU_RW), UMM_OK); /* nothing new */
    assert_int_equal(umm_query(proc, r + 4 * PG, &qi), UMM_OK);
    assert_int_equal(qi.prot, TU_RW);
    assert_int_equal(qi.size, 4 * PG); /* one run to the end: pages 4..7 all read-write now */
    assert_int_equal(tu_try_write(r + 4 * PG, 1), 0);
    assert_int_equal(r[4 * PG + 7], 43);
    assert_int_equal(umm_commit(proc, r, PG, UMM_PROT_READ), UMM_OK); /* lowers a valid page */
    assert_int_equal(tu_try_write(r, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(r[0], 42);
    assert_int_equal(umm_commit(proc, r, PG, TU_RW), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 8);
    tu_assert_consistent(sys);

    /* prot -1: the reservation's protection */
    char *ro = tu_reserve(proc, TU_GRAN, UMM_PROT_READ);
    assert_int_equal(umm_commit(proc, ro, 2 * PG, -1), UMM_OK);
    assert_int_equal(umm_query(proc, ro, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_COMMITTED);
    assert_int_equal(qi.prot, UMM_PROT_READ);
    assert_int_equal(qi.size, 2 * PG);
    unsigned char v = 0xFF;
    assert_int_equal(tu_try_read(ro + PG, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(tu_try_write(ro + PG, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(tu_stats(sys).committed, 10);

    tu_assert_consistent(sys);
    assert_usable(sys, proc);
    free(heap);
    umm_system_destroy(sys);
}

/* Commit limit = RAM with no paging file: exceeding it fails with UMM_E_COMMIT_LIMIT, charges
 * nothing and commits nothing (the page is still an access violation); recommitting already
 * committed pages at the limit succeeds; freeing charge lets the commit through. */
static void test_commit_limit(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(4 * TU_MIB, 16, &sys, &proc);
    tu_exc_install(sys);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.commit_limit, s.total_frames);
    assert_int_equal(s.total_frames, 1024);

    char *r = tu_reserve(proc, 8 * TU_MIB, TU_RW);
    assert_int_equal(umm_commit(proc, r, 8 * TU_MIB, TU_RW), UMM_E_COMMIT_LIMIT);
    assert_int_equal(tu_stats(sys).committed, 0);
    assert_int_equal(umm_commit(proc, r, 4 * TU_MIB - PG, TU_RW), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 1023);
    /* two pages: one already committed, one new -> 1024, fits */
    assert_int_equal(umm_commit(proc, r + 4 * TU_MIB - 2 * PG, 2 * PG, TU_RW), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 1024);
    /* one new page over the limit (mixed with committed ones) */
    assert_int_equal(umm_commit(proc, r + 4 * TU_MIB - 4 * PG, 5 * PG, TU_RW), UMM_E_COMMIT_LIMIT);
    assert_int_equal(umm_commit(proc, r + 4 * TU_MIB, PG, TU_RW), UMM_E_COMMIT_LIMIT);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 1024);
    assert_int_equal(s.commit_peak, 1024);
    assert_int_equal(tu_pstats(proc).committed, 1024);
    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, r + 4 * TU_MIB, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_RESERVED);
    assert_int_equal(tu_try_write(r + 4 * TU_MIB, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_ptr_equal(tu_exc.last.address, r + 4 * TU_MIB);
    /* recommitting committed pages at the limit is fine */
    assert_int_equal(umm_commit(proc, r, 4 * TU_MIB, TU_RW), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 1024);
    /* touch every committed page: the whole RAM is usable */
    for (size_t i = 0; i < 1024; i++)
        r[i * PG] = (char)(i | 1);
    for (size_t i = 0; i < 1024; i++)
        assert_int_equal(r[i * PG], (char)(i | 1));
    tu_assert_consistent(sys);
    /* free some charge, then the commit beyond goes through */
    assert_int_equal(umm_decommit(proc, r, 2 * PG), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 1022);
    assert_int_equal(umm_commit(proc, r + 4 * TU_MIB, 2 * PG, TU_RW), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 1024);
    assert_int_equal(tu_try_write(r + 4 * TU_MIB, 7), 0);
    assert_int_equal(r[4 * TU_MIB], 7);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* umm_decommit: validation like commit, frees frames and charge, contents are gone (zero after
 * recommit), decommitted pages are access violations, decommitting reserved pages is OK. */
static void test_decommit(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc, *other;
    tu_sys_new(8 * TU_MIB, 1, &sys, &proc);
    assert_int_equal(umm_process_create(sys, &other), UMM_OK);
    tu_exc_install(sys);
    char *r = tu_reserve(proc, 2 * TU_GRAN, TU_RW);

    assert_int_equal(umm_commit(proc, r, 16 * PG, TU_RW), UMM_OK);
    for (size_t i = 0; i < 16; i++)
        memset(r + i * PG, 0x11 + (int)i, PG);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(s0.active, 16);
    assert_int_equal(s0.committed, 16);

    assert_int_equal(umm_decommit(NULL, r, PG), UMM_E_INVAL);
    assert_int_equal(umm_decommit(proc, r + 3, PG), UMM_E_ALIGN);
    assert_int_equal(umm_decommit(proc, r, 0), UMM_E_RANGE);
    assert_int_equal(umm_decommit(proc, r + 2 * TU_GRAN - PG, 2 * PG), UMM_E_RANGE);
    assert_int_equal(umm_decommit(proc, r, SIZE_MAX), UMM_E_RANGE);
    char *theirs = tu_reserve(other, TU_GRAN, TU_RW);
    assert_int_equal(umm_decommit(proc, theirs, PG), UMM_E_NOT_RESERVED);
    void *heap = aligned_alloc(PG, PG);
    assert_non_null(heap);
    assert_int_equal(umm_decommit(proc, heap, PG), UMM_E_NOT_RESERVED);
    free(heap);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.active, 16);
    assert_int_equal(s.committed, 16);
    assert_int_equal(r[5 * PG], 0x16);
    tu_assert_consistent(sys);

    /* decommit pages 4..11 */
    assert_int_equal(umm_decommit(proc, r + 4 * PG, 8 * PG), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.active, 8);
    assert_int_equal(s.committed, 8);
    assert_int_equal(s.working_set, 8);
    assert_int_equal(s.zeroed + s.free, s.total_frames - 8);
    assert_int_equal(tu_pstats(proc).committed, 8);
    tu_assert_consistent(sys);
    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, r + 4 * PG, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_RESERVED);
    assert_ptr_equal(qi.base, r + 4 * PG);
    assert_int_equal(qi.size, 8 * PG);
    assert_int_equal(tu_try_read(r + 6 * PG, NULL), UMM_EXC_ACCESS_VIOLATION);
    assert_ptr_equal(tu_exc.last.address, r + 6 * PG);
    assert_int_equal(tu_exc.last.is_write, 0);
    /* neighbours intact */
    for (size_t i = 0; i < 4; i++)
        assert_int_equal((unsigned char)r[i * PG + 100], 0x11 + i);
    for (size_t i = 12; i < 16; i++)
        assert_int_equal((unsigned char)r[i * PG + 100], 0x11 + i);

    /* recommit: zero */
    assert_int_equal(umm_commit(proc, r + 4 * PG, 8 * PG, TU_RW), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 16);
    for (size_t i = 4; i < 12; i++)
        assert_true(tu_is_zero(r + i * PG, PG));

    /* decommit reserved-but-uncommitted pages, and a mixed range */
    assert_int_equal(umm_decommit(proc, r + TU_GRAN, 4 * PG), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 16);
    assert_int_equal(umm_decommit(proc, r + 14 * PG, 8 * PG), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 14);
    tu_assert_consistent(sys);

    /* decommit everything: all frames back */
    assert_int_equal(umm_decommit(proc, r, 2 * TU_GRAN), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 0);
    assert_int_equal(s.active, 0);
    assert_int_equal(s.working_set, 0);
    assert_int_equal(s.available, s.total_frames);
    tu_assert_consistent(sys);
    assert_usable(sys, proc);
    umm_system_destroy(sys);
}

/* umm_release: base must be the exact reservation base (inside -> INVAL), double release and
 * foreign pointers -> NOT_RESERVED; releasing returns all frames and charge; address then FREE. */
static void test_release(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc, *other;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    assert_int_equal(umm_process_create(sys, &other), UMM_OK);
    char *r = tu_reserve(proc, 4 * TU_GRAN, TU_RW);
    assert_int_equal(umm_commit(proc, r + TU_GRAN, 2 * TU_GRAN, TU_RW), UMM_OK);
    memset(r + TU_GRAN, 0x77, 2 * TU_GRAN);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.committed, 32);
    assert_int_equal(s.active, 32);

    assert_int_equal(umm_release(NULL, r), UMM_E_INVAL);
    assert_int_equal(umm_release(proc, r + PG), UMM_E_INVAL);
    assert_int_equal(umm_release(proc, r + TU_GRAN), UMM_E_INVAL);
    assert_int_equal(umm_release(proc, r + 17), UMM_E_INVAL);
    char *theirs = tu_reserve(other, TU_GRAN, TU_RW);
    assert_int_equal(umm_release(proc, theirs), UMM_E_NOT_RESERVED);
    void *heap = malloc(100);
    assert_non_null(heap);
    assert_int_equal(umm_release(proc, heap), UMM_E_NOT_RESERVED);
    free(heap);
    int rc = umm_release(proc, NULL);
    assert_true(rc == UMM_E_NOT_RESERVED || rc == UMM_E_INVAL);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 32);
    assert_int_equal(s.active, 32);
    assert_int_equal((unsigned char)r[TU_GRAN + 5], 0x77);
    tu_assert_consistent(sys);

    assert_int_equal(umm_release(proc, r), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 0);
    assert_int_equal(s.active, 0);
    assert_int_equal(s.working_set, 0);
    assert_int_equal(s.available, s.total_frames);
    assert_int_equal(tu_pstats(proc).committed, 0);
    assert_int_equal(tu_pstats(proc).working_set, 0);
    assert_int_equal(tu_pstats(proc).reservations, 0);
    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, r + TU_GRAN, &qi), UMM_E_NOT_RESERVED);
    assert_int_equal(qi.state, UMM_REGION_FREE);
    assert_int_equal(umm_release(proc, r), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_commit(proc, r, PG, TU_RW), UMM_E_NOT_RESERVED);
    /* the other process's reservation is untouched */
    assert_int_equal(umm_query(other, theirs, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_RESERVED);
    tu_assert_consistent(sys);
    assert_usable(sys, proc);
    umm_system_destroy(sys);
}

/* umm_protect: all pages must be committed (NOT_COMMITTED otherwise, nothing changed), old prot is
 * the first page's, data stays; READ makes writes access violations (is_write = 1), back to RW
 * works; PROT_NONE makes reads access violations. */
static void test_protect(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    tu_exc_install(sys);
    char *r = tu_reserve(proc, TU_GRAN, TU_RW);
    assert_int_equal(umm_commit(proc, r, 4 * PG, TU_RW), UMM_OK);
    for (size_t i = 0; i < 4; i++)
        memset(r + i * PG, 'a' + (int)i, PG);
    int old = -1;

    assert_int_equal(umm_protect(NULL, r, PG, UMM_PROT_READ, &old), UMM_E_INVAL);
    assert_int_equal(umm_protect(proc, r, PG, 0x100, &old), UMM_E_INVAL);
    assert_int_equal(umm_protect(proc, r, 0, UMM_PROT_READ, &old), UMM_E_RANGE);
    assert_int_equal(umm_protect(proc, r + 4 * PG, PG, UMM_PROT_READ, &old), UMM_E_NOT_COMMITTED);
    assert_int_equal(umm_protect(proc, r + 2 * PG, 4 * PG, UMM_PROT_READ, &old), UMM_E_NOT_COMMITTED);
    char *full = tu_alloc(proc, TU_GRAN); /* fully committed: crossing its end is a range error */
    assert_int_equal(umm_protect(proc, full + TU_GRAN - PG, 2 * PG, UMM_PROT_READ, &old), UMM_E_RANGE);
    assert_int_equal(umm_release(proc, full), UMM_OK);
    void *heap = aligned_alloc(PG, PG);
    assert_non_null(heap);
    assert_int_equal(umm_protect(proc, heap, PG, UMM_PROT_READ, &old), UMM_E_NOT_RESERVED);
    free(heap);
    /* failed protect changed nothing: pages 2,3 still writable */
    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, r + 2 * PG, &qi), UMM_OK);
    assert_int_equal(qi.prot, TU_RW);
    assert_int_equal(tu_try_write(r + 3 * PG, 'd'), 0);

    /* READ: data stays, writes fault with is_write=1 at the address */
    old = -1;
    assert_int_equal(umm_protect(proc, r, 2 * PG, UMM_PROT_READ, &old), UMM_OK);
    assert_int_equal(old, TU_RW);
    assert_int_equal(umm_query(proc, r, &qi), UMM_OK);
    assert_int_equal(qi.prot, UMM_PROT_READ);
    assert_int_equal(qi.size, 2 * PG);
    assert_int_equal(r[PG + 10], 'b');
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(tu_try_write(r + PG + 10, 'X'), UMM_EXC_ACCESS_VIOLATION);
    assert_ptr_equal(tu_exc.last.address, r + PG + 10);
    assert_int_equal(tu_exc.last.is_write, 1);
    assert_int_equal(tu_exc.last.error, 0);
    assert_ptr_equal(tu_exc.last.process, proc);
    assert_int_equal(tu_stats(sys).faults_access_violation, s0.faults_access_violation + 1);
    assert_int_equal(r[PG + 10], 'b');
    assert_int_equal(tu_try_write(r + 2 * PG, 'c'), 0); /* page 2 not affected */

    /* NULL old_prot is allowed; back to RW: writes work, data intact */
    assert_int_equal(umm_protect(proc, r, 2 * PG, TU_RW, NULL), UMM_OK);
    assert_int_equal(r[PG + 11], 'b');
    assert_int_equal(tu_try_write(r + PG + 10, 'X'), 0);
    assert_int_equal(r[PG + 10], 'X');
    assert_int_equal(r[0], 'a');

    /* NONE: even reads fault; old reports RW */
    old = -1;
    assert_int_equal(umm_protect(proc, r + 3 * PG, PG, UMM_PROT_NONE, &old), UMM_OK);
    assert_int_equal(old, TU_RW);
    assert_int_equal(tu_try_read(r + 3 * PG + 1, NULL), UMM_EXC_ACCESS_VIOLATION);
    assert_ptr_equal(tu_exc.last.address, r + 3 * PG + 1);
    assert_int_equal(tu_exc.last.is_write, 0);
    assert_int_equal(tu_try_write(r + 3 * PG + 1, 1), UMM_EXC_ACCESS_VIOLATION);
    old = -1;
    assert_int_equal(umm_protect(proc, r + 3 * PG, PG, UMM_PROT_READ, &old), UMM_OK);
    assert_int_equal(old, UMM_PROT_NONE);
    assert_int_equal(r[3 * PG + 1], 'd');
    /* old prot of a mixed range is the first page's */
    old = -1;
    assert_int_equal(umm_protect(proc, r + 2 * PG, 2 * PG, TU_RW, &old), UMM_OK);
    assert_int_equal(old, TU_RW);

    /* protect of paged-out (trimmed) pages keeps data too */
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_protect(proc, r, 4 * PG, UMM_PROT_READ, &old), UMM_OK);
    assert_int_equal(r[0], 'a');
    assert_int_equal(r[PG + 10], 'X');
    assert_int_equal(tu_try_write(r + 2 * PG, 1), UMM_EXC_ACCESS_VIOLATION);
    tu_assert_consistent(sys);
    assert_usable(sys, proc);
    umm_system_destroy(sys);
}

/* umm_query: FREE outside reservations, runs of same state/prot (base, size), allocation info,
 * resident_pages counting valid pages of the run; NULL out -> INVAL. */
static void test_query(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 1, &sys, &proc);
    umm_region_info_t qi;
    char *r = tu_reserve(proc, 4 * TU_GRAN, TU_RW);
    size_t total = 4 * TU_GRAN / PG; /* 64 pages */

    assert_int_equal(umm_query(proc, r, NULL), UMM_E_INVAL);
    assert_int_equal(umm_query(NULL, r, &qi), UMM_E_INVAL);
    int local;
    memset(&qi, 0xCC, sizeof qi);
    assert_int_equal(umm_query(proc, &local, &qi), UMM_E_NOT_RESERVED);
    assert_int_equal(qi.state, UMM_REGION_FREE);
    assert_null(qi.allocation_base);

    /* pages: 0-3 reserved, 4-7 RW, 8-9 READ, 10-63 reserved */
    assert_int_equal(umm_commit(proc, r + 4 * PG, 4 * PG, TU_RW), UMM_OK);
    assert_int_equal(umm_commit(proc, r + 8 * PG, 2 * PG, UMM_PROT_READ), UMM_OK);

    assert_int_equal(umm_query(proc, r + 100, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_RESERVED);
    assert_ptr_equal(qi.base, r);
    assert_int_equal(qi.size, 4 * PG);
    assert_ptr_equal(qi.allocation_base, r);
    assert_int_equal(qi.allocation_size, 4 * TU_GRAN);
    assert_int_equal(qi.allocation_prot, TU_RW);
    assert_int_equal(qi.resident_pages, 0);

    assert_int_equal(umm_query(proc, r + 5 * PG + 123, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_COMMITTED);
    assert_ptr_equal(qi.base, r + 5 * PG);
    assert_int_equal(qi.size, 3 * PG);
    assert_int_equal(qi.prot, TU_RW);
    assert_ptr_equal(qi.allocation_base, r);
    assert_int_equal(qi.resident_pages, 0);

    r[6 * PG] = 1; /* cluster 1: exactly one page becomes valid */
    (void)*(volatile char *)(r + 7 * PG); /* a read makes a page valid too */
    assert_int_equal(umm_query(proc, r + 4 * PG, &qi), UMM_OK);
    assert_int_equal(qi.size, 4 * PG);
    assert_int_equal(qi.resident_pages, 2);
    assert_int_equal(umm_query(proc, r + 7 * PG, &qi), UMM_OK);
    assert_int_equal(qi.size, PG);
    assert_int_equal(qi.resident_pages, 1);

    assert_int_equal(umm_query(proc, r + 8 * PG, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_COMMITTED);
    assert_int_equal(qi.prot, UMM_PROT_READ);
    assert_ptr_equal(qi.base, r + 8 * PG);
    assert_int_equal(qi.size, 2 * PG);

    assert_int_equal(umm_query(proc, r + 10 * PG, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_RESERVED);
    assert_int_equal(qi.size, (total - 10) * PG);
    assert_int_equal(umm_query(proc, r + 4 * TU_GRAN - 1, &qi), UMM_OK);
    assert_ptr_equal(qi.base, r + 4 * TU_GRAN - PG);
    assert_int_equal(qi.size, PG);
    assert_int_equal(qi.state, UMM_REGION_RESERVED);

    /* a protect splits a run */
    assert_int_equal(umm_protect(proc, r + 5 * PG, PG, UMM_PROT_READ, NULL), UMM_OK);
    assert_int_equal(umm_query(proc, r + 4 * PG, &qi), UMM_OK);
    assert_int_equal(qi.size, PG);
    assert_int_equal(umm_query(proc, r + 6 * PG, &qi), UMM_OK);
    assert_int_equal(qi.size, 2 * PG);
    assert_int_equal(qi.prot, TU_RW);

    /* trimmed pages are committed but not resident */
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_query(proc, r + 6 * PG, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_COMMITTED);
    assert_int_equal(qi.resident_pages, 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* umm_strerror is total and distinct over the enum, non-NULL outside it; umm_error_name gives the
 * enum's spelling; umm_version is "MAJOR.MINOR.PATCH". */
static void test_strerror(void **state) {
    (void)state;
    for (int i = 0; i < UMM_ERROR_COUNT_; i++) {
        const char *a = umm_strerror(i);
        assert_non_null(a);
        assert_true(strlen(a) > 0);
        assert_non_null(umm_error_name(i));
        for (int j = 0; j < i; j++)
            if (strcmp(a, umm_strerror(j)) == 0)
                fail_msg("umm_strerror(%d) == umm_strerror(%d) == \"%s\"", i, j, a);
    }
    assert_non_null(umm_strerror(-1));
    assert_non_null(umm_strerror(9999));
    assert_non_null(umm_strerror(UMM_ERROR_COUNT_));
    assert_string_equal(umm_error_name(UMM_E_INVAL), "UMM_E_INVAL");
    assert_string_equal(umm_error_name(UMM_OK), "UMM_OK");
    assert_string_equal(umm_error_name(UMM_E_NO_FRAMES), "UMM_E_NO_FRAMES");
    assert_null(umm_error_name(-1));
    assert_null(umm_error_name(9999));
    assert_string_equal(umm_strerror(UMM_OK), "success");
    assert_string_equal(umm_strerror(UMM_E_COMMIT_LIMIT), "commit charge would exceed the commit limit");
    const char *v = umm_version();
    assert_non_null(v);
    unsigned a, b, c;
    char tail;
    assert_int_equal(sscanf(v, "%u.%u.%u%c", &a, &b, &c, &tail), 3);
}

/* Bad input on every entry point returns its code and leaves the system usable afterwards. */
static void test_bad_input_everywhere(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc, *other;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    assert_int_equal(umm_process_create(sys, &other), UMM_OK);
    umm_stats_t st;
    umm_process_stats_t ps;
    umm_region_info_t qi;
    umm_process_t *np = NULL;

    assert_int_equal(umm_process_create(NULL, &np), UMM_E_INVAL);
    assert_int_equal(umm_process_create(sys, NULL), UMM_E_INVAL);
    assert_int_equal(umm_stats_get(NULL, &st), UMM_E_INVAL);
    assert_int_equal(umm_stats_get(sys, NULL), UMM_E_INVAL);
    assert_int_equal(umm_process_stats_get(NULL, &ps), UMM_E_INVAL);
    assert_int_equal(umm_process_stats_get(proc, NULL), UMM_E_INVAL);
    assert_int_equal(umm_set_exception_handler(NULL, tu_exc_handler, NULL), UMM_E_INVAL);
    assert_int_equal(umm_ws_trim(NULL, 10), UMM_E_INVAL);
    assert_int_equal(umm_ws_empty(NULL), UMM_E_INVAL);
    assert_int_equal(umm_query(NULL, proc, &qi), UMM_E_INVAL);
    assert_true(umm_check(NULL) != UMM_OK);
    assert_usable(sys, proc);

    char *r = tu_reserve(proc, 2 * TU_GRAN, TU_RW);
    char *r2 = tu_reserve(proc, 2 * TU_GRAN, TU_RW);
    char *theirs = tu_reserve(other, TU_GRAN, TU_RW);
    assert_int_equal(umm_commit(proc, r, PG, TU_RW), UMM_OK);
    r[0] = 9;

    void *vp = NULL;
#define BAD(call, want)                                                                         \
    do {                                                                                        \
        int got_ = (call);                                                                      \
        if (got_ != (want))                                                                     \
            fail_msg("%s: got %d (%s), want %s", #call, got_, umm_error_name(got_), #want);     \
        tu_assert_consistent(sys);                                                              \
    } while (0)
    BAD(umm_reserve(proc, 0, TU_RW, &vp), UMM_E_RANGE);
    BAD(umm_reserve(proc, SIZE_MAX, TU_RW, &vp), UMM_E_RANGE);
    BAD(umm_reserve(proc, PG, -5, &vp), UMM_E_INVAL);
    BAD(umm_commit(proc, r, PG, 0x40), UMM_E_INVAL);
    BAD(umm_commit(proc, r + 1, PG, TU_RW), UMM_E_ALIGN);
    BAD(umm_commit(proc, r, 0, TU_RW), UMM_E_RANGE);
    BAD(umm_commit(proc, r, (size_t)0 - PG, TU_RW), UMM_E_RANGE);
    BAD(umm_commit(proc, r + TU_GRAN, 2 * TU_GRAN, TU_RW), UMM_E_RANGE);
    BAD(umm_commit(proc, theirs, PG, TU_RW), UMM_E_NOT_RESERVED);
    BAD(umm_commit(proc, (void *)(uintptr_t)PG, PG, TU_RW), UMM_E_NOT_RESERVED);
    BAD(umm_decommit(proc, r + 2 * TU_GRAN - PG, 2 * PG), UMM_E_RANGE);
    BAD(umm_decommit(proc, theirs, PG), UMM_E_NOT_RESERVED);
    BAD(umm_decommit(proc, r + 5, PG), UMM_E_ALIGN);
    BAD(umm_release(proc, r + PG), UMM_E_INVAL);
    BAD(umm_release(proc, theirs), UMM_E_NOT_RESERVED);
    BAD(umm_release(other, r2), UMM_E_NOT_RESERVED);
    BAD(umm_protect(proc, r + PG, PG, UMM_PROT_READ, NULL), UMM_E_NOT_COMMITTED);
    BAD(umm_protect(proc, theirs, PG, UMM_PROT_READ, NULL), UMM_E_NOT_RESERVED);
    BAD(umm_protect(proc, r, PG, 0x20, NULL), UMM_E_INVAL);
#undef BAD
    assert_int_equal(r[0], 9);
    assert_int_equal(tu_stats(sys).committed, 1);
    assert_usable(sys, proc);
    assert_int_equal(umm_release(proc, r2), UMM_OK);
    assert_int_equal(umm_release(proc, r2), UMM_E_NOT_RESERVED);
    assert_int_equal(r[0], 9);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.committed, 1);
    assert_int_equal(tu_pstats(proc).committed, 1);
    assert_int_equal(tu_pstats(other).committed, 0);
    assert_usable(sys, proc);
    assert_int_equal(umm_commit(other, theirs, PG, TU_RW), UMM_OK);
    theirs[1] = 3;
    assert_int_equal(theirs[1], 3);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_validation),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_commit),
        cmocka_unit_test(test_commit_limit),
        cmocka_unit_test(test_decommit),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_protect),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_bad_input_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
